# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GuestInterfaceManager and the domain map against a fake libvirt whose XML follows libvirt's documented shapes
(see tests/fixtures/fake_libvirt.py for which shape comes from where)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _domain, _domain_read
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

PF = "0000:01:00.0"
VFS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]
MAC = "52:54:00:aa:00:01"


@pytest.fixture
def sysfs_root(tmp_path):
    return fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS, numa_node=0,
                                    cpus_per_node={0: "0-1", 1: "2-3"})


@pytest.fixture
def fake():
    fake = fake_mod.FakeLibvirt()
    fake.add_network(fake_mod.network_xml("fast-net", vfs=VFS), active=True)
    fake.add_network(fake_mod.network_xml("default"), active=True)
    return fake


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run(fake, sysfs_root, check_mode=False, clock=None, **overrides):
    params = {"domain": "vm1", "state": "present", "network": None, "vf": None, "pf": None, "vf_index": None,
              "mac": None, "vlan": None, "alias": None, "failover": None, "live": True, "unplug_timeout": 5,
              "uri": "qemu:///system", "sysfs_root": sysfs_root}
    params.update(overrides)
    clock = clock or Clock()
    manager = _domain.GuestInterfaceManager(fake, params, check_mode=check_mode, sleep=clock.sleep, clock=clock)
    return manager.run()


def interfaces(dom, live):
    root = ET.fromstring(dom.XMLDesc(0 if live else 2))
    return [_domain_read.interface_record(e) for e in root.findall("devices/interface")]


