# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report from a host's results and facts: counts, holders, pools, reboots, drift, renderings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.directiron.sriov.plugins.module_utils import _report

VF0, VF1, VF2 = "0000:01:10.0", "0000:01:10.4", "0000:01:11.0"


def kvm1(**extra):
    hv = {
        "sriov_pfs": [{"pf": "enp1s0", "num_vfs": 3, "vfs": [
            {"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100}, {"id": 1, "vlan": 200}, {"id": 2, "driver": "vfio-pci"}]}],
        "sriov_pools": [{"name": "fast-net", "pfs": ["enp1s0"]}, {"name": "other", "pfs": ["enp2s0"]}],
        "sriov_driver_pins": {"host": [{"package": "igb-dkms", "version": "5.0", "module": "igb"}]},
        "sriov_vfs_result": {"pfs": [{"pf": "0000:01:00.0", "netdev": "enp1s0", "state": {"num_vfs": 3, "vfs": [
            {"id": 0, "address": VF0, "driver": "igbvf", "mac": "02:1a:00:00:00:01"},
            {"id": 1, "address": VF1, "driver": "igbvf", "mac": "c6:11:22:33:44:55"},
            {"id": 2, "address": VF2, "driver": "vfio-pci"}]}}],
            "ansible_facts": {"iommu": {"enabled": True, "vendor": "intel"}, "sriov": {"pfs": [
                {"address": "0000:01:00.0", "numvfs": 3, "driver": "igb", "driver_module": "igb",
                 "driver_version": "6.1.0"}]}}},
        "ansible_facts": {"sriov_domains": {"vfs": {VF2: {"domain": "web1"}}}},
    }
    hv.update(extra)
    return hv


def test_a_pf_row_counts_only_what_the_inventory_set_and_names_holders_pools_and_drift():
    report = _report.fleet_report("site", [("kvm1", kvm1())])
    row, = report["rows"]
    assert (row["vfs_wanted"], row["vfs_present"]) == (3, 3)
    assert row["drivers"] == {"igbvf": 2, "vfio-pci": 1}
    assert (row["macs_set"], row["vlans_set"]) == (1, 2)  # the kernel's random MAC of VF 1 is not counted
    assert row["held"] == ["%s (web1)" % VF2] and row["free"] == 2
    assert row["pools"] == ["fast-net"] and row["iommu"] == "on (intel)"
    assert row["drift"] == ["host pin igb-dkms=5.0, but the PF runs igb 6.1.0"]
    assert report["warnings"] == ["kvm1 enp1s0: host pin igb-dkms=5.0, but the PF runs igb 6.1.0"]
    assert json.loads(json.dumps(report)) == report


def test_holders_not_read_are_said_so_not_counted_free():
    hv = kvm1(ansible_facts={})
    row, = _report.fleet_report("site", [("kvm1", hv)])["rows"]
    assert row["held"] is None and row["free"] is None
    assert "not read" in _report.render_text(_report.fleet_report("site", [("kvm1", hv)]))


def test_pending_reboot_and_short_vf_count_are_warnings():
    hv = kvm1(iommu_reboot_required=True, iommu_rebooted=False,
              iommu_result={"args": ["intel_iommu=on", "iommu=pt"], "running_args": "quiet"},
              driver_options_reboot_required=True, sriov_driver_pins={})
    hv["sriov_vfs_result"]["ansible_facts"]["sriov"]["pfs"][0]["numvfs"] = 2
    report = _report.fleet_report("site", [("kvm1", hv)])
    assert report["warnings"] == [
        "kvm1 must reboot: IOMMU arguments intel_iommu=on iommu=pt (running: quiet); new driver module options",
        "kvm1 enp1s0: 3 VFs wanted, 2 present"]
    assert report["summary"]["reboots_pending"] == 1


def test_a_host_without_pfs_has_one_row_and_the_renderings_agree():
    report = _report.fleet_report("site", [("kvm1", kvm1()), ("bare", {})])
    assert [row["host"] for row in report["rows"]] == ["kvm1", "bare"]
    text, markdown = _report.render_text(report), _report.render_markdown(report)
    assert "site: 2 host(s), 1 PF(s), 3 VF(s), 0 pending reboot(s), 1 PF(s) drifting" in text
    assert "| kvm1 | enp1s0 | 3/3 | igbvf x2, vfio-pci x1 | 1 | 2 | 2 | %s (web1) | fast-net | on (intel) |" % VF2 \
        in markdown
    assert "| bare | (no PF) | -/- |" in markdown and "## Warnings" in markdown


def test_the_facts_read_after_the_run_win_over_the_modules_state():
    hv = kvm1()
    hv["sriov_vfs_result"]["ansible_facts"]["sriov"]["pfs"][0]["vfs"] = [
        {"address": VF0, "driver": "vfio-pci"}, {"address": VF1, "driver": None}, {"address": VF2, "driver": "vfio-pci"}]
    row, = _report.fleet_report("site", [("kvm1", hv)])["rows"]
    assert row["drivers"] == {"vfio-pci": 2, "none": 1}


def test_without_a_sriov_host_result_the_rows_come_from_the_facts():
    hv = kvm1()
    facts = hv.pop("sriov_vfs_result")["ansible_facts"]
    facts["sriov"]["pfs"][0].update(netdev="enp1s0", vfs=[{"address": VF0, "driver": "igbvf"}, {"address": VF2}])
    hv["ansible_facts"].update(facts)
    row, = _report.fleet_report("audit", [("kvm1", hv)])["rows"]
    assert (row["pf"], row["netdev"], row["vfs_wanted"], row["vfs_present"]) == ("0000:01:00.0", "enp1s0", 3, 3)
    assert row["drivers"] == {"igbvf": 1, "none": 1} and row["held"] == ["%s (web1)" % VF2] and row["free"] == 1
