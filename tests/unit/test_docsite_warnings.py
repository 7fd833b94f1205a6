# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docsite tier's warning filter: only the warnings that come from being offline are ignored."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docsite", "build.py")
SPEC = importlib.util.spec_from_file_location("docsite_build", PATH)
docsite = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(docsite)


def test_offline_inventories_and_other_projects_labels_are_ignored():
    lines = [
        "WARNING: failed to reach any of the inventories with the following issues:",
        "intersphinx inventory 'https://docs.python.org/3/objects.inv' not fetchable due to ConnectionError",
        "intersphinx inventory '../python3.inv' not readable due to FileNotFoundError",
        "/s/rst/a_module.rst:605: WARNING: undefined label: 'common_return_values' [ref.ref]",
        "/s/rst/b_role.rst:54: WARNING: undefined label: 'ansible_collections.ansible.builtin.package_module' [ref.ref]",
    ]
    own, offline = docsite.classify(lines)
    assert own == [] and len(offline) == 5


def test_the_collections_own_warnings_fail():
    lines = [
        "WARNING: failed to reach any of the inventories with the following issues:",
        "intersphinx inventory '../jinja2.inv' not readable due to FileNotFoundError",
        "/s/rst/x_module.rst:3: WARNING: undefined label: 'ansible_collections.directiron.sriov.nothing_module' [ref.ref]",
        "/s/rst/docsite/fleet.md:17: WARNING: 'myst' cross-reference target not found: 'nothing.md' [myst.xref_missing]",
        "/s/rst/docsite/fleet.rst: WARNING: document isn't included in any toctree [toc.not_included]",
        "/s/rst/y_module.rst:9: ERROR: Unknown directive type \"nope\".",
    ]
    own, offline = docsite.classify(lines)
    assert len(offline) == 2
    assert [line.split(":")[0] for line in own] == ["/s/rst/x_module.rst", "/s/rst/docsite/fleet.md", "/s/rst/docsite/fleet.rst",
                                                    "/s/rst/y_module.rst"]
