# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify of scenario facts: the gathered facts against the guest's own tools.

prepare made: enp1s0 (0000:01:00.0) 4 VFs, VF0 on vfio-pci, VF1 mac/vlan 200 qos 3/spoofchk
off/trust on, VF2 mac + max_tx_rate 100; enp2s0 (0000:02:00.0) 2 driverless VFs; the bridge
group's e1000 0000:03:02.0 on vfio-pci, 0000:03:01.0 still on e1000.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

import pytest

testinfra_hosts = ["host"]  # the second platform, guest, has its own tests (test_guest_pins.py, test_pins.py)

LSPCI_RE = re.compile(r"^(\S+) .*\[([0-9a-f]{4})\]: .*\[([0-9a-f]{4}):([0-9a-f]{4})\]")


@pytest.fixture(scope="module")
def facts(host):
    return json.loads(host.file("/root/directiron-sriov-facts.json").content_string)


@pytest.fixture(scope="module")
def devices_in_groups(facts):
    return dict((address, dict(facts["iommu"]["devices"][address], group=int(group)))
                for group, members in facts["iommu"]["groups"].items() for address in members)


def lspci(host):
    """lspci -Dnnk -> {address: {class4, vendor, device, driver}}."""
    result = {}
    current = None
    for line in host.check_output("lspci -Dnnk").splitlines():
        match = LSPCI_RE.match(line)
        if match:
            current = match.group(1)
            result[current] = {"class4": match.group(2), "vendor": match.group(3), "device": match.group(4),
                               "driver": None}
        elif current and line.strip().startswith("Kernel driver in use:"):
            result[current]["driver"] = line.split(":", 1)[1].strip()
    return result


def test_iommu_summary_matches_the_kernel(host, facts):
    iommu = facts["iommu"]
    cmdline = host.file("/proc/cmdline").content_string.split()
    assert iommu["enabled"] is True and iommu["vendor"] == "intel"
    assert iommu["units"] == sorted(host.check_output("ls /sys/class/iommu").split())
    assert ("intel_iommu=on" in cmdline) == (iommu["cmdline"].get("intel_iommu") == "on")
    assert iommu["passthrough"] is ("iommu=pt" in cmdline)
    ecap = int(host.file("/sys/class/iommu/dmar0/intel-iommu/ecap").content_string.strip(), 16)
    assert iommu["interrupt_remapping"] is bool(ecap & 8)
    assert iommu["missing"] == []


def test_groups_match_the_iommu_groups_directory(host, facts):
    listing = host.check_output(
        "for g in /sys/kernel/iommu_groups/*; do for d in $g/devices/*; do echo ${g##*/} ${d##*/}; done; done")
    kernel = {}
    for line in listing.splitlines():
        group, address = line.split()
        kernel.setdefault(int(group), []).append(address)
    gathered = dict((int(g), members) for g, members in facts["iommu"]["groups"].items())
    assert gathered == dict((g, sorted(a)) for g, a in kernel.items())
    assert facts["iommu"]["group_count"] == len(kernel)


def test_devices_match_lspci(host, devices_in_groups):
    seen = lspci(host)
    assert sorted(seen) == sorted(devices_in_groups)
    for address, want in seen.items():
        got = devices_in_groups[address]
        assert got["ids"] == "%s:%s" % (want["vendor"], want["device"]), address
        assert got["driver"] == want["driver"], address


def test_verdicts_for_the_prepared_functions(facts):
    devices = facts["iommu"]["devices"]
    assert devices["0000:01:10.0"]["assignable"] is True  # VF0 on vfio-pci, alone
    assert devices["0000:02:10.0"]["assignable"] is True  # driverless VF, alone
    assert devices["0000:03:01.0"]["assignable"] is True  # shares only with a bridge and a vfio-pci function
    assert devices["0000:03:02.0"]["assignable"] is False  # shares with 0000:03:01.0 still on e1000
    assert devices["0000:03:02.0"]["blocked_by"] == ["0000:03:01.0"]


def test_pfs_match_sysfs(host, facts):
    pfs = dict((pf["address"], pf) for pf in facts["sriov"]["pfs"])
    assert sorted(pfs) == ["0000:01:00.0", "0000:02:00.0"]
    for address, pf in pfs.items():
        base = "/sys/bus/pci/devices/%s/" % address
        assert pf["totalvfs"] == int(host.file(base + "sriov_totalvfs").content_string)
        assert pf["numvfs"] == int(host.file(base + "sriov_numvfs").content_string) == len(pf["vfs"])
        assert pf["drivers_autoprobe"] is (host.file(base + "sriov_drivers_autoprobe").content_string.strip() == "1")
        assert pf["driver"] == "igb" and pf["driver_version"] == host.check_output("uname -r")
        assert pf["netdev"] == host.check_output("ls %snet" % base)
        for index, vf in enumerate(pf["vfs"]):
            assert vf["address"] == host.file(base + "virtfn%d" % index).linked_to.rsplit("/", 1)[1]
            group = host.file("/sys/bus/pci/devices/%s/iommu_group" % vf["address"]).linked_to.rsplit("/", 1)[1]
            assert vf["iommu_group"] == int(group)
    assert pfs["0000:01:00.0"]["vfs"][0]["driver"] == "vfio-pci"
    assert [vf["driver"] for vf in pfs["0000:02:00.0"]["vfs"]] == [None, None]
    assert facts["sriov"]["netlink"] == "ip"


def test_per_vf_settings_match_ip_link(host, facts):
    links = dict((link["ifname"], link) for link in json.loads(host.check_output("ip -d -j link show")))
    for pf in facts["sriov"]["pfs"]:
        kernel = dict((vf["vf"], vf) for vf in links[pf["netdev"]].get("vfinfo_list", []))
        for index, vf in enumerate(pf["vfs"]):
            want = kernel[index]
            vlan = (want.get("vlan_list") or [{}])[0]
            assert vf["mac"] == want["address"]
            assert (vf["vlan"], vf["qos"]) == (vlan.get("vlan", 0), vlan.get("qos", 0))
            assert vf["spoofchk"] == want.get("spoofchk") and vf["trust"] == want.get("trust")
            assert vf["link_state"] == want.get("link_state")
            assert vf["max_tx_rate"] == want["rate"]["max_tx"] and vf["min_tx_rate"] == want["rate"]["min_tx"]
    vf1 = facts["sriov"]["pfs"][0]["vfs"][1]
    assert (vf1["mac"], vf1["vlan"], vf1["qos"], vf1["spoofchk"], vf1["trust"]) == (
        "02:aa:00:00:00:02", 200, 3, False, True)
    assert facts["sriov"]["pfs"][0]["vfs"][2]["max_tx_rate"] == 100
