# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report reads only the host variables it reports, through ansible-playbook: a variable it does
not need that cannot be templated in this play (decommission.yml reads roles/iommu/vars/main.yml, whose
predicate names the iommu role's defaults) does not fail the report, and nested values (pins) still read."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys

PLAYBOOK = """\
- name: Report with a host variable that names an undefined one
  hosts: sriov_hosts
  gather_facts: false
  tasks:
    - name: Read a role's variables, as decommission.yml reads the iommu role's
      ansible.builtin.include_vars:
        file: "%s"

    - name: Report every host and PF
      directiron.sriov.sriov_report:
        playbook: decommission
        hosts: "{{ ansible_play_hosts_all }}"
        dir: "%s"
        show: false
      run_once: true
"""


def test_a_variable_the_report_does_not_read_cannot_fail_it(run_playbook, tmp_path):
    playbook = tmp_path / "report.yml"
    (tmp_path / "vars.yml").write_text('__unrelated_predicate: "{{ a_role_default_never_loaded | length > 0 }}"\n')
    playbook.write_text(PLAYBOOK % (tmp_path / "vars.yml", tmp_path / "report"))
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "sriov_pfs": [{"pf": "0000:01:00.0", "num_vfs": 2, "vfs": [{"id": 0, "mac": "02:00:00:00:00:01"}]}],
            "driver_options_reboot_required": True,
            "sriov_driver_pins": {"host": [{"module": "igb", "package": "igb-dkms", "version": "5.1"}]},
            # what sriov_host registers in site.yml: the PF it converged and the facts it read after
            "sriov_vfs_result": {"pfs": [{"pf": "0000:01:00.0", "netdev": "enp1s0", "state": {"num_vfs": 2}}],
                                 "ansible_facts": {"sriov": {"pfs": [
                                     {"address": "0000:01:00.0", "netdev": "enp1s0", "numvfs": 2, "driver": "igb",
                                      "driver_version": "5.1", "vfs": []}]}}}}
    run = run_playbook(str(playbook), {"sriov_hosts": {"hosts": {"kvm1": host}}})
    assert run.returncode == 0, run.stdout
    report = json.loads((tmp_path / "report" / "sriov-report-decommission.json").read_text())
    assert [(row["host"], row["pf"], row["vfs_wanted"], row["macs_set"]) for row in report["rows"]] == [
        ("kvm1", "0000:01:00.0", 2, 1)]
    assert report["rows"][0]["pending_reboots"] == ["new driver module options"]
    assert report["rows"][0]["pin"] == "igb-dkms=5.1" and report["rows"][0]["drift"] == []
