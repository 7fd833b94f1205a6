# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shipped README links only to what the tarball ships: every relative link names a file that
exists and that galaxy.yml's build_ignore keeps in the build (as ansible-galaxy matches it: the path
and each directory above it, fnmatch)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os
import re

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")


def shipped(path, ignore):
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return not any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in ignore)


def readme_links():
    with open(os.path.join(ROOT, "README.md")) as handle:
        return LINK_RE.findall(handle.read())


def test_the_rule_matches_directories_and_patterns():
    assert not shipped("lab/README.md", ["lab"]) and not shipped("x.tar.gz", ["*.tar.gz"])
    assert shipped("docs/fleet.md", ["lab", "*.tar.gz"])


def test_every_relative_link_of_the_readme_is_shipped():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        ignore = yaml.safe_load(handle).get("build_ignore") or []
    relative = [link for link in readme_links() if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert relative, "no relative link found: the pattern is wrong"
    outside = []
    for link in relative:
        path = link.split("#")[0]
        if not os.path.exists(os.path.join(ROOT, path)) or not shipped(os.path.normpath(path), ignore):
            outside.append(link)
    assert outside == [], "README.md links outside the tarball: %s" % outside
