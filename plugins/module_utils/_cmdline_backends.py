# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootloader back-ends that store the kernel command line, and the manager that edits it.

``KernelCmdline`` reads the stored line once, computes the change with the token algebra of
``_cmdline``, checks it (length, writable files) and writes outside check mode:

* grub (``_cmdline_grub``): ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg``; the
  evaluation of ``_cmdline_shell`` plans the edit, the shell judges it (``_cmdline_sourced``: the candidate
  files sourced as grub-mkconfig does, before the write, and the real ones after it, restored
  on a mismatch), then update-grub or grub2-mkconfig runs;
* grubby (boot loader spec entries) and rpm-ostree (``_cmdline_commands``): through their
  commands (``_cmdline_grubby`` parses what they print); every grubby entry is read back with
  ``grubby --info=ALL`` and judged (each wanted argument once, nothing removed left); on a
  mismatch every entry gets its old arguments back;
* kernel-install (``_cmdline_kernel_install``): ``/etc/kernel/cmdline``, judged as kernel-install reads it
  (``kernel_install_options``): a file it splits otherwise than this module is refused, the
  new bytes are judged before the write, the written file read back and put back on a
  mismatch; then ``kernel-install add``.

Files (``_cmdline_files``) are written after a check that every file to change can be written;
when a later file fails, the earlier ones are put back. Commands go through
``runner(argv) -> (rc, stdout, stderr)``; nothing is built from a string. Each back-end is a
mix-in of ``KernelCmdline`` in its own file; here are detection, the shared helpers and ``run``.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import join_cmdline, satisfied, split_cmdline, validate_request
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_commands import GrubbyBackend, RpmOstreeBackend
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import (
    GRUB_DEFAULT_FILE, display_text, probe_writable, replace_file, resolve_under_root, under_root, write_error)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grub import GrubBackend
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_kernel_install import KERNEL_CMDLINE_FILE, KernelInstallBackend
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

BACKENDS = ("grub", "grubby", "kernel-install", "rpm-ostree")


class KernelCmdline(GrubBackend, KernelInstallBackend, GrubbyBackend, RpmOstreeBackend):
    """Read the stored command line once, compute the change, write it outside check mode.

    root: files are edited below it; with a root other than "/" no command is run
    (live=True/False overrides that, for tests).
    proc_root: where the running kernel's cmdline is read (None: not compared).
    which: callable(name) -> path or None (shutil.which in real use).
    write_file: callable(path, data_bytes), atomic (replace_file by default).
    probe_write: callable(path) raising OSError when path cannot be replaced (probe_writable).
    """

    def __init__(self, runner, ensure=None, remove=None, backend="auto",
                 grub_variable="GRUB_CMDLINE_LINUX", root="/", proc_root="/proc",
                 update_bootloader=True, check_mode=False, which=None, write_file=None,
                 kernel_release=None, live=None, probe_write=None):
        self.runner = runner
        self.ensure_raw = list(ensure or [])
        self.remove_raw = list(remove or [])
        self.backend = backend or "auto"
        self.grub_variable = grub_variable
        self.root = root or "/"
        self.proc_root = proc_root
        self.update_bootloader = update_bootloader
        self.check_mode = check_mode
        self.which = which or shutil.which
        self.write_file = write_file or replace_file
        self.probe_write = probe_write or probe_writable
        self.kernel_release = kernel_release or os.uname()[2]
        self.actions = []
        self.warnings = []
        # live: commands may run and act on the running system (root is "/").
        self._live = live

    # ---- helpers
    @property
    def live(self):
        if self._live is not None:
            return self._live
        return os.path.realpath(self.root) == "/"

    def _path(self, relative):
        return under_root(self.root, relative)

    def _isfile(self, relative):
        """relative is a file below root, its symlinks followed inside root (a loop counts:
        reading it then says what is wrong)."""
        try:
            return os.path.isfile(self._path(resolve_under_root(self.root, relative)))
        except SriovError:
            return True

    def _run(self, argv, what):
        rc, out, err = self.runner(argv)
        if rc != 0:
            raise SriovError(
                "%s failed (rc=%s): %s" % (what, rc, (err or out or "").strip()),
                details={"argv": argv, "rc": rc, "stdout": out, "stderr": err})
        return out

    def detect_backend(self):
        if self.backend != "auto":
            if self.backend not in BACKENDS:
                raise SriovError("unknown backend %r" % self.backend, field="backend")
            return self.backend
        if self.live and os.path.exists(self._path("run/ostree-booted")) and self.which("rpm-ostree"):
            return "rpm-ostree"
        if self.live and self.which("grubby"):
            return "grubby"
        has_grub_defaults = self._isfile(GRUB_DEFAULT_FILE)
        grub_cfg = any(self._isfile(p) for p in ("boot/grub/grub.cfg", "boot/grub2/grub.cfg"))
        if has_grub_defaults and grub_cfg:
            return "grub"
        if self._isfile(KERNEL_CMDLINE_FILE):
            return "kernel-install"
        if has_grub_defaults:
            return "grub"
        raise SriovError(
            "no bootloader back-end found below %s (no /etc/default/grub, /etc/kernel/cmdline, "
            "grubby or rpm-ostree); set backend" % self.root, field="backend")

    def running_tokens(self):
        if not self.proc_root:
            return None
        path = os.path.join(self.proc_root, "cmdline")
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8", "surrogateescape")
        except (IOError, OSError):
            return None
        return split_cmdline(text.replace("\0", " ").strip())

    def _write_all(self, changes):
        """Write [(ConfigFile, bytes)]: all checked first; on a failure the written are put back."""
        for config, _data in changes:
            try:
                self.probe_write(config.path)
            except (IOError, OSError) as exc:
                raise write_error(config.label, exc)
        if self.check_mode:
            return
        written = []
        for config, data in changes:
            try:
                self.write_file(config.path, data)
            except (IOError, OSError) as exc:
                restored = []
                for done in written:
                    try:
                        self.write_file(done.path, done.raw)
                        restored.append(done.label)
                    except (IOError, OSError):
                        pass
                raise write_error(config.label, exc, restored)
            written.append(config)

    # ---- entry point
    def run(self):
        ensure, remove = validate_request(self.ensure_raw, self.remove_raw)
        backend = self.detect_backend()
        if backend in ("grubby", "rpm-ostree") and not self.live:
            raise SriovError(
                "backend %s edits the running system through its command; it cannot prepare "
                "root %s" % (backend, self.root), field="root")
        handler = getattr(self, "_apply_" + backend.replace("-", "_"))
        before, after, diff, changed = handler(ensure, remove)
        running = self.running_tokens()
        reboot_required = False
        if running is not None:
            reboot_required = not satisfied(running, ensure, remove)
        return {
            "changed": changed,
            "backend": backend,
            "args_before": display_text(join_cmdline(before)),
            "args_after": display_text(join_cmdline(after)),
            "running_args": display_text(join_cmdline(running)) if running is not None else None,
            "reboot_required": reboot_required,
            "diff": diff,
            "actions": self.actions,
            "warnings": self.warnings,
        }

    def _may_regenerate(self, what):
        """True when the boot configuration is to be regenerated now (else say why not)."""
        if not self.update_bootloader:
            return False
        if not self.live:
            self.actions.append("%s not regenerated: root is %s" % (what, self.root))
            return False
        return True
