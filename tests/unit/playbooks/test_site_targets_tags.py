# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's targets and tags, through ansible-playbook: the default group sriov_hosts, a host without
sriov_* inventory left unchanged, and every tag selection keeping validation and preflight first."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import sys

import pytest

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
PHASES = {"pins": "Pin host NIC", "driver_options": "Write NIC and vfio driver module options",
          "iommu": "Turn the IOMMU on", "vfs": "Apply VF counts", "pools": "Define the libvirt networks"}
CHECKS = ["Validate every host's sriov_* inventory", "Stop the hosts whose inventory is invalid",
          "Preflight every PF of the host", "Check PFs and pools again", "Preflight the IOMMU arguments",
          "Preflight the libvirt VF-pool networks", "Stop every host because a host failed its checks",
          "Mark the host validated and preflighted", "Stop a host that the validation and preflight did not check"]


def listed_tasks(run_playbook, *args):
    run = run_playbook("site.yml", {"sriov_hosts": {"hosts": {"kvm1": {}}}}, "--list-tasks", *args)
    assert run.returncode == 0, run.stdout
    return [line.strip() for line in run.stdout.splitlines() if "TAGS:" in line]


def position(tasks, name):
    found = [index for index, task in enumerate(tasks) if task.startswith(name)]
    assert found, (name, tasks)
    return found[0]


@pytest.mark.parametrize("selection", [["--tags", tag] for tag in PHASES]
                         + [["--tags", "iommu,vfs"], ["--skip-tags", "vfs,pools"], []])
def test_any_tag_selection_validates_and_preflights_before_its_phases(run_playbook, selection):
    tasks = listed_tasks(run_playbook, *selection)
    for check in CHECKS:
        position(tasks, check)
    last_check = max(position(tasks, check) for check in CHECKS)
    chosen = selection[1].split(",") if selection[:1] == ["--tags"] else [
        tag for tag in PHASES if tag not in (selection[1].split(",") if selection else [])]
    for tag, name in PHASES.items():
        listed = [task for task in tasks if task.startswith(name)]
        assert bool(listed) == (tag in chosen), (tag, tasks)
        if listed:
            assert position(tasks, name) > last_check
            assert re.search(r"TAGS: \[%s\]" % tag, listed[0]), listed[0]


def test_validation_and_preflight_tags_run_the_checks_and_no_phase(run_playbook):
    tasks = listed_tasks(run_playbook, "--tags", "preflight")
    assert not [task for task in tasks for name in PHASES.values() if task.startswith(name)]
    position(tasks, "Preflight every PF of the host")


def test_the_default_target_is_the_sriov_hosts_group(run_playbook):
    inventory = {"all": {"hosts": {"stranger": LOCAL}}, "sriov_hosts": {"hosts": {"kvm1": LOCAL}}}
    run = run_playbook("site.yml", inventory, "--list-hosts")
    assert run.returncode == 0, run.stdout
    assert "kvm1" in run.stdout and "stranger" not in run.stdout
    run = run_playbook("site.yml", inventory, "--list-hosts", "-e", "sriov_target=stranger")
    assert "stranger" in run.stdout and "kvm1" not in run.stdout


def test_a_host_without_sriov_inventory_is_left_unchanged(run_playbook):
    # a local connection and no become: any module sent to the host would fail (sudo) or show up as ok/changed
    run = run_playbook("site.yml", {"sriov_hosts": {"hosts": {"bare": dict(LOCAL, ansible_become=False)}}},
                       "-e", "ansible_become=false")
    assert run.returncode == 0, run.stdout
    recap = re.search(r"bare\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=0\s+skipped=(\d+)", run.stdout)
    assert recap, run.stdout
    assert recap.group(2) == "0"
    # only the controller-side steps ran: validation (twice) and the checked mark
    assert "TASK [Preflight the IOMMU arguments" in run.stdout
    ran = re.findall(r"TASK \[([^\]]+)\][^\n]*\n(?:ok|changed): \[bare\]", run.stdout)
    assert all(not name.startswith(("Preflight", "Turn the IOMMU", "Apply VF", "include_role", "directiron"))
               for name in ran), ran


def test_skipping_the_preflight_stops_the_host_before_any_phase(run_playbook):
    run = run_playbook("site.yml", {"sriov_hosts": {"hosts": {"kvm1": dict(LOCAL, sriov_iommu="intel")}}},
                       "--skip-tags", "preflight", "-e", "ansible_become=false")
    assert run.returncode == 2, run.stdout
    assert "kvm1 was not validated and preflighted in this run" in run.stdout
    assert "TASK [Turn the IOMMU on" not in run.stdout


def test_the_site_ends_with_the_report_files_and_real_warnings(run_playbook, tmp_path):
    host = dict(LOCAL, ansible_become=False, driver_options_reboot_required=True)
    run = run_playbook("site.yml", {"sriov_hosts": {"hosts": {"bare": host}}}, "-e", "ansible_become=false",
                       "-e", "sriov_report_dir=%s" % (tmp_path / "report"))
    assert run.returncode == 0, run.stdout
    assert "site: 1 host(s), 0 PF(s), 0 VF(s), 1 pending reboot(s), 0 PF(s) drifting" in run.stdout
    assert "[WARNING]: bare must reboot: new driver module options" in run.stdout
    report = json.loads((tmp_path / "report" / "sriov-report-site.json").read_text())
    assert report["rows"][0]["pending_reboots"] == ["new driver module options"]
    assert "| bare | (no PF) |" in (tmp_path / "report" / "sriov-report-site.md").read_text()
