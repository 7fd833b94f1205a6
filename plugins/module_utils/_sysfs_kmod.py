# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel modules as sysfs shows them: ``/sys/module/M`` and the PCI functions their drivers hold.

Part of the sysfs layer (root-parametrised, built on ``_sysfs_io``; an absent or unreadable
attribute reads as None), imported by the ``_kmod`` files only (``_sysfs`` does not re-export it, so
the boot-time replay does not embed it): what ``_kmod`` needs to know about a loaded kernel module, its state,
build-id note, holders, reference count (its parameters: ``_sysfs.module_parameter``), and the functions (with their VFs, IOMMU
groups and netdevs) bound to its PCI drivers.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_io import (
    link_name, list_dir, pci_devices_dir, read_bytes, read_raw)


def kmod_dir(sysfs_root, kmod):
    """``<root>/module/<kmod>``."""
    return sysfs_root.rstrip("/") + "/module/" + kmod


def _sorted_names(path):
    return sorted(list_dir(path) or [])


def kmod_live_state(sysfs_root, kmod):
    """{present, initstate, build_id_note, srcversion, version} of a kernel module in /sys/module.

    present: the directory exists (a built-in module has one without ``initstate``);
    build_id_note: the bytes of ``notes/.note.gnu.build-id``; the others the attributes' text.
    """
    base = kmod_dir(sysfs_root, kmod)
    return {
        "present": list_dir(base) is not None,
        "initstate": read_raw(base + "/initstate"),
        "build_id_note": read_bytes(base + "/notes/.note.gnu.build-id"),
        "srcversion": read_raw(base + "/srcversion"),
        "version": read_raw(base + "/version"),
    }


def kmod_holders(sysfs_root, kmod):
    """The modules that use this one (``holders/``), sorted."""
    return _sorted_names(kmod_dir(sysfs_root, kmod) + "/holders")


def kmod_refcnt(sysfs_root, kmod):
    """The module's reference count as text (``refcnt``), or None."""
    return read_raw(kmod_dir(sysfs_root, kmod) + "/refcnt")


def kmod_bound_devices(sysfs_root, kmod):
    """PCI addresses bound to the PCI drivers of a loaded module (/sys/module/M/drivers/pci:*)."""
    root = sysfs_root.rstrip("/")
    devices = []
    for driver in _sorted_names(kmod_dir(sysfs_root, kmod) + "/drivers"):
        if not driver.startswith("pci:"):
            continue
        names = list_dir(root + "/bus/pci/drivers/" + driver[len("pci:"):])
        if names is None:
            continue
        devices.extend(name for name in sorted(names) if re.match(r"^[0-9a-f]{4}:", name))
    return devices


def function_and_vfs(sysfs_root, address):
    """The device and its VFs: [(address, iommu_group or None, [netdev, ...])]."""
    devices = pci_devices_dir(sysfs_root)
    device_dir = devices + "/" + address
    addresses = [address] + [link_name(device_dir + "/" + link)
                             for link in _sorted_names(device_dir) if link.startswith("virtfn")]
    result = []
    for function in addresses:
        if not function:
            continue
        fdir = devices + "/" + function
        result.append((function, link_name(fdir + "/iommu_group"), _sorted_names(fdir + "/net")))
    return result
