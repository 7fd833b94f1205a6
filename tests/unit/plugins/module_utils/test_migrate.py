# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The migration preflight between two fake hypervisors (one FakeLibvirt each), with the failover pair wired
by GuestInterfaceManager as sriov_guest_interface wires it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _domain, _migrate
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

VFS_A = ["0000:01:10.0", "0000:01:10.2"]
VFS_B = ["0000:01:10.0", "0000:01:10.2"]
MAC = "52:54:00:5a:00:01"
ALIAS = "ua-backup-5254005a0001"
DOMAIN_XML = ("<domain type='qemu'><name>vm1</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
              "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os><devices/></domain>")
# guest_nic_facts inside a guest whose net_failover paired the virtio standby and the VF
GUEST_NICS = {"nics": [
    {"name": "eth0", "mac": MAC, "master": None, "master_kind": None, "driver": "virtio_net"},
    {"name": "eth1", "mac": MAC, "master": "eth0", "master_kind": "failover", "driver": "virtio_net"},
    {"name": "eth2", "mac": MAC, "master": "eth0", "master_kind": "failover", "driver": "igbvf"},
]}


def host(vfs, xml=DOMAIN_XML):
    fake = fake_mod.FakeLibvirt()
    fake.add_network(fake_mod.network_xml("vf-pool", vfs=vfs), active=True)
    fake.add_network(fake_mod.network_xml("standby", bridge="br-mig"), active=True)
    return fake


@pytest.fixture
def pair(tmp_path):
    """(source, destination): vm1 runs on the source with a failover pair on vf-pool/standby."""
    src, dst = host(VFS_A), host(VFS_B)
    src.add_domain("vm1", DOMAIN_XML, running=True)
    sysfs = fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS_A)
    params = {"domain": "vm1", "state": "present", "network": "vf-pool", "vf": None, "pf": None, "vf_index": None,
              "mac": MAC, "vlan": None, "alias": None, "live": True, "unplug_timeout": 5,
              "failover": {"network": "standby", "alias": None, "bridge": None},
              "uri": "qemu:///system", "sysfs_root": sysfs}
    _domain.GuestInterfaceManager(src, params).run()
    return src, dst


_DEFAULT_NICS = object()


def preflight(src, dst, guest_nics=_DEFAULT_NICS, domain="vm1"):
    guest_nics = GUEST_NICS if guest_nics is _DEFAULT_NICS else guest_nics
    return _migrate.migration_preflight(src, src.open("qemu:///system"), dst.open("qemu+ssh://b/system"), domain,
                                        guest_nics)


def test_a_failover_pair_with_a_free_vf_on_the_destination_can_go(pair):
    found = preflight(*pair)
    assert found["problems"] == []
    assert found["needed_vfs"] == {"vf-pool": 1} and found["free_vfs"] == {"vf-pool": 2}
    assert found["pairs"] == [{"mac": MAC, "network": "vf-pool", "alias": ALIAS, "standby_network": "standby",
                               "standby_bridge": None, "guest_master": "eth0"}]
    assert found["networks"] == ["standby", "vf-pool"]


def test_no_free_vf_in_the_destination_pool_is_refused_naming_the_domain(pair):
    src, dst = pair
    for index, name in enumerate(("busy1", "busy2")):
        dom = dst.add_domain(name, running=False)
        dom.attachDeviceFlags("<interface type='network'><source network='vf-pool'/></interface>", 2)
        dom.create()
    assert preflight(src, dst)["problems"] == [
        "domain vm1: the destination's pool vf-pool has 0 free VF(s), the domain needs 1"]


def test_network_names_must_match_and_a_pool_must_stay_a_pool(pair):
    src, dst = pair
    del dst.networks["standby"]
    dst.networks["vf-pool"].destroy()
    assert preflight(src, dst)["problems"] == [
        "domain vm1: the destination has no network named standby",
        "domain vm1: the network vf-pool is not running on the destination",
    ]
    other = host(VFS_B)
    del other.networks["vf-pool"]
    other.add_network(fake_mod.network_xml("vf-pool", bridge="br0"), active=True)
    assert preflight(src, other)["problems"] == ["domain vm1: the network vf-pool on the destination is not a VF pool"]


def test_the_destination_must_run_the_machine_and_cpu_by_libvirts_own_checks(pair):
    src, dst = pair
    dst.machines = {"pc"}
    problems = preflight(src, dst)["problems"]
    assert len(problems) == 1 and "the destination cannot run a qemu x86_64 guest of machine pc-q35-7.2" in problems[0]
    assert "not supported by emulator" in problems[0]
    dst.machines = {"pc-q35-7.2"}
    dom = src.domains["vm1"]
    for root in (dom.config, dom.live):
        cpu = fake_mod.ET.SubElement(root, "cpu", {"mode": "custom"})
        fake_mod.ET.SubElement(cpu, "model").text = "EPYC-Genoa"
    assert preflight(src, dst)["problems"] == [
        "domain vm1: the destination's CPU cannot run the domain's CPU model EPYC-Genoa"]


def test_the_guest_must_have_a_failover_master(pair):
    single = {"nics": [{"name": "eth0", "mac": MAC, "master": None, "master_kind": None}]}
    assert preflight(*pair, guest_nics=single)["problems"] == [
        "domain vm1: the guest has no failover master over %s (net_failover not loaded, or the pair not formed): "
        "unplugging the VF would cut its traffic" % MAC]
    assert "the guest's NICs are unknown" in preflight(*pair, guest_nics=None)["problems"][0]


def test_plain_hostdevs_unpaired_vfs_and_a_stopped_domain_are_refused():
    src, dst = host(VFS_A), host(VFS_B)
    xml = DOMAIN_XML.replace("<devices/>", (
        "<devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
        "<address domain='0x0000' bus='0x01' slot='0x10' function='0x4'/></source></hostdev>"
        "<interface type='network'><mac address='52:54:00:00:00:09'/><source network='vf-pool'/></interface>"
        "</devices>"))
    src.add_domain("vm1", xml, running=False)
    assert preflight(src, dst)["problems"] == [
        "domain vm1: it is not running (a live migration moves a running domain)",
        "domain vm1: it holds the PCI device 0000:01:10.4 as a plain <hostdev>, which libvirt cannot migrate (give "
        "VFs as the transient side of a failover pair)",
        "domain vm1: its VF interface 52:54:00:00:00:09 is not the transient side of a failover pair; libvirt "
        "cannot migrate it",
    ]


def test_a_domain_of_that_name_on_the_destination_and_an_unknown_domain(pair):
    src, dst = pair
    dst.add_domain("vm1", DOMAIN_XML)
    assert preflight(src, dst)["problems"] == ["domain vm1: a domain named vm1 already exists on the destination"]
    with pytest.raises(SriovError, match="no libvirt domain named vm2 on the source"):
        preflight(src, dst, domain="vm2")


def test_the_preflight_changes_nothing_on_either_host(pair):
    src, dst = pair
    before = (list(src.calls), list(dst.calls))
    preflight(src, dst)
    assert (src.calls, dst.calls) == before
