# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One advisory lock per host, taken by every writer of this collection.

The modules that change a host (``sriov_vf``, ``kernel_cmdline``, ...) and the boot-time replay
hold it while they read the current state and write the new one, so two runs at once on one
host happen one after the other instead of interleaving their writes.

The lock is ``fcntl.flock`` on ``/run/directiron-sriov.lock`` (``/run`` is a tmpfs: no stale
file survives a reboot; the kernel drops the lock when its holder exits, even when killed).
The holder writes its pid, argv, purpose and start time into the file, so a run that waits in
vain names who holds it. The file is never removed: unlinking a flock file lets two processes
lock two different files.

``DIRECTIRON_SRIOV_LOCK`` in the environment (or ``path=``) moves the file, for tests and for
hosts without a writable ``/run``.

The lock is reentrant within one process: a module that takes it and then calls code that takes
it again does not wait for itself.

Pure standard library: the boot-time replay imports this without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import sys
import time

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

LOCK_PATH = "/run/directiron-sriov.lock"
LOCK_PATH_ENV = "DIRECTIRON_SRIOV_LOCK"
# Long enough for another run's VF creation and driver binding (bounded by their own timeouts).
DEFAULT_TIMEOUT = 300.0
POLL_INTERVAL = 0.1
# At most this much of the holder's argv is quoted in an error.
_ARGV_SHOWN = 200

# Locks this process holds, by absolute path: {"fd": int, "depth": int}.
_HELD = {}


def lock_path(environ=None):
    """The lock file: DIRECTIRON_SRIOV_LOCK when set, else /run/directiron-sriov.lock."""
    environ = os.environ if environ is None else environ
    return environ.get(LOCK_PATH_ENV) or LOCK_PATH


def read_holder(path):
    """The holder record written in the lock file, or None (free, unreadable or half-written)."""
    try:
        with open(path, "r") as handle:
            text = handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def describe_holder(holder, now=None):
    """One line naming the holder: pid, purpose, start time and age, command."""
    if not holder:
        return "holder unknown (the lock file names none)"
    now = time.time() if now is None else now
    parts = ["pid %s" % holder.get("pid", "?")]
    if holder.get("purpose"):
        parts.append("(%s)" % holder["purpose"])
    started = holder.get("started")
    if isinstance(started, (int, float)) and not isinstance(started, bool):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
        parts.append("since %s (%d s ago)" % (stamp, max(0, int(now - started))))
    argv = holder.get("argv")
    if isinstance(argv, list) and argv:
        command = " ".join(str(a) for a in argv)
        if len(command) > _ARGV_SHOWN:
            command = command[:_ARGV_SHOWN] + "..."
        parts.append("running %r" % command)
    return " ".join(parts)


class HostLock(object):
    """The per-host lock as a context manager.

    purpose: what the holder does, shown to a run that waits (``kernel_cmdline``).
    path: the lock file (default: lock_path()).
    timeout: seconds to wait for another holder; 0 tries once (default DEFAULT_TIMEOUT).
    sleep, clock: injected for tests.
    """

    def __init__(self, purpose, path=None, timeout=None, poll_interval=POLL_INTERVAL,
                 sleep=time.sleep, clock=time.monotonic, argv=None):
        self.purpose = purpose
        self.path = os.path.abspath(path or lock_path())
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.poll_interval = poll_interval
        self.sleep = sleep
        self.clock = clock
        self.argv = list(sys.argv if argv is None else argv)
        self.held = False

    def _open(self):
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            return os.open(self.path, flags, 0o644)
        except (IOError, OSError) as exc:
            raise SriovError(
                "cannot open the host lock %s: %s (run as root, or set %s to a writable path)"
                % (self.path, exc.strerror or exc, LOCK_PATH_ENV),
                field="lock", details={"lock": self.path})

    def _record(self, fd):
        record = {"pid": os.getpid(), "purpose": self.purpose, "argv": self.argv,
                  "started": time.time()}
        data = json.dumps(record, sort_keys=True).encode("utf-8") + b"\n"
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, data)
        except (IOError, OSError):
            pass  # the lock itself holds; only the note for waiters is missing

    def acquire(self):
        entry = _HELD.get(self.path)
        if entry is not None:
            entry["depth"] += 1
            self.held = True
            return self
        fd = self._open()
        deadline = self.clock() + max(0.0, float(self.timeout))
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise SriovError("cannot lock %s: %s" % (self.path, exc.strerror or exc),
                                     field="lock", details={"lock": self.path})
            if self.clock() >= deadline:
                os.close(fd)
                holder = read_holder(self.path)
                raise SriovError(
                    "another directiron.sriov run holds the host lock %s: %s; waited %g s "
                    "for it. Retry when that run has finished"
                    % (self.path, describe_holder(holder), self.timeout),
                    field="lock", details={"lock": self.path, "holder": holder})
            self.sleep(self.poll_interval)
        self._record(fd)
        _HELD[self.path] = {"fd": fd, "depth": 1}
        self.held = True
        return self

    def release(self):
        if not self.held:
            return
        self.held = False
        entry = _HELD.get(self.path)
        if entry is None:
            return
        entry["depth"] -= 1
        if entry["depth"] > 0:
            return
        del _HELD[self.path]
        fd = entry["fd"]
        try:
            os.ftruncate(fd, 0)
        except (IOError, OSError):
            pass
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, exc_type, exc, tb):
        self.release()
        return False


class _NoLock(object):
    """Stands in for HostLock where nothing is written (check mode)."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        return False


def host_lock(purpose, enabled=True, **kwargs):
    """HostLock(purpose, **kwargs) when enabled, else a context manager that locks nothing.

    Writers pass ``enabled=not check_mode``: a run that changes nothing does not wait.
    """
    return HostLock(purpose, **kwargs) if enabled else _NoLock()
