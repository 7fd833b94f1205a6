# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role host_packages on this machine (apt): installs nothing that is there, reports what is missing.

Runs ansible-playbook against localhost; only the read-only dpkg-query runs, never the installer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.include_role:
        name: directiron.sriov.host_packages
      vars:
        host_packages_needed: {apt: "{{ wanted }}", rpm: "{{ wanted }}"}
"""

pytestmark = pytest.mark.skipif(not shutil.which("dpkg-query"), reason="needs a dpkg-based machine")


def run_play(tmp_path, wanted, check):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    argv = [sys.executable, "-m", "ansible.cli.playbook", str(playbook),
            "-e", json.dumps({"wanted": wanted})] + (["--check"] if check else [])
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                          universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    changed = int(proc.stdout.rsplit("changed=", 1)[1].split()[0])
    return changed, proc.stdout


def task_status(out, name):
    """The status word (ok, changed, skipping) printed under the task called NAME."""
    after = out.split(name + "] ", 1)[1]
    return after.split("\n", 2)[1].split(":", 1)[0]


def test_installed_packages_need_no_install_and_no_change(tmp_path):
    changed, out = run_play(tmp_path, ["dpkg"], check=False)
    assert changed == 0
    assert task_status(out, "Ask the package database which packages are installed") == "ok"
    assert task_status(out, "Install the missing packages (or report them in check mode)") == "skipping"
    assert "TASK [directiron.sriov.host_packages : Install the missing packages]" not in out


def test_check_mode_reports_a_missing_package_as_a_change_without_installing(tmp_path):
    changed, out = run_play(tmp_path, ["dpkg", "directiron-no-such-package"], check=True)
    assert changed == 1
    assert task_status(out, "Install the missing packages") == "skipping"
    assert '"msg": "would install directiron-no-such-package"' in out


TWO_ROLES = """
- hosts: localhost
  gather_facts: false
  connection: local
  tasks:
    - ansible.builtin.include_role:
        name: directiron.sriov.host_packages
      vars:
        host_packages_for: sriov_vfs
        host_packages_needed: {apt: [dpkg], rpm: [rpm]}
    - ansible.builtin.include_role:
        name: directiron.sriov.host_packages
      vars:
        host_packages_for: libvirt_pools
    - ansible.builtin.debug:
        var: host_packages_known
"""


def test_the_roles_after_the_first_call_find_their_answer_without_a_query(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(TWO_ROLES)
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", str(playbook), "--check"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    statuses = [block.split("\n", 2)[1].split(":", 1)[0]
                for block in proc.stdout.split("Ask the package database which packages are installed] ")[1:]]
    assert statuses == ["ok", "skipping"]  # one query for both roles
    known = proc.stdout.split('"host_packages_known": ', 1)[1]
    assert '"family": "apt"' in known and '"python3-libvirt"' in known and '"iproute2"' in known
    assert '"dpkg"' in known.split('"present"', 1)[1]
