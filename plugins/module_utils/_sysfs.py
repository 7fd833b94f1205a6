# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every read and write of sysfs: PCI functions, SR-IOV attributes, IOMMU groups, PF resolution.

Root-parametrised (``sysfs_root``, default ``/sys``) so the same code reads a live host, a
captured tree or a test fixture. Pure standard library: the boot-time replay imports it
without Ansible.

Speed matters (a host may have thousands of VFs): reads go through os.open/os.read (no file
objects), each function directory is listed once and only attributes it holds are read, so a
missing attribute costs no exception.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


# errors that mean "this attribute is not there or not readable now" rather than a bug
SOFT_ERRNOS = frozenset([errno.ENOENT, errno.ENODEV, errno.EACCES, errno.EIO, errno.EINVAL,
                         errno.ENOTDIR, errno.EPERM, errno.ENXIO, errno.EISDIR])

# PCI classes with a type 1/2 header (PCI-to-PCI, subtractive, CardBus bridges): vfio does not
# count them against group viability, so sharing a group with them does not block assignment.
BRIDGE_CLASSES = frozenset(["0x0604", "0x0609", "0x0607"])
# Drivers that hold a device for a guest without using it on the host.
VFIO_DRIVERS = frozenset([_rules.VFIO_DRIVER, "pci-stub"])

_SRIOV_ATTRS = ("sriov_totalvfs", "sriov_numvfs", "sriov_drivers_autoprobe")


def _read(path, dir_fd=None):
    """Raw fast read; None when missing or unreadable. With dir_fd, path is relative to that
    open directory (no path walk per attribute on the hot scan path)."""
    try:
        fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise
    try:
        data = os.read(fd, 4096)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace").strip()


def read_attr(path, default=None):
    """Stripped content of a sysfs (or procfs) attribute, or ``default`` when missing/unreadable."""
    value = _read(path)
    return default if value is None else value


def write_attr(path, value):
    """Write ``str(value)`` to an attribute in one write(); OSError propagates with its errno.

    O_TRUNC is what a shell ``echo N > attr`` does too: sysfs ignores it, and on a captured tree
    or fixture it keeps "0" written over "128" from reading back as "028".
    """
    data = str(value).encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        written = os.write(fd, data)
        if written != len(data):
            raise OSError(errno.EIO, "short write to %s (%d of %d bytes)" % (path, written, len(data)))
    finally:
        os.close(fd)


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


def _link_name(path):
    """Last component of a symlink's target, or None."""
    try:
        return os.readlink(path).rpartition("/")[2]
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pci_devices_dir(sysfs_root="/sys"):
    return sysfs_root.rstrip("/") + "/bus/pci/devices"


def pci_function_path(sysfs_root, address):
    """``<root>/bus/pci/devices/<address>``; SriovError for anything that is not a PCI address."""
    if not _rules.is_pci_address(address):
        raise SriovError("not a PCI address (domain:bus:slot.function, e.g. 0000:01:10.0): %r" % (address,),
                         field="address")
    return pci_devices_dir(sysfs_root) + "/" + address


def _virtfns(path, entries):
    vfs = {}
    for name in entries:
        if name.startswith("virtfn"):
            index = _int_or_none(name[6:])
            target = _link_name(path + "/" + name)
            if index is not None and target:
                vfs[index] = target
    return vfs


