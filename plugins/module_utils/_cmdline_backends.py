# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootloader back-ends that store the kernel command line, and the manager that edits it.

``KernelCmdline`` reads the stored line once, computes the change with the token algebra of
``_cmdline``, checks it (length, writable files) and writes outside check mode:

* grub (``_cmdline_grub``): ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg``; the lexer
  of ``_cmdline_shell`` plans the edit, the shell judges it (``_cmdline_sourced``: the candidate
  files sourced as grub-mkconfig does, before the write, and the real ones after it, restored
  on a mismatch), then update-grub or grub2-mkconfig runs;
* grubby (boot loader spec entries) and rpm-ostree: through their commands
  (``_cmdline_grubby`` parses what they print); every grubby entry is read back with
  ``grubby --info=ALL`` and judged (each wanted argument once, nothing removed left); on a
  mismatch every entry gets its old arguments back;
* kernel-install: ``/etc/kernel/cmdline``, judged as kernel-install reads it
  (``kernel_install_options``): a file it splits otherwise than this module is refused, the
  new bytes are judged before the write, the written file read back and put back on a
  mismatch; then ``kernel-install add``.

Files (``_cmdline_files``) are written after a check that every file to change can be written;
when a later file fails, the earlier ones are put back. Commands go through ``runner(argv) -> (rc, stdout, stderr)``; nothing is built from a
string.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import (
    check_length, edit_tokens, join_cmdline, parse_token, satisfied, split_cmdline, validate_request)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import (
    ConfigFile, GRUB_DEFAULT_FILE, display_text, line_diff, probe_writable, replace_file, resolve_under_root,
    text_diff, under_root, write_error)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grub import GrubBackend
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grubby import (
    kernel_install_options, parse_grubby_info, parse_ostree_kargs)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import problems
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

BACKENDS = ("grub", "grubby", "kernel-install", "rpm-ostree")
KERNEL_CMDLINE_FILE = "etc/kernel/cmdline"


