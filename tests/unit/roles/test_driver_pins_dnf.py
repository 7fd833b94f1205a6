# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role driver_pins' lock steps (tasks_from dnf_locks) against dnf4 and dnf5.

Runs ansible-playbook against localhost with a fake ``dnf`` on PATH that prints a recorded
``versionlock list`` output (tests/fixtures/dnf) and logs every ``add`` and ``delete`` it is asked
for: the role must ask for exactly the missing locks on either dnf, and nothing once they are there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "dnf")

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.include_role:
        name: directiron.sriov.driver_pins
        tasks_from: dnf_locks
      vars:
        driver_pins_host: %s
"""

FAKE_DNF = """#!/bin/sh
if [ "$1 $2 $3" = "-q versionlock list" ]; then cat "%(listing)s"; exit 0; fi
echo "$*" >> "%(log)s"
"""


def run_locks(tmp_path, listing, pins):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "dnf.log"
    log.write_text("")
    dnf = bindir / "dnf"
    dnf.write_text(FAKE_DNF % {"listing": listing, "log": log})
    dnf.chmod(0o755)
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK % json.dumps(pins))
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, PATH="%s:%s" % (bindir, os.environ["PATH"]))
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", str(playbook)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    return log.read_text().splitlines()


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_the_role_deletes_the_stale_lock_and_adds_only_what_is_missing(tmp_path, fmt):
    pins = [{"package": "i40e-dkms", "version": "2.26.1-1"}, {"package": "iavf-dkms", "version": "4.11.1-1"},
            {"package": "ixgbe-dkms", "version": "5.21.5-1"}]
    calls = run_locks(tmp_path, os.path.join(FIXTURES, "%s-versionlock-list.txt" % fmt), pins)
    assert calls == ["versionlock delete i40e-dkms", "versionlock add i40e-dkms-2.26.1-1",
                     "versionlock add ixgbe-dkms-5.21.5-1"]


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_the_role_asks_nothing_when_every_pin_is_locked(tmp_path, fmt):
    kernel = {"dnf4": "5.14.0-427.13.1.el9_4", "dnf5": "6.13.5-200.fc41"}[fmt]
    pins = [{"package": "i40e-dkms", "version": "2.25.7-1"}, {"package": "kernel-core", "version": kernel}]
    assert run_locks(tmp_path, os.path.join(FIXTURES, "%s-versionlock-list.txt" % fmt), pins) == []