def _link_name_at(dfd, name):
    try:
        return os.readlink(name, dir_fd=dfd).rpartition("/")[2]
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


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
        physfn = known_physfn or _link_name_at(dfd, "physfn")
        # a VF has no SR-IOV capability of its own
        totalvfs = None if physfn else _read("sriov_totalvfs", dfd)
        is_pf = totalvfs is not None
        attrs = dict.fromkeys(_FUNCTION_ATTRS)
        attrs["sriov_totalvfs"] = totalvfs
        shared = vf_ids.get(physfn) if brief and physfn and vf_ids is not None else None
        if shared is not None:
            attrs["vendor"], attrs["device"], attrs["class"] = shared
        else:
            for name in _BRIEF_ATTRS if brief and not is_pf else _FUNCTION_ATTRS[:-3]:
                attrs[name] = _read(name, dfd)
            if is_pf:
                attrs["sriov_numvfs"] = _read("sriov_numvfs", dfd)
                attrs["sriov_drivers_autoprobe"] = _read("sriov_drivers_autoprobe", dfd)
            if brief and physfn and vf_ids is not None and attrs["vendor"] and attrs["class"]:
                vf_ids[physfn] = (attrs["vendor"], attrs["device"], attrs["class"])
        virtfns = {}
        if is_pf:
            for name in os.listdir(dfd):
                if name.startswith("virtfn"):
                    index = _int_or_none(name[6:])
                    target = _link_name_at(dfd, name)
                    if index is not None and target:
                        virtfns[index] = target
        driver = _link_name_at(dfd, "driver")
        group = _link_name_at(dfd, "iommu_group")
    finally:
        os.close(dfd)
    if netdev_map is not None:
        netdevs = netdev_map.get(address, [])
    else:
        netdevs = sorted(_listdir(path + "/net") or [])
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
        numa = _int_or_none(attrs["numa_node"])
        function["numa_node"] = None if numa is None or numa < 0 else numa
    if is_pf:
        autoprobe = attrs["sriov_drivers_autoprobe"]
        function["sriov_totalvfs"] = _int_or_none(attrs["sriov_totalvfs"])
        function["sriov_numvfs"] = _int_or_none(attrs["sriov_numvfs"])
        function["sriov_drivers_autoprobe"] = None if autoprobe is None else autoprobe == "1"
    if physfn and want_vf_index:
        function["vf_index"] = _vf_index_from_pf(path + "/physfn", address)
    return function


def _vf_index_from_pf(pf_path, address):
    for index, vf_address in _virtfns(pf_path, _listdir(pf_path) or []).items():
        if vf_address == address:
            return index
    return None


def netdevs_by_function(sysfs_root="/sys"):
    """{PCI address: sorted netdev names} from the /sys/class/net links; None without class/net.

    One listdir and one readlink per netdev (the link reads .../<address>/net/<ifname>) instead
    of a listdir per PCI function.
    """
    base = sysfs_root.rstrip("/") + "/class/net"
    names = _listdir(base)
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
    names = _listdir(base)
    if names is None:
        return None
    result = {}
    for driver in names:
        for name in _listdir(base + "/" + driver) or ():
            if _rules.is_pci_address(name):
                result[name] = driver
    return result


def _brief_vf(path, address, physfn, shared, driver, netdevs):
    """A VF of a scanned PF in a brief scan: one readlink (its IOMMU group), the rest is known."""
    group = _link_name(path + "/iommu_group")
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
    names = _listdir(base)
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


def driver_of(sysfs_root, address):
    """Name of the driver bound to a function, or None: one readlink, for polling loops."""
    return _link_name(pci_function_path(sysfs_root, address) + "/driver")


def list_vfs(sysfs_root, pf_address):
    """{index: VF address} from the PF's virtfn links ({} when it has none or is gone)."""
    path = pci_function_path(sysfs_root, pf_address)
    return _virtfns(path, _listdir(path) or [])


def iommu_group_devices(sysfs_root, group):
    """Sorted PCI addresses in IOMMU group ``group`` ([] when the group does not exist)."""
    group = str(group)
    if not _rules.is_ascii_number(group):
        raise SriovError("not an IOMMU group number: %r" % (group,), field="iommu_group")
    names = _listdir(sysfs_root.rstrip("/") + "/kernel/iommu_groups/" + group + "/devices") or []
    return sorted(name for name in names if _rules.is_pci_address(name))


def iommu_group_type(sysfs_root, group):
    """The group's default domain type as the kernel shows it (DMA, DMA-FQ, identity, ...) or None."""
    return _read(sysfs_root.rstrip("/") + "/kernel/iommu_groups/" + str(group) + "/type")


def iommu_group_types(sysfs_root="/sys", groups=None):
    """{group id: type} for ``groups`` (default: all), read relative to one directory fd."""
    base = sysfs_root.rstrip("/") + "/kernel/iommu_groups"
    if groups is None:
        groups = iommu_group_ids(sysfs_root)
    try:
        dfd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return dict.fromkeys(groups)
        raise
    try:
        return dict((group, _read("%d/type" % group, dfd)) for group in groups)
    finally:
        os.close(dfd)


