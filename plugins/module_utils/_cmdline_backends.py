# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bootloader back-ends that store the kernel command line, and the manager that edits it.

``KernelCmdline`` reads the stored line once, computes the change with the token algebra of
``_cmdline``, checks it (length, writable files) and writes outside check mode:

* grub: ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg`` as grub-mkconfig sources them
  (``_cmdline_shell``); the files that decide the value are edited, then update-grub or
  grub2-mkconfig runs;
* grubby (boot loader spec entries) and rpm-ostree: through their commands
  (``_cmdline_grubby`` parses what they print);
* kernel-install: ``/etc/kernel/cmdline``, then ``kernel-install add``.

Files are read as bytes and written back byte for byte except the edited values (line endings
and non-UTF-8 bytes kept), through symlinks (the target is replaced, the link stays), after a
check that every file to change can be written; when a later file fails, the earlier ones are
put back. Commands go through ``runner(argv) -> (rc, stdout, stderr)``; nothing is built from a
string.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil
import tempfile

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import (
    check_length, edit_tokens, join_cmdline, parse_token, satisfied, split_cmdline, validate_request)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grubby import (
    parse_grubby_info, parse_ostree_kargs)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_shell import GrubDefaults
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

BACKENDS = ("grub", "grubby", "kernel-install", "rpm-ostree")
GRUB_DEFAULT_FILE = "etc/default/grub"
GRUB_DROPIN_DIR = "etc/default/grub.d"
KERNEL_CMDLINE_FILE = "etc/kernel/cmdline"
# The kernel's own limit on symlink chains (MAXSYMLINKS).
MAX_SYMLINKS = 40
# Arguments grub puts in front of GRUB_CMDLINE_LINUX: they count against the length limit.
BOOTLOADER_ARGS = ("BOOT_IMAGE", "root", "ro", "rw", "initrd")

_WRITE_ADVICE = {
    errno.EPERM: "the file or its directory is immutable (see lsattr; chattr -i lifts it)",
    errno.EROFS: "the file system is mounted read-only",
    errno.EACCES: "permission denied: run as root (become: true)",
    errno.ENOSPC: "the file system is full",
}


def under_root(root, relative):
    return os.path.join(root or "/", relative.lstrip("/"))


def resolve_under_root(root, relative):
    """Follow the symlinks of /relative as the system booted from root sees them.

    Absolute link targets are taken below root (an offline image's links point into the
    image, not into the running host). Returns the host-side name of the final target.
    """
    name = "/" + relative.lstrip("/")
    for _hop in range(MAX_SYMLINKS):
        path = under_root(root, name)
        if not os.path.islink(path):
            return name
        target = os.readlink(path)
        name = os.path.normpath(target if target.startswith("/") else
                                os.path.join(os.path.dirname(name), target))
    raise SriovError("/%s: more than %d levels of symbolic links" % (relative.lstrip("/"), MAX_SYMLINKS),
                     field="root")


