# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel modules of NIC and vfio drivers (module ``driver_module``): their modprobe.d options,
their initramfs copy and whether the loaded build is the one on disk; ``KernelModuleManager.run()``.

Its parts: ``_kmod_options`` (the options entry, the file, option words as the kernel reads them),
``_kmod_build`` (the loaded build against the disk one), ``_sysfs_kmod`` (``/sys/module``). Here:

- ``running_option_differences``: each option of the file against the running module's
  ``/sys/module/M/parameters/NAME`` (``_kmod_options.same_value``), so that a later run still sees
  the reload or reboot an earlier run asked for and that did not happen;
- ``reload_blockers``: what a ``modprobe -r`` would take away (management links, VFs held by
  guests; ``_guards``), and ``decide`` the action: nothing, reload, reboot;
- the initramfs: whether it holds the module (``lsinitramfs``/``lsinitrd``), and its regeneration.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._kmod_build import build_label, loaded_state
from ansible_collections.directiron.sriov.plugins.module_utils._kmod_options import options_path, render_options, same_value, validate_entry
from ansible_collections.directiron.sriov.plugins.module_utils._rules import is_ascii_number
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs import module_parameter
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs_kmod import function_and_vfs, kmod_bound_devices, kmod_holders, kmod_refcnt


def running_option_differences(sysfs_root, module, words):
    """(differences, unverified) of the options ``words`` (name=value) against the running module.

    differences: ``name=value (running X)`` for each parameter whose value in
    /sys/module/M/parameters differs; unverified: the names the module does not show there (a
    parameter registered with permission 0, like igb's max_vfs or vfio-pci's ids).
    """
    differences, unverified = [], []
    for word in words:
        name, value = word.split("=", 1)
        running = module_parameter(sysfs_root, module, name)
        if running is None:
            unverified.append(name)
        elif not same_value(value, running):
            differences.append("%s=%s (running %s)" % (name, value, running))
    return differences, unverified


def reload_blockers(sysfs_root, module, guards):
    """Why ``modprobe -r`` must not run now: users of the module, management links, held VFs."""
    problems = []
    holders = kmod_holders(sysfs_root, module)
    if holders:
        problems.append("module %s is used by module(s) %s" % (module, ", ".join(holders)))
    refcnt = kmod_refcnt(sysfs_root, module)
    if refcnt and is_ascii_number(refcnt) and int(refcnt) > 0 and not holders:
        problems.append("module %s is in use (reference count %s: an open device, a mounted disk)" % (module, refcnt))
    for address in kmod_bound_devices(sysfs_root, module):
        functions = function_and_vfs(sysfs_root, address)
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


# -- one kernel module converged ---------------------------------------------------------------
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
            vfs = [address for address in kmod_bound_devices(self.sysfs_root, self.module)
                   if len(function_and_vfs(self.sysfs_root, address)) > 1]
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
