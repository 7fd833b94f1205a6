# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PCI functions read from sysfs: one function (``read_function``) or every one (``scan_functions``).

Speed matters (a host may have thousands of VFs): each function directory is opened once and
read relative to its fd, only attributes it holds are read, and a brief scan reads what the
kernel gives every VF of a PF once per PF.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_io import (
    SOFT_ERRNOS, int_or_none, link_name, link_name_at, list_dir, pci_devices_dir, pci_function_path, read_raw,
    virtfn_links)


# PCI classes with a type 1/2 header (PCI-to-PCI, subtractive, CardBus bridges): vfio does not
# count them against group viability, so sharing a group with them does not block assignment.
BRIDGE_CLASSES = frozenset(["0x0604", "0x0609", "0x0607"])


_SRIOV_ATTRS = ("sriov_totalvfs", "sriov_numvfs", "sriov_drivers_autoprobe")


_FUNCTION_ATTRS = ("vendor", "device", "subsystem_vendor", "subsystem_device", "class", "numa_node",
                   "driver_override") + _SRIOV_ATTRS


_BRIEF_ATTRS = ("vendor", "device", "class")


def _read_function_at(path, address, want_vf_index=True, brief=False, vf_ids=None, netdev_map=None,
                      known_physfn=None):
    """Read one function through a directory fd: one path walk, then one syscall per attribute.

    No listdir for functions that are not PFs: an absent attribute or link is one ENOENT, cheaper
    than listing a directory of some 40 entries.
    brief: for functions that are not PFs read only vendor, device and class (subsystem ids,
    numa_node and driver_override are None); PFs are always read in full.
    vf_ids: {pf address: (vendor, device, class)} shared across a scan. The kernel gives every VF
    of a PF the PF's vendor, the PF's VF device id and VF 0's class (pci_iov_add_virtfn,
    pci_read_vf_config_common), so a brief scan reads them once per PF.
    netdev_map: {address: [netdevs]} from /sys/class/net (None: list <function>/net instead).
    known_physfn: the PF of this function when a virtfn link of a scanned PF named it (no physfn
    readlink then).
    """
    try:
        dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None  # vanished (or never was)
        raise
    try:
        physfn = known_physfn or link_name_at(dfd, "physfn")
        # a VF has no SR-IOV capability of its own
        totalvfs = None if physfn else read_raw("sriov_totalvfs", dfd)
        is_pf = totalvfs is not None
        attrs = dict.fromkeys(_FUNCTION_ATTRS)
        attrs["sriov_totalvfs"] = totalvfs
        shared = vf_ids.get(physfn) if brief and physfn and vf_ids is not None else None
        if shared is not None:
            attrs["vendor"], attrs["device"], attrs["class"] = shared
        else:
            for name in _BRIEF_ATTRS if brief and not is_pf else _FUNCTION_ATTRS[:-3]:
                attrs[name] = read_raw(name, dfd)
            if is_pf:
                attrs["sriov_numvfs"] = read_raw("sriov_numvfs", dfd)
                attrs["sriov_drivers_autoprobe"] = read_raw("sriov_drivers_autoprobe", dfd)
            if brief and physfn and vf_ids is not None and attrs["vendor"] and attrs["class"]:
                vf_ids[physfn] = (attrs["vendor"], attrs["device"], attrs["class"])
        virtfns = {}
        if is_pf:
            for name in os.listdir(dfd):
                if name.startswith("virtfn"):
                    index = int_or_none(name[6:])
                    target = link_name_at(dfd, name)
                    if index is not None and target:
                        virtfns[index] = target
        driver = link_name_at(dfd, "driver")
        group = link_name_at(dfd, "iommu_group")
    finally:
        os.close(dfd)
    if netdev_map is not None:
        netdevs = netdev_map.get(address, [])
    else:
        netdevs = sorted(list_dir(path + "/net") or [])
    if attrs["vendor"] is None and not os.path.isdir(path):
        return None  # vanished while we looked
    cls = attrs["class"]
    override = attrs["driver_override"]
    function = {
        "address": address,
        "vendor": attrs["vendor"],
        "device": attrs["device"],
        "subsystem_vendor": attrs["subsystem_vendor"],
        "subsystem_device": attrs["subsystem_device"],
        "class": cls,
        "driver": driver,
        "driver_override": None if override in (None, "", "(null)") else override,
        "netdevs": netdevs,
        "iommu_group": int(group) if group and _rules.is_ascii_number(group) else None,
        "numa_node": None,
        "is_bridge": cls is not None and cls[:6] in BRIDGE_CLASSES,
        "physfn": physfn,
        "vf_index": None,
        "sriov_totalvfs": None,
        "sriov_numvfs": None,
        "sriov_drivers_autoprobe": None,
        "virtfns": virtfns,
    }
    if attrs["numa_node"] is not None:
        numa = int_or_none(attrs["numa_node"])
        function["numa_node"] = None if numa is None or numa < 0 else numa
    if is_pf:
        autoprobe = attrs["sriov_drivers_autoprobe"]
        function["sriov_totalvfs"] = int_or_none(attrs["sriov_totalvfs"])
        function["sriov_numvfs"] = int_or_none(attrs["sriov_numvfs"])
        function["sriov_drivers_autoprobe"] = None if autoprobe is None else autoprobe == "1"
    if physfn and want_vf_index:
        function["vf_index"] = _vf_index_from_pf(path + "/physfn", address)
    return function


