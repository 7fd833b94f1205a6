# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of libvirt_vf_network with the imported ``libvirt`` swapped for a fake (the community.libvirt seam)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest

from ansible.module_utils import basic

from ansible_collections.directiron.sriov.plugins.modules import libvirt_vf_network
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import module_args


PF1_VFS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture(autouse=True)
def exits(monkeypatch):
    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


@pytest.fixture
def fake(monkeypatch):
    fake = fake_mod.FakeLibvirt(pf_vfs={"enp1s0": PF1_VFS})
    monkeypatch.setattr(libvirt_vf_network, "libvirt", fake)
    return fake


@pytest.fixture
def sysfs_root(tmp_path):
    return fake_mod.make_sysfs(tmp_path / "sys", {"enp1s0": ("0000:01:00.0", PF1_VFS)})


def call(args, exc=ExitJson):
    with module_args(args):
        with pytest.raises(exc) as info:
            libvirt_vf_network.main()
    return info.value.args[0]


def test_present_then_idempotent_with_diff(fake, sysfs_root):
    args = {"name": "fast-net", "pfs": ["enp1s0"], "sysfs_root": sysfs_root, "_ansible_diff": True}
    first = call(args)
    assert first["changed"] is True
    assert first["network"]["active"] is True and first["network"]["vf_count"] == 3
    assert '<pf dev="enp1s0" />' in first["diff"]["after"]
    second = call(args)
    assert second["changed"] is False
    assert second["actions"] == []


def test_diff_left_out_unless_asked(fake, sysfs_root):
    result = call({"name": "fast-net", "vfs": ["0000:01:10.0"], "sysfs_root": sysfs_root})
    assert "diff" not in result


def test_check_mode_defines_nothing(fake, sysfs_root):
    result = call({"name": "fast-net", "pfs": ["enp1s0"], "vlan": 7, "sysfs_root": sysfs_root,
                   "_ansible_check_mode": True})
    assert result["changed"] is True
    assert fake.networks == {}


def test_service_errors_become_fail_json_with_field(fake, sysfs_root):
    result = call({"name": "fast-net", "pfs": ["nope0"], "sysfs_root": sysfs_root}, exc=FailJson)
    assert result["field"] == "pfs[0]"
    assert "nope0" in result["msg"]


def test_pfs_and_vfs_are_mutually_exclusive(fake, sysfs_root):
    result = call({"name": "n", "pfs": ["enp1s0"], "vfs": ["0000:01:10.0"], "sysfs_root": sysfs_root}, exc=FailJson)
    assert "mutually exclusive" in result["msg"]


def test_present_needs_a_pool(fake):
    result = call({"name": "n"}, exc=FailJson)
    assert "pfs" in result["msg"] and "vfs" in result["msg"]


def test_missing_binding_fails_clearly(monkeypatch):
    monkeypatch.setattr(libvirt_vf_network, "libvirt", None)
    result = call({"name": "n", "state": "absent"}, exc=FailJson)
    assert "libvirt" in result["msg"]
    assert "python3-libvirt" in result["msg"]


def test_missing_binding_in_check_mode_warns_and_does_not_fail(monkeypatch):
    """A preflight (check mode) on a host the converge will give the binding to is not refused."""
    monkeypatch.setattr(libvirt_vf_network, "libvirt", None)
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    result = call({"name": "n", "pfs": ["enp1s0"], "_ansible_check_mode": True})
    assert result["changed"] is False and result["skipped"] is True
    assert len(warnings) == 1 and "not checked" in warnings[0] and "python3-libvirt" in warnings[0]


def test_network_a_running_domain_uses_is_refused_in_check_mode_too(fake, sysfs_root, monkeypatch):
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    call({"name": "fast-net", "pfs": ["enp1s0"], "sysfs_root": sysfs_root})
    fake.domains["nested"] = fake_mod.RecordedDomain(
        "nested", live_xml="<domain id='1'><name>nested</name><devices><interface type='hostdev' managed='yes'>"
                           "<mac address='52:54:00:5a:00:01'/><source><address type='pci' domain='0x0000' "
                           "bus='0x01' slot='0x10' function='0x2'/></source></interface></devices></domain>")
    fake.calls[:] = []
    for check_mode in (True, False):
        result = call({"name": "fast-net", "pfs": ["enp1s0"], "vlan": 9, "sysfs_root": sysfs_root,
                       "_ansible_check_mode": check_mode}, exc=FailJson)
        assert "network fast-net is in use, running domain(s) use it: nested (VF 0000:01:10.2" in result["msg"]
        assert result["field"] == "force" and result["actions"] == []
    assert fake.calls == []
    forced = call({"name": "fast-net", "pfs": ["enp1s0"], "vlan": 9, "force": True, "sysfs_root": sysfs_root})
    assert forced["actions"] == ["redefined network fast-net", "restarted network fast-net"]
    assert len(warnings) == 1 and "nested" in warnings[0]
