# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad-input catalogue, modules and role argument specs: each bad request fails naming its field,
and the fixture host (sysfs and proc trees, libvirt networks) is byte-for-byte what it was."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import re

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.directiron.sriov.plugins.modules import libvirt_vf_network, sriov_vf
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install
from ansible_collections.directiron.sriov.tests.fixtures.sysfs_tree import tree_snapshot
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.test_libvirt_vf_network import PF1_VFS, fake_mod

HERE = os.path.dirname(os.path.abspath(__file__))
ROLES = os.path.normpath(os.path.join(HERE, "..", "..", "..", "roles"))
MAC = "02:1a:00:00:00:01"


def assert_field(result, field):
    """The module's ``field`` is the one expected; a refusal by Ansible's own argument spec (no
    ``field``) names every part of it (``vfs`` and ``vlan_proto`` for vfs[0].vlan_proto)."""
    if "field" in result:
        assert result["field"] == field, result
    else:
        assert all(part in result["msg"] for part in re.findall(r"[A-Za-z_]+", field)), result
    assert "\n" not in result["msg"] and len(result["msg"]) < 400


# ---------------------------------------------------------------------------------------------
# sriov_vf on a fake host (two igb PFs, 7 VFs possible each; enp1s0 starts with 2 VFs)

SRIOV_VF_CASES = [
    ("pf-absent", {"pf": "enp9s0", "num_vfs": 2}, "pf"),
    ("pf-traversal", {"pf": "../../etc", "num_vfs": 2}, "pf"),
    ("pf-not-sr-iov", {"pf": "0000:30:01.0", "num_vfs": 2}, "pf"),
    ("pf-selector-index-past-matches", {"pf": {"vendor": "0x8086", "device": "0x10c9", "index": 5}}, "pf"),
    ("num-vfs-past-totalvfs", {"pf": "enp1s0", "num_vfs": 8}, "num_vfs"),
    ("num-vfs-word", {"pf": "enp1s0", "num_vfs": "many"}, "num_vfs"),
    ("vf-id-past-num-vfs", {"pf": "enp1s0", "num_vfs": 2, "vfs": [{"id": 3}]}, "vfs[0].id"),
    ("vf-id-past-current-count", {"pf": "enp1s0", "vfs": [{"id": 2, "vlan": 5}]}, "vfs[0].id"),
    ("mac-multicast", {"pf": "enp1s0", "vfs": [{"id": 0, "mac": "01:00:5e:00:00:01"}]}, "vfs[0].mac"),
    ("mac-shape", {"pf": "enp1s0", "vfs": [{"id": 0, "mac": "02:1a:00:00:01"}]}, "vfs[0].mac"),
    ("mac-twice", {"pf": "enp1s0", "vfs": [{"id": 0, "mac": MAC}, {"id": 1, "mac": MAC}]}, "vfs[1].mac"),
    ("vlan-4095", {"pf": "enp1s0", "vfs": [{"id": 0, "vlan": 4095}]}, "vfs[0].vlan"),
    ("qos-without-vlan", {"pf": "enp1s0", "vfs": [{"id": 0, "qos": 2}]}, "vfs[0].qos"),
    ("vlan-proto", {"pf": "enp1s0", "vfs": [{"id": 0, "vlan": 5, "vlan_proto": "802.1x"}]}, "vfs[0].vlan_proto"),
    ("link-state", {"pf": "enp1s0", "vfs": [{"id": 0, "link_state": "up"}]}, "vfs[0].link_state"),
    ("rates-crossed", {"pf": "enp1s0", "vfs": [{"id": 0, "min_tx_rate": 9, "max_tx_rate": 5}]},
     "vfs[0].min_tx_rate"),
    ("vf-unknown-key", {"pf": "enp1s0", "vfs": [{"id": 0, "mtu": 9000}]}, "vfs[0].mtu"),
    ("vf-driver-space", {"pf": "enp1s0", "vf_driver": "vfio pci"}, "vf_driver"),
    ("good-entry-then-bad-entry", {"pf": "enp1s0", "num_vfs": 2,
                                   "vfs": [{"id": 0, "mac": MAC, "vlan": 7}, {"id": 1, "vlan": 5000}]}, "vfs[1].vlan"),
    ("count-change-then-bad-vf", {"pf": "enp2s0", "num_vfs": 3, "vfs": [{"id": 0, "trust": "maybe"}]},
     "vfs[0].trust"),
]


@pytest.fixture
def vf_host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, numvfs=2))

    def run_command(self, argv, **kwargs):
        if argv[0].endswith("virsh"):
            return 1, "", "error: failed to connect to the hypervisor"
        return host.runner(argv)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return host


@pytest.mark.parametrize("case", SRIOV_VF_CASES, ids=[case[0] for case in SRIOV_VF_CASES])
def test_catalogue_sriov_vf(case, vf_host, monkeypatch):
    args = dict(copy.deepcopy(case[1]), sysfs_root=vf_host.root, proc_root=vf_host.proc)
    before = tree_snapshot(vf_host.base)
    out = run_module(monkeypatch, sriov_vf.main, args)
    assert out.failed
    assert_field(out.result, case[2])
    assert vf_host.writes == []
    assert tree_snapshot(vf_host.base) == before


