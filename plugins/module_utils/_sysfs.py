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
    VFIO_DRIVERS, acpi_tables_present, assignment_verdict, group_index, group_verdict, iommu_group_devices,
    iommu_group_ids, iommu_group_type, iommu_group_types, iommu_groups_dir, iommu_units)
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_scan import (
    BRIDGE_CLASSES, drivers_by_function, netdevs_by_function, read_function, scan_functions)

# what callers use from the modules this one is split into
__all__ = [
    "SOFT_ERRNOS", "BRIDGE_CLASSES", "VFIO_DRIVERS", "read_attr", "write_attr", "read_raw", "list_dir", "link_name",
    "int_or_none", "pci_devices_dir", "pci_function_path", "read_function", "scan_functions", "netdevs_by_function",
    "drivers_by_function", "iommu_group_devices", "iommu_group_type", "iommu_group_types", "iommu_group_ids",
    "iommu_units", "iommu_groups_dir", "acpi_tables_present", "group_index", "group_verdict", "assignment_verdict",
    "root_present", "is_live_root", "function_exists", "function_attr", "function_attr_path", "function_config",
    "driver_of", "driver_present", "driver_attr_path", "drivers_probe_path", "list_vfs",
    "module_name", "module_version", "module_taint", "module_parameter", "numa_node_cpulists",
    "netdev_names", "netdev_attr", "netdev_driver", "netdev_links", "netdev_kind", "netdev_pci_parent", "netdev_queues",
    "lower_netdevs", "netdev_function", "netdev_mtu", "netdev_state", "resolve_pf",
]


def root_present(sysfs_root):
    """Whether the sysfs root is a directory at all (a wrong ``sysfs_root`` reads as no devices)."""
    return os.path.isdir(sysfs_root)


def is_live_root(sysfs_root):
    """Whether the root is the running kernel's /sys (not a captured tree or a fixture)."""
    return os.path.realpath(sysfs_root) == "/sys"


# -- one PCI function -----------------------------------------------------------------------------

def function_exists(sysfs_root, address):
    """Whether the PCI function is on the host now."""
    return os.path.isdir(pci_function_path(sysfs_root, address))


def function_attr_path(sysfs_root, address, *parts):
    """Path of an attribute below a PCI function (for ``write_attr``)."""
    return os.path.join(pci_function_path(sysfs_root, address), *parts)


def function_attr(sysfs_root, address, name):
    """Stripped attribute of a PCI function, or None."""
    return read_attr(pci_function_path(sysfs_root, address) + "/" + name)


def function_config(sysfs_root, address, size=256):
    """The first ``size`` bytes of a function's PCI config space, or None when it cannot be read
    (not root: only the first 64 bytes are readable)."""
    try:
        with open(pci_function_path(sysfs_root, address) + "/config", "rb") as handle:
            return bytearray(handle.read(size))
    except (IOError, OSError):
        return None


# -- PCI drivers -----------------------------------------------------------------------------------

def driver_present(sysfs_root, driver):
    """Whether a PCI driver is registered (bus/pci/drivers/<driver>): loaded or built in."""
    return os.path.isdir(os.path.join(sysfs_root, "bus", "pci", "drivers", driver))


def driver_attr_path(sysfs_root, driver, name):
    """Path of a PCI driver's attribute (``unbind``, ``bind``, ``new_id``) for ``write_attr``."""
    return os.path.join(sysfs_root, "bus", "pci", "drivers", driver, name)


def drivers_probe_path(sysfs_root):
    """Path of bus/pci/drivers_probe: writing an address there binds it to a matching driver."""
    return os.path.join(sysfs_root, "bus", "pci", "drivers_probe")


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


def module_parameter(sysfs_root, module, name):
    """``/sys/module/<module>/parameters/<name>``, or None."""
    return read_attr(os.path.join(sysfs_root, "module", module, "parameters", name))


def numa_node_cpulists(sysfs_root):
    """{node: cpulist text} from ``devices/system/node/nodeN/cpulist``; {} on a host without them."""
    base = sysfs_root.rstrip("/") + "/devices/system/node"
    result = {}
    for name in list_dir(base) or []:
        if name.startswith("node") and _rules.is_ascii_number(name[4:]):
            result[int(name[4:])] = read_attr(base + "/" + name + "/cpulist", "")
    return result


# -- netdevs (class/net) ----------------------------------------------------------------------------

def _netdev_dir(sysfs_root, ifname):
    return sysfs_root.rstrip("/") + "/class/net/" + ifname


def netdev_names(sysfs_root):
    """Names under class/net, or None when it cannot be read."""
    return list_dir(sysfs_root.rstrip("/") + "/class/net")


def netdev_attr(sysfs_root, ifname, name):
    """Stripped attribute of a netdev (address, speed, operstate, addr_assign_type, ...), or None."""
    return read_attr(_netdev_dir(sysfs_root, ifname) + "/" + name)


def netdev_driver(sysfs_root, ifname):
    """Name of the driver of the device behind a netdev, or None."""
    return link_name(_netdev_dir(sysfs_root, ifname) + "/device/driver")


def netdev_links(sysfs_root, ifname, prefix):
    """Sorted netdev names from a netdev's ``upper_*`` or ``lower_*`` links (``prefix``)."""
    names = list_dir(_netdev_dir(sysfs_root, ifname)) or []
    return sorted(name[len(prefix):] for name in names if name.startswith(prefix))


def netdev_kind(sysfs_root, ifname):
    """bond or bridge when the netdev is one (its bonding/ or bridge/ directory), else None."""
    base = _netdev_dir(sysfs_root, ifname)
    if os.path.isdir(base + "/bonding"):
        return "bond"
    if os.path.isdir(base + "/bridge"):
        return "bridge"
    return None


def netdev_pci_parent(sysfs_root, ifname):
    """(PCI address, bus device) behind a netdev: the function itself (bus device None), or the PCI
    parent of a virtio device (bus device virtioN); (None, None) when the netdev has no device."""
    path = _netdev_dir(sysfs_root, ifname) + "/device"
    if not os.path.islink(path) and not os.path.isdir(path):
        return None, None
    real = os.path.realpath(path)
    name = os.path.basename(real)
    if _rules.is_pci_address(name):
        return name, None
    parent = os.path.basename(os.path.dirname(real))
    return (parent if _rules.is_pci_address(parent) else None), name


def netdev_queues(sysfs_root, ifname):
    """{"rx": n, "tx": n} from class/net/IF/queues, or None without the netdev."""
    if not ifname or not _rules.is_safe_name(ifname):
        return None
    path = os.path.join(sysfs_root, "class", "net", ifname, "queues")
    if not os.path.isdir(path):
        return None
    names = os.listdir(path)
    return {"rx": len([n for n in names if n.startswith("rx-")]), "tx": len([n for n in names if n.startswith("tx-")])}


def lower_netdevs(sysfs_root, netdev, _seen=None):
    """netdev plus every device below it (bridge ports, bond slaves, VLAN parents), via lower_* links."""
    seen = _seen if _seen is not None else set()
    if netdev in seen or not _rules.is_netdev_name(netdev):
        return seen
    seen.add(netdev)
    base = os.path.join(sysfs_root, "class", "net", netdev)
    try:
        names = os.listdir(base)
    except OSError:
        names = []
    for name in names:
        if name.startswith("lower_"):
            lower_netdevs(sysfs_root, name[len("lower_"):], seen)
    try:
        ports = os.listdir(os.path.join(base, "brif"))
    except OSError:
        ports = []
    for port in ports:
        lower_netdevs(sysfs_root, port, seen)
    return seen


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
