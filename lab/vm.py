# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start, stop and reach lab VMs: q35, Intel VT-d, two igb SR-IOV PFs, a shared IOMMU group.

Guest PCI layout (fixed, so names and addresses are stable across boots):
  00:02.0 virtio-net management NIC (enp0s2), SSH forwarded from 127.0.0.1:PORT
  00:04.0 pcie-root-port rp1 -> 01:00.0 igb PF 1 (enp1s0)
  00:05.0 pcie-root-port rp2 -> 02:00.0 igb PF 2 (enp2s0)
  00:06.0 pcie-pci-bridge br1 -> 03:01.0, 03:02.0 e1000 (one shared, non-isolated group)
  00:07.0 virtio-blk system disk (qcow2 overlay over the cached image)
  00:08.0 virtio-net on a lab L2 segment (enp0s8), only with `up --l2 SEGMENT`

An L2 segment joins two lab VMs without a bridge or tap on the machine: a QEMU `dgram`
netdev between two UDP ports on 127.0.0.1, each VM sending to the other's port. The first VM
of a segment picks both ports (lab/run/.l2/SEGMENT.json); the second takes the other side.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time

from lab import image
from lab.common import (LabError, cache_dir, free_loopback_port, free_loopback_udp_port, log,
                        pid_alive, read_pidfile, run, run_dir, stop_pid, tail)
from lab.machine import base_machine_args, kvm_args, tcg_args

QEMU = "qemu-system-x86_64"
DEFAULT_MEMORY_MIB = 1536
DEFAULT_TIMEOUT_S = 240
PROBE_TIMEOUT_S = 40
SSH_PROBE_TIMEOUT_S = 30


def device_args(port, without_pf=(), iommu="intel"):
    """The lab's PCI devices; an omitted PF leaves its root port (addresses stay stable)."""
    args = [
        "-netdev", "user,id=mgmt,hostfwd=tcp:127.0.0.1:%d-:22" % port,
        "-device", "virtio-net-pci,netdev=mgmt,addr=2,romfile=",
        "-device", "pcie-root-port,id=rp1,chassis=1,slot=1,bus=pcie.0,addr=4",
        "-device", "pcie-root-port,id=rp2,chassis=2,slot=2,bus=pcie.0,addr=5",
    ]
    for index in (1, 2):
        if index in without_pf:
            continue
        # No IPv6 on the PFs' user networks: a PF brought up (as VFs need) would otherwise take a
        # default route from the router advertisements, and the guards refuse to touch such a PF.
        args += ["-netdev", "user,id=n%d,ipv6=off" % index,
                 "-device", "igb,netdev=n%d,bus=rp%d,romfile=" % (index, index)]
    args += [
        "-device", "pcie-pci-bridge,id=br1,bus=pcie.0,addr=6",
        "-netdev", "user,id=n3", "-device", "e1000,netdev=n3,bus=br1,addr=1,romfile=",
        "-netdev", "user,id=n4", "-device", "e1000,netdev=n4,bus=br1,addr=2,romfile=",
    ]
    if iommu == "amd":
        # amd-iommu takes the first free slot: it must come after every fixed-address device.
        args += ["-device", "amd-iommu,intremap=on"]
    return args


L2_SLOT = 8
L2_MEMBERS = 2


def l2_args(local_port, remote_port, side):
    """The L2 NIC: virtio-net at 00:08.0 on a dgram netdev between two loopback UDP ports.
    Its MAC names the side (52:54:00:23:00:01 / :02) so the two VMs never share one."""
    return [
        "-netdev", "dgram,id=l2,local.type=inet,local.host=127.0.0.1,local.port=%d,"
                   "remote.type=inet,remote.host=127.0.0.1,remote.port=%d"
                   % (local_port, remote_port),
        "-device", "virtio-net-pci,netdev=l2,addr=%d,mac=52:54:00:23:00:%02x,romfile="
                   % (L2_SLOT, side + 1),
    ]


def _l2_path(segment):
    if not segment or "/" in segment or segment.startswith("."):
        raise LabError("invalid L2 segment name %r" % segment)
    return os.path.join(run_dir(), ".l2", segment + ".json")


