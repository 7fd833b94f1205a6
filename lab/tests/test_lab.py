# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the lab tooling that need no VM: mirror detection, QEMU argv, inventory."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from lab import image, inventory, machine, vm
from lab.common import pid_alive, stop_pid


def _apt_tree(tmp_path, files):
    root = tmp_path / "apt"
    (root / "sources.list.d").mkdir(parents=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return str(root)


def test_mirror_from_deb822_skips_comments_and_security(tmp_path, monkeypatch):
    monkeypatch.delenv("DIRECTIRON_LAB_MIRROR", raising=False)
    root = _apt_tree(tmp_path, {"sources.list.d/debian.sources": (
        "Types: deb\n# URIs: http://commented.invalid/debian\n"
        "URIs: http://security.invalid/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.invalid/debian/\nSuites: bookworm bookworm-updates\n")})
    assert image.detect_mirror(root) == "http://mirror.invalid/debian"


def test_mirror_from_one_line_entries_with_options(tmp_path, monkeypatch):
    monkeypatch.delenv("DIRECTIRON_LAB_MIRROR", raising=False)
    root = _apt_tree(tmp_path, {"sources.list": (
        "# deb http://old.invalid/debian bookworm main\n"
        "deb-src http://src.invalid/debian bookworm main\n"
        "deb http://sec.invalid/debian bookworm-security main\n"
        "deb [arch=amd64 signed-by=/k.gpg] http://one.invalid/debian bookworm main\n")})
    assert image.detect_mirror(root) == "http://one.invalid/debian"


def test_mirror_falls_back_to_deb_debian_org(tmp_path, monkeypatch):
    monkeypatch.delenv("DIRECTIRON_LAB_MIRROR", raising=False)
    assert image.detect_mirror(_apt_tree(tmp_path, {})) == "http://deb.debian.org/debian"


def test_input_hash_differs_per_variant_and_is_stable(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTIRON_LAB_CACHE", str(tmp_path))
    assert image.input_hash("base") == image.input_hash("base")
    assert image.input_hash("base") != image.input_hash("iommu")


def _device_values(args):
    return [args[i + 1] for i, arg in enumerate(args) if arg == "-device"]


def test_devices_keep_fixed_addresses_and_forward_ssh_on_loopback():
    devices = _device_values(vm.device_args(2222))
    assert "virtio-net-pci,netdev=mgmt,addr=2,romfile=" in devices
    assert [d for d in devices if d.startswith("igb,")] == [
        "igb,netdev=n1,bus=rp1,romfile=", "igb,netdev=n2,bus=rp2,romfile="]
    assert sum(1 for d in devices if d.startswith("e1000,") and "bus=br1" in d) == 2
    assert "hostfwd=tcp:127.0.0.1:2222-:22" in ",".join(vm.device_args(2222))


def test_without_pf_2_keeps_its_root_port_so_pf_1_address_is_unchanged():
    devices = _device_values(vm.device_args(2222, without_pf=(2,)))
    assert [d for d in devices if d.startswith("igb,")] == ["igb,netdev=n1,bus=rp1,romfile="]
    assert any(d.startswith("pcie-root-port,id=rp2") for d in devices)


def test_amd_iommu_comes_after_every_fixed_slot_device():
    args = vm.device_args(2222, iommu="amd")
    assert _device_values(args)[-1].startswith("amd-iommu")
    assert "intel-iommu" not in " ".join(machine.base_machine_args(1536, iommu="amd"))


def test_inventory_has_connection_vars_of_running_vms_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTIRON_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DIRECTIRON_LAB_RUN", str(tmp_path / "run"))
    running, stopped = vm.Vm("a"), vm.Vm("b")
    for machine, port in ((running, 40001), (stopped, 40002)):
        os.makedirs(machine.dir)
        with open(machine.port_file, "w") as handle:
            handle.write("%d\n" % port)
    monkeypatch.setattr(vm.Vm, "pid", lambda self: 123 if self.name == "a" else None)
    text = inventory.render([running, stopped])
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(text)
    assert list(data["lab"]["hosts"]) == ["a"]
    assert data["sriov_hosts"] == {"children": {"lab": {}}}  # the playbooks' default target
    host = data["lab"]["hosts"]["a"]
    assert host["ansible_host"] == "127.0.0.1" and host["ansible_port"] == 40001
    assert host["ansible_user"] == "root" and host["ansible_pipelining"] is True
    assert host["ansible_python_interpreter"] == "/usr/bin/python3"
    assert "UserKnownHostsFile=/dev/null" in host["ansible_ssh_common_args"]
    assert os.path.exists(host["ansible_ssh_private_key_file"])


def test_stop_pid_terminates_a_process_by_its_pid(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    pidfile = tmp_path / "p.pid"
    pidfile.write_text("%d\n" % proc.pid)
    try:
        assert stop_pid(proc.pid, grace=5, pidfile=str(pidfile))
        proc.wait(timeout=5)
        assert not pid_alive(proc.pid)
        assert not pidfile.exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_prune_keeps_current_and_referenced_images_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTIRON_LAB_CACHE", str(tmp_path))
    dirs = {name: tmp_path / name for name in (
        os.path.basename(image.image_dir("base")), "base-0ld", "iommu-0ld", "iommu-used")}
    for path in dirs.values():
        path.mkdir()
        (path / "build.json").write_text("{}")
    (tmp_path / "base-building").mkdir()  # no build.json: a build in progress, left alone
    removed = image.prune({str(dirs["iommu-used"] / "disk.raw")})
    assert sorted(os.path.basename(p) for p in removed) == ["base-0ld", "iommu-0ld"]
    assert dirs["iommu-used"].exists() and (tmp_path / "base-building").exists()
    assert (tmp_path / os.path.basename(image.image_dir("base"))).exists()


def _slow_then_answering_ssh(monkeypatch, slow_probes):
    """subprocess.run as lab.vm sees it: the first probes outlive their timeout, then ssh answers."""
    calls = []

    def fake_run(argv, **kwargs):
        calls.append(kwargs.get("timeout"))
        if len(calls) <= slow_probes:
            raise subprocess.TimeoutExpired(argv, kwargs.get("timeout"))
        return subprocess.CompletedProcess(argv, 0)

    monkeypatch.setattr(vm.subprocess, "run", fake_run)
    return calls


def _booting_vm(tmp_path, monkeypatch):
    monkeypatch.setenv("DIRECTIRON_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("DIRECTIRON_LAB_RUN", str(tmp_path))  # never the checkout's lab/run
    machine = vm.Vm("slow")
    os.makedirs(machine.dir)
    (tmp_path / "slow" / "ssh_port").write_text("40002\n")
    monkeypatch.setattr(vm.Vm, "pid", lambda self: 4242)
    monkeypatch.setattr(vm.image, "ssh_key_path", lambda: str(tmp_path / "key"))
    return machine


def test_a_probe_that_times_out_does_not_end_a_longer_boot_wait(tmp_path, monkeypatch):
    machine = _booting_vm(tmp_path, monkeypatch)
    calls = _slow_then_answering_ssh(monkeypatch, slow_probes=2)
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    machine._wait_ssh(0.0, 900, clock=lambda: now[0], sleep=sleep)
    assert len(calls) == 3  # two timed-out probes, then the answer


def test_the_boot_wait_still_ends_at_its_own_deadline(tmp_path, monkeypatch):
    machine = _booting_vm(tmp_path, monkeypatch)
    calls = []
    now = [0.0]

    def fake_run_advancing(argv, **kwargs):
        now[0] += kwargs["timeout"]  # each probe uses up its whole timeout
        calls.append(kwargs["timeout"])
        raise subprocess.TimeoutExpired(argv, kwargs["timeout"])

    monkeypatch.setattr(vm.subprocess, "run", fake_run_advancing)
    with pytest.raises(vm.LabError, match="no SSH after 100 s"):
        machine._wait_ssh(0.0, 100, clock=lambda: now[0], sleep=lambda s: None)
    assert max(calls) <= vm.SSH_PROBE_TIMEOUT_S and sum(calls) <= 100 + 5


NESTED_LOG = """\
[    0.000000] Linux version 6.1.0-41-amd64
LABGUEST init uptime=118.52 kernel=6.1.0-41-amd64
LABNIC round=0 if=eth0 driver=virtio_net version=1.0.0 mac=52:54:00:aa:00:01 pci=0000:01:00.0 master=- lowers=eth1+eth2 macset=-
LABNIC round=0 if=eth1 driver=virtio_net version=1.0.0 mac=52:54:00:aa:00:01 pci=0000:01:00.0 master=eth0 lowers=- macset=-
LABNIC round=0 if=eth3 driver=igbvf version=6.1.0-41-amd64 mac=02:1a:00:00:00:77 pci=0000:03:00.0 master=- lowers=- macset=ok
LABNIC round=0 if=eth2 driver=igbvf version=6.1.0-41-amd64 mac=52:54:00:aa:00:01 pci=0000:02:00.0 master=eth0 lowers=- macset=-
LABPRIMARY uptime=120.00 vf=no master=-
LABPRIMARY uptime=121.50 vf=yes master=eth0
LABPING run=1 sent=30 received=28 lost=2 maxgap=2
LABROUND round=0 uptime=125.10 nics=4 boot=0c9f
LABPRIMARY uptime=126.00 vf=no master=eth0
LABNIC round=1 if=eth0 driver=virtio_net version=1.0.0 mac=52:54:00:aa:00:01 pci=0000:01:00.0 master=- lowers=eth1+eth2 macset=-
"""


def test_nested_report_is_the_last_complete_round():
    from lab import nested
    report = nested.parse_report(NESTED_LOG)
    assert report["round"] == 0 and report["uptime"] == 125.10
    assert report["init_uptime"] == 118.52
    assert report["nics"]["eth3"] == {
        "driver": "igbvf", "version": "6.1.0-41-amd64", "mac": "02:1a:00:00:00:77",
        "pci": "0000:03:00.0", "master": None, "lowers": [], "macset": "ok"}
    assert report["nics"]["eth0"]["lowers"] == ["eth1", "eth2"]
    assert sorted(nested.nics_by_driver(report, "igbvf")) == ["eth2", "eth3"]
    assert report["boot"] == "0c9f"
    assert report["ping"] == {"run": 1, "sent": 30, "received": 28, "lost": 2, "maxgap": 2}
    assert [p["vf"] for p in report["primary"]] == [False, True, False]


def test_nested_standby_spans_start_after_the_first_vf():
    from lab import nested
    changes = [{"uptime": u, "vf": v} for u, v in ((1.0, False), (2.0, True), (5.0, False), (9.5, True), (12.0, False))]
    assert nested.standby_spans(changes) == [(5.0, 9.5), (12.0, None)]
    assert nested.standby_spans(changes[:1]) == []


def test_nested_report_as_guest_nics_names_the_failover_master():
    from lab import nested
    rows = {nic["name"]: nic for nic in nested.guest_nics(nested.parse_report(NESTED_LOG))["nics"]}
    assert rows["eth2"]["master"] == "eth0" and rows["eth2"]["master_kind"] == "failover"
    assert rows["eth2"]["mac"] == "52:54:00:aa:00:01"
    assert rows["eth3"]["master"] is None and rows["eth3"]["master_kind"] is None


def test_nested_report_is_none_before_the_first_complete_round():
    from lab import nested
    assert nested.parse_report(NESTED_LOG.split("LABROUND", maxsplit=1)[0]) is None
    # a round whose NIC count does not match what was read is not complete
    assert nested.parse_report(NESTED_LOG.replace("nics=4", "nics=5")) is None


def test_nested_domain_template_gives_each_vf_as_a_plain_hostdev():
    import xml.etree.ElementTree as ET
    import jinja2
    from lab import nested
    with open(os.path.join(nested.NESTED_DIR, "domain.xml.j2")) as handle:
        text = jinja2.Template(handle.read()).render(
            nested_name="n", nested_kernel="/k", nested_initrd="/i", nested_cmdline="quiet",
            nested_serial_log="/s.log", nested_vfs=["0000:01:10.2", "0000:01:11.4"])
    domain = ET.fromstring(text)
    assert domain.get("type") == "qemu" and domain.find("os/type").get("machine") == "q35"
    addresses = [(a.get("bus"), a.get("slot"), a.get("function"))
                 for a in domain.findall("devices/hostdev/source/address")]
    assert addresses == [("0x01", "0x10", "0x2"), ("0x01", "0x11", "0x4")]
    assert domain.find("devices/serial/source").get("path") == "/s.log"
    assert domain.find("devices/interface") is None  # pool/failover NICs come from the module


def test_nested_report_as_an_audit_guest_marks_virtio_and_keeps_lowers(monkeypatch, capsys):
    from lab import cli
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(NESTED_LOG))
    assert cli.main(["nested-report", "--audit-guest", "nested", "--pin", "igbvf=1.2.3"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["name"] == "nested" and entry["pins"] == [{"module": "igbvf", "version": "1.2.3"}]
    nics = {nic["name"]: nic for nic in entry["guest_nics"]["nics"]}
    assert nics["eth0"]["virtio"] is True and nics["eth0"]["lowers"] == ["eth1", "eth2"]
    assert nics["eth3"] == {"name": "eth3", "mac": "02:1a:00:00:00:77", "driver": "igbvf",
                            "driver_version": "6.1.0-41-amd64", "virtio": False, "lowers": []}


def test_l2_segment_gives_two_vms_crossed_ports_and_refuses_a_third(tmp_path, monkeypatch):
    monkeypatch.setattr(vm, "run_dir", lambda: str(tmp_path))
    ports = iter([41001, 41002])
    a = vm.l2_join("mig", "mig-a", pick_port=lambda: next(ports))
    b = vm.l2_join("mig", "mig-b", pick_port=lambda: 1 / 0)  # the second VM picks nothing
    assert a == (0, 41001, 41002)
    assert b == (1, 41002, 41001)
    assert vm.l2_join("mig", "mig-a") == a  # a reboot keeps its side
    with pytest.raises(vm.LabError, match="mig-a and mig-b"):
        vm.l2_join("mig", "mig-c")
    vm.l2_leave("mig", "mig-a")
    vm.l2_leave("mig", "mig-b")
    assert not os.path.exists(os.path.join(str(tmp_path), ".l2", "mig.json"))


def test_l2_nic_is_a_dgram_netdev_at_slot_8_with_a_mac_per_side():
    args = vm.l2_args(41002, 41001, 1)
    netdev = args[args.index("-netdev") + 1]
    assert netdev.startswith("dgram,id=l2,")
    assert "local.host=127.0.0.1,local.port=41002" in netdev
    assert "remote.host=127.0.0.1,remote.port=41001" in netdev
    device = args[args.index("-device") + 1]
    assert "addr=8," in device and "mac=52:54:00:23:00:02" in device
    # slot 8 is not one the fixed layout uses
    assert not any("addr=8," in arg for arg in vm.device_args(2222))


MIGRATION_SOURCE = """\
LABPRIMARY uptime=100.00 vf=yes master=eth0
LABPING run=1 sent=100 received=100 lost=0 maxgap=0
LABROUND round=9 uptime=110.00 nics=0 boot=b1
LABPRIMARY uptime=112.40 vf=no master=eth0
LABPING run=1 sent=150 received=149 lost=1 maxgap=1
LABROUND round=10 uptime=115.00 nics=0 boot=b1
"""
MIGRATION_DESTINATION = """\
LABPING run=1 sent=260 received=250 lost=10 maxgap=6
LABROUND round=11 uptime=120.00 nics=0 boot=b1
LABPRIMARY uptime=121.90 vf=yes master=eth0
LABPING run=1 sent=300 received=290 lost=10 maxgap=6
LABROUND round=12 uptime=125.00 nics=0 boot=b1
"""


def test_nested_migration_figures_count_from_the_source_s_last_report():
    from lab import nested
    figures = nested.migration_figures(MIGRATION_SOURCE, MIGRATION_DESTINATION)
    assert figures["same_boot"] is True
    assert (figures["ping_sent"], figures["ping_received"], figures["ping_lost"]) == (150, 141, 9)
    assert figures["standby_s"] == 9.5


def test_nested_migration_figures_see_a_reboot_and_a_restarted_ping():
    from lab import nested
    other = MIGRATION_DESTINATION.replace("boot=b1", "boot=b2").replace("run=1", "run=2")
    figures = nested.migration_figures(MIGRATION_SOURCE, other)
    assert figures["same_boot"] is False and figures["ping_lost"] is None
    with pytest.raises(ValueError):
        nested.migration_figures(MIGRATION_SOURCE, "LABGUEST init uptime=1.0\n")
