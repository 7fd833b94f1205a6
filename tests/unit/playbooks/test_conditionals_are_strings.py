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


def _tasks(node):
    if isinstance(node, list):
        for item in node:
            yield from _tasks(item)
    elif isinstance(node, dict):
        if "name" in node or "register" in node:
            yield node
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            if key in node:
                yield from _tasks(node[key])


def test_no_task_variable_is_shadowed_by_a_registered_result():
    """A registered result outranks a task's ``vars:``: one name for both (across a role's task files,
    or in one playbook) makes the task read the other result."""
    groups = [glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml"))
              for role in os.listdir(os.path.join(ROOT, "roles"))]
    groups += [[path] for path in glob.glob(os.path.join(ROOT, "playbooks", "*.yml"))]
    found = []
    for files in groups:
        registered, task_vars = {}, {}
        for path in files:
            with open(path) as handle:
                for task in _tasks(yaml.safe_load(handle)):
                    if isinstance(task.get("register"), str):
                        registered[task["register"]] = os.path.relpath(path, ROOT)
                    for name in (task.get("vars") or {}) if isinstance(task.get("vars"), dict) else ():
                        task_vars[name] = os.path.relpath(path, ROOT)
        found.extend("%s: registered in %s, a task variable in %s" % (name, registered[name], task_vars[name])
                     for name in sorted(set(registered) & set(task_vars)))
    assert found == []