def _vf_index_from_pf(pf_path, address):
    for index, vf_address in virtfn_links(pf_path, list_dir(pf_path) or []).items():
        if vf_address == address:
            return index
    return None


def netdevs_by_function(sysfs_root="/sys"):
    """{PCI address: sorted netdev names} from the /sys/class/net links; None without class/net.

    One listdir and one readlink per netdev (the link reads .../<address>/net/<ifname>) instead
    of a listdir per PCI function.
    """
    base = sysfs_root.rstrip("/") + "/class/net"
    names = list_dir(base)
    if names is None:
        return None
    result = {}
    for name in names:
        try:
            target = os.readlink(base + "/" + name)
        except OSError as exc:
            if exc.errno in SOFT_ERRNOS:
                continue
            raise
        parts = target.split("/")
        if len(parts) >= 3 and parts[-2] == "net" and _rules.is_pci_address(parts[-3]):
            result.setdefault(parts[-3], []).append(name)
    for value in result.values():
        value.sort()
    return result


def drivers_by_function(sysfs_root="/sys"):
    """{PCI address: driver} from the bus/pci/drivers directories; None without them.

    One listdir per driver instead of a readlink per function.
    """
    base = sysfs_root.rstrip("/") + "/bus/pci/drivers"
    names = list_dir(base)
    if names is None:
        return None
    result = {}
    for driver in names:
        for name in list_dir(base + "/" + driver) or ():
            if _rules.is_pci_address(name):
                result[name] = driver
    return result


def _brief_vf(path, address, physfn, shared, driver, netdevs):
    """A VF of a scanned PF in a brief scan: one readlink (its IOMMU group), the rest is known."""
    group = link_name(path + "/iommu_group")
    if group is None and not os.path.isdir(path):
        return None  # vanished
    cls = shared[2]
    function = dict.fromkeys(("subsystem_vendor", "subsystem_device", "driver_override", "numa_node", "vf_index")
                             + _SRIOV_ATTRS)
    function.update({
        "address": address, "vendor": shared[0], "device": shared[1], "class": cls, "driver": driver,
        "netdevs": netdevs, "iommu_group": int(group) if group and _rules.is_ascii_number(group) else None,
        "is_bridge": cls[:6] in BRIDGE_CLASSES, "physfn": physfn, "virtfns": {},
    })
    return function


def read_function(sysfs_root, address):
    """One PCI function as a dict (see module docs of sriov_facts), or None if it is not there."""
    return _read_function_at(pci_function_path(sysfs_root, address), address)


def scan_functions(sysfs_root="/sys", brief=False, vfs=True, netdevs=True):
    """{address: function dict} for every PCI function; {} when the bus directory is missing.

    brief=True skips subsystem ids, numa_node and driver_override of functions that are not PFs
    (they read as None) and reads vendor/device/class once per PF's VFs (see _read_function_at):
    what the fact modules need for thousands of VFs, at a third of the syscalls. It also takes the
    drivers from the bus/pci/drivers listings, so a VF after its PF's first VF costs one readlink
    (its IOMMU group).

    VF indexes come from their PFs' virtfn links (read once per PF, not once per VF); a function
    that vanishes during the scan is left out. Functions are read in address order, so a PF comes
    before its VFs (a VF's routing id is its PF's plus First VF Offset, at least 1) and its VFs need
    no physfn readlink. vfs=False leaves out the VFs those links name without reading them;
    netdevs=False reads no network interfaces (every ``netdevs`` is empty).
    """
    base = pci_devices_dir(sysfs_root)
    names = list_dir(base)
    if not names:
        return {}
    netdev_map = netdevs_by_function(sysfs_root) if netdevs else {}
    driver_map = drivers_by_function(sysfs_root) if brief else None
    vf_ids = {}
    functions = {}
    known_vfs = {}
    for address in sorted(names):
        if not _rules.is_pci_address(address):
            continue
        physfn = known_vfs.get(address)
        if physfn and not vfs:
            continue
        shared = vf_ids.get(physfn) if physfn and brief else None
        if shared is not None and driver_map is not None and netdev_map is not None:
            function = _brief_vf(base + "/" + address, address, physfn, shared, driver_map.get(address),
                                 netdev_map.get(address, []))
        else:
            function = _read_function_at(base + "/" + address, address, want_vf_index=False, brief=brief,
                                         vf_ids=vf_ids, netdev_map=netdev_map, known_physfn=physfn)
        if function is not None:
            functions[address] = function
            for vf_address in function["virtfns"].values():
                known_vfs[vf_address] = address
    for function in functions.values():
        for index, vf_address in function["virtfns"].items():
            vf = functions.get(vf_address)
            if vf is not None:
                vf["vf_index"] = index
    # a VF whose PF was not listed (or vanished): find its index the slow way
    for address, function in functions.items():
        if function["physfn"] and function["vf_index"] is None:
            pf = functions.get(function["physfn"])
            if pf is None:
                function["vf_index"] = _vf_index_from_pf(base + "/" + address + "/physfn", address)
    return functions
