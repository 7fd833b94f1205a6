# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files that store a command line: read as bytes, followed through symlinks below a root,
written back atomically, with the messages a failed write gives.

Files are read as bytes and written back byte for byte except the edited values (line endings
and non-UTF-8 bytes kept), through symlinks (the target is replaced, the link stays).

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import tempfile

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import join_cmdline
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

GRUB_DEFAULT_FILE = "etc/default/grub"
GRUB_DROPIN_DIR = "etc/default/grub.d"
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
