# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which build of a kernel module runs, and whether it is the one on disk.

``loaded_state``: the running module (``/sys/module/M/{initstate,notes,srcversion,version}``
through ``_sysfs_kmod``) and the on-disk one (``modinfo -n`` and the GNU build-id of that ELF
file, ``modinfo -F srcversion``/``-F version``); ``stale`` when the two builds differ.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import gzip
import lzma
import struct

from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_kmod import kmod_live_state


def _modinfo(runner, module, field):
    try:
        rc, out, _err = runner(["modinfo", "-F", field, module])
    except OSError:
        return None
    value = out.strip() if rc == 0 else ""
    return value or None


NT_GNU_BUILD_ID = 3


def note_build_id(data):
    """Hex GNU build-id from the bytes of an ELF note section (little-endian, 4-byte aligned), or None."""
    offset = 0
    while offset + 12 <= len(data):
        namesz, descsz, kind = struct.unpack_from("<III", data, offset)
        name_end = offset + 12 + ((namesz + 3) & ~3)
        desc = data[name_end:name_end + descsz]
        if kind == NT_GNU_BUILD_ID and data[offset + 12:offset + 12 + namesz].rstrip(b"\0") == b"GNU":
            return binascii.hexlify(desc).decode("ascii") or None
        offset = name_end + ((descsz + 3) & ~3)
    return None


def _open_module(path):
    if path.endswith(".xz"):
        return lzma.open(path)
    if path.endswith(".gz"):
        return gzip.open(path)
    return open(path, "rb")


def elf_build_id(path):
    """GNU build-id of an ELF64 little-endian module file (.ko, .ko.xz, .ko.gz), or None."""
    try:
        with _open_module(path) as handle:
            data = handle.read()
    except (IOError, OSError, EOFError, lzma.LZMAError):
        return None
    if data[:6] != b"\x7fELF\x02\x01":
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + index * shentsize) for index in range(shnum)]
    if shstrndx >= len(sections):
        return None
    names = sections[shstrndx][4]
    for name, _kind, _flags, _addr, offset, size in sections:
        end = data.find(b"\0", names + name)
        if data[names + name:end] == b".note.gnu.build-id":
            return note_build_id(data[offset:offset + size])
    return None


def loaded_state(runner, module, sysfs_root="/sys"):
    """{loaded, builtin, loaded_/disk_ build_id, srcversion, version; stale}.

    The loaded module's GNU build-id is /sys/module/M/notes/.note.gnu.build-id, the disk one is
    read from the file ``modinfo -n`` names: in-tree drivers on distribution kernels have no
    srcversion or version, but every build has its own build-id.
    """
    live = kmod_live_state(sysfs_root, module)
    path = _modinfo(runner, module, "filename")
    state = {
        "loaded": live["initstate"] == "live",
        "builtin": live["present"] and live["initstate"] is None,
        "file": path,
        "loaded_build_id": note_build_id(live["build_id_note"]) if live["build_id_note"] is not None else None,
        "disk_build_id": elf_build_id(path) if path and path.startswith("/") else None,
        "loaded_srcversion": live["srcversion"],
        "loaded_version": live["version"],
        "disk_srcversion": _modinfo(runner, module, "srcversion"),
        "disk_version": _modinfo(runner, module, "version"),
    }
    state["stale"] = is_stale(state)
    return state


def is_stale(state):
    """True when a loaded module is not the build on disk (build-id, else srcversion, else version)."""
    if not state["loaded"]:
        return False
    for key in ("build_id", "srcversion", "version"):
        loaded, disk = state["loaded_" + key], state["disk_" + key]
        if loaded and disk:
            return loaded != disk
    return False


def build_label(state, side):
    """The identity compared for one side ('loaded' or 'disk'): build-id, srcversion or version."""
    for key in ("build_id", "srcversion", "version"):
        if state.get("loaded_" + key) and state.get("disk_" + key):
            return "%s %s" % (key.replace("_", "-"), state[side + "_" + key])
    return "unknown"
