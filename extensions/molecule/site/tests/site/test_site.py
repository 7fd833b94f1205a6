# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After site.yml, its idempotent re-run and a reboot: everything ../../inventory.yml declares, read
with the host's own tools (/proc, sysfs, ip -d -j link, systemctl, journalctl, virsh).
Read-only: every test can run again, in any order, and changes nothing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import xml.etree.ElementTree as ET

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "inventory.yml")) as _handle:
    INVENTORY = yaml.safe_load(_handle)
UNIT = "directiron-sriov-vfs.service"
VIRSH = "virsh -c qemu:///system "
# The lab's PFs by the names the inventory uses
ADDRESS = {"enp1s0": "0000:01:00.0", "0000:02:00.0": "0000:02:00.0"}
NETDEV = {"enp1s0": "enp1s0", "0000:02:00.0": "enp2s0"}


def pf_sysfs(pf, *parts):
    return "/".join(("/sys/bus/pci/devices", ADDRESS[pf]) + parts)


def vf_driver(host, pf, index):
    out = host.run("readlink %s" % pf_sysfs(pf, "virtfn%d" % index, "driver"))
    return os.path.basename(out.stdout.strip()) if out.rc == 0 else None


def wanted_driver(pf, index):
    for vf in pf.get("vfs", []):
        if vf["id"] == index and vf.get("driver"):
            return vf["driver"]
    return pf.get("vf_driver", "default")


def monotonic(host, unit, prop):
    return int(host.check_output("systemctl show -p %s --value %s" % (prop, unit)) or 0)


def test_the_kernel_booted_with_the_iommu_arguments(host):
    cmdline = host.file("/proc/cmdline").content_string.split()
    assert any(arg.startswith("BOOT_IMAGE=") for arg in cmdline)  # through GRUB
    assert "intel_iommu=on" in cmdline  # sriov_iommu: auto, on a VT-d (DMAR) machine
    assert ("iommu=pt" in cmdline) is INVENTORY["sriov_iommu_passthrough"]
    assert "iommu: Default domain type: Passthrough" in host.check_output("dmesg")
    assert host.check_output("ls /sys/kernel/iommu_groups").split()


def test_the_vfio_modules_are_loaded_at_boot(host):
    for module in ("vfio", "vfio_pci", "vfio_iommu_type1"):
        assert host.file("/sys/module/%s" % module).is_directory, module


def test_vf_counts_and_autoprobe(host):
    for pf in INVENTORY["sriov_pfs"]:
        assert host.check_output("cat %s" % pf_sysfs(pf["pf"], "sriov_numvfs")) == str(pf["num_vfs"])
        autoprobe = "1" if pf.get("drivers_autoprobe", True) else "0"
        assert host.check_output("cat %s" % pf_sysfs(pf["pf"], "sriov_drivers_autoprobe")) == autoprobe


def test_per_vf_mac_vlan_qos_trust_spoofchk(host):
    for pf in INVENTORY["sriov_pfs"]:
        link = json.loads(host.check_output("ip -d -j link show dev %s" % NETDEV[pf["pf"]]))[0]
        vfinfo = dict((vf["vf"], vf) for vf in link["vfinfo_list"])
        assert sorted(vfinfo) == list(range(pf["num_vfs"]))
        for wanted in pf.get("vfs", []):
            got = vfinfo[wanted["id"]]
            vlan = (got.get("vlan_list") or [{}])[0]
            assert got["address"] == wanted.get("mac", got["address"])
            assert vlan.get("vlan", 0) == wanted.get("vlan", 0), (pf["pf"], wanted)
            assert vlan.get("qos", 0) == wanted.get("qos", 0), (pf["pf"], wanted)
            for key in ("trust", "spoofchk"):
                if key in wanted:
                    assert got[key] is wanted[key], (pf["pf"], wanted["id"], key)


def test_pf_and_vf_mtus_were_replayed_at_boot(host):
    """A reboot resets every netdev to 1500: only the boot-time replay sets the inventory's MTUs (PF 9000,
    a trusted VF with MAC and VLAN at 4000, whose MAC test_per_vf_mac_vlan_qos_trust_spoofchk reads)."""
    assert any(pf.get("mtu") and any(vf.get("mtu") and vf.get("trust") and vf.get("mac") for vf in pf.get("vfs", []))
               for pf in INVENTORY["sriov_pfs"]), "inventory.yml carries no PF MTU with a trusted VF's MTU"
    for pf in INVENTORY["sriov_pfs"]:
        link = json.loads(host.check_output("ip -d -j link show dev %s" % NETDEV[pf["pf"]]))[0]
        assert link["mtu"] == pf.get("mtu", 1500), pf["pf"]
        for wanted in pf.get("vfs", []):
            if "mtu" in wanted:
                netdev = host.check_output("ls %s" % pf_sysfs(pf["pf"], "virtfn%d" % wanted["id"], "net")).strip()
                vf_link = json.loads(host.check_output("ip -d -j link show dev %s" % netdev))[0]
                assert vf_link["mtu"] == wanted["mtu"], (pf["pf"], wanted["id"])


