# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The primitives of every sysfs access: reads, writes, listings, links, the PCI paths.

Root-parametrised callers build on these (``_sysfs``, ``_sysfs_scan``, ``_sysfs_iommu``); nothing
else opens a file under /sys. Reads go through os.open/os.read (no file objects) and an absent or
unreadable attribute reads as None (``SOFT_ERRNOS``), so a vanished device costs no exception.
Pure standard library: the boot-time replay imports it without Ansible.
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


def read_raw(path, dir_fd=None):
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


def read_bytes(path):
    """The bytes of a binary attribute (an ELF note), or None when missing or unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise
    finally:
        os.close(fd)


def read_attr(path, default=None):
    """Stripped content of a sysfs (or procfs) attribute, or ``default`` when missing/unreadable."""
    value = read_raw(path)
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


def list_dir(path):
    """os.listdir, or None when the directory is missing or unreadable."""
    try:
        return os.listdir(path)
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


def link_name(path):
    """Last component of a symlink's target, or None."""
    try:
        return os.readlink(path).rpartition("/")[2]
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


def link_name_at(dfd, name):
    try:
        return os.readlink(name, dir_fd=dfd).rpartition("/")[2]
    except OSError as exc:
        if exc.errno in SOFT_ERRNOS:
            return None
        raise


def int_or_none(value):
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


def virtfn_links(path, entries):
    vfs = {}
    for name in entries:
        if name.startswith("virtfn"):
            index = int_or_none(name[6:])
            target = link_name(path + "/" + name)
            if index is not None and target:
                vfs[index] = target
    return vfs
