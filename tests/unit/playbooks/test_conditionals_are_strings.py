# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every conditional in the collection's YAML (roles, playbooks, lab scenarios) is a string.

An unquoted condition that holds ``: `` (``x is search('a: b')``) is read by YAML as a mapping, and
ansible-core 2.19 fails the task only when it runs ("Conditional expressions must be strings"),
which for a lab scenario's last step means after many minutes. ansible-lint does not read
extensions/molecule/, so this test reads everything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
KEYS = ("that", "when", "failed_when", "changed_when", "until")


def _bad(node, where, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in KEYS:
                for item in value if isinstance(value, list) else [value]:
                    if not isinstance(item, (str, bool)):
                        found.append("%s: %s: %r" % (where, key, item))
            _bad(value, where, found)
    elif isinstance(node, list):
        for item in node:
            _bad(item, where, found)
    return found


def test_every_conditional_is_a_string():
    files = []
    for pattern in ("roles/**/*.yml", "playbooks/**/*.yml", "extensions/molecule/**/*.yml"):
        files.extend(glob.glob(os.path.join(ROOT, pattern), recursive=True))
    assert len(files) > 50
    found = []
    for path in sorted(files):
        with open(path) as handle:
            for document in yaml.safe_load_all(handle):
                _bad(document, os.path.relpath(path, ROOT), found)
    assert found == []