def iommu_group_ids(sysfs_root="/sys"):
    """Sorted ids of the IOMMU groups; [] when the kernel has none (no IOMMU active)."""
    names = _listdir(sysfs_root.rstrip("/") + "/kernel/iommu_groups") or []
    return sorted(int(n) for n in names if _rules.is_ascii_number(n))


def iommu_units(sysfs_root="/sys"):
    """IOMMU hardware units from /sys/class/iommu: [{name, kind (intel|amd|other), cap, ecap}]."""
    base = sysfs_root.rstrip("/") + "/class/iommu"
    units = []
    for name in sorted(_listdir(base) or []):
        path = base + "/" + name
        entries = set(_listdir(path) or [])
        unit = {"name": name, "kind": "other", "cap": None, "ecap": None}
        if "intel-iommu" in entries or name.startswith("dmar"):
            unit["kind"] = "intel"
            unit["cap"] = _read(path + "/intel-iommu/cap")
            unit["ecap"] = _read(path + "/intel-iommu/ecap")
        elif "amd-iommu" in entries or name.startswith("ivhd"):
            unit["kind"] = "amd"
            unit["cap"] = _read(path + "/amd-iommu/cap")
            unit["ecap"] = _read(path + "/amd-iommu/features")
        units.append(unit)
    return units


def module_name(sysfs_root, driver):
    """Kernel module behind a PCI driver (vfio-pci -> vfio_pci), or None for built-in drivers."""
    if not _rules.is_safe_name(driver):
        return None
    root = sysfs_root.rstrip("/")
    name = _link_name(root + "/bus/pci/drivers/" + driver + "/module")
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
            version = _read(root + "/module/" + name + "/version")
            if version:
                return version
    return None


def module_taint(sysfs_root, module):
    """``/sys/module/<module>/taint`` ('O' = out of tree, 'E' = unsigned ...), '' if untainted, None if absent."""
    if not _rules.is_safe_name(module):
        return None
    return _read(sysfs_root.rstrip("/") + "/module/" + module + "/taint")


def netdev_function(sysfs_root, ifname):
    """PCI address behind a netdev (via class/net/IF/device), or None."""
    if not _rules.is_safe_name(ifname):
        return None
    target = _link_name(sysfs_root.rstrip("/") + "/class/net/" + ifname + "/device")
    return target if target and _rules.is_pci_address(target) else None


def netdev_mtu(sysfs_root, ifname):
    """Current MTU of a netdev (class/net/IF/mtu), or None."""
    if not ifname or not _rules.is_safe_name(ifname):
        return None
    return _int_or_none(_read(sysfs_root.rstrip("/") + "/class/net/" + ifname + "/mtu"))


def netdev_state(sysfs_root, address, ifname):
    """{operstate, carrier, speed, mac, mtu} of a netdev below a PCI function (values None when absent)."""
    if not _rules.is_safe_name(ifname):
        return {"operstate": None, "carrier": None, "speed": None, "mac": None, "mtu": None}
    path = pci_function_path(sysfs_root, address) + "/net/" + ifname
    carrier = _read(path + "/carrier")
    speed = _int_or_none(_read(path + "/speed"))
    return {
        "operstate": _read(path + "/operstate"),
        "carrier": None if carrier is None else carrier == "1",
        "speed": speed if speed is not None and speed >= 0 else None,
        "mac": _read(path + "/address"),
        "mtu": _int_or_none(_read(path + "/mtu")),
    }


