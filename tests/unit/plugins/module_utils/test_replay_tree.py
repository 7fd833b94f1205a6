# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The replay with the real _vf.apply_pf and the real boot guard set, on the fake SR-IOV host
of the sriov_vf tests (a sysfs tree whose fake kernel reacts to writes)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _replay
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install

CONFIG = {"version": 1, "wait_timeout": 0, "pfs": [
    {"pf": "enp1s0", "num_vfs": 3, "vf_driver": "default", "timeout": 2,
     "vfs": [{"id": 0, "mac": "02:1a:00:00:01:00", "vlan": 100, "trust": True},
             {"id": 2, "driver": "vfio-pci"}]},
    {"pf": "enp9s0", "num_vfs": 1},
    {"pf": "0000:02:00.0", "num_vfs": 2, "vf_driver": "vfio-pci", "timeout": 2},
]}


def boot_runner(host):
    calls = []

    def runner(argv):
        calls.append(argv)
        return host.runner(argv)
    runner.calls = calls
    return runner


def replay(host, runner):
    log = _replay.Logger(io.StringIO())
    summary = _replay.replay(CONFIG, runner=runner, log=log, sysfs_root=host.root, proc_root=host.proc)
    return summary, log


def read(host, address, name):
    with open(os.path.join(host.root, "bus", "pci", "devices", address, name)) as handle:
        return handle.read().strip()


def driver(host, address):
    link = os.path.join(host.root, "bus", "pci", "devices", address, "driver")
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None


def test_boot_replay_applies_present_pfs_reports_the_missing_one_and_is_idempotent(tmp_path, monkeypatch):
    # The default route on enp1s0 would make sriov_vf refuse; at boot there is no connection to protect.
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev="enp1s0"))
    runner = boot_runner(host)
    summary, log = replay(host, runner)

    assert summary["ok"] == ["enp1s0", "0000:02:00.0"]
    assert summary["changed"] == ["enp1s0", "0000:02:00.0"]
    assert list(summary["missing"]) == ["enp9s0"] and not summary["failed"]
    assert _replay.exit_code(summary) == 1

    assert read(host, "0000:01:00.0", "sriov_numvfs") == "3"
    assert read(host, "0000:02:00.0", "sriov_numvfs") == "2"
    vfs1 = [os.path.basename(os.readlink(os.path.join(host.root, "bus/pci/devices/0000:01:00.0/virtfn%d" % i)))
            for i in range(3)]
    assert [driver(host, vf) for vf in vfs1] == ["igbvf", "igbvf", "vfio-pci"]
    vfs2 = [os.path.basename(os.readlink(os.path.join(host.root, "bus/pci/devices/0000:02:00.0/virtfn%d" % i)))
            for i in range(2)]
    assert [driver(host, vf) for vf in vfs2] == ["vfio-pci", "vfio-pci"]
    vf0 = host.links["enp1s0"][0]
    assert vf0["mac"] == "02:1a:00:00:01:00" and vf0["vlan"] == 100 and vf0["trust"] is True
    messages = [message for _prio, message in log.lines]
    assert any(m.startswith("PF enp1s0 (0000:01:00.0): applied") for m in messages)
    assert any(m.startswith("PF enp9s0 is missing") for m in messages)

    # A second replay (the unit started again by hand) changes nothing.
    summary, log = replay(host, boot_runner(host))
    assert summary["changed"] == [] and summary["ok"] == ["enp1s0", "0000:02:00.0"]
    assert "PF enp1s0 (0000:01:00.0): already as configured" in [m for _p, m in log.lines]


def test_boot_replay_still_refuses_to_rebind_a_vf_whose_vfio_group_is_held_open(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path))
    replay(host, boot_runner(host))
    vf = os.path.basename(os.readlink(os.path.join(host.root, "bus/pci/devices/0000:02:00.0/virtfn0")))
    group = os.path.basename(os.readlink(os.path.join(host.root, "bus/pci/devices", vf, "iommu_group")))
    host.hold_vfio_group(4242, group)
    CONFIG_FEWER = dict(CONFIG, pfs=[{"pf": "0000:02:00.0", "num_vfs": 1, "timeout": 2}])
    log = _replay.Logger(io.StringIO())
    summary = _replay.replay(CONFIG_FEWER, runner=boot_runner(host), log=log, sysfs_root=host.root,
                             proc_root=host.proc)
    assert list(summary["failed"]) == ["0000:02:00.0"]
    assert "4242" in summary["failed"]["0000:02:00.0"], summary["failed"]
    assert read(host, "0000:02:00.0", "sriov_numvfs") == "2"


def test_boot_replay_restores_the_pf_and_vf_mtus_the_config_persists(tmp_path, monkeypatch):
    """A reboot leaves every netdev at 1500: the replay sets the persisted MTUs again, the PF's first."""
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev="mgmt0"))
    host.vf_netdevs = True
    config = {"version": 1, "wait_timeout": 5,
              "pfs": [{"pf": "enp1s0", "num_vfs": 2, "mtu": 9000, "vfs": [{"id": 0, "mtu": 9000}]}]}
    log = _replay.Logger(io.StringIO())
    summary = _replay.replay(config, runner=boot_runner(host), log=log, sysfs_root=host.root, proc_root=host.proc)
    assert summary["ok"] == ["enp1s0"] and not summary["failed"]
    assert host.mtu_of("enp1s0") == 9000 and host.mtu_of("vf1n0") == 9000 and host.mtu_of("vf1n1") == 1500
    runner = boot_runner(host)
    summary = _replay.replay(config, runner=runner, log=_replay.Logger(io.StringIO()), sysfs_root=host.root,
                             proc_root=host.proc)
    assert summary["changed"] == [] and not [c for c in runner.calls if c[:3] == ["ip", "link", "set"]]


def test_boot_replay_leaves_a_trusted_vf_the_mac_of_the_config_after_udev(tmp_path, monkeypatch):
    """At boot the replay makes the VFs: they are configured through the PF before their driver binds, so
    udev's link policy (MACAddressPolicy=persistent) finds no random MAC to replace on the trusted VF."""
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev="mgmt0"))
    host.vf_netdevs = True
    config = {"version": 1, "wait_timeout": 5, "pfs": [
        {"pf": "enp1s0", "num_vfs": 4, "vf_driver": "default", "mtu": 9000,
         "vfs": [{"id": 0, "mac": "02:1a:00:00:05:00", "vlan": 100, "trust": True, "mtu": 4000},
                 {"id": 2, "mac": "02:1a:00:00:05:02", "driver": "vfio-pci"}]}]}
    summary = _replay.replay(config, runner=boot_runner(host), log=_replay.Logger(io.StringIO()),
                             sysfs_root=host.root, proc_root=host.proc)
    host.settle_udev()
    assert summary["ok"] == ["enp1s0"] and not summary["failed"]
    assert host.links["enp1s0"][0]["mac"] == "02:1a:00:00:05:00" and host.links["enp1s0"][0]["trust"] is True
    assert host.read("class/net/vf1n0/address") == "02:1a:00:00:05:00"
    assert read(host, "0000:01:00.0", "sriov_drivers_autoprobe") == "1"
    assert [host.driver_of(host.vf_addresses()[i]) for i in range(4)] == ["igbvf", "igbvf", "vfio-pci", "igbvf"]
