# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_facts on generated and recorded trees, with fake ip/ethtool runners."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil

import pytest

from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import module_args as patch_module_args

from ansible_collections.directiron.sriov.plugins.modules import sriov_facts
from ansible_collections.directiron.sriov.tests.fixtures import sysfs_tree

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures")
RECORDED = sorted(glob.glob(os.path.join(FIXTURES, "recorded", "*.json")))

IP_JSON = json.dumps([
    {"ifindex": 3, "ifname": "enp1s0", "operstate": "UP", "num_vf": 4, "vfinfo_list": [
        {"vf": 0, "address": "02:aa:00:00:00:01", "vlan_list": [{}], "rate": {"max_tx": 0, "min_tx": 0},
         "spoofchk": True, "link_state": "auto", "trust": False},
        {"vf": 1, "address": "02:aa:00:00:00:02", "vlan_list": [{"vlan": 200, "qos": 3}],
         "rate": {"max_tx": 1000, "min_tx": 0}, "spoofchk": False, "link_state": "auto", "trust": True},
    ]},
])
ETHTOOL = "driver: igb\nversion: 6.1.0-28-amd64\nfirmware-version: 1.63, 0x800009fa\nbus-info: 0000:01:00.0\n"


class FakeRunner(object):
    def __init__(self, results):
        self.results = results
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        for prefix, result in self.results:
            if argv[:len(prefix)] == prefix:
                return result
        return 1, "", "unexpected command"


@pytest.fixture
def host(tmp_path):
    return sysfs_tree.generate(str(tmp_path / "host"), pfs=2, vfs_per_pf=4)


def gather(host, **kwargs):
    return sriov_facts.gather_sriov_facts(host["sysfs_root"], host["proc_root"], **kwargs)


def test_pf_and_vf_facts_from_sysfs(host):
    facts = gather(host, netlink="never")
    assert [pf["address"] for pf in facts["pfs"]] == ["0000:01:00.0", "0000:02:00.0"]
    pf = facts["pfs"][0]
    assert (pf["netdev"], pf["driver"], pf["driver_module"]) == ("enp1s0", "igb", "igb")
    assert (pf["driver_version"], pf["driver_version_source"]) == ("6.1.0-28-amd64", "kernel")
    assert (pf["vendor"], pf["device"], pf["vf_device"]) == ("0x8086", "0x10c9", "0x10ca")
    assert (pf["totalvfs"], pf["numvfs"], pf["drivers_autoprobe"], pf["numa_node"]) == (4, 4, True, 0)
    assert (pf["link_state"], pf["carrier"], pf["speed"]) == ("up", True, 1000)
    assert [vf["address"] for vf in pf["vfs"]] == ["0000:01:00.1", "0000:01:00.2", "0000:01:00.3", "0000:01:00.4"]
    vf0, vf1, vf2 = pf["vfs"][:3]
    assert (vf0["driver"], vf0["netdev"]) == ("vfio-pci", None)
    assert (vf1["driver"], vf1["netdev"]) == (None, None)
    assert (vf2["driver"], vf2["netdev"], vf2["address"]) == ("igbvf", "enp1s0f3", "0000:01:00.3")
    assert all(vf["iommu_group"] is not None for vf in pf["vfs"])
    assert "vlan" not in vf0 and facts["netlink"] == "skipped"  # no netlink data: no settings keys
    assert any("netlink=never" in m for m in facts["missing"])


