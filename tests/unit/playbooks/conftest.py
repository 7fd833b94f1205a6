# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the collection's playbooks through ansible-playbook (a subprocess), from the tests here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
# the collection's own ansible_collections root (ansible-test's copy), else the checkout's symlinked one (make link)
if os.path.basename(os.path.dirname(os.path.dirname(COLLECTION))) == "ansible_collections":
    COLLECTIONS_PATH = os.path.dirname(os.path.dirname(os.path.dirname(COLLECTION)))
else:
    COLLECTIONS_PATH = os.path.join(COLLECTION, ".cache", "collections")


@pytest.fixture
def run_playbook(tmp_path):
    """run_playbook(playbook, inventory (dict), *args, env={}) -> CompletedProcess (stdout has stderr)."""
    def run(playbook, inventory, *args, **kwargs):
        path = tmp_path / "inventory.json"
        path.write_text(json.dumps(inventory))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_PATH,
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
                   ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_LOCALHOST_WARNING="0",
                   ANSIBLE_INVENTORY_UNPARSED_WARNING="0", PWD=str(tmp_path), **kwargs.get("env", {}))
        argv = [sys.executable, "-m", "ansible.cli.playbook", "-i", str(path)] + list(args)
        return subprocess.run(argv + [os.path.join(COLLECTION, "playbooks", playbook)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, universal_newlines=True, timeout=300, check=False,
                              cwd=str(tmp_path))  # the reports a playbook writes by default land here
    return run
