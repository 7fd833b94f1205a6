# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults under a running site.yml, on a real lab VM: runs at once, libvirtd stopped, a full disk
under the persisted config, a hard reboot in the middle of a converge.

Each test drives playbooks/site.yml (through ../converge.yml) from the controller as a user
would, and reads the outcome with the host's own tools (ip -d -j link, sysfs, the files the
collection writes). The tests run in file order; each one leaves the host converged and healthy
for the next, whatever it did in between (also when it fails: cleanups run in ``finally``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
REPO = os.path.abspath(os.path.join(SCENARIO, "..", "..", ".."))
with open(os.path.join(SCENARIO, "inventory.yml")) as _handle:
    BASELINE = yaml.safe_load(_handle)
PF = "enp1s0"
PF_ADDRESS = "0000:01:00.0"
CONFIG = "/etc/directiron-sriov/vfs.json"
# Every file the collection writes on this host (the state a failed run must leave as it was).
FILES = (CONFIG, "/usr/local/libexec/directiron-sriov-replay",
         "/etc/systemd/system/directiron-sriov-vfs.service",
         "/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules")
LIBVIRT_UNITS = "libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket"
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def request(num_vfs, vlan):
    """The baseline inventory with enp1s0's VF count and VF 0's VLAN (and a MAC from it)."""
    inventory = copy.deepcopy(BASELINE)
    pf = inventory["sriov_pfs"][0]
    pf["num_vfs"] = num_vfs
    pf["vfs"][0].update({"vlan": vlan, "mac": "02:1c:00:00:%02x:00" % vlan})
    return inventory


def write_inventory(inventory):
    handle = tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="faults-", delete=False)
    with handle:
        yaml.safe_dump(inventory, handle)
    return handle.name


def site_command(inventory_path):
    argv = [sys.executable, "-m", "ansible.cli.playbook", os.path.join(SCENARIO, "converge.yml"),
            "-e", "faults_inventory=%s" % inventory_path]
    if os.environ.get("MOLECULE_INVENTORY_FILE"):
        argv[3:3] = ["-i", os.environ["MOLECULE_INVENTORY_FILE"]]
    return argv


def start_site(inventory, env=None):
    """site.yml as a background process: (Popen, inventory path)."""
    path = write_inventory(inventory)
    proc = subprocess.Popen(site_command(path), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **(env or {})))
    return proc, path


def finish(proc, path, timeout=1200):
    try:
        out = proc.communicate(timeout=timeout)[0]
    finally:
        os.unlink(path)
    recap = dict((m.group(1), [int(x) for x in m.groups()[1:]]) for m in RECAP.finditer(out))
    return proc.returncode, out, recap


def run_site(inventory):
    return finish(*start_site(inventory))


def stopped_before_any_change(rc, out, recap):
    """The run failed in the checks play: the converge play never started, nothing changed."""
    return rc != 0 and "PLAY [Converge SR-IOV hypervisors]" not in out and \
        bool(recap) and all(counts[1] == 0 for counts in recap.values())


def lab(*argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "lab"] + list(argv), cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=kwargs.get("timeout", 120), check=False)


def vm_name(host):
    """The lab VM behind this host: molecule's create names it <scenario>-<platform>."""
    return "%s-%s" % (os.environ.get("MOLECULE_SCENARIO_NAME", "faults"), host.backend.get_hostname())


def live(host):
    """enp1s0's VF count and VF 0's MAC and VLAN, read with ip and sysfs."""
    numvfs = int(host.file("/sys/bus/pci/devices/%s/sriov_numvfs" % PF_ADDRESS).content_string)
    link = json.loads(host.check_output("ip -d -j link show dev %s" % PF))[0]
    vf0 = dict((vf["vf"], vf) for vf in link.get("vfinfo_list", [])).get(0, {})
    vlan = (vf0.get("vlan_list") or [{}])[0].get("vlan", vf0.get("vlan"))
    return {"num_vfs": numvfs, "mac": vf0.get("address"), "vlan": vlan}


def persisted(host):
    """The same three values from the persisted boot config."""
    config = json.loads(host.file(CONFIG).content_string)
    for pf in config["pfs"]:
        if pf["pf"] in (PF, PF_ADDRESS):
            vf0 = [vf for vf in pf.get("vfs", []) if vf["id"] == 0][0]
            return {"num_vfs": pf["num_vfs"], "mac": vf0.get("mac"), "vlan": vf0.get("vlan")}
    raise AssertionError("%s is not in %s" % (PF, CONFIG))


