# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB defaults as the shell reads them: the judge of every GRUB edit.

The lexer of ``_cmdline_shell`` plans an edit and writes good messages, but it is a model of
the shell. What boots is what grub-mkconfig gets when its /bin/sh sources ``/etc/default/grub``
and then every ``/etc/default/grub.d/*.cfg`` in glob order, in one shell, under ``set -e``.
``source_grub`` does exactly that on a scratch copy (so a candidate edit is judged before it
is written) and returns the two variables the normal boot entry joins.

Safety of sourcing: the copies live in a fresh scratch directory (the shell's working
directory), the environment is cleared (PATH and LC_ALL=C only), stdin is /dev/null, the shell
is killed after ``TIMEOUT`` seconds, and where ``unshare --net`` works the shell has no
network. A file that runs commands is judged by what it sets: grub-mkconfig runs the same
commands as root on every update, so sourcing it here runs nothing that update-grub would not.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import parse_token, split_cmdline
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

TIMEOUT = 10
_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}
_END = "directiron-sriov-sourced"
# grub-mkconfig's own lines (util/grub-mkconfig.in): set -e, the main file if it is a file,
# then the drop-ins that exist, in glob order. Output of the files goes to stderr; the values
# are printed on fd 3 after a marker that says the shell reached the end.
_SCRIPT = r'''set -e
exec 3>&1 1>&2
if test -f "$1/grub" ; then
  . "$1/grub"
fi
for x in "$1"/grub.d/*.cfg ; do
  if [ -e "${x}" ]; then
    . "${x}"
  fi
done
printf '%s\000%s\000%s\000%s\000' directiron-sriov-sourced "${GRUB_CMDLINE_LINUX}" "${GRUB_CMDLINE_LINUX_DEFAULT}" \
  "${GRUB_ENABLE_BLSCFG}" >&3
'''

_UNSHARE = []
# Memory file systems for the scratch copies, where one is writable: the copies are written and
# removed two or three times a run, and on a disk file system each create and remove is a
# journal update that waits behind every other writer (seconds under load, for a few bytes).
_SCRATCH_PARENTS = ("/dev/shm", "/run/shm")


def _scratch_parent():
    """A writable memory file system directory (None: the default temp directory)."""
    for parent in _SCRATCH_PARENTS:
        if os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK):
            return parent
    return None


def _isolation(shell):
    """["unshare", "--net", "--"] when that works here (root on Linux), else []."""
    if not _UNSHARE:
        prefix = []
        unshare = shutil.which("unshare")
        if unshare and hasattr(os, "geteuid") and os.geteuid() == 0:
            try:
                rc = subprocess.call([unshare, "--net", "--", shell, "-c", ":"], env=dict(_ENV),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, timeout=TIMEOUT)
            except (OSError, subprocess.SubprocessError):
                rc = 1
            if rc == 0:
                prefix = [unshare, "--net", "--"]
        _UNSHARE.append(prefix)
    return list(_UNSHARE[0])


def pick_shell(target_is_dash=None):
    """The host's shell that behaves like the target's /bin/sh (dash when the target has dash)."""
    if target_is_dash is not False:
        dash = shutil.which("dash")
        if dash:
            return dash
    return "/bin/sh"


class Sourced(object):
    """What the shell printed: the two variables (and GRUB_ENABLE_BLSCFG, which says whether
    grub-mkconfig writes the arguments into grub.cfg at all)."""

    def __init__(self, linux, default, blscfg=""):
        self.linux = linux
        self.default = default
        self.blscfg = blscfg

    def joined(self):
        return split_cmdline(self.linux) + split_cmdline(self.default)


def source_grub(main, dropins, shell=None):
    """Source main (bytes or None: no such file) then dropins [(name, bytes)] as grub-mkconfig.

    Returns a Sourced; raises SriovError when the shell stops before the end (a syntax error,
    a failing command under set -e, exit, a timeout): update-grub would stop there too.
    """
    shell = shell or pick_shell()
    scratch = tempfile.mkdtemp(prefix="directiron-grub-", dir=_scratch_parent())
    try:
        if main is not None:
            with open(os.path.join(scratch, "grub"), "wb") as handle:
                handle.write(main)
        os.mkdir(os.path.join(scratch, "grub.d"))
        for name, data in dropins:
            with open(os.path.join(scratch, "grub.d", name), "wb") as handle:
                handle.write(data)
        argv = _isolation(shell) + [shell, "-c", _SCRIPT, "sh", scratch]
        try:
            proc = subprocess.Popen(argv, cwd=scratch, env=dict(_ENV), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise SriovError("cannot run %s to read the GRUB defaults as grub-mkconfig does: %s"
                             % (shell, exc), field="grub_variable")
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise SriovError("sourcing the GRUB defaults as grub-mkconfig does took more than %d s; "
                             "nothing was changed" % TIMEOUT, field="grub_variable")
        fields = out.decode("utf-8", "surrogateescape").split("\0")
        if proc.returncode != 0 or len(fields) < 3 or fields[0] != _END:
            detail = err.decode("utf-8", "replace").replace(scratch, "/etc/default").strip()
            raise SriovError(
                "the GRUB defaults stop grub-mkconfig's shell before its end (rc=%s%s): update-grub "
                "would not use them as they are; nothing was changed"
                % (proc.returncode, ": " + " ".join(detail.split()) if detail else ": a command that failed "
                   "under set -e, or an exit"), field="grub_variable")
        return Sourced(fields[1], fields[2], fields[3] if len(fields) > 4 else "")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def count_of(tokens, key, value):
    """How many arguments of tokens stand for the wanted (key, value) (a flag: exact; else key)."""
    if value is None:
        return len([t for t in tokens if t != "--" and parse_token(t) == (key, None)])
    return len([t for t in tokens if t != "--" and parse_token(t)[0] == key])


def problems(tokens, ensure, remove):
    """What makes tokens a wrong result for the request: [] when each wanted argument is there
    exactly once (with its value) and nothing to remove is left."""
    found = []
    for key, value in ensure:
        count = count_of(tokens, key, value)
        shown = key if value is None else "%s=%s" % (key, value)
        if count == 0:
            found.append("lacks %s" % shown)
        elif count > 1:
            found.append("holds %s %d times" % (key, count))
        elif value is not None and (key, value) not in [parse_token(t) for t in tokens if t != "--"]:
            found.append("holds %s with another value" % key)
    for key, value in remove:
        for token in tokens:
            if token != "--" and parse_token(token)[0] == key and value in (None, parse_token(token)[1]):
                found.append("still holds %s" % token)
                break
    return found