def test_pool_interface_attaches_live_and_config_in_one_call_then_is_idempotent(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    first = run(fake, sysfs_root, network="fast-net", mac=MAC, vlan=100)
    assert first["changed"] is True
    assert [c[2] for c in fake.calls] == [3]  # AFFECT_LIVE|AFFECT_CONFIG
    config = interfaces(dom, live=False)
    live = interfaces(dom, live=True)
    assert (config[0]["type"], config[0]["network"], config[0]["mac"], config[0]["vlan"]) == ("network", "fast-net",
                                                                                              MAC, 100)
    # the running domain shows the VF the pool handed out, as a hostdev interface without the network name
    assert (live[0]["type"], live[0]["network"], live[0]["vf"], live[0]["mac"]) == ("hostdev", None, VFS[0], MAC)
    assert first["interface"]["live_vf"] == VFS[0]
    second = run(fake, sysfs_root, network="fast-net", mac=MAC, vlan=100)
    assert second["changed"] is False and second["actions"] == []
    assert len(fake.calls) == 1


def test_generated_mac_is_kept_and_found_again(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    first = run(fake, sysfs_root, network="fast-net")
    mac = interfaces(dom, live=False)[0]["mac"]
    assert mac.startswith("52:54:00:") and interfaces(dom, live=True)[0]["mac"] == mac
    assert first["interface"]["mac"] == mac
    assert run(fake, sysfs_root, network="fast-net")["changed"] is False


def test_specific_vf_on_a_shut_off_domain_changes_the_definition_only(fake, sysfs_root):
    dom = fake.add_domain("vm1")
    result = run(fake, sysfs_root, pf="enp1s0", vf_index=1, mac=MAC, vlan=7)
    assert result["actions"] == ["attached the VF interface to the defined domain vm1"]
    assert [c[2] for c in fake.calls] == [2]
    record = interfaces(dom, live=False)[0]
    assert (record["type"], record["vf"], record["vlan"]) == ("hostdev", VFS[1], 7)
    dom.create()
    assert run(fake, sysfs_root, pf="enp1s0", vf_index=1, mac=MAC, vlan=7)["changed"] is False


def test_running_domain_without_the_defined_interface_gets_it_live(fake, sysfs_root):
    dom = fake.add_domain("vm1")
    run(fake, sysfs_root, vf=VFS[2], mac=MAC)
    dom.create()
    dom.detachDeviceFlags(dom.XMLDesc(0).split("<devices>")[1].split("</devices>")[0], 1)  # live only
    assert interfaces(dom, live=True) == []
    result = run(fake, sysfs_root, vf=VFS[2], mac=MAC)
    assert result["actions"] == ["attached the VF interface to the running domain vm1"]
    assert interfaces(dom, live=True)[0]["vf"] == VFS[2]


def test_live_false_leaves_the_running_domain_alone(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    run(fake, sysfs_root, vf=VFS[0], mac=MAC, live=False)
    assert interfaces(dom, live=True) == [] and len(interfaces(dom, live=False)) == 1


def test_changed_vlan_replaces_the_interface_live_and_defined(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    run(fake, sysfs_root, vf=VFS[0], mac=MAC, vlan=100)
    result = run(fake, sysfs_root, vf=VFS[0], mac=MAC, vlan=200, _diff=True)
    assert result["actions"] == [
        "detached the VF interface (to change it) from the running domain vm1",
        "detached the VF interface (to change it) from the defined domain vm1",
        "attached the VF interface to the running and defined domain vm1",
    ]
    assert interfaces(dom, live=True)[0]["vlan"] == 200 and interfaces(dom, live=False)[0]["vlan"] == 200
    assert "<tag id=\"100\" />" in result["diff"]["before"] and "<tag id=\"200\" />" in result["diff"]["after"]


def test_failover_pair_shares_the_mac_and_names_the_virtio_alias(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    args = dict(network="fast-net", mac=MAC, failover={"network": "default", "alias": None, "bridge": None})
    first = run(fake, sysfs_root, **args)
    alias = "ua-backup-525400aa0001"
    assert first["interface"]["failover_alias"] == alias
    for live in (False, True):
        backup, vf = interfaces(dom, live=live)
        assert backup["teaming"] == {"type": "persistent", "persistent": None}
        assert (backup["model"], backup["alias"], backup["mac"]) == ("virtio", alias, MAC)
        assert vf["teaming"] == {"type": "transient", "persistent": alias} and vf["mac"] == MAC
    assert interfaces(dom, live=True)[1]["type"] == "hostdev"
    assert run(fake, sysfs_root, **args)["changed"] is False
    gone = run(fake, sysfs_root, state="absent", **args)
    assert gone["actions"] == [
        "detached the VF interface from the running domain vm1",
        "detached the failover virtio interface from the running domain vm1",
        "detached the VF interface from the defined domain vm1",
        "detached the failover virtio interface from the defined domain vm1",
    ]
    assert interfaces(dom, live=True) == [] and interfaces(dom, live=False) == []
    assert run(fake, sysfs_root, state="absent", **args)["changed"] is False


def test_check_mode_predicts_and_changes_nothing(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    result = run(fake, sysfs_root, check_mode=True, network="fast-net", mac=MAC)
    assert result["changed"] is True
    assert result["actions"] == ["attached the VF interface to the running and defined domain vm1"]
    assert fake.calls == [] and interfaces(dom, live=False) == []
    assert 'network="fast-net"' in result["diff"]["after"] and "<interface" not in result["diff"]["before"]


def test_vf_sharing_its_iommu_group_with_a_host_device_is_refused(fake, tmp_path):
    root = fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS, shared_group=(VFS[1], "0000:05:00.0", "e1000e"))
    fake.add_domain("vm1", running=True)
    with pytest.raises(SriovError) as info:
        run(fake, root, vf=VFS[1], mac=MAC)
    assert info.value.field == "vf"
    assert "0000:05:00.0 (e1000e)" in info.value.msg and "not assignable" in info.value.msg
    assert fake.calls == []


def test_vf_held_by_another_running_domain_is_refused_naming_it(fake, sysfs_root):
    other = fake.add_domain("other")
    run(fake, sysfs_root, domain="other", vf=VFS[0], mac="52:54:00:aa:00:09")
    other.create()
    fake.add_domain("vm1", running=True)
    calls = len(fake.calls)
    with pytest.raises(SriovError) as info:
        run(fake, sysfs_root, pf="enp1s0", vf_index=0, mac=MAC)
    assert info.value.field == "vf_index" and "running domain other" in info.value.msg
    assert len(fake.calls) == calls


def test_numa_placement_away_from_the_pf_warns(fake, sysfs_root):
    fake.add_domain("vm1", "<domain><name>vm1</name><vcpu placement='static' cpuset='2-3'>2</vcpu>"
                           "<devices/></domain>")
    fake.add_domain("vm2", "<domain><name>vm2</name><numatune><memory mode='strict' nodeset='0'/></numatune>"
                           "<devices/></domain>")
    far = run(fake, sysfs_root, vf=VFS[0], mac=MAC)
    assert len(far["warnings"]) == 1
    assert "NUMA node(s) 1 (vcpu cpuset 2-3)" in far["warnings"][0] and "node 0" in far["warnings"][0]
    near = run(fake, sysfs_root, domain="vm2", vf=VFS[1], mac="52:54:00:aa:00:02")
    assert near["warnings"] == []


@pytest.mark.parametrize("overrides, field, words", [
    ({"network": "fast net"}, "network", "letters"),
    ({"vf": "01:10.0"}, "vf", "not a PCI address"),
    ({"pf": "enp1s0"}, "pf", "vf_index"),
    ({"network": "fast-net", "vf": VFS[0]}, "vf", "one of"),
    ({}, "network", "needs network"),
    ({"network": "fast-net", "mac": "52:54:00:aa:00"}, "mac", "not a MAC"),
    ({"network": "fast-net", "mac": "01:00:5e:00:00:01"}, "mac", "multicast"),
    ({"network": "fast-net", "vlan": 4095}, "vlan", "0..4094"),
    ({"network": "fast-net", "alias": "sriov0"}, "alias", "ua-"),
    ({"network": "fast-net", "failover": {"network": "default"}}, "mac", "same MAC"),
    ({"network": "fast-net", "mac": MAC, "failover": {"network": "default", "bridge": "br0"}}, "failover.network",
     "exactly one"),
    ({"network": "fast-net", "mac": MAC, "failover": {"network": "default", "alias": "backup"}}, "failover.alias",
     "ua-"),
    ({"pf": "enp1s0", "vf_index": 9}, "vf_index", "has no VF 9"),
    ({"pf": "nope0", "vf_index": 0}, "pf", "nope0"),
    ({"vf": PF}, "vf", "not a virtual function"),
    ({"network": "slow-net"}, "network", "no libvirt network named slow-net"),
    ({"domain": "ghost", "network": "fast-net"}, "domain", "no libvirt domain named ghost"),
])
def test_bad_input_fails_naming_the_field_and_changes_nothing(fake, sysfs_root, overrides, field, words):
    dom = fake.add_domain("vm1", running=True)
    with pytest.raises(SriovError) as info:
        run(fake, sysfs_root, **overrides)
    assert info.value.field == field
    assert words in info.value.msg
    assert fake.calls == [] and interfaces(dom, live=False) == []


def test_unplug_the_guest_does_not_acknowledge_fails_after_the_timeout(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    run(fake, sysfs_root, vf=VFS[0], mac=MAC)
    dom.ack_unplug = False
    clock = Clock()
    with pytest.raises(SriovError) as info:
        run(fake, sysfs_root, clock=clock, state="absent", vf=VFS[0], mac=MAC, unplug_timeout=5)
    assert info.value.field == "unplug_timeout" and "did not acknowledge" in info.value.msg
    assert clock.now == 5
    assert len(interfaces(dom, live=False)) == 1  # the definition is left for the next run


def test_domain_map_names_the_holder_of_each_vf_with_its_mac(fake, sysfs_root):
    running = fake.add_domain("web", running=True)
    run(fake, sysfs_root, domain="web", network="fast-net", mac=MAC)
    fake.add_domain("db")
    run(fake, sysfs_root, domain="db", vf=VFS[2], mac="52:54:00:aa:00:03")
    facts = _domain_read.domain_device_map(fake, fake.open("qemu:///system"))
    assert [d["name"] for d in facts["domains"]] == ["db", "web"]
    assert facts["vfs"][VFS[0]] == {"domain": "web", "active": True, "mac": MAC, "alias": "hostdev0",
                                    "kind": "interface"}
    assert facts["vfs"][VFS[2]]["domain"] == "db" and facts["vfs"][VFS[2]]["active"] is False
    assert running.isActive()


def test_parse_cpuset_follows_the_kernel_list_syntax():
    assert _domain_read.parse_cpuset("0-3,^2,8") == set([0, 1, 3, 8])
    with pytest.raises(ValueError):
        _domain_read.parse_cpuset("0-x")


def test_absent_without_mac_finds_the_pool_interface_by_network_then_its_live_vf_by_mac(fake, sysfs_root):
    dom = fake.add_domain("vm1", running=True)
    run(fake, sysfs_root, network="fast-net")
    gone = run(fake, sysfs_root, state="absent", network="fast-net")
    assert gone["actions"] == ["detached the VF interface from the running domain vm1",
                               "detached the VF interface from the defined domain vm1"]
    assert interfaces(dom, live=True) == [] and interfaces(dom, live=False) == []
    assert fake.holder(VFS[0]) is None


def test_a_pf_pool_network_as_libvirt_printed_it_hands_out_the_vfs_its_live_xml_lists(sysfs_root):
    # The network defined from the recorded <pf> pool: libvirt keeps the <pf> in the running
    # network's XML and adds the VF addresses; the VF a domain gets is one of those.
    fake = fake_mod.FakeLibvirt(pf_vfs={"enp1s0": VFS})
    fake.add_network(fake_mod.recorded_xml("vfpool-inactive.xml"), active=True)
    live = ET.fromstring(fake.networks["vfpool"].XMLDesc(0))
    assert live.find("forward/pf").get("dev") == "enp1s0"
    assert fake.networks["vfpool"].pool() == VFS
    fake.add_domain("vm1", running=True)
    run(fake, sysfs_root, network="vfpool", mac=MAC)
    (iface,) = ET.fromstring(fake.domains["vm1"].XMLDesc(0)).findall("devices/interface")
    assert iface.get("type") == "hostdev"
    assert fake_mod._address_of(iface.find("source/address")) == VFS[0]
    assert iface.find("vlan/tag").get("id") == "42"
