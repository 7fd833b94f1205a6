# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guards on their own: management interfaces (also below bridges and VLANs), open vfio
groups, libvirt domains, shared IOMMU groups, and the parsers they use."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost


def test_connection_address_from_ssh_connection():
    assert _guards.connection_address({"SSH_CONNECTION": "10.0.2.2 5000 10.0.2.15 22"}) == "10.0.2.15"
    assert _guards.connection_address({"SSH_CONNECTION": "::ffff:10.0.2.2 5000 ::ffff:10.0.2.15 22"}) == "10.0.2.15"
    assert _guards.connection_address({"SSH_CONNECTION": "fe80::1 5000 fe80::2%eth0 22"}) == "fe80::2"
    assert _guards.connection_address({}) is None


def test_parse_default_routes_includes_multipath_hops():
    text = json.dumps([{"dst": "default", "gateway": "10.0.2.2", "dev": "eth0"},
                       {"dst": "default", "nexthops": [{"dev": "bond0"}, {"dev": "eth9"}]}])
    assert _guards.parse_default_routes(text) == ["eth0", "bond0", "eth9"]
    assert _guards.parse_default_routes("not json") == []


def test_parse_address_owner():
    text = json.dumps([{"ifname": "lo", "addr_info": [{"local": "127.0.0.1"}]},
                       {"ifname": "br0", "addr_info": [{"local": "192.0.2.5"}, {"local": "fe80::1"}]}])
    assert _guards.parse_address_owner(text, "192.0.2.5") == ["br0"]
    assert _guards.parse_address_owner(text, "192.0.2.6") == []


def test_management_reaches_pf_below_a_bridge_and_vlan(tmp_path):
    host = FakeHost(tmp_path, default_route_dev="br0")
    # br0 on top of vlan enp1s0.100 on top of the PF enp1s0: the kernel's lower_* links
    for upper, lower in (("br0", "enp1s0.100"), ("enp1s0.100", "enp1s0")):
        os.makedirs(os.path.join(host.root, "devices/virtual/net", upper))
        if not os.path.lexists(os.path.join(host.root, "class/net", upper)):
            os.symlink("../../devices/virtual/net/" + upper, os.path.join(host.root, "class/net", upper))
        os.symlink("../" + lower, os.path.join(host.root, "devices/virtual/net", upper, "lower_" + lower))
    guards = _guards.HostGuards(host.runner, host.root, host.proc, environ={})
    problems = guards.management_problems(["enp1s0", "enp2s0"])
    assert problems == ["enp1s0 carries the host's default route (IPv4) (through br0): touching it could cut "
                        "this host off"]


def test_management_guard_off_for_boot_replay(tmp_path):
    host = FakeHost(tmp_path, default_route_dev="enp1s0")
    guards = _guards.HostGuards(host.runner, host.root, host.proc, environ={}, management=False)
    assert guards.management_problems(["enp1s0"]) == []
    assert not [c for c in host.calls if c[0] == "ip"]


def test_open_vfio_group_found_in_proc(tmp_path):
    host = FakeHost(tmp_path)
    host.hold_vfio_group(321, 24)
    os.makedirs(os.path.join(host.proc, "self"))  # not a pid: ignored
    guards = _guards.HostGuards(host.runner, host.root, host.proc, environ={})
    assert guards.open_vfio_groups() == {"24": [321]}
    problems = guards.in_use_problems([{"address": "0000:01:10.0", "iommu_group": 24},
                                       {"address": "0000:01:10.2", "iommu_group": 25}])
    assert problems == ["VF 0000:01:10.0: /dev/vfio/24 is held open by process(es) 321 (a guest or a vfio user)"]


def test_libvirt_absent_is_skipped_quietly(tmp_path, monkeypatch):
    host = FakeHost(tmp_path)
    monkeypatch.setattr(_guards.shutil, "which", lambda name, path=None: None)
    guards = _guards.HostGuards(host.runner, host.root, host.proc, environ={})
    assert guards.in_use_problems([{"address": "0000:01:10.0", "iommu_group": 3}]) == []
    assert guards.notes == [] and not [c for c in host.calls if "virsh" in c[0]]


def test_libvirt_unreachable_is_a_note_not_a_refusal(tmp_path):
    def runner(argv):
        return 1, "", "error: failed to connect to the hypervisor"

    guards = _guards.HostGuards(runner, str(tmp_path), str(tmp_path), environ={}, virsh="/usr/bin/virsh")
    assert guards.in_use_problems([{"address": "0000:01:10.0", "iommu_group": None}]) == []
    assert "failed to connect" in guards.notes[0]


def test_domain_xml_parsing_covers_hostdev_and_interface():
    xml = """<domain><devices>
      <hostdev mode='subsystem' type='pci'><source>
        <address domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source></hostdev>
      <interface type='hostdev'><source>
        <address type='pci' domain='0x0000' bus='0x41' slot='0x02' function='0x1'/></source></interface>
      <disk><source file='/x'/></disk>
    </devices></domain>"""
    assert _guards.parse_domain_pci_addresses(xml) == ["0000:01:10.2", "0000:41:02.1"]
    assert _guards.parse_domain_pci_addresses("<oops") == []


def test_iommu_group_guard_ignores_bridges_unbound_and_vfio(tmp_path):
    host = FakeHost(tmp_path, shared_group_vf=True, numvfs=1)
    guards = _guards.HostGuards(host.runner, host.root, host.proc, environ={})
    vf = host.vf_addresses()[0]
    # group 90: bridge 0000:00:1f.0 (ignored), e1000 0000:30:01.0 (host driver: a problem)
    assert guards.iommu_group_problems(vf, 90, set([vf])) == [
        "VF %s shares IOMMU group 90 with 0000:30:01.0, still bound to host driver e1000: vfio-pci needs "
        "the whole group" % vf]
    host.unbind_driver("0000:30:01.0")
    assert guards.iommu_group_problems(vf, 90, set([vf])) == []
    assert guards.iommu_group_problems(vf, None, set())[0].endswith("(is the IOMMU on?)")


def test_no_guards_accepts_everything():
    guards = _guards.NoGuards()
    assert guards.management_problems(["eth0"]) == [] and guards.in_use_problems([{}]) == []
    assert guards.iommu_group_problems("0000:01:10.0", 1, set()) == []