def _require_sriov_pf(sysfs_root, address, asked):
    path = pci_devices_dir(sysfs_root) + "/" + address
    entries = _listdir(path)
    if entries is None:
        raise SriovError("PF %s: no PCI function %s under %s" % (asked, address, pci_devices_dir(sysfs_root)),
                         field="pf")
    if "physfn" in entries:
        raise SriovError("PF %s: %s is a virtual function of %s, not a PF"
                         % (asked, address, _link_name(path + "/physfn")), field="pf")
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
        for address in sorted(_listdir(base) or []):
            if not _rules.is_pci_address(address):
                continue
            path = base + "/" + address
            if (_read(path + "/vendor") == vendor and _read(path + "/device") == device
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


def group_index(functions):
    """{group id: sorted addresses} from scanned functions (functions without a group left out)."""
    groups = {}
    for address, function in functions.items():
        group = function["iommu_group"]
        if group is not None:
            groups.setdefault(group, []).append(address)
    for members in groups.values():
        members.sort()
    return groups


def _harmless_neighbour(function):
    """What vfio accepts beside an assigned device: bridges, vfio/pci-stub bound or unbound functions."""
    if function["is_bridge"]:
        return "bridge"
    driver = function["driver"]
    if driver is None:
        return "no driver"
    if driver in VFIO_DRIVERS or driver.startswith("vfio"):
        return driver
    return None


def group_verdict(sysfs_root, address, group, assigned_with=()):
    """``assignment_verdict`` of ``address`` in IOMMU group ``group``, reading only that group's functions.

    -> (verdict, {address: function}) or (None, {}) when the function is gone. ``group`` is what the
    caller knows of the function's group (None: it has none).
    """
    function = read_function(sysfs_root, address)
    if function is None:
        return None, {}
    function["iommu_group"] = group
    members = iommu_group_devices(sysfs_root, group) if group is not None else []
    functions = {address: function}
    for member in members:
        if member not in functions:
            other = read_function(sysfs_root, member)
            if other is not None:
                functions[member] = other
    return assignment_verdict(functions, {group: members}, address, assigned_with=assigned_with), functions


def assignment_verdict(functions, groups, address, no_iommu_reason=None, assigned_with=()):
    """Can ``address`` be handed to a guest through vfio? -> {assignable, reason, blocked_by}.

    The one assignability rule: ``iommu_facts`` reports it per device, the ``sriov_vf`` guards
    refuse a vfio-pci binding by it, and guest attachment checks it.

    ``functions``: {address: function dict} holding at least the group's members;
    ``groups``: {group id: [addresses]}; ``no_iommu_reason``: set when the host has no active
    IOMMU (then nothing is assignable); ``assigned_with``: addresses bound to vfio together with
    this one (the same request), which count as harmless neighbours.
    The rules are vfio's group viability rules: every other function in the group must be a
    bridge, bound to vfio-pci/pci-stub (or another vfio driver), or bound to no driver.
    """
    function = functions[address]
    if no_iommu_reason:
        return {"assignable": False, "reason": "not assignable: " + no_iommu_reason, "blocked_by": []}
    group = function["iommu_group"]
    if group is None:
        return {"assignable": False, "blocked_by": [],
                "reason": "not assignable: the kernel put this function in no IOMMU group (is the IOMMU on?)"}
    if function["is_bridge"] or (function["class"] or "")[:4] == "0x06":
        return {"assignable": False, "blocked_by": [],
                "reason": "not assignable: a bridge (class %s, IOMMU group %d); bridges stay with the host"
                          % (function["class"], group)}
    others = [a for a in groups.get(group, ()) if a != address and a in functions]
    blockers = []
    harmless = []
    for other in others:
        kind = "assigned with it" if other in assigned_with else _harmless_neighbour(functions[other])
        if kind is None:
            blockers.append(other)
        else:
            harmless.append("%s (%s)" % (other, kind))
    binding = ""
    driver = function["driver"]
    if driver != _rules.VFIO_DRIVER:
        binding = "; bind it to vfio-pci before use (now %s)" % ("unbound" if driver is None else "on " + driver)
    if blockers:
        named = ", ".join("%s (%s)" % (b, functions[b]["driver"]) for b in blockers)
        return {"assignable": False, "blocked_by": blockers,
                "reason": "not assignable: IOMMU group %d is shared with %s still bound to host drivers; bind "
                          "them to vfio-pci too (or unbind them) and assign the group together" % (group, named)}
    if not harmless:
        return {"assignable": True, "blocked_by": [], "reason": "assignable: alone in IOMMU group %d%s" % (group, binding)}
    return {"assignable": True, "blocked_by": [],
            "reason": "assignable: IOMMU group %d is shared only with %s%s" % (group, ", ".join(harmless), binding)}
