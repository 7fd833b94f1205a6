# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel modules of NIC and vfio drivers: their modprobe.d options, their initramfs copy and
whether the loaded build is the one on disk (module ``driver_module``).

- ``validate_entry(entry, field)``: one ``{module, options, state}`` entry, checked before
  anything changes (module name by ``_rules.DRIVER_RE``; option names and values without blanks,
  quotes, ``#``, ``$``, ``;`` or newlines); returns the canonical module name (``-`` -> ``_``)
  and the option words. ``entries_errors`` checks a list of them (the inventory check calls it);
- ``options_path``/``render_options``: one collection-owned file per module;
- ``loaded_state``: the running module (``/sys/module/M/{initstate,srcversion,version}``) and the
  on-disk one (``modinfo -F srcversion``/``-F version``); ``stale`` when the two builds differ;
- ``running_option_differences``: each option of the file against the running module's
  ``/sys/module/M/parameters/NAME`` (``same_value`` reads words the way the kernel does: booleans
  as Y/N, integers in any base, arrays element by element), so that a later run still sees the
  reload or reboot an earlier run asked for and that did not happen;
- ``bound_devices``/``reload_blockers``: what a ``modprobe -r`` would take away (management
  links, VFs held by guests; ``_guards``), and ``decide`` the action: nothing, reload, reboot.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import gzip
import lzma
import os
import re
import struct

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._rules import (
    DRIVER_RE,
    OPTION_NAME_RE,
    OPTION_VALUE_RE,
    is_ascii_number,
    yaml_type,
)

ENTRY_KEYS = ("module", "options", "state")
STATES = ("present", "absent")
FILE_PREFIX = "directiron-sriov-"
HEADER = "# Managed by directiron.sriov (driver_options): module options for %s. Do not edit.\n"


def canonical(name):
    """The module name as the kernel spells it (modprobe treats - and _ alike)."""
    return name.replace("-", "_")


def _value_word(value, field):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if not value:
            _refuse(field, "an empty list is not a value")
        return ",".join(_value_word(item, "%s[%d]" % (field, index)) for index, item in enumerate(value))
    if isinstance(value, str) and OPTION_VALUE_RE.match(value):
        return value
    return _refuse(field, "%r is not a safe module option value (one word of letters, digits and _.:,+/@=-; "
                          "a list for comma-separated values)" % (value,))


def _at(field, key):
    return "%s.%s" % (field, key) if field else key


def _refuse(where, msg):
    raise SriovError("%s: %s" % (where, msg), field=where)


def validate_entry(entry, field=None):
    """(module, state, [name=value, ...]) of one entry, or SriovError naming the field.

    field: the entry's place (``sriov_driver_options[1]``); None for the module's own options.
    """
    if not isinstance(entry, dict):
        _refuse(field, "must be a mapping {module, options, state}, got %r" % (entry,))
    unknown = sorted(set(entry) - set(ENTRY_KEYS), key=str)
    if unknown:
        _refuse(_at(field, unknown[0]), "unknown key (known: %s)" % ", ".join(ENTRY_KEYS))
    module = entry.get("module")
    if not isinstance(module, str) or not DRIVER_RE.match(module):
        _refuse(_at(field, "module"), "%r is not a kernel module name (letters, digits, _ and -)" % (module,))
    state = entry.get("state") or "present"
    if state not in STATES:
        _refuse(_at(field, "state"), "must be present or absent, got %r" % (state,))
    options = entry.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        _refuse(_at(field, "options"), "must be a mapping {name: value}, got %r" % (options,))
    if state == "present" and not options:
        _refuse(_at(field, "options"), "a present entry needs at least one option (state: absent removes the file)")
    words = []
    for name in sorted(options, key=str):
        where = _at(field, "options.%s" % name)
        if not isinstance(name, str) or not OPTION_NAME_RE.match(name):
            _refuse(where, "%r is not a module parameter name" % (name,))
        if options[name] is None:
            _refuse(where, "no value")
        words.append("%s=%s" % (name, _value_word(options[name], where)))
    return canonical(module), state, words


def entries_errors(entries, name="sriov_driver_options"):
    """[(field, message)] of a list of entries: each entry's rules, and each module once."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [(name, "must be a list of {module, options, state}, got %s" % yaml_type(entries))]
    errors, seen = [], {}
    for index, entry in enumerate(entries):
        field = "%s[%d]" % (name, index)
        try:
            module = validate_entry(entry, field)[0]
        except SriovError as err:
            errors.append((err.field, err.msg[len(err.field) + 2:]))
            continue
        if module in seen:
            errors.append((field + ".module", "%s already has options at %s[%d]" % (module, name, seen[module])))
        seen.setdefault(module, index)
    return errors


def options_path(modprobe_dir, module):
    return os.path.join(modprobe_dir, "%s%s.conf" % (FILE_PREFIX, module))


def render_options(module, words):
    return HEADER % module + "options %s %s\n" % (module, " ".join(words))


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return None


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


def _loaded_build_id(base):
    try:
        with open(os.path.join(base, "notes", ".note.gnu.build-id"), "rb") as handle:
            return note_build_id(handle.read())
    except (IOError, OSError):
        return None


def loaded_state(runner, module, sysfs_root="/sys"):
    """{loaded, builtin, loaded_/disk_ build_id, srcversion, version; stale}.

    The loaded module's GNU build-id is /sys/module/M/notes/.note.gnu.build-id, the disk one is
    read from the file ``modinfo -n`` names: in-tree drivers on distribution kernels have no
    srcversion or version, but every build has its own build-id.
    """
    base = os.path.join(sysfs_root, "module", module)
    initstate = _read(os.path.join(base, "initstate"))
    path = _modinfo(runner, module, "filename")
    state = {
        "loaded": initstate == "live",
        "builtin": os.path.isdir(base) and initstate is None,
        "file": path,
        "loaded_build_id": _loaded_build_id(base),
        "disk_build_id": elf_build_id(path) if path and path.startswith("/") else None,
        "loaded_srcversion": _read(os.path.join(base, "srcversion")),
        "loaded_version": _read(os.path.join(base, "version")),
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


def _kernel_int(word):
    """The integer kstrtoint(word, 0) reads (0x hex, 0 octal, else decimal), or None."""
    match = re.match(r"^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z", word)
    if not match:
        return None
    digits = match.group(2)
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8) if digits[:1] == "0" else int(digits)
    return -value if match.group(1) == "-" else value


def _kernel_bool(word):
    """The boolean kstrtobool reads (y/t/1/on, n/f/0/off), or None."""
    lowered = word.lower()
    if lowered[:1] in ("y", "t", "1") or lowered == "on":
        return True
    if lowered[:1] in ("n", "f", "0") or lowered == "off":
        return False
    return None


def same_value(wanted, running):
    """Whether a parameter's sysfs value (``running``) is the option word ``wanted``.

    sysfs prints booleans as Y or N, integers in decimal (hexint as 0x...) and arrays joined by
    commas; a string parameter (charp) prints the word itself.
    """
    if wanted == running:
        return True
    wanted_items, running_items = wanted.split(","), running.split(",")
    if len(wanted_items) != len(running_items):
        return False
    for want, have in zip(wanted_items, running_items):
        if want == have:
            continue
        want_int, have_int = _kernel_int(want), _kernel_int(have)
        if want_int is not None and have_int is not None:
            if want_int != have_int:
                return False
        elif have in ("Y", "N"):
            if _kernel_bool(want) != (have == "Y"):
                return False
        else:
            return False
    return True


def running_option_differences(sysfs_root, module, words):
    """(differences, unverified) of the options ``words`` (name=value) against the running module.

    differences: ``name=value (running X)`` for each parameter whose value in
    /sys/module/M/parameters differs; unverified: the names the module does not show there (a
    parameter registered with permission 0, like igb's max_vfs or vfio-pci's ids).
    """
    differences, unverified = [], []
    base = os.path.join(sysfs_root, "module", module, "parameters")
    for word in words:
        name, value = word.split("=", 1)
        running = _read(os.path.join(base, name))
        if running is None:
            unverified.append(name)
        elif not same_value(value, running):
            differences.append("%s=%s (running %s)" % (name, value, running))
    return differences, unverified


def bound_devices(sysfs_root, module):
    """PCI addresses bound to the PCI drivers of a loaded module (/sys/module/M/drivers/pci:*)."""
    drivers_dir = os.path.join(sysfs_root, "module", module, "drivers")
    try:
        drivers = sorted(os.listdir(drivers_dir))
    except OSError:
        return []
    devices = []
    for driver in drivers:
        if not driver.startswith("pci:"):
            continue
        path = os.path.join(sysfs_root, "bus", "pci", "drivers", driver[len("pci:"):])
        try:
            names = sorted(os.listdir(path))
        except OSError:
            continue
        devices.extend(name for name in names if re.match(r"^[0-9a-f]{4}:", name))
    return devices


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _functions(sysfs_root, address):
    """The device and its VFs: [(address, iommu_group or None, [netdev, ...])]."""
    device_dir = os.path.join(sysfs_root, "bus", "pci", "devices", address)
    result = []
    addresses = [address] + [os.path.basename(os.path.realpath(os.path.join(device_dir, link)))
                             for link in _listdir(device_dir) if link.startswith("virtfn")]
    for function in addresses:
        fdir = os.path.join(sysfs_root, "bus", "pci", "devices", function)
        group = os.path.realpath(os.path.join(fdir, "iommu_group"))
        group = os.path.basename(group) if os.path.exists(os.path.join(fdir, "iommu_group")) else None
        result.append((function, group, _listdir(os.path.join(fdir, "net"))))
    return result


def reload_blockers(sysfs_root, module, guards):
    """Why ``modprobe -r`` must not run now: users of the module, management links, held VFs."""
    problems = []
    holders = _listdir(os.path.join(sysfs_root, "module", module, "holders"))
    if holders:
        problems.append("module %s is used by module(s) %s" % (module, ", ".join(holders)))
    refcnt = _read(os.path.join(sysfs_root, "module", module, "refcnt"))
    if refcnt and is_ascii_number(refcnt) and int(refcnt) > 0 and not holders:
        problems.append("module %s is in use (reference count %s: an open device, a mounted disk)" % (module, refcnt))
    for address in bound_devices(sysfs_root, module):
        functions = _functions(sysfs_root, address)
        netdevs = [netdev for _f, _g, names in functions for netdev in names]
        problems.extend(guards.management_problems(netdevs))
        problems.extend(guards.in_use_problems([{"address": function, "iommu_group": group}
                                                for function, group, _n in functions]))
    return problems


def decide(stale, options_pending, reload_ok, blockers):
    """'none', 'reload' or 'reboot' for a module whose build or options are not the running ones.

    stale: the loaded build is not the one on disk; options_pending: the options file changed
    while the module is loaded; reload_ok: the caller allows a reload; blockers: reload_blockers.
    """
    if not (stale or options_pending):
        return "none"
    if reload_ok and not blockers:
        return "reload"
    return "reboot"


# -- the module's work ---------------------------------------------------------------------------
INITRAMFS_TOOLS = (
    # (lister, image pattern, regenerate argv): Debian's initramfs-tools, then dracut
    ("lsinitramfs", "/boot/initrd.img-%s", ["update-initramfs", "-u", "-k", "all"]),
    ("lsinitrd", "/boot/initramfs-%s.img", ["dracut", "-f", "--regenerate-all"]),
)


def module_file_re(module):
    """Matches the module's file in a listing (file names use - or _ where the name has _)."""
    pattern = "".join("[-_]" if char in "-_" else re.escape(char) for char in module)
    return re.compile(r"(^|/)%s\.ko(\.(xz|zst|gz))?$" % pattern, re.MULTILINE)


class KernelModuleManager(object):
    """Options file, initramfs and loaded build of one kernel module; ``run()`` returns the result.

    which(name) -> path or None; runner(argv) -> (rc, out, err); write_file(path, text).
    """

    def __init__(self, entry, runner, which, write_file, guards, reload_ok=False, manage_file=True,
                 initramfs=True, modprobe_dir="/etc/modprobe.d", sysfs_root="/sys", kernel=None,
                 check_mode=False):
        if manage_file:
            self.module, self.state, self.words = validate_entry(entry)
        else:  # only the loaded build is looked at: the name is all that matters
            self.module, self.state, self.words = validate_entry({"module": entry.get("module"), "state": "absent"})
        self.runner, self.which, self.write_file, self.guards = runner, which, write_file, guards
        self.reload_ok, self.manage_file, self.initramfs = reload_ok, manage_file, initramfs
        self.modprobe_dir, self.sysfs_root = modprobe_dir, sysfs_root
        self.kernel = kernel or os.uname()[2]
        self.check_mode = check_mode
        self.actions = []
        self.warnings = []

    def _run(self, argv):
        rc, out, err = self.runner(argv)
        if rc != 0:
            raise SriovError("driver_module: %s failed (rc %s): %s" % (" ".join(argv), rc, (err or out).strip()),
                             details={"actions": list(self.actions)})
        return out

    def in_initramfs(self):
        """(True/False/None, regenerate argv): whether the running kernel's initramfs holds the module."""
        for lister, image, regenerate in INITRAMFS_TOOLS:
            path = self.which(lister)
            if not path:
                continue
            if not os.path.exists(image % self.kernel):
                return False, regenerate
            out = self._run([path, image % self.kernel])
            return module_file_re(self.module).search(out) is not None, regenerate
        return None, None

    def _file(self):
        path = options_path(self.modprobe_dir, self.module)
        try:
            with open(path) as handle:
                before = handle.read()
        except (IOError, OSError):
            before = None
        after = render_options(self.module, self.words) if self.state == "present" else None
        return path, before, after

    def run(self):
        result = {"module": self.module, "changed": False, "file_changed": False, "in_initramfs": None,
                  "initramfs_updated": False, "action": "none", "reloaded": False, "reboot_required": False,
                  "blockers": [], "pending_options": [], "unverified_options": []}
        if self.manage_file:
            path, before, after = self._file()
            result.update(path=path, file_changed=before != after,
                          diff={"before": before or "", "after": after or "",
                                "before_header": path, "after_header": path})
            if before != after:
                result["changed"] = True
                if self.initramfs:
                    result["in_initramfs"], regenerate = self.in_initramfs()
                if not self.check_mode:
                    if after is None:
                        os.unlink(path)
                        self.actions.append("removed %s" % path)
                    else:
                        self.write_file(path, after)
                        self.actions.append("wrote %s" % path)
                if result["in_initramfs"]:
                    if not self.check_mode:
                        self._run(regenerate)
                    self.actions.append("regenerated the initramfs (%s)" % " ".join(regenerate))
                    result["initramfs_updated"] = True
        state = loaded_state(self.runner, self.module, self.sysfs_root)
        if state["loaded"] and self.state == "present":
            # a file written by an earlier run whose reload or reboot has not happened yet
            result["pending_options"], result["unverified_options"] = running_option_differences(
                self.sysfs_root, self.module, self.words)
        options_pending = state["loaded"] and (result["file_changed"] or bool(result["pending_options"]))
        blockers = reload_blockers(self.sysfs_root, self.module, self.guards) \
            if (state["stale"] or options_pending) and self.reload_ok else []
        action = decide(state["stale"], options_pending, self.reload_ok, blockers)
        result.update(action=action, blockers=blockers, before=state, after=state,
                      loaded_build=build_label(state, "loaded"), disk_build=build_label(state, "disk"))
        if action == "reload":
            result["changed"] = True
            vfs = [address for address in bound_devices(self.sysfs_root, self.module)
                   if len(_functions(self.sysfs_root, address)) > 1]
            if vfs:
                self.warnings.append("reloading %s removes the VFs of %s; the sriov_vfs role (or the boot replay) "
                                     "creates them again" % (self.module, ", ".join(vfs)))
            self.actions.append("reloaded module %s" % self.module)
            if not self.check_mode:
                self._run(["modprobe", "-r", self.module])
                self._run(["modprobe", self.module])
                after = loaded_state(self.runner, self.module, self.sysfs_root)
                result["after"] = after
                if after["stale"] or not after["loaded"]:
                    raise SriovError(
                        "driver_module: module %s was reloaded but %s (loaded build %s, on disk %s)"
                        % (self.module, "is still not the build on disk" if after["loaded"] else "did not load again",
                           build_label(after, "loaded"), build_label(after, "disk")),
                        details={"actions": list(self.actions)})
                if self.state == "present" and self.words:
                    result["pending_options"], result["unverified_options"] = running_option_differences(
                        self.sysfs_root, self.module, self.words)
                    if result["pending_options"]:
                        self.warnings.append("module %s was reloaded but still runs other values: %s (another "
                                             "modprobe.d file or the kernel command line may set them)"
                                             % (self.module, ", ".join(result["pending_options"])))
            result["reloaded"] = True
        elif action == "reboot":
            result["reboot_required"] = True
        result["actions"] = self.actions
        result["warnings"] = self.warnings
        return result
