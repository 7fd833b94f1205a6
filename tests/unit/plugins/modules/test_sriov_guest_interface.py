# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of sriov_guest_interface and sriov_domain_facts with the imported ``libvirt`` swapped for a fake."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest

from ansible_collections.directiron.sriov.plugins.modules import sriov_domain_facts, sriov_guest_interface
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

VFS = ["0000:01:10.0", "0000:01:10.2"]


@pytest.fixture
def fake(monkeypatch):
    fake = fake_mod.FakeLibvirt()
    fake.add_network(fake_mod.network_xml("fast-net", vfs=VFS), active=True)
    fake.add_domain("vm1", running=True)
    monkeypatch.setattr(sriov_guest_interface, "libvirt", fake)
    monkeypatch.setattr(sriov_domain_facts, "libvirt", fake)
    return fake


@pytest.fixture
def sysfs_root(tmp_path):
    return fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS)


def test_attach_reports_diff_then_nothing_to_do(monkeypatch, fake, sysfs_root):
    args = {"domain": "vm1", "network": "fast-net", "mac": "52:54:00:aa:00:01", "sysfs_root": sysfs_root,
            "_ansible_diff": True}
    first = run_module(monkeypatch, sriov_guest_interface.main, args)
    assert not first.failed and first.result["changed"] is True
    assert 'source network="fast-net"' in first.result["diff"]["after"]
    assert first.result["interface"]["live_vf"] == VFS[0]
    second = run_module(monkeypatch, sriov_guest_interface.main, args)
    assert second.result["changed"] is False and second.result["actions"] == []


def test_diff_left_out_unless_asked(monkeypatch, fake, sysfs_root):
    result = run_module(monkeypatch, sriov_guest_interface.main,
                        {"domain": "vm1", "network": "fast-net", "sysfs_root": sysfs_root}).result
    assert "diff" not in result


def test_service_error_becomes_fail_json_with_field(monkeypatch, fake, sysfs_root):
    end = run_module(monkeypatch, sriov_guest_interface.main,
                     {"domain": "vm1", "network": "fast-net", "vlan": 5000, "sysfs_root": sysfs_root})
    assert end.failed and end.result["field"] == "vlan" and "0..4094" in end.result["msg"]
    assert fake.calls == []


def test_sources_are_mutually_exclusive(monkeypatch, fake, sysfs_root):
    end = run_module(monkeypatch, sriov_guest_interface.main,
                     {"domain": "vm1", "network": "fast-net", "vf": VFS[0], "sysfs_root": sysfs_root})
    assert end.failed and "mutually exclusive" in end.result["msg"]


@pytest.mark.parametrize("module", [sriov_guest_interface, sriov_domain_facts])
def test_missing_binding_fails_naming_the_package(monkeypatch, module):
    monkeypatch.setattr(module, "libvirt", None)
    args = {"domain": "vm1", "network": "fast-net"} if module is sriov_guest_interface else {}
    end = run_module(monkeypatch, module.main, args)
    assert end.failed and "python3-libvirt" in end.result["msg"]


def test_domain_facts_map_vfs_to_domains(monkeypatch, fake, sysfs_root):
    run_module(monkeypatch, sriov_guest_interface.main,
               {"domain": "vm1", "network": "fast-net", "mac": "52:54:00:aa:00:01", "sysfs_root": sysfs_root})
    end = run_module(monkeypatch, sriov_domain_facts.main, {})
    facts = end.result["ansible_facts"]["sriov_domains"]
    assert end.result["changed"] is False
    assert facts["vfs"][VFS[0]]["domain"] == "vm1" and facts["vfs"][VFS[0]]["mac"] == "52:54:00:aa:00:01"
    assert facts["domains"][0]["interfaces"][0]["type"] == "hostdev"