def l2_join(segment, name, pick_port=free_loopback_udp_port):
    """This VM's side of SEGMENT: (side, local port, remote port). Call under port_lock().

    The first member picks both UDP ports; a VM already in the segment keeps its side (a
    reboot); a third member is refused (a dgram netdev has exactly one peer)."""
    path = _l2_path(segment)
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        first = pick_port()
        second = pick_port()
        while second == first:
            second = pick_port()
        state = {"ports": [first, second], "members": []}
    members = state["members"]
    if name not in members:
        if len(members) >= L2_MEMBERS:
            raise LabError("L2 segment %s already joins %s; a segment has two VMs"
                           % (segment, " and ".join(members)))
        members.append(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _write_text(path, json.dumps(state, sort_keys=True) + "\n")
    side = members.index(name)
    return side, state["ports"][side], state["ports"][1 - side]


def l2_leave(segment, name):
    """Forget NAME's side of SEGMENT; the segment file goes with its last member."""
    path = _l2_path(segment)
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, ValueError):
        return
    if name in state["members"]:
        state["members"].remove(name)
    if state["members"]:
        _write_text(path, json.dumps(state, sort_keys=True) + "\n")
    else:
        os.unlink(path)


def _accel_verdict_path():
    return os.path.join(cache_dir(), "accel.json")


def _accel_key():
    """The verdict holds for one host kernel, QEMU version and guest kernel."""
    release = os.uname().release
    _rc, version = run([QEMU, "--version"])
    with open(os.path.join(image.image_dir("base"), "build.json")) as handle:
        guest = json.load(handle).get("hash")
    return "%s|%s|%s" % (release, version.splitlines()[0] if version else "", guest)


def accel_args(refresh=False):
    """KVM if a short boot under KVM proves it works here, else TCG. Verdict cached.

    DIRECTIRON_LAB_ACCEL=tcg|kvm overrides the probe.
    """
    forced = os.environ.get("DIRECTIRON_LAB_ACCEL")
    if forced in ("tcg", "kvm"):
        return kvm_args() if forced == "kvm" else tcg_args()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return tcg_args()
    if not image.is_built("base"):
        return tcg_args()  # nothing to probe with yet; an image build runs fine under TCG
    key = _accel_key()
    path = _accel_verdict_path()
    if not refresh and os.path.exists(path):
        with open(path) as handle:
            cached = json.load(handle)
        if cached.get("key") == key:
            return kvm_args() if cached.get("kvm") else tcg_args()
    works, seconds = probe_kvm()
    log("KVM probe: %s (%.0f s); using %s", "works" if works else "no guest boot",
        seconds, "kvm" if works else "tcg")
    fd, tmp = tempfile.mkstemp(prefix=".accel-", dir=cache_dir())  # two `up`s may write it
    with os.fdopen(fd, "w") as handle:
        json.dump({"key": key, "kvm": works, "probe_s": round(seconds, 1)}, handle)
    os.rename(tmp, path)
    return kvm_args() if works else tcg_args()


def probe_kvm():
    """Boot the base image's kernel under KVM with init=lab-probe on a throwaway overlay."""
    base = image.image_dir("base")
    workdir = tempfile.mkdtemp(prefix=".probe-", dir=cache_dir())
    started = time.monotonic()
    try:
        overlay = os.path.join(workdir, "probe.qcow2")
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw",
             "-b", os.path.join(base, "disk.raw"), overlay])
        works = image.boot_once(
            overlay, os.path.join(base, "vmlinuz"), os.path.join(base, "initrd.img"),
            "root=/dev/vda1 ro console=ttyS0,115200 init=/usr/local/sbin/lab-probe",
            os.path.join(workdir, "serial.log"), kvm_args(), PROBE_TIMEOUT_S, "LAB-PROBE-OK",
            disk_format="qcow2")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return works, time.monotonic() - started