def test_vf_drivers_and_their_vfio_groups(host):
    for pf in INVENTORY["sriov_pfs"]:
        for index in range(pf["num_vfs"]):
            want = wanted_driver(pf, index)
            got = vf_driver(host, pf["pf"], index)
            if want == "vfio-pci":
                assert got == "vfio-pci", (pf["pf"], index)
                group = os.path.basename(host.check_output("readlink %s" % pf_sysfs(pf["pf"], "virtfn%d" % index, "iommu_group")))
                assert host.run("test -c /dev/vfio/%s" % group).rc == 0
            elif pf.get("drivers_autoprobe", True):
                assert got == "igbvf", (pf["pf"], index)
            else:
                assert got is None, (pf["pf"], index)


def test_the_replay_unit_ran_at_this_boot_and_succeeded(host):
    assert host.check_output("systemctl is-enabled %s" % UNIT) == "enabled"
    show = dict(line.split("=", 1) for line in host.check_output(
        "systemctl show -p ActiveState,Result,ExecMainStatus %s" % UNIT).splitlines())
    assert show == {"ActiveState": "active", "Result": "success", "ExecMainStatus": "0"}
    journal = host.check_output("journalctl -b -o cat -u %s" % UNIT)
    assert "replayed %d PF(s)" % len(INVENTORY["sriov_pfs"]) in journal
    assert "0 failed, 0 missing" in journal


def test_the_boot_config_holds_the_inventory(host):
    data = json.loads(host.check_output("cat /etc/directiron-sriov/vfs.json"))
    assert data["pfs"] == INVENTORY["sriov_pfs"]
    assert data["addresses"] == [ADDRESS[pf["pf"]] for pf in INVENTORY["sriov_pfs"]]


def test_the_replay_is_ordered_before_libvirtd(host):
    assert "libvirtd.service" in host.check_output("systemctl show -p Before --value %s" % UNIT).split()


def test_libvirtd_started_at_boot_after_the_replay_finished(host):
    # libvirtd is enabled (prepare.yml): started by multi-user.target at boot, not by a client
    # on its socket; a target starts only after the units it wants have started.
    assert host.check_output("systemctl is-enabled libvirtd.service") == "enabled"
    assert host.check_output("systemctl show -p ActiveState --value libvirtd.service") == "active"
    done = monotonic(host, UNIT, "ActiveEnterTimestampMonotonic")
    started = monotonic(host, "libvirtd.service", "ExecMainStartTimestampMonotonic")
    multi_user = monotonic(host, "multi-user.target", "ActiveEnterTimestampMonotonic")
    assert 0 < done <= started <= multi_user


def test_the_pool_network_is_up_with_the_vfs_of_its_pf(host):
    for pool in INVENTORY["sriov_pools"]:
        info = dict((k.strip(), v.strip()) for k, v in (
            line.split(":", 1) for line in host.check_output(VIRSH + "net-info " + pool["name"]).splitlines() if ":" in line))
        assert (info["Active"], info["Persistent"]) == ("yes", "yes")
        assert info["Autostart"] == ("yes" if pool.get("autostart", True) else "no")
        forward = ET.fromstring(host.check_output(VIRSH + "net-dumpxml " + pool["name"])).find("forward")
        assert forward.get("mode") == "hostdev"
        assert [pf.get("dev") for pf in forward.findall("pf")] == [NETDEV[name] for name in pool["pfs"]]
        addresses = sorted("%04x:%02x:%02x.%x" % tuple(int(a.get(k), 16) for k in ("domain", "bus", "slot", "function"))
                           for a in forward.findall("address"))
        virtfns = sorted(host.check_output(
            "for l in /sys/class/net/%s/device/virtfn*; do basename $(readlink $l); done" % NETDEV[pool["pfs"][0]]).split())
        assert addresses == virtfns and len(virtfns) == 4


def test_the_site_report_files_match_the_host(host):
    """The report the last site run wrote (Markdown and JSON) against sysfs and the inventory."""
    directory = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "report")
    with open(os.path.join(directory, "sriov-report-site.json")) as handle:
        report = json.load(handle)
    with open(os.path.join(directory, "sriov-report-site.md")) as handle:
        markdown = handle.read()
    rows = dict((row["pf"], row) for row in report["rows"])
    assert sorted(rows) == sorted(ADDRESS[pf["pf"]] for pf in INVENTORY["sriov_pfs"])
    for pf in INVENTORY["sriov_pfs"]:
        row = rows[ADDRESS[pf["pf"]]]
        present = int(host.file(pf_sysfs(pf["pf"], "sriov_numvfs")).content_string)
        assert (row["netdev"], row["vfs_wanted"], row["vfs_present"]) == (NETDEV[pf["pf"]], pf["num_vfs"], present)
        drivers = {}
        for index in range(present):
            driver = vf_driver(host, pf["pf"], index) or "none"
            drivers[driver] = drivers.get(driver, 0) + 1
        assert row["drivers"] == drivers
        vfs = pf.get("vfs", [])
        assert row["macs_set"] == len([vf for vf in vfs if vf.get("mac")])
        assert row["vlans_set"] == len([vf for vf in vfs if vf.get("vlan")])
        pools = sorted(p["name"] for p in INVENTORY["sriov_pools"] if pf["pf"] in p["pfs"])
        assert row["pools"] == pools
        assert row["iommu"] == "on (intel)" and row["pending_reboots"] == []
        assert "| host | %s | %d/%d |" % (NETDEV[pf["pf"]], pf["num_vfs"], present) in markdown
    assert report["warnings"] == [] and report["summary"]["reboots_pending"] == 0