def test_netlink_settings_and_firmware_from_commands(host):
    runner = FakeRunner([(["/bin/ip"], (0, IP_JSON, "")), (["/sbin/ethtool", "-i", "enp1s0"], (0, ETHTOOL, ""))])
    facts = gather(host, netlink="always", runner=runner, ip_bin="/bin/ip", ethtool_bin="/sbin/ethtool")
    assert facts["netlink"] == "ip"
    assert runner.calls[0] == ["/bin/ip", "-d", "-j", "link", "show"]
    pf = facts["pfs"][0]
    assert pf["firmware_version"] == "1.63, 0x800009fa"
    vf1 = pf["vfs"][1]
    assert (vf1["mac"], vf1["vlan"], vf1["qos"], vf1["spoofchk"], vf1["trust"], vf1["max_tx_rate"]) == (
        "02:aa:00:00:00:02", 200, 3, False, True, 1000)
    assert "mac" not in pf["vfs"][2]  # the ip output listed only two VFs
    assert any("no per-VF data for VF 2, 3" in m for m in facts["missing"])
    # enp2s0 is absent from the ip output, and its ethtool call failed: both said, no traceback
    assert any("enp2s0" in m and "ip output" in m for m in facts["missing"])
    assert any("ethtool -i enp2s0" in m for m in facts["missing"])


def test_auto_does_not_run_commands_for_a_captured_tree(host):
    runner = FakeRunner([])
    facts = gather(host, netlink="auto", runner=runner, ip_bin="/bin/ip", ethtool_bin="/sbin/ethtool")
    assert runner.calls == [] and facts["netlink"] == "skipped"


def test_ip_link_json_file_is_read_instead(host, tmp_path):
    saved = tmp_path / "ip.json"
    saved.write_text(IP_JSON)
    runner = FakeRunner([])
    facts = gather(host, ip_link_json=str(saved), runner=runner, ip_bin="/bin/ip")
    assert runner.calls == [] and facts["netlink"] == "file"
    assert facts["pfs"][0]["vfs"][1]["vlan"] == 200


def test_missing_tools_and_failures_are_reported(host):
    facts = gather(host, netlink="always", runner=FakeRunner([]), ip_bin=None, ethtool_bin=None)
    assert facts["netlink"] == "unavailable" and any("ip (iproute2) not found" in m for m in facts["missing"])
    failing = FakeRunner([(["ip"], (255, "", "Object \"link\" is unknown"))])
    facts = gather(host, netlink="always", runner=failing, ip_bin="ip", ethtool_bin=None)
    assert facts["netlink"] == "failed" and any("rc 255" in m for m in facts["missing"])
    garbage = FakeRunner([(["ip"], (0, "1: lo: <LOOPBACK>", ""))])
    facts = gather(host, netlink="always", runner=garbage, ip_bin="ip", ethtool_bin=None)
    assert facts["netlink"] == "failed" and any("no JSON" in m for m in facts["missing"])
    ok = FakeRunner([(["ip"], (0, IP_JSON, ""))])
    facts = gather(host, netlink="always", runner=ok, ip_bin="ip", ethtool_bin=None)
    assert any("ethtool not found" in m for m in facts["missing"]) and facts["pfs"][0]["firmware_version"] is None


def test_out_of_tree_module_version(host):
    root = host["sysfs_root"]
    with open(os.path.join(root, "module/igb/version"), "w") as handle:
        handle.write("5.15.6\n")
    facts = gather(host, netlink="never")
    assert (facts["pfs"][0]["driver_version"], facts["pfs"][0]["driver_version_source"]) == ("5.15.6", "module")


def test_out_of_tree_module_without_version_is_not_the_kernel_release(host):
    with open(os.path.join(host["sysfs_root"], "module/igb/taint"), "w") as handle:
        handle.write("OE\n")
    pf = gather(host, netlink="never")["pfs"][0]
    assert pf["driver_version"] is None and pf["driver_module"] == "igb"


def test_netdevless_pf_and_vanished_vf(host):
    root = host["sysfs_root"]
    pf_dir = os.path.realpath(os.path.join(root, "bus/pci/devices/0000:02:00.0"))
    shutil.rmtree(os.path.join(pf_dir, "net"))
    os.remove(os.path.join(root, "class/net/enp2s0"))
    shutil.rmtree(os.path.realpath(os.path.join(root, "bus/pci/devices/0000:02:00.2")))
    facts = gather(host, netlink="always", runner=FakeRunner([(["ip"], (0, IP_JSON, ""))]), ip_bin="ip")
    pf = facts["pfs"][1]
    assert pf["netdev"] is None and pf["link_state"] is None
    assert [vf and vf["address"] for vf in pf["vfs"]] == ["0000:02:00.1", None, "0000:02:00.3", "0000:02:00.4"]
    assert any("vanished" in m for m in facts["missing"])
    assert any("0000:02:00.0 has no netdev" in m for m in facts["missing"])