@contextlib.contextmanager
def port_lock():
    """Serialise port choice and qemu start across checkouts (the lock is in the shared cache)."""
    with open(os.path.join(cache_dir(), ".port.lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Vm:
    """One lab VM and its state directory lab/run/NAME/."""

    def __init__(self, name):
        if not name or "/" in name or name.startswith("."):
            raise LabError("invalid VM name %r" % name)
        self.name = name
        self.dir = os.path.join(run_dir(), name)
        self.overlay = os.path.join(self.dir, "disk.qcow2")
        self.pidfile = os.path.join(self.dir, "qemu.pid")
        self.serial = os.path.join(self.dir, "serial.log")
        self.port_file = os.path.join(self.dir, "ssh_port")
        self.meta_file = os.path.join(self.dir, "vm.json")

    # state -------------------------------------------------------------------------------
    def pid(self):
        """The pid of this VM's qemu, or None. Checks the pid really is our qemu."""
        pid = read_pidfile(self.pidfile)
        if not pid_alive(pid):
            return None
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as handle:
                cmdline = handle.read()
        except OSError:
            return None
        if self.pidfile.encode() not in cmdline:
            return None  # pid reused by something else: not ours to stop
        return pid

    def port(self):
        try:
            with open(self.port_file) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def meta(self):
        try:
            with open(self.meta_file) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def exists(self):
        return os.path.isdir(self.dir)

    # ssh ---------------------------------------------------------------------------------
    def ssh_argv(self, command=(), connect_timeout=10):
        port = self.port()
        if port is None:
            raise LabError("VM %s has no SSH port (not started?)" % self.name)
        return ["ssh", "-i", image.ssh_key_path(), "-p", str(port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "ConnectTimeout=%d" % connect_timeout,
                "root@127.0.0.1"] + list(command)

    def ssh_ok(self, timeout=SSH_PROBE_TIMEOUT_S):
        """One `ssh true`. A probe that outlives its timeout is a "no", not an error: under
        load (nested guests, many VMs) a single probe can take longer than the boot wait's
        step, and only the wait's own deadline may end the wait."""
        try:
            proc = subprocess.run(self.ssh_argv(["true"], connect_timeout=5),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return False
        return proc.returncode == 0

    # lifecycle ---------------------------------------------------------------------------
    def up(self, variant="base", without_pf=(), memory=DEFAULT_MEMORY_MIB,
           timeout=DEFAULT_TIMEOUT_S, fresh=False, iommu="intel", l2=None):
        if self.pid():
            if self.ssh_ok():
                log("%s already running (pid %d, ssh port %d)", self.name, self.pid(),
                    self.port())
                return self.port()
            raise LabError("%s is running but SSH does not answer; `down` it first" % self.name)
        os.makedirs(self.dir, exist_ok=True)
        previous = self.meta()
        if fresh or not os.path.exists(self.overlay) or not previous.get("image"):
            disk = image.build(variant, accel_args())
            self._new_overlay(disk)
        else:
            # Reuse: the overlay stays on the image it was made from (a "reboot"), even if a
            # newer image was built since; only the variant must agree.
            disk = previous["image"]
            if previous.get("variant") != variant:
                raise LabError("%s has a %s overlay, not %s; use --fresh to discard it"
                               % (self.name, previous.get("variant"), variant))
            if not os.path.exists(disk):
                raise LabError("%s: the overlay's image %s is gone; use --fresh" % (self.name, disk))
            if disk != image.image_path(variant):
                log("%s: reusing its overlay over an older %s image; --fresh uses the current one",
                    self.name, variant)
        accel = accel_args()
        if os.path.exists(self.serial):
            os.rename(self.serial, self.serial + ".prev")
        # Choosing a free port and qemu binding it (before -daemonize returns) is one step
        # under a lock shared by every checkout: two `up`s at once cannot pick the same port.
        with port_lock():
            port = free_loopback_port()
            extra = []
            if l2:
                side, local_port, remote_port = l2_join(l2, self.name)
                extra = l2_args(local_port, remote_port, side)
            argv = [QEMU] + accel + base_machine_args(memory, iommu) + [
                "-name", "lab-" + self.name,
                "-drive", "file=%s,if=none,id=d0,format=qcow2,discard=unmap" % self.overlay,
                "-device", "virtio-blk-pci,drive=d0,addr=7",
            ] + device_args(port, without_pf, iommu) + extra + [
                "-display", "none", "-monitor", "none", "-serial", "file:" + self.serial,
                "-pidfile", self.pidfile, "-daemonize", "-nodefaults",
            ]
            _write_text(self.port_file, "%d\n" % port)
            meta = {"name": self.name, "variant": variant, "image": disk, "port": port,
                    "without_pf": sorted(without_pf), "memory_mib": memory, "iommu": iommu,
                    "accel": accel[1].split(",")[0], "argv": argv, "l2": l2,
                    "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            _write_text(self.meta_file, json.dumps(meta, indent=2, sort_keys=True) + "\n")
            started = time.monotonic()
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  check=False)
        if proc.returncode != 0:
            self.down(sync=False)
            raise LabError("qemu failed to start %s: %s" % (
                self.name, proc.stdout.decode("utf-8", "replace").strip()))
        log("%s started (pid %s, %s, ssh 127.0.0.1:%d); waiting for SSH (timeout %d s)",
            self.name, self.pid(), meta["accel"], port, timeout)
        try:
            self._wait_ssh(started, timeout)
        except BaseException:
            log("%s: serial log tail (%s):\n%s", self.name, self.serial, tail(self.serial, 40))
            self.down(sync=False)
            raise
        seconds = time.monotonic() - started
        meta["boot_to_ssh_s"] = round(seconds, 1)
        # Emulated CPU the boot cost: comparable across hosts and loads (wall time is not).
        meta["boot_cpu_s"] = _cpu_seconds(self.pid())
        meta["host_load_at_ssh"] = os.getloadavg()[0]
        _write_text(self.meta_file, json.dumps(meta, indent=2, sort_keys=True) + "\n")
        log("%s: SSH up after %.0f s (qemu CPU %s s, host load %.1f)", self.name, seconds,
            meta["boot_cpu_s"], meta["host_load_at_ssh"])
        return port

    def _new_overlay(self, disk):
        if os.path.exists(self.overlay):
            os.unlink(self.overlay)
        run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", disk, self.overlay])

    def _wait_ssh(self, started, timeout, clock=time.monotonic, sleep=time.sleep):
        while True:
            if not self.pid():
                raise LabError("%s: qemu exited during boot" % self.name)
            # A probe never runs past the wait's deadline (but gets at least a few seconds).
            remaining = timeout - (clock() - started)
            if self.ssh_ok(timeout=max(5, min(SSH_PROBE_TIMEOUT_S, remaining))):
                return
            if clock() - started > timeout:
                raise LabError("%s: no SSH after %d s" % (self.name, timeout))
            sleep(2)

    def down(self, sync=True):
        """Stop by pid: guest `sync` first (so the overlay keeps what the guest wrote),
        then SIGTERM, wait, SIGKILL. Never by process name."""
        pid = self.pid()
        if pid is None:
            if os.path.exists(self.pidfile):
                os.unlink(self.pidfile)
            return False
        if sync and self.port():
            try:
                subprocess.run(self.ssh_argv(["sync"], connect_timeout=5),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=20, check=False)
            except subprocess.TimeoutExpired:
                pass
        if not stop_pid(pid, grace=10, pidfile=self.pidfile):
            raise LabError("%s: qemu pid %d did not stop" % (self.name, pid))
        log("%s stopped (pid %d)", self.name, pid)
        return True

    def destroy(self):
        """Stop and remove the VM's state directory (overlay included) and its L2 side."""
        self.down(sync=False)
        if self.meta().get("l2"):
            with port_lock():
                l2_leave(self.meta()["l2"], self.name)
        if os.path.isdir(self.dir):
            shutil.rmtree(self.dir)

    def status(self):
        meta = self.meta()
        pid = self.pid()
        return {"name": self.name, "running": pid is not None, "pid": pid, "port": self.port(),
                "variant": meta.get("variant"), "without_pf": meta.get("without_pf", []),
                "accel": meta.get("accel"), "iommu": meta.get("iommu"), "l2": meta.get("l2"),
                "boot_to_ssh_s": meta.get("boot_to_ssh_s"), "boot_cpu_s": meta.get("boot_cpu_s"),
                "dir": self.dir,
                "ssh": {"address": "127.0.0.1", "port": self.port(), "user": "root",
                        "identity_file": image.ssh_key_path()}}


def _cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (None if unknown)."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return round((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), 1)
    except (OSError, ValueError, IndexError, TypeError):
        return None


def all_vms():
    root = run_dir()
    return [Vm(name) for name in sorted(os.listdir(root))
            if os.path.isdir(os.path.join(root, name)) and not name.startswith(".")]


def _write_text(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, path)
