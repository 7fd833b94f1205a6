# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths, logging and small process helpers shared by the lab commands."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import socket
import subprocess
import sys
import time

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(LAB_DIR)


class LabError(Exception):
    """A lab operation failed; the CLI prints the message and exits non-zero."""


def cache_dir():
    """Where images, the SSH key and the accelerator verdict live (shared by all checkouts)."""
    path = os.environ.get("DIRECTIRON_LAB_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "directiron-sriov", "lab")
    os.makedirs(path, exist_ok=True)
    return path


def run_dir():
    """Per-VM state: lab/run/NAME/ (overlay, pidfile, serial log, ssh port)."""
    path = os.environ.get("DIRECTIRON_LAB_RUN") or os.path.join(LAB_DIR, "run")
    os.makedirs(path, exist_ok=True)
    return path


def log(msg, *args):
    """Progress goes to stderr so stdout stays machine-readable (image paths, ports)."""
    if args:
        msg = msg % args
    sys.stderr.write("lab: %s\n" % msg)
    sys.stderr.flush()


def run(argv, log_file=None, env=None, check=True, timeout=None):
    """Run argv (a list, never a shell string); on failure raise LabError with the output tail."""
    if log_file is not None:
        with open(log_file, "ab") as out:
            out.write(("\n$ %s\n" % " ".join(argv)).encode())
            out.flush()
            proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  timeout=timeout, check=False)
        output = None
    else:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                              timeout=timeout, check=False)
        output = proc.stdout.decode("utf-8", "replace")
    if check and proc.returncode != 0:
        if log_file is not None:
            output = tail(log_file, 30)
        raise LabError("command failed (rc=%d): %s\n%s" % (proc.returncode, " ".join(argv), output))
    return proc.returncode, output


def tail(path, lines=40):
    """The last lines of a text file, for error reports (serial logs, build logs)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            data = handle.read().decode("utf-8", "replace")
    except OSError as exc:
        return "(cannot read %s: %s)" % (path, exc)
    return "\n".join(data.replace("\r", "").splitlines()[-lines:])


def free_loopback_port(kind=socket.SOCK_STREAM):
    """A free TCP (or `kind`) port on 127.0.0.1, chosen by the kernel (bind to port 0)."""
    sock = socket.socket(socket.AF_INET, kind)
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def free_loopback_udp_port():
    """A free UDP port on 127.0.0.1, chosen by the kernel (bind to port 0)."""
    return free_loopback_port(socket.SOCK_DGRAM)


def pid_alive(pid):
    """True if a process with this pid exists and is not a zombie."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def read_pidfile(path):
    try:
        with open(path) as handle:
            return int(handle.read().strip() or "0") or None
    except (OSError, ValueError):
        return None


def stop_pid(pid, grace=10.0, pidfile=None):
    """Stop one process by its pid: SIGTERM, wait up to `grace` seconds, then SIGKILL."""
    import signal
    if pid_alive(pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + grace
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 5
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
    if pidfile and os.path.exists(pidfile):
        os.unlink(pidfile)
    return not pid_alive(pid)
