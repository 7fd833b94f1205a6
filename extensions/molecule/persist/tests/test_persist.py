# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After a reboot, without Ansible applying anything: the boot-time unit put every VF setting
back, as the guest's own tools (sysfs, ip -d -j link, udevadm, journalctl, systemctl) show.
(A PF missing at boot is proven by the faults scenario's last test.)"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT = "directiron-sriov-vfs.service"
PF_ADDRESS = {"enp1s0": "0000:01:00.0", "0000:02:00.0": "0000:02:00.0"}
PF_NETDEV = {"enp1s0": "enp1s0", "0000:02:00.0": "enp2s0"}

with open(os.path.join(HERE, "..", "wanted.yml")) as _handle:
    WANTED = yaml.safe_load(_handle)["sriov_pfs"]


def sysfs(host, address, *parts):
    return "/sys/bus/pci/devices/%s/%s" % (address, "/".join(parts))


def vf_driver(host, address, index):
    link = host.run("readlink %s" % sysfs(host, address, "virtfn%d" % index, "driver"))
    return os.path.basename(link.stdout.strip()) if link.rc == 0 else None


def wanted_driver(pf, vf_id):
    for vf in pf.get("vfs", []):
        if vf["id"] == vf_id and vf.get("driver"):
            return vf["driver"]
    return pf.get("vf_driver")


def monotonic(host, unit, prop):
    return int(host.check_output("systemctl show -p %s --value %s" % (prop, unit)) or 0)


def test_the_unit_is_enabled_and_its_boot_run_succeeded(host):
    assert host.check_output("systemctl is-enabled %s" % UNIT) == "enabled"
    show = dict(line.split("=", 1) for line in
                host.check_output("systemctl show -p ActiveState,Result,ExecMainStatus %s" % UNIT).splitlines())
    assert show == {"ActiveState": "active", "Result": "success", "ExecMainStatus": "0"}


def test_the_unit_finished_before_network_pre_and_networking(host):
    done = monotonic(host, UNIT, "ActiveEnterTimestampMonotonic")
    assert done > 0
    assert done <= monotonic(host, "network-pre.target", "ActiveEnterTimestampMonotonic")
    for unit in ("networking.service", "systemd-networkd.service", "NetworkManager.service", "libvirtd.service"):
        started = monotonic(host, unit, "InactiveExitTimestampMonotonic")
        assert started == 0 or done <= started, unit  # 0: not started this boot (or not installed)


def test_vf_counts_and_autoprobe_are_back(host):
    for pf in WANTED:
        address = PF_ADDRESS[pf["pf"]]
        assert host.check_output("cat %s" % sysfs(host, address, "sriov_numvfs")) == str(pf["num_vfs"])
        if "drivers_autoprobe" in pf:
            assert host.check_output("cat %s" % sysfs(host, address, "sriov_drivers_autoprobe")) == \
                ("1" if pf["drivers_autoprobe"] else "0")


def test_vf_drivers_are_back(host):
    for pf in WANTED:
        address = PF_ADDRESS[pf["pf"]]
        for index in range(pf["num_vfs"]):
            want = wanted_driver(pf, index)
            got = vf_driver(host, address, index)
            if want == "vfio-pci":
                assert got == "vfio-pci", (pf["pf"], index)
                group = os.path.basename(host.check_output("readlink %s" % sysfs(
                    host, address, "virtfn%d" % index, "iommu_group")))
                assert host.file("/dev/vfio/%s" % group).exists
            else:
                assert got == "igbvf", (pf["pf"], index)


def test_per_vf_link_settings_are_back(host):
    for pf in WANTED:
        netdev = PF_NETDEV[pf["pf"]]
        links = json.loads(host.check_output("ip -d -j link show dev %s" % netdev))
        vfinfo = dict((vf["vf"], vf) for vf in links[0]["vfinfo_list"])
        assert len(vfinfo) == pf["num_vfs"]
        for wanted in pf.get("vfs", []):
            got = vfinfo[wanted["id"]]
            if "mac" in wanted:
                assert got["address"] == wanted["mac"]
            vlans = got.get("vlan_list") or [{}]
            if "vlan" in wanted:
                assert vlans[0].get("vlan") == wanted["vlan"], (netdev, wanted)
            if "qos" in wanted:
                assert vlans[0].get("qos") == wanted["qos"], (netdev, wanted)
            for key in ("spoofchk", "trust"):
                if key in wanted:
                    assert got[key] == wanted[key], (netdev, wanted["id"], key)


def test_vf_netdevs_are_marked_unmanaged_for_networkmanager(host):
    rule = host.file("/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules")
    assert rule.exists and "*/0000:01:00.0|*/0000:02:00.0" in rule.content_string
    vf_netdevs = host.check_output("ls %s" % sysfs(host, "0000:01:00.0", "virtfn0", "net")).split()
    assert vf_netdevs
    assert "NM_UNMANAGED=1" in host.check_output("udevadm info -q property /sys/class/net/%s" % vf_netdevs[0])
    # The PF itself stays NetworkManager's to manage.
    assert "NM_UNMANAGED=1" not in host.check_output("udevadm info -q property /sys/class/net/enp1s0")


def test_the_boot_config_is_root_only_and_holds_the_inventory(host):
    config = host.file("/etc/directiron-sriov/vfs.json")
    assert config.user == "root" and config.mode == 0o600
    data = json.loads(host.check_output("cat /etc/directiron-sriov/vfs.json"))
    assert data["pfs"] == WANTED
    assert data["addresses"] == ["0000:01:00.0", "0000:02:00.0"]


def test_the_journal_shows_what_the_unit_did_this_boot(host):
    journal = host.check_output("journalctl -b -o cat -u %s" % UNIT)
    assert "replayed 2 PF(s) from /etc/directiron-sriov/vfs.json" in journal
    assert "2 ok (2 changed), 0 failed, 0 missing" in journal
    assert "PF enp1s0 (0000:01:00.0): applied" in journal
    assert "PF 0000:02:00.0: applied" in journal
