# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Only the _sysfs layer opens, lists or builds paths under /sys.

A simple check of the source, not of behaviour: outside ``_sysfs.py``, ``_sysfs_io.py``,
``_sysfs_scan.py``, ``_sysfs_iommu.py`` and ``_sysfs_kmod.py`` no file under plugins/

- calls a filesystem function (open, os.listdir, os.readlink, os.path.isdir, ...) with an
  argument built from a sysfs root (a name or attribute spelled ``*sysfs*``), a ``/sys/...``
  literal or one of _sysfs's path helpers (``*_path``, ``*_dir``);
- builds a path from a sysfs root (``os.path.join(sysfs_root, ...)``, ``sysfs_root + ...``), or
  joins a sysfs top-level directory to any root (``os.path.join(root, "bus", ...)``,
  ``root + "/class/net/"``).

Messages may name sysfs paths (``"%s/class/net is not readable" % root``): only ``os.path.join``
and ``+`` count as building a path. Files still reading /sys themselves are listed in PENDING with
why; an entry fails once its file no longer does, so the list only shrinks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
LAYER = frozenset("plugins/module_utils/%s.py" % name
                  for name in ("_sysfs", "_sysfs_io", "_sysfs_scan", "_sysfs_iommu", "_sysfs_kmod"))
PENDING = {}
FS_CALLS = frozenset([
    "open", "io.open", "os.open", "os.listdir", "os.scandir", "os.readlink", "os.stat", "os.lstat", "os.access",
    "os.walk", "os.path.isdir", "os.path.isfile", "os.path.exists", "os.path.lexists", "os.path.islink",
    "os.path.realpath", "os.path.getsize", "glob.glob",
])
# The directories right below /sys that the collection reads.
SYSFS_TOPS = frozenset(["bus", "class", "module", "devices", "kernel", "firmware"])


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return base + "." + node.attr if base else None
    return None


def _is_sysfs_literal(node):
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value == "/sys" or node.value.startswith("/sys/")))


def _is_top_literal(node):
    """"/class/net/", "/bus/pci/devices", "/module/" ...: a sysfs directory appended to a root."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("/")):
        return False
    return node.value[1:].split("/", 1)[0] in SYSFS_TOPS


def _mentions_sysfs(node):
    """The expression reads a sysfs root, a /sys literal or a _sysfs path helper's result."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and "sysfs" in sub.id.lower():
            return True
        if isinstance(sub, ast.Attribute) and "sysfs" in sub.attr.lower():
            return True
        if _is_sysfs_literal(sub):
            return True
        if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                and _dotted(sub.func.value) in ("_sysfs", "self.sysfs")
                and sub.func.attr.endswith(("_path", "_dir"))):
            return True
    return False


def sysfs_access(source):
    """[(line, what)] of every raw sysfs access the rules above find in a Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            arguments = list(node.args) + [keyword.value for keyword in node.keywords]
            if name in FS_CALLS and any(_mentions_sysfs(argument) for argument in arguments):
                found.append((node.lineno, "%s() on a sysfs path" % name))
            elif name == "os.path.join" and node.args:
                if _mentions_sysfs(node.args[0]) or any(_is_sysfs_literal(a) for a in node.args):
                    found.append((node.lineno, "os.path.join() from a sysfs root"))
                elif (len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                      and node.args[1].value in SYSFS_TOPS):
                    found.append((node.lineno, "os.path.join(root, %r, ...)" % node.args[1].value))
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            if _mentions_sysfs(node.left) or _is_top_literal(node.right):
                found.append((node.lineno, "a path built with + from a sysfs root"))
    return found


def _plugin_files():
    for top, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(top, name)
                yield os.path.relpath(path, ROOT).replace(os.sep, "/"), path


def _source(path):
    with open(path) as handle:
        return handle.read()


def test_no_file_outside_the_sysfs_layer_reads_sys():
    offenders = []
    for relative, path in _plugin_files():
        if relative in LAYER or relative in PENDING:
            continue
        offenders.extend("%s:%d: %s" % (relative, line, what) for line, what in sysfs_access(_source(path)))
    assert not offenders, "raw /sys access outside the _sysfs layer:\n" + "\n".join(offenders)


@pytest.mark.parametrize("relative", sorted(PENDING))
def test_pending_files_still_read_sys(relative):
    """An entry of PENDING whose file reads /sys only through _sysfs now is stale: remove it."""
    assert sysfs_access(_source(os.path.join(ROOT, relative))), "%s no longer reads /sys itself" % relative


def test_the_layer_itself_is_seen_reading_sys():
    """The check is not blind: the layer's own files are what it would flag."""
    for relative in sorted(LAYER):
        assert sysfs_access(_source(os.path.join(ROOT, relative))), relative


@pytest.mark.parametrize("source", [
    'os.path.isdir(os.path.join(self.root, "bus", "pci", "drivers", want))',
    'open(_sysfs.pci_function_path(sysfs_root, address) + "/config", "rb")',
    'os.listdir(os.path.join(sysfs_root, "class", "net", ifname, "queues"))',
    'path = sysfs_root.rstrip("/") + "/class/net/" + ifname + "/device"',
    'base = root + "/class/net/" + ifname',
    'os.path.isdir(sysfs_root)',
    'os.path.realpath(sysfs_root) == "/sys"',
    'os.readlink("/sys/bus/pci/devices/0000:01:00.0/driver")',
    'self._write(os.path.join(self.root, "bus", "pci", "drivers_probe"), address, "probe")',
])
def test_raw_accesses_are_found(source):
    assert sysfs_access(source)


@pytest.mark.parametrize("source", [
    'os.path.join(proc_root, "cmdline")',
    '_sysfs.read_attr(os.path.join(proc_root, "sys", "kernel", "osrelease"))',
    '_sysfs.netdev_attr(root, ifname, "speed")',
    'missing.append("%s/class/net is not readable: no NICs" % root)',
    'os.path.join(self.root, CONFIG_PATH.lstrip("/"))',
    '_sysfs.write_attr(_sysfs.driver_attr_path(self.root, driver, "unbind"), address)',
])
def test_adapter_calls_and_messages_are_not(source):
    assert not sysfs_access(source)