def test_missing_roots_no_traceback(tmp_path):
    facts = sriov_facts.gather_sriov_facts(str(tmp_path / "nosys"), str(tmp_path / "noproc"))
    assert facts["pfs"] == [] and facts["kernel_release"] is None
    assert any("sysfs_root" in m for m in facts["missing"])


def test_host_without_sriov(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=0, vfs_per_pf=0)
    runner = FakeRunner([])
    facts = gather(host, netlink="always", runner=runner, ip_bin="ip")
    assert facts["pfs"] == [] and runner.calls == []


@pytest.mark.parametrize("path", RECORDED, ids=[os.path.basename(p) for p in RECORDED])
def test_recorded_lab_trees(tmp_path, path):
    with open(path) as handle:
        spec = json.load(handle)
    root = sysfs_tree.materialize(spec, str(tmp_path / "rec"))
    ip_json = os.path.join(root, "commands", "ip-d-j-link-show.json")
    facts = sriov_facts.gather_sriov_facts(os.path.join(root, "sys"), os.path.join(root, "proc"),
                                           ip_link_json=ip_json if os.path.exists(ip_json) else None)
    # a recording states what the facts must say: one without an expectation fails, it never
    # compares the facts with themselves
    expect = spec["meta"].get("expect", {})
    missing = [key for key in ("pfs", "vfs") if not expect.get(key)]
    assert not missing, "%s: meta.expect has no %s" % (os.path.basename(path), missing)
    assert [pf["address"] for pf in facts["pfs"]] == expect["pfs"]
    vfs = dict((vf["address"], dict(vf, index=index)) for pf in facts["pfs"] for index, vf in enumerate(pf["vfs"]))
    for address, wanted in expect["vfs"].items():
        for key, value in wanted.items():
            assert vfs[address][key] == value, (address, key)


def test_module_main(host, capsys):
    with patch_module_args({"sysfs_root": host["sysfs_root"], "proc_root": host["proc_root"]}):
        with pytest.raises(SystemExit):
            sriov_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert len(result["ansible_facts"]["sriov"]["pfs"]) == 2
    assert result["ansible_facts"]["sriov"]["netlink"] == "skipped"


@pytest.mark.parametrize("subset", [["pfs"], ["vfs"], []])
def test_subsets_return_only_what_was_asked(host, subset):
    runner = FakeRunner([(["/bin/ip"], (0, IP_JSON, "")), (["/sbin/ethtool", "-i", "enp1s0"], (0, ETHTOOL, ""))])
    facts = gather(host, netlink="always", runner=runner, ip_bin="/bin/ip", ethtool_bin="/sbin/ethtool", subset=subset)
    pf = facts["pfs"][0]
    assert (pf["address"], pf["netdev"], pf["totalvfs"], pf["numvfs"]) == ("0000:01:00.0", "enp1s0", 4, 4)
    assert ("vfs" in pf) is ("vfs" in subset) and ("driver" in pf) is ("pfs" in subset)
    ran = [argv[0] for argv in runner.calls]
    assert ("/bin/ip" in ran) is ("vfs" in subset) and ("/sbin/ethtool" in ran) is ("pfs" in subset)
    assert facts["gather_subset"] == subset


def test_module_gather_subset_exclusion(host, capsys):
    args = {"sysfs_root": host["sysfs_root"], "proc_root": host["proc_root"], "gather_subset": ["!vfs"]}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            sriov_facts.main()
    sriov = json.loads(capsys.readouterr().out)["ansible_facts"]["sriov"]
    assert sriov["gather_subset"] == ["pfs"] and "vfs" not in sriov["pfs"][0] and sriov["pfs"][0]["driver"] == "igb"
