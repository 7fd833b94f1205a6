# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What guest_nic_facts reports: the NICs a guest sees, with driver, versions, MACs and failover master.

Inside a guest a VF is a plain PCI NIC (no physfn, no SR-IOV attributes), so this reads what any
NIC has: the netdev's MAC and speed, its PCI function and ids, its driver and the driver's version,
and the netdev above it (the ``net_failover`` master of a virtio/VF pair, a bond, a bridge).
Pure standard library; sysfs through ``_sysfs`` (root-parametrised), commands through ``runner``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._iplink import parse_ethtool_info
from ansible_collections.directiron.sriov.plugins.module_utils._sriov_facts import driver_version

# /sys/class/net/IF/addr_assign_type (include/uapi/linux/netdevice.h NET_ADDR_*)
ADDR_ASSIGN_TYPES = {"0": "permanent", "1": "random", "2": "stolen", "3": "set"}
VIRTIO_NET = "virtio_net"


def parse_permanent_address(text):
    """``ethtool -P IF`` output -> the MAC, or None (all-zero means the device has none)."""
    for line in (text or "").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() == "permanent address":
            value = value.strip().lower()
            return None if not value or value == "00:00:00:00:00:00" else value
    return None


def _master_kind(sysfs_root, master, drivers):
    """failover (virtio standby + another lower NIC), bond, bridge, or other."""
    kind = _sysfs.netdev_kind(sysfs_root, master)
    if kind:
        return kind
    lowers = _sysfs.netdev_links(sysfs_root, master, "lower_")
    lower_drivers = [drivers.get(lower) for lower in lowers]
    if len(lowers) == 2 and VIRTIO_NET in lower_drivers and any(d and d != VIRTIO_NET for d in lower_drivers):
        return "failover"
    return "other"


def gather_guest_nics(sysfs_root="/sys", proc_root="/proc", runner=None, ethtool_bin=None, use_ethtool=True):
    """{kernel_release, nics: [...], missing: [...]}; ``runner(argv) -> (rc, out, err)`` runs ethtool."""
    missing = []
    root = sysfs_root.rstrip("/") or "/"
    kernel_release = _sysfs.read_attr(os.path.join(proc_root, "sys", "kernel", "osrelease"))
    if kernel_release is None:
        missing.append("%s unreadable: in-tree driver versions are null"
                       % os.path.join(proc_root, "sys", "kernel", "osrelease"))
    names = _sysfs.netdev_names(root)
    if names is None:
        missing.append("%s/class/net is not readable: no NICs" % root)
        names = []
    if use_ethtool and (runner is None or not ethtool_bin):
        missing.append("ethtool not found: firmware_version and permanent_mac are null")
        use_ethtool = False
    versions = {}
    nics = []
    drivers = {}
    for ifname in sorted(names):
        if not _rules.is_safe_name(ifname):
            continue
        address, bus_device = _sysfs.netdev_pci_parent(root, ifname)
        if address is None:
            continue  # lo, bridges, bonds, tunnels: not a NIC
        driver = _sysfs.netdev_driver(root, ifname)
        drivers[ifname] = driver
        function = _sysfs.read_function(root, address) or {}
        version, version_source, module = (None, None, None)
        if driver:
            version, version_source, module = driver_version(root, driver, kernel_release, versions)
        firmware = permanent = None
        if use_ethtool:
            rc, out, _err = runner([ethtool_bin, "-i", ifname])
            if rc == 0:
                info = parse_ethtool_info(out)
                firmware = info["firmware_version"]
                if info["driver"] and info["driver"] != driver:
                    drivers[ifname] = info["driver"]  # net_failover reports itself here
                if version is None and info["version"]:
                    version, version_source = info["version"], "ethtool"
            else:
                missing.append("ethtool -i %s failed (rc %s): its firmware_version is null" % (ifname, rc))
            rc, out, _err = runner([ethtool_bin, "-P", ifname])
            if rc == 0:
                permanent = parse_permanent_address(out)
        speed = _sysfs.int_or_none(_sysfs.netdev_attr(root, ifname, "speed"))
        uppers = _sysfs.netdev_links(root, ifname, "upper_")
        nics.append({
            "name": ifname,
            "mac": (_sysfs.netdev_attr(root, ifname, "address") or "").lower() or None,
            "permanent_mac": permanent,
            "mac_origin": ADDR_ASSIGN_TYPES.get(_sysfs.netdev_attr(root, ifname, "addr_assign_type")),
            "pci_address": address,
            "vendor": function.get("vendor"),
            "device": function.get("device"),
            "subsystem_vendor": function.get("subsystem_vendor"),
            "subsystem_device": function.get("subsystem_device"),
            "driver": driver,
            "driver_module": module,
            "driver_version": version,
            "driver_version_source": version_source,
            "firmware_version": firmware,
            "operstate": _sysfs.netdev_attr(root, ifname, "operstate"),
            "speed": speed if speed is not None and speed >= 0 else None,
            "master": uppers[0] if uppers else None,
            "master_kind": None,
            "lowers": _sysfs.netdev_links(root, ifname, "lower_"),
            "virtio": bus_device is not None and bus_device.startswith("virtio"),
        })
    for nic in nics:
        if nic["master"]:
            nic["master_kind"] = _master_kind(root, nic["master"], drivers)
    return {"kernel_release": kernel_release, "nics": nics, "missing": missing}
