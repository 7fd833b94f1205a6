# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build and cache the Debian guest images (Debian 12 variants `base`, `iommu`, `guest`; the
Debian 13 variant `trixie`).

Base: debootstrap (minbase + the packages below), packages installed in a chroot (the same
install inside the emulated guest takes minutes), a partitioned raw disk made with sfdisk and
`mkfs.ext4 -d` (no loop devices), then one short boot with `init=` a setup script that runs
grub-install + update-grub and powers off. From then on the disk boots through GRUB and
/proc/cmdline follows /etc/default/grub.

iommu: a sparse copy of base booted once more with the same setup script, which first sets
GRUB_CMDLINE_LINUX to the arguments passed on the kernel cmdline; no second debootstrap.

Images are cached in cache_dir() under `<variant>-<hash of the build inputs>/`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fcntl
import glob
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time

from lab.common import LabError, cache_dir, log, run, tail
from lab.machine import base_machine_args, tcg_args

# Bump when the build steps or the guest configuration change: it is part of the cache key.
BUILD_VERSION = "6"
SUITE = "bookworm"
DISK_SIZE_MIB = 6144
PART_OFFSET = 1048576  # first partition at sector 2048 (leaves the MBR gap for GRUB's core.img)
MGMT_IFACE = "enp0s2"  # virtio-net at the fixed address 00:02.0

# The kernel is installed in the chroot step, once the initramfs configuration is in place, so
# that only one (small) initramfs is ever generated.
BOOTSTRAP_PACKAGES = [
    "systemd-sysv", "openssh-server", "python3", "iproute2", "pciutils",
    "kmod", "udev", "ifupdown", "isc-dhcp-client",
]
CHROOT_PACKAGES = [
    "linux-image-amd64", "grub-pc", "ethtool", "libvirt-daemon-system", "libvirt-clients", "python3-libvirt",
]
# Units that cost boot time or run work a throwaway test VM never needs.
MASKED_UNITS = [
    "apt-daily.timer", "apt-daily-upgrade.timer", "apt-daily.service",
    "apt-daily-upgrade.service", "man-db.timer", "man-db.service", "e2scrub_all.timer",
    "e2scrub_reap.service", "fstrim.timer", "logrotate.timer", "dpkg-db-backup.timer",
    "systemd-tmpfiles-clean.timer", "libvirt-guests.service", "remote-fs.target",
]
# A variant with `packages` or its own `suite` (default SUITE) is built from scratch (its own
# debootstrap, sharing the .deb cache): packages go in through the build chroot, as no image is
# ever mounted. The others are a copy of base with another GRUB_CMDLINE_LINUX. `guest` carries what nested guests need (QEMU,
# libvirt's QEMU driver, busybox for their initramfs): a variant, not the base list, so that
# the scenarios without nested guests keep a smaller image and a libvirtd that never probes
# QEMU's capabilities (emulated seconds on every first libvirt call), at the price of one more
# (~1.5 min) build in CI.
VARIANTS = {
    "base": {"grub_cmdline_linux": ""},
    "iommu": {"grub_cmdline_linux": "intel_iommu=on iommu=pt"},
    "guest": {"grub_cmdline_linux": "intel_iommu=on iommu=pt",
              "packages": ["qemu-system-x86", "libvirt-daemon-driver-qemu", "busybox-static",
                           "cpio"]},
    # Debian 13 (kernel 6.12): base's configuration on another suite, its own debootstrap.
    "trixie": {"grub_cmdline_linux": "", "suite": "trixie"},
}

