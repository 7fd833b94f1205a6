# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_vf, libvirt_vf_network and the boot-time replay write under the per-host lock (_lock)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _guards, _libvirt, _lock, _replay, _vf
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.lock_holder import start_holder, wait_line


@pytest.fixture
def held(private_host_lock, monkeypatch):
    """Another process holds the host lock; waiting for it gives up after 0.3 s."""
    monkeypatch.setattr(_lock, "DEFAULT_TIMEOUT", 0.3)
    holder = start_holder(private_host_lock)
    assert wait_line(holder) == "locked"
    yield holder
    holder.stdin.close()
    holder.wait()


@pytest.fixture
def host(tmp_path, monkeypatch):
    return install(monkeypatch, FakeHost(tmp_path))


def apply(host, check_mode=False, **params):
    params.update(pf="enp1s0", sysfs_root=host.root)
    return _vf.apply_pf(params, host.runner, sysfs_root=host.root, check_mode=check_mode, guards=_guards.NoGuards())


def test_sriov_vf_waits_for_the_lock_and_writes_nothing_without_it(host, held):
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2)
    assert info.value.field == "lock" and "holder-under-test" in info.value.msg
    assert host.writes == [] and host.calls == []


def test_sriov_vf_check_mode_does_not_wait_for_the_lock(host, held):
    assert apply(host, check_mode=True, num_vfs=2)["changed"] is True


def test_sriov_vf_takes_the_lock_once_the_holder_is_gone(host, held):
    held.stdin.close()
    assert wait_line(held) == "released"
    assert apply(host, num_vfs=2)["changed"] is True


def test_libvirt_vf_network_writes_nothing_without_the_lock(tmp_path, held):
    sysfs_root = fake_libvirt.make_sysfs(tmp_path / "sys", {"enp1s0": ("0000:01:00.0", ["0000:01:10.0"])})
    fake = fake_libvirt.FakeLibvirt(pf_vfs={"enp1s0": ["0000:01:10.0"]})
    params = {"name": "net", "state": "present", "pfs": ["enp1s0"], "vfs": None, "vlan": None, "autostart": True,
              "active": True, "force": False, "uri": "qemu:///system", "sysfs_root": sysfs_root}
    with pytest.raises(SriovError) as info:
        _libvirt.VfNetworkManager(fake, params).run()
    assert info.value.field == "lock" and fake.calls == []


def test_the_replay_holds_the_lock_and_reports_every_pf_failed_without_it(held):
    calls = []

    def fake_apply(params, runner, **kwargs):
        calls.append(params["pf"])
        return {"changed": False, "actions": [], "warnings": []}

    config = {"version": 1, "pfs": [{"pf": "enp1s0"}, {"pf": "enp2s0"}]}
    log = _replay.Logger(io.StringIO())
    summary = _replay.replay(config, apply=fake_apply, runner=lambda argv: (0, "", ""), log=log, guards="g",
                             readiness=lambda pf: ("0000:01:00.0", None), settle=False)
    assert calls == [] and sorted(summary["failed"]) == ["enp1s0", "enp2s0"]
    assert "holder-under-test" in summary["failed"]["enp1s0"]
    assert _replay.exit_code(summary) == 1
