# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IOMMU groups and units as sysfs shows them, and the one assignability rule (vfio's group viability).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_io import SOFT_ERRNOS, list_dir, read_raw
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_scan import read_function


# Drivers that hold a device for a guest without using it on the host.
VFIO_DRIVERS = frozenset([_rules.VFIO_DRIVER, "pci-stub"])


def iommu_groups_dir(sysfs_root="/sys"):
    """``<root>/kernel/iommu_groups``: where the kernel lists its IOMMU groups (also named in messages)."""
    return sysfs_root.rstrip("/") + "/kernel/iommu_groups"


def acpi_tables_present(sysfs_root, tables):
    """Which of the ACPI tables named (DMAR, IVRS, ...) the firmware publishes under firmware/acpi/tables."""
    base = os.path.join(sysfs_root, "firmware", "acpi", "tables")
    return [table for table in tables if os.path.isfile(os.path.join(base, table))]


def iommu_group_devices(sysfs_root, group):
    """Sorted PCI addresses in IOMMU group ``group`` ([] when the group does not exist)."""
    group = str(group)
    if not _rules.is_ascii_number(group):
        raise SriovError("not an IOMMU group number: %r" % (group,), field="iommu_group")
    names = list_dir(sysfs_root.rstrip("/") + "/kernel/iommu_groups/" + group + "/devices") or []
    return sorted(name for name in names if _rules.is_pci_address(name))


def iommu_group_type(sysfs_root, group):
    """The group's default domain type as the kernel shows it (DMA, DMA-FQ, identity, ...) or None."""
    return read_raw(sysfs_root.rstrip("/") + "/kernel/iommu_groups/" + str(group) + "/type")


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
        return dict((group, read_raw("%d/type" % group, dfd)) for group in groups)
    finally:
        os.close(dfd)


def iommu_group_ids(sysfs_root="/sys"):
    """Sorted ids of the IOMMU groups; [] when the kernel has none (no IOMMU active)."""
    names = list_dir(sysfs_root.rstrip("/") + "/kernel/iommu_groups") or []
    return sorted(int(n) for n in names if _rules.is_ascii_number(n))


def iommu_units(sysfs_root="/sys"):
    """IOMMU hardware units from /sys/class/iommu: [{name, kind (intel|amd|other), cap, ecap}]."""
    base = sysfs_root.rstrip("/") + "/class/iommu"
    units = []
    for name in sorted(list_dir(base) or []):
        path = base + "/" + name
        entries = set(list_dir(path) or [])
        unit = {"name": name, "kind": "other", "cap": None, "ecap": None}
        if "intel-iommu" in entries or name.startswith("dmar"):
            unit["kind"] = "intel"
            unit["cap"] = read_raw(path + "/intel-iommu/cap")
            unit["ecap"] = read_raw(path + "/intel-iommu/ecap")
        elif "amd-iommu" in entries or name.startswith("ivhd"):
            unit["kind"] = "amd"
            unit["cap"] = read_raw(path + "/amd-iommu/cap")
            unit["ecap"] = read_raw(path + "/amd-iommu/features")
        units.append(unit)
    return units


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