def expected(inventory):
    pf = inventory["sriov_pfs"][0]
    return {"num_vfs": pf["num_vfs"], "mac": pf["vfs"][0]["mac"], "vlan": pf["vfs"][0]["vlan"]}


def snapshot(host):
    """What a failed run must not change: the VF state of both PFs and the collection's files."""
    state = {}
    for pf in ("enp1s0", "enp2s0"):
        link = json.loads(host.check_output("ip -d -j link show dev %s" % pf))[0]
        state[pf] = sorted(json.dumps(vf, sort_keys=True) for vf in link.get("vfinfo_list", []))
    for path in FILES:
        found = host.file(path)
        state[path] = hashlib.sha256(found.content).hexdigest() if found.exists else None
    state["networks"] = host.check_output("ls /etc/libvirt/qemu/networks")
    return state


def assert_converged(host, inventory):
    want = expected(inventory)
    assert live(host) == want
    assert persisted(host) == want


def test_the_converge_applied_the_baseline(host):
    assert_converged(host, BASELINE)


def test_two_runs_at_once_end_in_one_of_the_two_requests(host):
    """Two site runs started together: the per-host lock puts one after the other; the host ends
    in one of the two requests as a whole, and the boot config says the same as the live state."""
    first, second = request(2, 0x20), request(4, 0x40)
    runs = [start_site(first), start_site(second)]
    results = [finish(*run) for run in runs]
    for rc, out, recap in results:
        # A run either converged, or stopped in its read-only preflight (it read the host while the
        # other run was changing it) before it changed anything: never a half-applied failure.
        assert rc == 0 or stopped_before_any_change(rc, out, recap), out[-3000:]
    assert any(result[0] == 0 for result in results)
    state = live(host)
    assert state in (expected(first), expected(second)), state
    assert persisted(host) == state


def test_libvirtd_stopped_stops_the_run_before_any_change(host):
    before = snapshot(host)
    host.check_output("systemctl stop %s" % LIBVIRT_UNITS)
    try:
        rc, out, recap = run_site(request(4, 0x44))
        assert stopped_before_any_change(rc, out, recap), out[-3000:]
        assert "cannot connect to libvirt at qemu:///system" in out, out[-3000:]
        assert snapshot(host) == before
    finally:
        host.check_output("systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket")


def test_a_full_disk_keeps_the_previous_config_and_says_why(host):
    before = host.file(CONFIG).content
    # A small tmpfs over the config directory, holding the current config, then filled up.
    host.check_output("cp -a /etc/directiron-sriov /run/faults-config && "
                      "mount -t tmpfs -o size=64k tmpfs /etc/directiron-sriov && "
                      "cp -a /run/faults-config/. /etc/directiron-sriov/ && "
                      "(dd if=/dev/zero of=/etc/directiron-sriov/filler bs=4k 2>/dev/null || true)")
    try:
        rc, out = run_site(request(4, 0x45))[:2]
        assert rc != 0
        assert "No space left on device" in out or "ENOSPC" in out, out[-3000:]
        assert CONFIG in out, out[-3000:]
        # The previous config is whole (not truncated, not replaced by a partial file).
        assert host.file(CONFIG).content == before
    finally:
        host.check_output("umount /etc/directiron-sriov && rm -rf /run/faults-config")
    assert host.file(CONFIG).content == before
    rc, out = run_site(request(4, 0x45))[:2]
    assert rc == 0, out[-3000:]
    assert_converged(host, request(4, 0x45))