# ---------------------------------------------------------------------------------------------
# libvirt_vf_network with the fake libvirt (one defined network) and a sysfs tree

LIBVIRT_CASES = [
    ("name-xml-lt", {"name": "a<b", "pfs": ["enp1s0"]}, "name"),
    ("name-xml-amp", {"name": "a&b", "pfs": ["enp1s0"]}, "name"),
    ("name-too-long", {"name": "n" * 65, "pfs": ["enp1s0"]}, "name"),
    ("pfs-and-vfs", {"name": "n", "pfs": ["enp1s0"], "vfs": ["0000:01:10.0"]}, "pfs"),
    ("neither-pfs-nor-vfs", {"name": "n"}, "pfs"),
    ("pf-absent", {"name": "n", "pfs": ["nope0"]}, "pfs[0]"),
    ("pf-slash", {"name": "n", "pfs": ["en/p1"]}, "pfs[0]"),
    ("selector-shape", {"name": "n", "vfs": ["enp1s0#a-b"]}, "vfs[0]"),
    ("selector-backwards", {"name": "n", "vfs": ["enp1s0#2-1"]}, "vfs[0]"),
    ("selector-past-vf-count", {"name": "n", "vfs": ["enp1s0#0-5"]}, "vfs[0]"),
    ("vf-not-an-address", {"name": "n", "vfs": ["sda"]}, "vfs[0]"),
    ("vlan-5000", {"name": "n", "pfs": ["enp1s0"], "vlan": 5000}, "vlan"),
]


@pytest.fixture
def libvirt_host(tmp_path, monkeypatch):
    fake = fake_mod.FakeLibvirt(pf_vfs={"enp1s0": PF1_VFS})
    monkeypatch.setattr(libvirt_vf_network, "libvirt", fake)
    sysfs_root = fake_mod.make_sysfs(tmp_path / "sys", {"enp1s0": ("0000:01:00.0", PF1_VFS)})
    run_module(monkeypatch, libvirt_vf_network.main, {"name": "existing", "pfs": ["enp1s0"], "sysfs_root": sysfs_root})
    return fake, sysfs_root


def networks(fake):
    return dict((name, (net.persistent, net.persistent_xml, net.live_xml, net._autostart))
                for name, net in fake.networks.items())


@pytest.mark.parametrize("case", LIBVIRT_CASES, ids=[case[0] for case in LIBVIRT_CASES])
def test_catalogue_libvirt_vf_network(case, libvirt_host, monkeypatch):
    fake, sysfs_root = libvirt_host
    before = (tree_snapshot(sysfs_root), copy.deepcopy(networks(fake)))
    out = run_module(monkeypatch, libvirt_vf_network.main, dict(copy.deepcopy(case[1]), sysfs_root=sysfs_root))
    assert out.failed
    assert_field(out.result, case[2])
    assert (tree_snapshot(sysfs_root), networks(fake)) == before


# ---------------------------------------------------------------------------------------------
# role argument specs, as Ansible checks them when the role is included (before any role task)


def role_spec(role):
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)["argument_specs"]["main"]["options"]


ROLE_CASES = [
    ("iommu", {"iommu_vendor": "intl"}, "iommu_vendor"),
    ("iommu", {"iommu_passthrough": "maybe"}, "iommu_passthrough"),
    ("iommu", {"iommu_bootloader": "lilo"}, "iommu_bootloader"),
    ("iommu", {"iommu_reboot_timeout": "soon"}, "iommu_reboot_timeout"),
    ("sriov_vfs", {"sriov_vfs_pfs": [{"num_vfs": 2}]}, "pf"),
    ("sriov_vfs", {"sriov_vfs_pfs": [{"pf": "enp1s0", "vfs": [{"vlan": 5}]}]}, "id"),
    ("sriov_vfs", {"sriov_vfs_pfs": [{"pf": "enp1s0", "vfs": [{"id": 0, "vlan_proto": "802.1x"}]}]}, "vlan_proto"),
    ("sriov_vfs", {"sriov_vfs_prune": "perhaps"}, "sriov_vfs_prune"),
    ("libvirt_pools", {"libvirt_pools_networks": [{"pfs": ["enp1s0"]}]}, "name"),
    ("libvirt_pools", {"libvirt_pools_networks": [{"name": "n", "state": "gone"}]}, "state"),
    ("libvirt_pools", {"libvirt_pools_networks": [{"name": "n", "autostart": "maybe"}]}, "autostart"),
    ("driver_pins", {"driver_pins_host": [{"package": "i40e-dkms"}]}, "version"),
    ("driver_pins", {"driver_pins_apply": "both"}, "driver_pins_apply"),
]


@pytest.mark.parametrize("case", ROLE_CASES, ids=["%s-%s" % (case[0], case[2]) for case in ROLE_CASES])
def test_catalogue_role_argument_specs(case):
    result = ArgumentSpecValidator(role_spec(case[0])).validate(copy.deepcopy(case[1]))
    assert result.error_messages, "role %s accepted %r" % (case[0], case[1])
    assert any(case[2] in message for message in result.error_messages), result.error_messages