class KernelCmdline(GrubBackend):
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

    # ---- kernel-install (/etc/kernel/cmdline)
    def _kernel_install_base(self):
        """The arguments kernel-install starts from, and the file it reads them from (or None)."""
        for relative in (KERNEL_CMDLINE_FILE, "usr/lib/kernel/cmdline"):
            config = ConfigFile(self.root, relative).load(missing_ok=True)
            if config.exists:
                return split_cmdline(config.text.strip()), config
        running = self.running_tokens() if self.live else None
        if running is None:
            return [], None
        # kernel-install starts from /proc/cmdline when no file exists; these are per boot.
        return [t for t in running if parse_token(t)[0] not in ("BOOT_IMAGE", "initrd")], None

    def _kernel_install_refuse(self, config, what):
        raise SriovError("%s: %s; nothing was changed" % (config.label, what), field="backend",
                         details={"file": config.display})

    def _apply_kernel_install(self, ensure, remove):
        config = ConfigFile(self.root, KERNEL_CMDLINE_FILE).load(missing_ok=True)
        before, source = self._kernel_install_base()
        # The reader decides: kernel-install's view of the file the plan starts from must be the
        # arguments the plan reads there.
        if source is not None and kernel_install_options(source.raw) != before:
            self._kernel_install_refuse(source, "kernel-install reads the arguments %r where this module reads %r "
                                        "(whitespace or bytes the two split differently), so it is not edited" % (
                                            display_text(join_cmdline(kernel_install_options(source.raw))),
                                            display_text(join_cmdline(before))))
        after = edit_tokens(before, ensure, remove)
        new_text = config.text
        if after != before:
            check_length(after, config.label)
            newline = "\r\n" if config.crlf else "\n"
            new_text = join_cmdline(after) + newline
            data = config.encode(new_text)
            # What kernel-install will take from the new file must be what was asked for.
            wrong = problems(kernel_install_options(data), ensure, remove)
            if kernel_install_options(data) != after or wrong:
                self._kernel_install_refuse(config, "the edit would give kernel-install the arguments %r (%s), not %r, "
                                            "so it is not made" % (
                                                display_text(join_cmdline(kernel_install_options(data))),
                                                "; ".join(wrong) or "another line", display_text(join_cmdline(after))))
            self.actions.append("write %s" % config.label)
            self.warnings.extend(config.notes())
            if not os.path.isdir(os.path.dirname(config.path)) and not self.check_mode:
                os.makedirs(os.path.dirname(config.path))
            if config.exists or not self.check_mode:
                self._write_all([(config, data)])
            if not self.check_mode:
                self._kernel_install_check_written(config, after)
            try:
                self._kernel_install_regenerate()
            except SriovError as exc:
                if self.check_mode:
                    raise
                if config.exists:
                    raise self._regenerate_failed(exc, [(config, data)])
                try:
                    os.unlink(config.path)
                except OSError:
                    raise SriovError("%s; %s was NOT removed" % (exc.msg, config.label), field=exc.field, details=exc.details)
                raise SriovError("%s; %s removed again (there was none): the next run writes it and runs kernel-install again"
                                 % (exc.msg, config.label), field=exc.field, details=exc.details)
        return before, after, text_diff(config.label, config.text, new_text), config.text != new_text

    def _kernel_install_check_written(self, config, after):
        """Read the written file as kernel-install will; on a mismatch put the old one back and fail."""
        try:
            seen = kernel_install_options(ConfigFile(self.root, KERNEL_CMDLINE_FILE).load().raw)
            problem = None if seen == after else "gives kernel-install the arguments %r, not %r" % (
                display_text(join_cmdline(seen)), display_text(join_cmdline(after)))
        except SriovError as exc:
            problem = "cannot be read back (%s)" % exc
        if problem is None:
            return
        try:
            if config.exists:
                self.write_file(config.path, config.raw)
            else:
                os.unlink(config.path)
            undone = "it was put back as it was" if config.exists else "it was removed (there was none)"
            restored = [config.label]
        except (IOError, OSError) as exc:
            undone = "it could NOT be put back (%s)" % (exc.strerror or exc)
            restored = []
        raise SriovError("%s as written %s; %s; kernel-install was not run" % (config.label, problem, undone),
                         field="backend", details={"restored": restored, "not_restored": [] if restored else [config.label]})

    def _kernel_install_regenerate(self):
        if not self._may_regenerate("boot entries"):
            return
        release = self.kernel_release
        image = None
        for base in ("/usr/lib/modules", "/lib/modules"):
            candidate = os.path.join(base, release, "vmlinuz")
            if os.path.isfile(candidate):
                image = candidate
                break
        if image is None:
            image = "/boot/vmlinuz-%s" % release
        if not self.which("kernel-install"):
            raise SriovError("kernel-install not found; set update_bootloader=false to only "
                             "edit /etc/kernel/cmdline", field="update_bootloader")
        argv = ["kernel-install", "add", release, image]
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, "kernel-install")

    # ---- grubby (BLS entries on RHEL and Fedora)
    def _grubby_entries(self):
        entries = parse_grubby_info(self._run(["grubby", "--info=ALL"], "grubby --info=ALL"))
        if not entries:
            raise SriovError("grubby --info=ALL listed no boot entry with args", field="backend")
        return entries

    def _apply_grubby(self, ensure, remove):
        entries = self._grubby_entries()
        before = split_cmdline(entries[0]["args"])
        after = edit_tokens(before, ensure, remove)
        pending = [e for e in entries if not satisfied(split_cmdline(e["args"]), ensure, remove)]
        for entry in pending:
            check_length(edit_tokens(split_cmdline(entry["args"]), ensure, remove),
                         "grubby entry %s" % entry.get("kernel", entry["index"]))
        if pending:
            add, drop = self._delta(entries, ensure, remove)
            argv = ["grubby", "--update-kernel=ALL"]
            if add:
                argv.append("--args=%s" % join_cmdline(add))
            if drop:
                argv.append("--remove-args=%s" % join_cmdline(drop))
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "grubby")
                self._grubby_check_written(entries, ensure, remove)
        return before, after, line_diff("grubby default entry args", before, after), bool(pending)

    @staticmethod
    def _entry_name(entry):
        return entry.get("kernel", entry["index"])

    def _grubby_check_written(self, old_entries, ensure, remove):
        """Read every entry back from grubby --info=ALL: each must hold every wanted argument once
        and nothing removed. On a mismatch, give every entry its old arguments back and fail."""
        wrong = []
        for entry in self._grubby_entries():
            tokens = split_cmdline(entry["args"])
            found = problems(tokens, ensure, remove)
            if found or not satisfied(tokens, ensure, remove):
                wrong.append("entry %s %s" % (self._entry_name(entry), "; ".join(found) or "has args %r" % entry["args"]))
        if not wrong:
            return
        restored, lost = self._grubby_restore(old_entries)
        raise SriovError("grubby left %s; %s%s" % (
            ", ".join(wrong), "the entries were given their old arguments back" if not lost else
            "%d entries were given their old arguments back" % len(restored),
            "; NOT put back: %s" % ", ".join(lost) if lost else ""),
            details={"wrong": wrong, "restored": restored, "not_restored": lost})

    def _grubby_restore(self, old_entries):
        """Give each entry its arguments of old_entries back; (restored, not restored) names."""
        try:
            now = dict((self._entry_name(e), e) for e in self._grubby_entries())
        except SriovError:
            now = {}
        restored = []
        lost = []
        for old in old_entries:
            name = self._entry_name(old)
            wanted = split_cmdline(old["args"])
            current = now.get(name)
            if current is not None and sorted(split_cmdline(current["args"])) != sorted(wanted):
                tokens = split_cmdline(current["args"])
                argv = ["grubby", "--update-kernel=%s" % name]
                drop = [t for t in tokens if t not in wanted]
                add = [t for t in wanted if t not in tokens]
                if drop:
                    argv.append("--remove-args=%s" % join_cmdline(drop))
                if add:
                    argv.append("--args=%s" % join_cmdline(add))
                self.actions.append("run %s" % " ".join(argv))
                self.runner(argv)
        try:
            after = dict((self._entry_name(e), e) for e in self._grubby_entries())
        except SriovError:
            after = {}
        for old in old_entries:
            name = self._entry_name(old)
            # grubby appends what it adds: the old arguments come back, perhaps in another order.
            if name in after and sorted(split_cmdline(after[name]["args"])) == sorted(split_cmdline(old["args"])):
                restored.append(name)
            else:
                lost.append(name)
        return restored, lost

    @staticmethod
    def _delta(entries, ensure, remove):
        """Arguments to add and to remove so that every entry satisfies the request."""
        add = []
        drop = []
        for entry in entries:
            old = split_cmdline(entry["args"])
            new = edit_tokens(old, ensure, remove)
            for token in old:
                if token not in new and token not in drop:
                    drop.append(token)
            for token in new:
                if token not in old and token not in add:
                    add.append(token)
        # grubby --args=key=value already replaces the old value of key: no need to remove it.
        added_keys = set(parse_token(t)[0] for t in add if parse_token(t)[1] is not None)
        drop = [t for t in drop if parse_token(t)[0] not in added_keys]
        return add, drop

    # ---- rpm-ostree kargs
    def _kargs(self):
        return parse_ostree_kargs(self._run(["rpm-ostree", "kargs"], "rpm-ostree kargs"))

    def _apply_rpm_ostree(self, ensure, remove):
        before = self._kargs()
        after = edit_tokens(before, ensure, remove)
        if after != before:
            check_length(after, "rpm-ostree kargs")
            argv = ["rpm-ostree", "kargs"]
            for token in before:
                if token not in after:
                    argv.append("--delete-if-present=%s" % token)
            for token in after:
                if token not in before:
                    argv.append("--append-if-missing=%s" % token)
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "rpm-ostree kargs")
                staged = self._kargs()
                if not satisfied(staged, ensure, remove):
                    raise SriovError("rpm-ostree kargs left %r" % join_cmdline(staged))
                after = staged
        return before, after, line_diff("rpm-ostree kargs", before, after), after != before
