# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""guest_nic_facts on a guest sysfs tree: an igbvf VF and a virtio NIC under one net_failover master.

The tree follows what a Debian 12 guest shows: a VF's netdev links straight to its PCI function;
a virtio NIC's netdev links to virtioN below its PCI function; in the 3-netdev failover model the
master (ethX) and its standby (ethXnsby) sit on the same virtio device, and master/lower links
(upper_*, lower_*) join the master with the standby and the VF.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils._guest_facts import (
    gather_guest_nics,
    parse_permanent_address,
)

VF = "0000:07:00.0"
VIRTIO = "0000:01:00.0"
MAC = "52:54:00:aa:00:01"


def write(path, value):
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    with open(path, "w") as handle:
        handle.write(value + "\n")


def netdev(root, name, device_rel, mac, extra=None):
    """class/net/NAME -> ../../<device_rel>/net/NAME, as the kernel links it."""
    real = os.path.join(root, device_rel, "net", name)
    os.makedirs(real)
    os.symlink(os.path.relpath(real, os.path.join(root, "class", "net")), os.path.join(root, "class", "net", name))
    os.symlink(os.path.relpath(os.path.join(root, device_rel), real), os.path.join(real, "device"))
    write(os.path.join(real, "address"), mac)
    write(os.path.join(real, "operstate"), "up")
    for key, value in (extra or {}).items():
        write(os.path.join(real, key), value)
    return real


def link(src_dir, name, target_dir):
    os.symlink(os.path.relpath(target_dir, src_dir), os.path.join(src_dir, name))


@pytest.fixture
def guest(tmp_path):
    root = str(tmp_path / "sys")
    proc = str(tmp_path / "proc")
    write(os.path.join(proc, "sys", "kernel", "osrelease"), "6.1.0-27-amd64")
    os.makedirs(os.path.join(root, "class", "net"))
    pci = os.path.join(root, "devices", "pci0000:00")
    os.makedirs(os.path.join(root, "bus", "pci", "devices"))
    for address, device, driver in ((VF, "0x10ca", "igbvf"), (VIRTIO, "0x1041", "virtio-pci")):
        path = os.path.join(pci, address)
        write(os.path.join(path, "vendor"), "0x8086" if driver == "igbvf" else "0x1af4")
        write(os.path.join(path, "device"), device)
        write(os.path.join(path, "class"), "0x020000")
        os.symlink(os.path.relpath(path, os.path.join(root, "bus", "pci", "devices")),
                   os.path.join(root, "bus", "pci", "devices", address))
        os.makedirs(os.path.join(root, "bus", "pci", "drivers", driver), exist_ok=True)
        link(path, "driver", os.path.join(root, "bus", "pci", "drivers", driver))
    virtio_dev = os.path.join(pci, VIRTIO, "virtio0")
    os.makedirs(os.path.join(root, "bus", "virtio", "drivers", "virtio_net"))
    os.makedirs(virtio_dev)
    link(virtio_dev, "driver", os.path.join(root, "bus", "virtio", "drivers", "virtio_net"))
    os.makedirs(os.path.join(root, "module", "igbvf"))  # in-tree: no version file
    write(os.path.join(root, "module", "virtio_net", "version"), "1.0.0")
    vf = netdev(root, "enp7s0", "devices/pci0000:00/" + VF, MAC, {"speed": "1000", "addr_assign_type": "3"})
    master = netdev(root, "eth0", "devices/pci0000:00/%s/virtio0" % VIRTIO, MAC, {"speed": "-1"})
    standby = netdev(root, "eth0nsby", "devices/pci0000:00/%s/virtio0" % VIRTIO, MAC)
    for lower in (vf, standby):
        link(lower, "upper_eth0", master)
        link(master, "lower_" + os.path.basename(lower), lower)
    os.makedirs(os.path.join(root, "devices", "virtual", "net", "lo"))
    os.symlink("../../devices/virtual/net/lo", os.path.join(root, "class", "net", "lo"))
    return root, proc


def ethtool_runner(calls):
    def runner(argv):
        calls.append(argv)
        if argv[1] == "-i" and argv[2] == "enp7s0":
            return 0, "driver: igbvf\nversion: 6.1.0-27-amd64\nfirmware-version: \nbus-info: 0000:07:00.0\n", ""
        if argv[1] == "-i" and argv[2] == "eth0":
            return 0, "driver: net_failover\nversion: 0.1\nfirmware-version: \n", ""
        if argv[1] == "-i":
            return 0, "driver: virtio_net\nversion: 1.0.0\nfirmware-version: \n", ""
        return 0, "Permanent address: 00:00:00:00:00:00\n", ""
    return runner


def test_vf_nic_reports_driver_version_mac_and_failover_master(guest):
    root, proc = guest
    calls = []
    facts = gather_guest_nics(root, proc, runner=ethtool_runner(calls), ethtool_bin="/usr/sbin/ethtool")
    nics = dict((nic["name"], nic) for nic in facts["nics"])
    assert sorted(nics) == ["enp7s0", "eth0", "eth0nsby"]  # lo has no PCI function
    vf = nics["enp7s0"]
    assert (vf["driver"], vf["driver_version"], vf["driver_version_source"]) == ("igbvf", "6.1.0-27-amd64", "kernel")
    assert (vf["mac"], vf["mac_origin"], vf["permanent_mac"]) == (MAC, "set", None)
    assert (vf["pci_address"], vf["vendor"], vf["device"], vf["speed"]) == (VF, "0x8086", "0x10ca", 1000)
    assert (vf["master"], vf["master_kind"], vf["virtio"]) == ("eth0", "failover", False)
    assert nics["eth0"]["lowers"] == ["enp7s0", "eth0nsby"] and nics["eth0"]["virtio"] is True
    assert nics["eth0"]["speed"] is None and nics["eth0nsby"]["pci_address"] == VIRTIO
    assert nics["eth0nsby"]["driver_version"] == "1.0.0" and nics["eth0nsby"]["driver_version_source"] == "module"
    assert ["/usr/sbin/ethtool", "-P", "enp7s0"] in calls
    assert facts["missing"] == []


def test_without_ethtool_firmware_is_null_and_said(guest):
    root, proc = guest
    facts = gather_guest_nics(root, proc, runner=None, ethtool_bin=None)
    assert facts["missing"] == ["ethtool not found: firmware_version and permanent_mac are null"]
    assert all(nic["firmware_version"] is None for nic in facts["nics"])


def test_missing_sysfs_is_reported_not_raised(tmp_path):
    facts = gather_guest_nics(str(tmp_path / "nothing"), str(tmp_path / "noproc"), use_ethtool=False)
    assert facts["nics"] == []
    assert any("class/net is not readable" in text for text in facts["missing"])


def test_permanent_address_parse():
    assert parse_permanent_address("Permanent address: 52:54:00:AA:00:01\n") == "52:54:00:aa:00:01"
    assert parse_permanent_address("Permanent address: 00:00:00:00:00:00") is None
    assert parse_permanent_address("") is None