SETUP_SCRIPT = """#!/bin/sh
# directiron.sriov lab: image finalisation. Runs once as init= at image build time
# (never on a normal boot): installs GRUB on the disk, regenerates grub.cfg, powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -o remount,rw / 2>/dev/null
grep -q ' /proc ' /proc/mounts 2>/dev/null || mount -t proc proc /proc
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        lab.grub_cmdline_linux=*)
            value=$(echo "${arg#lab.grub_cmdline_linux=}" | tr ',' ' ')
            sed -i "s/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=\\"$value\\"/" /etc/default/grub
            ;;
    esac
done
if grub-install --target=i386-pc /dev/vda && update-grub; then
    grep '^GRUB_CMDLINE_LINUX=' /etc/default/grub
    echo LAB-SETUP-OK
else
    echo LAB-SETUP-FAILED
fi
sync
echo o > /proc/sysrq-trigger
sleep 30
"""

PROBE_SCRIPT = """#!/bin/sh
# directiron.sriov lab: accelerator probe. Runs as init= on a throwaway overlay: if the
# kernel got this far the accelerator works.
echo LAB-PROBE-OK
echo o > /proc/sysrq-trigger
sleep 30
"""

INITRAMFS_CONF = """# directiron.sriov lab: only the modules the root disk needs (hooks/lab-root)
MODULES=list
"""

INITRAMFS_HOOK = """#!/bin/sh
# directiron.sriov lab: root on virtio-blk, ext4; loaded by the initramfs at boot.
PREREQ=""
prereqs() { echo "$PREREQ"; }
case "$1" in prereqs) prereqs; exit 0 ;; esac
. /usr/share/initramfs-tools/hook-functions
for module in virtio_pci virtio_blk ext4 crc32c_generic; do
    force_load "$module"
done
"""

GRUB_DEFAULT = """# directiron.sriov lab guest. GRUB_CMDLINE_LINUX carries the arguments under test
# (empty in the base image); the console arguments live in GRUB_CMDLINE_LINUX_DEFAULT.
# no_timer_check: under software emulation on a loaded host the kernel's IO-APIC timer check
# can fail with interrupt remapping on ("timer doesn't work through Interrupt-remapped
# IO-APIC", a panic seen here); the check proves nothing about the code under test.
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_TIMEOUT_STYLE=hidden
GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`
GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0,115200 no_timer_check"
GRUB_CMDLINE_LINUX="%s"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_LINUX_UUID=true
GRUB_DISABLE_RECOVERY=true
GRUB_DISABLE_OS_PROBER=true
"""


def detect_mirror(apt_dir="/etc/apt"):
    """The Debian mirror this machine's apt uses (deb822 `URIs:` and one-line `deb` entries).

    Comments, deb-src entries and the security suite are ignored. DIRECTIRON_LAB_MIRROR
    overrides; http://deb.debian.org/debian is the fallback.
    """
    if os.environ.get("DIRECTIRON_LAB_MIRROR"):
        return os.environ["DIRECTIRON_LAB_MIRROR"].rstrip("/")
    candidates = []
    for path in sorted(glob.glob(os.path.join(apt_dir, "sources.list.d", "*.sources"))):
        candidates.extend(_deb822_uris(_read(path)))
    for path in [os.path.join(apt_dir, "sources.list")] + sorted(
            glob.glob(os.path.join(apt_dir, "sources.list.d", "*.list"))):
        candidates.extend(_one_line_uris(_read(path)))
    for uri, suites in candidates:
        if "security" in uri or any("security" in suite for suite in suites):
            continue
        if uri.rstrip("/").endswith("/debian"):
            return uri.rstrip("/")
    return "http://deb.debian.org/debian"


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _deb822_uris(text):
    result = []
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            line = line.split("#", 1)[0].rstrip()
            if not line or line[0].isspace() or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.split()
        if "deb" not in fields.get("types", []) or fields.get("enabled", ["yes"]) == ["no"]:
            continue
        for uri in fields.get("uris", []):
            result.append((uri, fields.get("suites", [])))
    return result


def _one_line_uris(text):
    result = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            result.append((words[0], [words[1]]))
    return result