def test_a_reboot_in_the_middle_of_a_converge_then_a_rerun(host):
    """A watcher on the host reboots it hard (sysrq b, no sync) the moment a VF write takes the
    per-host lock; the host comes back (the replay applies the last persisted state), the
    re-run converges."""
    name = vm_name(host)
    host.check_output("echo 1 > /proc/sys/kernel/sysrq")
    # The first holder of the lock that is not kernel_cmdline (the IOMMU role) is the VF write.
    watcher = ("nohup sh -c 'while :; do c=$(cat /run/directiron-sriov.lock 2>/dev/null); case \"$c\" in "
               "*purpose*kernel_cmdline*) ;; *purpose*) break;; esac; sleep 0.05; done; "
               "echo b > /proc/sysrq-trigger' >/dev/null 2>&1 &")
    host.check_output(watcher)
    boot_before = host.file("/proc/sys/kernel/random/boot_id").content_string.strip()
    wanted = request(5, 0x50)
    # A host that vanishes mid-task sends no FIN: without keep-alives the SSH session of the cut
    # run would wait for TCP's own timeout (many minutes), as a user's would. No ControlMaster:
    # a master left by an earlier run (without keep-alives) would carry this run's sessions.
    ssh_args = "-C -o ControlMaster=no -o ServerAliveInterval=5 -o ServerAliveCountMax=4"
    proc, path = start_site(wanted, env={"ANSIBLE_SSH_ARGS": ssh_args})
    cut = None
    try:
        deadline = time.time() + 900
        while True:
            # A probe that hangs (the VM is going down or booting; slow when another VM shares
            # the CPUs) is a "not yet": only the deadline ends the wait.
            try:
                probe = lab("ssh", name, "--", "cat", "/proc/sys/kernel/random/boot_id", timeout=60)
            except subprocess.TimeoutExpired:
                probe = None
            if probe is not None and probe.returncode == 0 and probe.stdout.strip() and \
                    probe.stdout.strip() != boot_before:
                break
            assert time.time() < deadline, "the VM did not come back after the reboot"
            time.sleep(5)
        # The host rebooted while the run was in it: the run ends failed (or is ended here).
        try:
            cut = finish(proc, path, timeout=180)
        except subprocess.TimeoutExpired:
            cut = (None, "", {})
    finally:
        if proc.poll() is None:
            proc.kill()  # our own child, by its pid
            proc.wait()
    assert cut[0] != 0, "the run was not cut by the reboot:\n" + cut[1][-3000:]
    status = lab("ssh", name, "--", "systemctl", "is-system-running", "--wait", timeout=600)
    assert status.stdout.strip() in ("running", "degraded"), status.stdout
    # The boot-time replay applied the last persisted state: live equals persisted.
    assert live(host) == persisted(host)
    rc, out, recap = run_site(wanted)
    assert rc == 0, out[-3000:]
    assert_converged(host, wanted)


def test_zz_a_pf_missing_at_boot_is_reported_and_the_others_applied(host):
    """Runs last: restarts the VM from the same disk without PF 2 (lab down / up --without-pf 2).
    The boot-time replay applies PF 1 in full, reports PF 2 missing, fails its unit (visible in
    systemctl) and the host still reaches multi-user."""
    name = vm_name(host)
    wanted = persisted(host)
    down = lab("down", name, timeout=300)
    assert down.returncode == 0, down.stderr
    up = lab("up", name, "--variant", "iommu", "--without-pf", "2", "--timeout", "900", timeout=1200)
    assert up.returncode == 0, up.stderr

    def ssh(*command):
        proc = lab("ssh", name, "--", *command, timeout=300)
        return proc.returncode, proc.stdout.strip()

    assert ssh("systemctl", "is-active", "multi-user.target") == (0, "active")
    assert ssh("systemctl", "is-failed", "directiron-sriov-vfs.service")[1] == "failed"
    rc, journal = ssh("journalctl", "-b", "-o", "cat", "-u", "directiron-sriov-vfs.service")
    assert rc == 0
    assert "PF 0000:02:00.0 is missing, not applied" in journal or "PF enp2s0 is missing, not applied" in journal, journal
    assert "1 ok (1 changed), 0 failed, 1 missing" in journal, journal
    # PF 1 was applied in full.
    assert ssh("cat", "/sys/bus/pci/devices/%s/sriov_numvfs" % PF_ADDRESS) == (0, str(wanted["num_vfs"]))
    rc, out = ssh("ip", "-d", "-j", "link", "show", "dev", PF)
    vf0 = dict((vf["vf"], vf) for vf in json.loads(out)[0]["vfinfo_list"])[0]
    assert vf0["address"] == wanted["mac"]
    rc, status = ssh("systemctl", "status", "--no-pager", "-n", "20", "directiron-sriov-vfs.service")
    assert rc != 0 and "missing" in status