def display_text(text):
    """Text with non-UTF-8 bytes (kept as surrogates) shown as U+FFFD, for diffs and results."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def text_diff(header, before, after):
    """One entry of a module diff: the text before and after, under one header."""
    return {"before": display_text(before), "after": display_text(after),
            "before_header": header, "after_header": header}


def line_diff(header, before, after):
    """A diff of two argument lists, one line each."""
    return text_diff(header, join_cmdline(before) + "\n", join_cmdline(after) + "\n")


class ConfigFile(object):
    """A configuration file read as bytes and decoded losslessly (surrogateescape)."""

    def __init__(self, root, relative):
        self.display = "/" + relative.lstrip("/")
        self.target = resolve_under_root(root, relative)
        self.path = under_root(root, self.target)
        self.raw = b""
        self.text = ""
        self.exists = False
        self.crlf = False
        self.non_utf8_line = None

    @property
    def label(self):
        """The name a user knows it by, with the file a symlink leads to."""
        if self.target == self.display:
            return self.display
        return "%s (-> %s)" % (self.display, self.target)

    def load(self, missing_ok=False):
        try:
            with open(self.path, "rb") as handle:
                self.raw = handle.read()
        except (IOError, OSError) as exc:
            if missing_ok and exc.errno == errno.ENOENT:
                return self
            raise SriovError("cannot read %s: %s" % (self.label, exc.strerror or exc), field="backend",
                             details={"file": self.display})
        self.exists = True
        if b"\0" in self.raw:
            line = self.raw[:self.raw.index(b"\0")].count(b"\n") + 1
            raise SriovError("%s line %d holds a NUL byte: it is not a text file the shell or the "
                             "bootloader reads as written; it is not edited" % (self.label, line),
                             field="backend", details={"file": self.display, "line": line})
        try:
            self.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.non_utf8_line = self.raw[:exc.start].count(b"\n") + 1
        self.text = self.raw.decode("utf-8", "surrogateescape")
        self.crlf = b"\r\n" in self.raw
        return self

    def encode(self, text):
        return text.encode("utf-8", "surrogateescape")

    def notes(self):
        """What a user should know about how the file was kept."""
        notes = []
        if self.crlf:
            notes.append("%s has CRLF (DOS) line endings: they were kept; the shell reads the CR "
                         "as part of each unquoted value" % self.label)
        if self.non_utf8_line is not None:
            notes.append("%s holds bytes that are not UTF-8 (first on line %d): they were kept as "
                         "they were" % (self.label, self.non_utf8_line))
        return notes


def _rename_keeping_attributes(tmp, path):
    try:
        stat = os.stat(path)
    except OSError:
        os.chmod(tmp, 0o644)
    else:
        os.chmod(tmp, stat.st_mode & 0o7777)
        try:
            os.chown(tmp, stat.st_uid, stat.st_gid)
        except OSError:
            pass  # not root: the file keeps the writer's owner
    os.rename(tmp, path)


def replace_file(path, data, move=None):
    """Replace path by a temp file written in its directory, then moved over it.

    move(tmp, path): the module passes AnsibleModule.atomic_move (it also keeps the SELinux
    context); by default mode and owner are copied and the temp file renamed.
    """
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        (move or _rename_keeping_attributes)(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def probe_writable(path):
    """Raise OSError when path (an existing file) or its directory cannot be replaced."""
    directory = os.path.dirname(path)
    if not os.access(directory, os.W_OK):
        raise OSError(errno.EACCES if os.access(directory, os.F_OK) else errno.ENOENT,
                      "directory %s is not writable" % directory)
    if os.path.exists(path):
        # Opening for writing (no truncation) fails on an immutable file or a read-only mount.
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND))


def write_error(label, exc, restored=()):
    code = getattr(exc, "errno", None)
    advice = _WRITE_ADVICE.get(code, exc.strerror if getattr(exc, "strerror", None) else str(exc))
    msg = "cannot write %s: %s (%s)" % (label, os.strerror(code) if code else exc, advice)
    if restored:
        msg += "; %s put back as it was" % ", ".join(restored)
    else:
        msg += "; nothing was changed"
    return SriovError(msg, field="backend", details={"file": label, "errno": code})


class KernelCmdline(object):
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

    # ---- grub
    def _grub_mkconfig_argv(self):
        if self.which("update-grub"):
            return ["update-grub"]
        for tool, default in (("grub2-mkconfig", "boot/grub2/grub.cfg"),
                              ("grub-mkconfig", "boot/grub/grub.cfg")):
            if self.which(tool):
                output = default
                for candidate in ("boot/grub2/grub.cfg", "boot/grub/grub.cfg"):
                    if os.path.isfile(self._path(candidate)):
                        output = candidate
                        break
                return [tool, "-o", "/" + output]
        raise SriovError("neither update-grub nor grub2-mkconfig nor grub-mkconfig was found; "
                         "set update_bootloader=false to only edit /etc/default/grub",
                         field="update_bootloader")

    def _grub_files(self):
        """/etc/default/grub, then the drop-ins in the order grub-mkconfig sources them."""
        files = [ConfigFile(self.root, GRUB_DEFAULT_FILE).load()]
        directory = self._path(GRUB_DROPIN_DIR)
        if os.path.isdir(directory):
            # grub-mkconfig: for x in /etc/default/grub.d/*.cfg (the glob skips dot files).
            for entry in sorted(os.listdir(directory)):
                if entry.endswith(".cfg") and not entry.startswith("."):
                    config = ConfigFile(self.root, "%s/%s" % (GRUB_DROPIN_DIR, entry))
                    if os.path.isfile(config.path):
                        files.append(config.load())
        return files

    def _shell_is_dash(self):
        try:
            target = resolve_under_root(self.root, "bin/sh")
        except SriovError:
            return False
        return os.path.basename(os.path.realpath(self._path(target))).startswith("dash")

    def _bootloader_args(self):
        running = self.running_tokens() if self.live else None
        return [t for t in running or [] if parse_token(t)[0] in BOOTLOADER_ARGS]

    def _apply_grub(self, ensure, remove):
        files = self._grub_files()
        defaults = GrubDefaults([(f.display, f.text) for f in files], dash=self._shell_is_dash())
        texts, before, after = defaults.plan(self.grub_variable, ensure, remove)
        changes = [(f, f.encode(texts[f.display])) for f in files if f.display in texts]
        if changes:
            check_length(after, "the grub boot entry", extra=self._bootloader_args())
            # What grub-mkconfig will read after the edit must be what was asked for.
            edited = GrubDefaults([(f.display, texts.get(f.display, f.text)) for f in files]).joined()
            if edited != after or not satisfied(edited, ensure, remove):
                raise SriovError("the edited GRUB defaults would not give %r; nothing was changed"
                                 % display_text(join_cmdline(after)), field="grub_variable")
        for config, _data in changes:
            self.warnings.extend(config.notes())
            self.actions.append("edit %s" % config.label)
        self._write_all(changes)
        if changes:
            self._grub_regenerate()
        diffs = [text_diff(f.label, f.text, texts[f.display]) for f, _d in changes]
        if not diffs:
            diffs = [text_diff(files[0].label, files[0].text, files[0].text)]
        return before, after, diffs[0] if len(diffs) == 1 else diffs, bool(changes)

    def _may_regenerate(self, what):
        """True when the boot configuration is to be regenerated now (else say why not)."""
        if not self.update_bootloader:
            return False
        if not self.live:
            self.actions.append("%s not regenerated: root is %s" % (what, self.root))
            return False
        return True

    def _grub_regenerate(self):
        if not self._may_regenerate("grub configuration"):
            return
        argv = self._grub_mkconfig_argv()
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, argv[0])

    # ---- kernel-install (/etc/kernel/cmdline)
    def _kernel_install_base(self):
        for relative in (KERNEL_CMDLINE_FILE, "usr/lib/kernel/cmdline"):
            config = ConfigFile(self.root, relative).load(missing_ok=True)
            if config.exists:
                return split_cmdline(config.text.strip()), relative == KERNEL_CMDLINE_FILE
        running = self.running_tokens() if self.live else None
        if running is None:
            return [], False
        # kernel-install starts from /proc/cmdline when no file exists; these are per boot.
        return [t for t in running if parse_token(t)[0] not in ("BOOT_IMAGE", "initrd")], False

    def _apply_kernel_install(self, ensure, remove):
        config = ConfigFile(self.root, KERNEL_CMDLINE_FILE).load(missing_ok=True)
        before, _exists = self._kernel_install_base()
        after = edit_tokens(before, ensure, remove)
        new_text = config.text
        if after != before:
            check_length(after, config.label)
            newline = "\r\n" if config.crlf else "\n"
            new_text = join_cmdline(after) + newline
            self.actions.append("write %s" % config.label)
            self.warnings.extend(config.notes())
            if not os.path.isdir(os.path.dirname(config.path)) and not self.check_mode:
                os.makedirs(os.path.dirname(config.path))
            if config.exists or not self.check_mode:
                self._write_all([(config, config.encode(new_text))])
            self._kernel_install_regenerate()
        return before, after, text_diff(config.label, config.text, new_text), config.text != new_text

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
                for entry in self._grubby_entries():
                    if not satisfied(split_cmdline(entry["args"]), ensure, remove):
                        raise SriovError("grubby left entry %s with args %r" % (
                            entry.get("kernel", entry["index"]), entry["args"]),
                            details={"entry": entry})
        return before, after, line_diff("grubby default entry args", before, after), bool(pending)

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
