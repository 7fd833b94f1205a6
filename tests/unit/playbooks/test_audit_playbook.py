# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit.yml through ansible-playbook, its report play fed from a fact cache (no host contacted):
the table on the terminal, the Markdown and JSON files, and the exit code on drift."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

KERNEL = "6.1.0-27-amd64"
MAC = "52:54:00:aa:00:01"

HOST_FACTS = {
    "sriov": {"pfs": [{"address": "0000:01:00.0", "netdev": "enp1s0", "numvfs": 1, "driver": "igb", "driver_module": "igb",
                       "driver_version": KERNEL, "firmware_version": None,
                       "vfs": [{"index": 0, "address": "0000:01:10.0", "mac": MAC}]}]},
    "sriov_domains": {"domains": [], "vfs": {
        "0000:01:10.0": {"domain": "inner", "active": True, "mac": MAC, "alias": "hostdev0", "kind": "interface"}}},
}
GUEST_FACTS = {"guest_nics": {"kernel_release": KERNEL, "missing": [], "nics": [
    {"name": "eth0", "mac": MAC, "driver": "igbvf", "driver_module": "igbvf", "driver_version": KERNEL,
     "virtio": False, "lowers": [], "master": None}]}}


def run_audit(run_playbook, tmp_path, guest_pin_version, extra=()):
    cache = tmp_path / "facts"
    cache.mkdir()
    for host, facts in (("kvm1", HOST_FACTS), ("inner", GUEST_FACTS)):
        # ansible-core 2.19 names the jsonfile entry s1_HOST and wraps it in __payload__; older ones write
        # ansible_factsHOST as plain JSON, and before 2.17 (no default prefix) plain HOST
        (cache / ("s1_" + host)).write_text(json.dumps({"__payload__": json.dumps(facts)}))
        (cache / ("ansible_facts" + host)).write_text(json.dumps(facts))
        (cache / host).write_text(json.dumps(facts))
    inventory = {"all": {"children": {
        "sriov_hosts": {"hosts": {"kvm1": {"sriov_driver_pins": {"guest": [
            {"package": "linux-image-amd64", "version": guest_pin_version, "module": "igbvf"}]}}}},
        "sriov_guests": {"hosts": {"inner": {}}}}}}
    return run_playbook("audit.yml", inventory, "--tags", "report",
                        "-e", "sriov_audit_markdown_path=%s" % (tmp_path / "drift.md"),
                        "-e", "sriov_audit_json_path=%s" % (tmp_path / "drift.json"), *extra,
                        env={"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)})


@pytest.mark.parametrize("fail_on_drift", [True, False])
def test_made_up_guest_pin_mismatch_prints_writes_and_sets_the_exit_code(run_playbook, tmp_path, fail_on_drift):
    extra = [] if fail_on_drift else ["-e", "sriov_audit_fail_on_drift=false"]
    run = run_audit(run_playbook, tmp_path, "9.9.9-made-up", extra)
    assert run.returncode == (2 if fail_on_drift else 0), run.stdout
    assert "guest pin linux-image-amd64=9.9.9-made-up, but the guest runs igbvf %s" % KERNEL in run.stdout
    assert "1 VF(s): 0 ok, 1 drift, 0 unknown" in run.stdout
    rows = json.loads((tmp_path / "drift.json").read_text())
    assert [(r["host"], r["pf"], r["vf"], r["guest"], r["vf_driver"], r["verdict"]) for r in rows] == [
        ("kvm1", "enp1s0", "0000:01:10.0", "inner", "igbvf", "drift")]
    assert "| kvm1 | enp1s0 | igb |" in (tmp_path / "drift.md").read_text()
    report = json.loads((tmp_path / "sriov-report-audit.json").read_text())  # the fleet report, in the run's directory
    assert [(r["host"], r["netdev"], r["vfs_present"], r["held"]) for r in report["rows"]] == [
        ("kvm1", "enp1s0", 1, ["0000:01:10.0 (inner)"])]
    if fail_on_drift:
        assert "driver drift on 1 VF(s) (0000:01:10.0)" in run.stdout
