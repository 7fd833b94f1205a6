# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every read and write of sysfs: PCI functions, SR-IOV attributes, IOMMU groups, PF resolution.

Root-parametrised (``sysfs_root``, default ``/sys``) so the same code reads a live host, a
captured tree or a test fixture. Pure standard library: the boot-time replay imports it
without Ansible.

This module is the one door to sysfs; callers import only it. Split by job:

- ``_sysfs_io``: the primitives (read, write, list, links, PCI paths);
- ``_sysfs_scan``: one PCI function or all of them, fast (``read_function``, ``scan_functions``);
- ``_sysfs_iommu``: IOMMU groups and units, and the assignability rule (``assignment_verdict``);
- here: drivers, kernel modules, netdevs, driver binding paths and PF resolution.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_io import (
    SOFT_ERRNOS, int_or_none, link_name, list_dir, pci_devices_dir, pci_function_path, read_attr, read_raw, virtfn_links,
    write_attr)
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_iommu import (
    VFIO_DRIVERS, assignment_verdict, group_index, group_verdict, iommu_group_devices, iommu_group_ids, iommu_group_type,
    iommu_group_types, iommu_units)
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_scan import (
    BRIDGE_CLASSES, drivers_by_function, netdevs_by_function, read_function, scan_functions)

# what callers use from the modules this one is split into
__all__ = [
    "SOFT_ERRNOS", "BRIDGE_CLASSES", "VFIO_DRIVERS", "read_attr", "write_attr", "read_raw", "list_dir", "link_name",
    "int_or_none", "pci_devices_dir", "pci_function_path", "read_function", "scan_functions", "netdevs_by_function",
    "drivers_by_function", "iommu_group_devices", "iommu_group_type", "iommu_group_types", "iommu_group_ids",
    "iommu_units", "group_index", "group_verdict", "assignment_verdict",
    "driver_of", "list_vfs", "module_name", "module_version", "module_taint", "netdev_function", "netdev_mtu",
    "netdev_state", "resolve_pf",
]


def driver_of(sysfs_root, address):
    """Name of the driver bound to a function, or None: one readlink, for polling loops."""
    return link_name(pci_function_path(sysfs_root, address) + "/driver")


def list_vfs(sysfs_root, pf_address):
    """{index: VF address} from the PF's virtfn links ({} when it has none or is gone)."""
    path = pci_function_path(sysfs_root, pf_address)
    return virtfn_links(path, list_dir(path) or [])


def module_name(sysfs_root, driver):
    """Kernel module behind a PCI driver (vfio-pci -> vfio_pci), or None for built-in drivers."""
    if not _rules.is_safe_name(driver):
        return None
    root = sysfs_root.rstrip("/")
    name = link_name(root + "/bus/pci/drivers/" + driver + "/module")
    if name:
        return name
    candidate = driver.replace("-", "_")
    return candidate if os.path.isdir(root + "/module/" + candidate) else None


def module_version(sysfs_root, driver):
    """``/sys/module/<driver>/version`` (driver or its module name), or None."""
    if not _rules.is_safe_name(driver):
        return None
    root = sysfs_root.rstrip("/")
    for name in (driver, driver.replace("-", "_"), module_name(sysfs_root, driver)):
        if name:
            version = read_raw(root + "/module/" + name + "/version")
            if version:
                return version
    return None


def module_taint(sysfs_root, module):
    """``/sys/module/<module>/taint`` ('O' = out of tree, 'E' = unsigned ...), '' if untainted, None if absent."""
    if not _rules.is_safe_name(module):
        return None
    return read_raw(sysfs_root.rstrip("/") + "/module/" + module + "/taint")


def netdev_function(sysfs_root, ifname):
    """PCI address behind a netdev (via class/net/IF/device), or None."""
    if not _rules.is_safe_name(ifname):
        return None
    target = link_name(sysfs_root.rstrip("/") + "/class/net/" + ifname + "/device")
    return target if target and _rules.is_pci_address(target) else None


def netdev_mtu(sysfs_root, ifname):
    """Current MTU of a netdev (class/net/IF/mtu), or None."""
    if not ifname or not _rules.is_safe_name(ifname):
        return None
    return int_or_none(read_raw(sysfs_root.rstrip("/") + "/class/net/" + ifname + "/mtu"))


def netdev_state(sysfs_root, address, ifname):
    """{operstate, carrier, speed, mac, mtu} of a netdev below a PCI function (values None when absent)."""
    if not _rules.is_safe_name(ifname):
        return {"operstate": None, "carrier": None, "speed": None, "mac": None, "mtu": None}
    path = pci_function_path(sysfs_root, address) + "/net/" + ifname
    carrier = read_raw(path + "/carrier")
    speed = int_or_none(read_raw(path + "/speed"))
    return {
        "operstate": read_raw(path + "/operstate"),
        "carrier": None if carrier is None else carrier == "1",
        "speed": speed if speed is not None and speed >= 0 else None,
        "mac": read_raw(path + "/address"),
        "mtu": int_or_none(read_raw(path + "/mtu")),
    }


def _require_sriov_pf(sysfs_root, address, asked):
    path = pci_devices_dir(sysfs_root) + "/" + address
    entries = list_dir(path)
    if entries is None:
        raise SriovError("PF %s: no PCI function %s under %s" % (asked, address, pci_devices_dir(sysfs_root)),
                         field="pf")
    if "physfn" in entries:
        raise SriovError("PF %s: %s is a virtual function of %s, not a PF"
                         % (asked, address, link_name(path + "/physfn")), field="pf")
    if "sriov_totalvfs" not in entries:
        raise SriovError("PF %s: PCI function %s is not SR-IOV capable (no sriov_totalvfs)" % (asked, address),
                         field="pf")
    return address


def resolve_pf(sysfs_root, pf):
    """PF address from a netdev name, a PCI address or {vendor, device, index}.

    Names are checked before any path is built from them; SriovError(field="pf") says what was
    looked for when nothing matches or the match is not an SR-IOV capable PF.
    """
    pf = _rules.validate_pf(pf)
    if isinstance(pf, dict):
        vendor, device, index = pf["vendor"], pf["device"], pf["index"]
        base = pci_devices_dir(sysfs_root)
        matches = []
        for address in sorted(list_dir(base) or []):
            if not _rules.is_pci_address(address):
                continue
            path = base + "/" + address
            if (read_raw(path + "/vendor") == vendor and read_raw(path + "/device") == device
                    and os.path.exists(path + "/sriov_totalvfs")):
                matches.append(address)
        if index >= len(matches):
            raise SriovError("PF %s: found %d SR-IOV capable function(s) with "
                             "these ids%s" % (_rules.pf_label({"vendor": vendor, "device": device, "index": index}),
                                              len(matches),
                                              (": " + ", ".join(matches)) if matches else ""),
                             field="pf", details={"matches": matches})
        return matches[index]
    if _rules.is_pci_address(pf):
        return _require_sriov_pf(sysfs_root, pf, pf)
    address = netdev_function(sysfs_root, pf)
    if address is None:
        raise SriovError("PF %s: no network interface %s backed by a PCI function under %s/class/net"
                         % (pf, pf, sysfs_root.rstrip("/")), field="pf")
    return _require_sriov_pf(sysfs_root, address, pf)