def ssh_key_path():
    """The lab's private key (generated once, kept in the cache dir)."""
    key = os.path.join(cache_dir(), "id_ed25519")
    if not os.path.exists(key):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "directiron-sriov-lab",
             "-f", key])
    os.chmod(key, 0o600)
    return key


def suite(variant):
    """The Debian suite a variant is built from."""
    return VARIANTS[variant].get("suite", SUITE)


def input_hash(variant):
    """Hash of everything that goes into an image: a change means a rebuild."""
    with open(ssh_key_path() + ".pub") as handle:
        pubkey = handle.read().strip()
    inputs = {
        "build_version": BUILD_VERSION, "suite": suite(variant), "variant": variant,
        "bootstrap_packages": BOOTSTRAP_PACKAGES, "chroot_packages": CHROOT_PACKAGES,
        "masked_units": MASKED_UNITS, "grub": GRUB_DEFAULT, "setup": SETUP_SCRIPT,
        "probe": PROBE_SCRIPT, "disk_mib": DISK_SIZE_MIB, "pubkey": pubkey,
        "initramfs": [INITRAMFS_CONF, INITRAMFS_HOOK], "libvirtd": "socket-activated",
        "variant_args": VARIANTS[variant],
    }
    if variant != "base":
        inputs["base"] = input_hash("base")
    blob = json.dumps(inputs, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def image_dir(variant):
    return os.path.join(cache_dir(), "%s-%s" % (variant, input_hash(variant)))


def image_path(variant):
    """Path of the cached disk of a variant (exists only once built)."""
    return os.path.join(image_dir(variant), "disk.raw")


def is_built(variant):
    return os.path.exists(os.path.join(image_dir(variant), "build.json"))


def build(variant="base", accel_args=None):
    """Build or reuse the image of `variant`; returns the path of its raw disk."""
    if variant not in VARIANTS:
        raise LabError("unknown variant %r (choose from %s)" % (variant, ", ".join(VARIANTS)))
    if is_built(variant):
        return image_path(variant)
    if os.geteuid() != 0:
        raise LabError("building the lab image needs root (debootstrap, chroot); "
                       "run `python -m lab build` as root once, later runs reuse the cache")
    lock_path = os.path.join(cache_dir(), ".build.lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another build of the same image: wait, then reuse
        if is_built(variant):
            return image_path(variant)
        if variant == "base" or VARIANTS[variant].get("packages") or "suite" in VARIANTS[variant]:
            _build_from_scratch(variant, accel_args)
        else:
            if not is_built("base"):
                _build_from_scratch("base", accel_args)
            _build_variant(variant, accel_args)
    return image_path(variant)


def _workdir():
    return tempfile.mkdtemp(prefix=".build-", dir=cache_dir())


def _publish(workdir, variant, info):
    """Move a finished build into place atomically (rename of the directory)."""
    with open(os.path.join(workdir, "build.json"), "w") as handle:
        json.dump(info, handle, indent=2, sort_keys=True)
    final = image_dir(variant)
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(workdir, final)
    log("image %s ready: %s", variant, os.path.join(final, "disk.raw"))


def _mounted_under(path):
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mounts") as handle:
        for line in handle:
            mnt = line.split()[1].replace("\\040", " ")
            if mnt == path or mnt.startswith(path + "/"):
                found.append(mnt)
    return sorted(found, reverse=True)


def _remove_workdir(workdir):
    """Remove a build dir, refusing if anything is still mounted inside it."""
    for mnt in _mounted_under(workdir):
        subprocess.run(["umount", "-l", mnt], check=False)
    if _mounted_under(workdir):
        log("not removing %s: still has mounts", workdir)
        return
    shutil.rmtree(workdir, ignore_errors=True)


def _build_from_scratch(variant, accel_args):
    """debootstrap, chroot install, disk, GRUB boot: base, or a variant with more packages."""
    started = time.monotonic()
    workdir = _workdir()
    build_log = os.path.join(workdir, "build.log")
    rootfs = os.path.join(workdir, "rootfs")
    timings = {}
    try:
        mirror = detect_mirror()
        log("building %s image in %s (mirror %s, log %s)", variant, workdir, mirror, build_log)
        step = time.monotonic()
        debs = os.path.join(cache_dir(), "debs")
        os.makedirs(debs, exist_ok=True)
        run(["debootstrap", "--variant=minbase", "--cache-dir=" + debs,
             "--include=" + ",".join(BOOTSTRAP_PACKAGES), suite(variant), rootfs, mirror],
            log_file=build_log)
        timings["debootstrap_s"] = round(time.monotonic() - step, 1)
        log("debootstrap done in %.0f s", timings["debootstrap_s"])

        step = time.monotonic()
        _chroot_install(rootfs, build_log, VARIANTS[variant].get("packages", []))
        timings["chroot_install_s"] = round(time.monotonic() - step, 1)
        log("chroot packages installed in %.0f s", timings["chroot_install_s"])

        _configure_guest(rootfs, mirror, suite(variant), VARIANTS[variant]["grub_cmdline_linux"])
        kernel, initrd = _copy_boot_files(rootfs, workdir)

        step = time.monotonic()
        disk = os.path.join(workdir, "disk.raw")
        _make_disk(rootfs, disk, build_log)
        timings["mkfs_s"] = round(time.monotonic() - step, 1)
        _remove_workdir(rootfs)

        step = time.monotonic()
        _setup_boot(disk, kernel, initrd, workdir, "", accel_args)
        timings["grub_boot_s"] = round(time.monotonic() - step, 1)
        timings["total_s"] = round(time.monotonic() - started, 1)
        log("%s image built in %.0f s (%s)", variant, timings["total_s"], timings)
        _publish(workdir, variant, {"variant": variant, "hash": input_hash(variant),
                                    "mirror": mirror, "timings": timings,
                                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    except BaseException:
        for mnt in _mounted_under(rootfs):
            subprocess.run(["umount", "-l", mnt], check=False)
        log("%s image build failed; log tail:\n%s", variant, tail(build_log, 25))
        _remove_workdir(workdir)
        raise


def _chroot_env():
    env = dict(os.environ)
    env.update({"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    return env


def _chroot_install(rootfs, build_log, extra_packages=()):
    policy = os.path.join(rootfs, "usr/sbin/policy-rc.d")
    _write(policy, "#!/bin/sh\n# no services start inside the build chroot\nexit 101\n", 0o755)
    proc = os.path.join(rootfs, "proc")
    run(["mount", "-t", "proc", "proc", proc], log_file=build_log)
    try:
        env = _chroot_env()
        _write(os.path.join(rootfs, "tmp/grub.seed"),
               "grub-pc grub-pc/install_devices multiselect\n"
               "grub-pc grub-pc/install_devices_empty boolean true\n")
        run(["chroot", rootfs, "debconf-set-selections", "/tmp/grub.seed"],
            log_file=build_log, env=env)
        # A small initramfs (only what mounts the root disk): GRUB reads it through BIOS
        # calls, which under TCG costs about a second per MiB (36 MiB with MODULES=most).
        # The NIC drivers load later from the root fs, as on a real host.
        _write(os.path.join(rootfs, "etc/initramfs-tools/conf.d/lab.conf"), INITRAMFS_CONF)
        _write(os.path.join(rootfs, "etc/initramfs-tools/hooks/lab-root"), INITRAMFS_HOOK, 0o755)
        run(["chroot", rootfs, "apt-get", "install", "-y", "-q", "--no-install-recommends",
             "-o", "Dpkg::Use-Pty=0"] + CHROOT_PACKAGES + list(extra_packages), log_file=build_log, env=env)
        run(["chroot", rootfs, "apt-get", "clean"], log_file=build_log, env=env)
        # libvirtd is socket-activated (the first client starts it; Debian runs it with
        # --timeout 120 anyway): starting it at boot costs ~25 s of emulated CPU.
        wants = os.path.join(rootfs, "etc/systemd/system/multi-user.target.wants/libvirtd.service")
        if os.path.lexists(wants):
            os.unlink(wants)
        run(["chroot", rootfs, "systemctl", "enable", "libvirtd.socket", "libvirtd-ro.socket",
             "libvirtd-admin.socket"], log_file=build_log, env=env)
    finally:
        subprocess.run(["umount", proc], check=False)
        if _mounted_under(proc):
            subprocess.run(["umount", "-l", proc], check=False)
    os.unlink(policy)
    os.unlink(os.path.join(rootfs, "tmp/grub.seed"))


def _write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".lab-tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def _configure_guest(rootfs, mirror, suite_name, grub_cmdline_linux):
    """Everything the guest needs to boot fast and be reachable by root over SSH."""
    _write(os.path.join(rootfs, "etc/hostname"), "lab\n")
    _write(os.path.join(rootfs, "etc/hosts"),
           "127.0.0.1\tlocalhost\n127.0.1.1\tlab\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    _write(os.path.join(rootfs, "etc/fstab"),
           "# <file system> <mount point> <type> <options> <dump> <pass>\n"
           "/dev/vda1 / ext4 errors=remount-ro 0 1\n")
    _write(os.path.join(rootfs, "etc/apt/sources.list"), "deb %s %s main\n" % (mirror, suite_name))
    # Only the management NIC: the igb PFs and the e1000s are left to the code under test.
    _write(os.path.join(rootfs, "etc/network/interfaces"),
           "# directiron.sriov lab: management NIC only (virtio-net at 00:02.0)\n"
           "source /etc/network/interfaces.d/*\n\n"
           "auto lo\niface lo inet loopback\n\n"
           "allow-hotplug %s\niface %s inet dhcp\n" % (MGMT_IFACE, MGMT_IFACE))
    ssh_dir = os.path.join(rootfs, "root/.ssh")
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    with open(ssh_key_path() + ".pub") as handle:
        _write(os.path.join(ssh_dir, "authorized_keys"), handle.read(), 0o600)
    _write(os.path.join(rootfs, "etc/ssh/sshd_config.d/lab.conf"),
           "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n")
    _write(os.path.join(rootfs, "etc/default/grub"),
           GRUB_DEFAULT % grub_cmdline_linux)
    _write(os.path.join(rootfs, "usr/local/sbin/lab-setup"), SETUP_SCRIPT, 0o755)
    _write(os.path.join(rootfs, "usr/local/sbin/lab-probe"), PROBE_SCRIPT, 0o755)
    # A lab VM's journal is throwaway: keep it in memory.
    _write(os.path.join(rootfs, "etc/systemd/journald.conf.d/lab.conf"),
           "[Journal]\nStorage=volatile\n")
    for unit in MASKED_UNITS:
        link = os.path.join(rootfs, "etc/systemd/system", unit)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink("/dev/null", link)


def _copy_boot_files(rootfs, workdir):
    kernels = sorted(glob.glob(os.path.join(rootfs, "boot/vmlinuz-*")))
    initrds = sorted(glob.glob(os.path.join(rootfs, "boot/initrd.img-*")))
    if not kernels or not initrds:
        raise LabError("no kernel/initrd in %s/boot" % rootfs)
    kernel = os.path.join(workdir, "vmlinuz")
    initrd = os.path.join(workdir, "initrd.img")
    shutil.copyfile(kernels[-1], kernel)
    shutil.copyfile(initrds[-1], initrd)
    return kernel, initrd


def _make_disk(rootfs, disk, build_log):
    with open(disk, "wb") as handle:
        handle.truncate(DISK_SIZE_MIB * 1024 * 1024)
    proc = subprocess.run(["sfdisk", "-q", disk], input=b"start=2048, type=83, bootable\n",
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        raise LabError("sfdisk failed: %s" % proc.stdout.decode("utf-8", "replace"))
    fs_mib = DISK_SIZE_MIB - PART_OFFSET // (1024 * 1024)
    run(["mkfs.ext4", "-q", "-F", "-L", "labroot", "-E", "offset=%d" % PART_OFFSET,
         "-d", rootfs, disk, "%dM" % fs_mib], log_file=build_log)


def boot_once(disk, kernel, initrd, append, serial_log, accel_args, timeout, marker,
              disk_format="raw"):
    """Boot a disk with -kernel/-initrd and `append`, wait for qemu to exit; True if the
    serial log shows `marker`. The VM is stopped by its pid when the timeout passes."""
    argv = ["qemu-system-x86_64"] + list(accel_args) + base_machine_args(1536) + [
        "-drive", "file=%s,if=none,id=d0,format=%s" % (disk, disk_format),
        "-device", "virtio-blk-pci,drive=d0,addr=7",
        "-kernel", kernel, "-initrd", initrd, "-append", append,
        "-no-reboot", "-display", "none", "-monitor", "none", "-serial", "file:" + serial_log,
        "-nodefaults",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    with open(serial_log, "rb") as handle:
        return marker.encode() in handle.read()


def _setup_boot(disk, kernel, initrd, workdir, grub_cmdline_linux, accel_args):
    """Boot once with init=lab-setup: grub-install + update-grub, then power off."""
    if accel_args is None:
        accel_args = tcg_args()
    serial = os.path.join(workdir, "setup-serial.log")
    append = "root=/dev/vda1 rw console=ttyS0,115200 no_timer_check init=/usr/local/sbin/lab-setup"
    if grub_cmdline_linux:
        append += " lab.grub_cmdline_linux=" + grub_cmdline_linux.replace(" ", ",")
    if not boot_once(disk, kernel, initrd, append, serial, accel_args, 300, "LAB-SETUP-OK"):
        raise LabError("GRUB setup boot failed; serial log tail:\n%s" % tail(serial, 30))


def _build_variant(variant, accel_args):
    started = time.monotonic()
    base = image_dir("base")
    workdir = _workdir()
    try:
        log("building %s image from base (%s)", variant, base)
        for name in ("vmlinuz", "initrd.img"):
            shutil.copyfile(os.path.join(base, name), os.path.join(workdir, name))
        disk = os.path.join(workdir, "disk.raw")
        run(["cp", "--sparse=always", "--reflink=auto", os.path.join(base, "disk.raw"), disk])
        _setup_boot(disk, os.path.join(workdir, "vmlinuz"), os.path.join(workdir, "initrd.img"),
                    workdir, VARIANTS[variant]["grub_cmdline_linux"], accel_args)
        total = round(time.monotonic() - started, 1)
        log("%s image built in %.0f s", variant, total)
        _publish(workdir, variant, {"variant": variant, "hash": input_hash(variant),
                                    "from": base, "timings": {"total_s": total},
                                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                              time.gmtime())})
    except BaseException:
        _remove_workdir(workdir)
        raise


def prune(referenced, dry_run=False):
    """Remove cached images that are neither current (this code's hash) nor under an overlay.

    `referenced` is the set of disk paths existing VM overlays sit on. Returns removed dirs.
    """
    keep = {image_dir(variant) for variant in VARIANTS}
    keep |= {os.path.dirname(path) for path in referenced if path}
    removed = []
    for name in sorted(os.listdir(cache_dir())):
        path = os.path.join(cache_dir(), name)
        if not os.path.isdir(path) or name.split("-", 1)[0] not in VARIANTS:
            continue
        if path in keep or not os.path.exists(os.path.join(path, "build.json")):
            continue
        removed.append(path)
        if not dry_run:
            shutil.rmtree(path)
    return removed
