# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MTU on a PF and its VFs' host netdevs, read with the guest's own tools; a kernel upgrade
(kernel-upgrade.yml: another linux-image from bookworm-security, reboot) keeps the IOMMU arguments
and the boot replay; then the decommission playbook: refused while a /dev/vfio group is open, check
mode changes nothing, the real run leaves nothing of the collection, and with
sriov_decommission_iommu the next boot (reboot.yml) runs without the IOMMU arguments. The tests run
in file order; from the kernel upgrade on they change the VM."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import warnings

import yaml

from testinfra.modules.ansible import AnsibleException

HERE = os.path.dirname(os.path.abspath(__file__))
INVENTORY_VARS = os.path.join(HERE, "..", "inventory.yml")
with open(INVENTORY_VARS) as _handle:
    INVENTORY = yaml.safe_load(_handle)
COLLECTION = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
PF1, PF1_ADDRESS = "enp1s0", "0000:01:00.0"
PF2, PF2_ADDRESS = "enp2s0", "0000:02:00.0"
NETWORK = INVENTORY["sriov_pools"][0]["name"]
# Everything docs/footprint.md lists as installed on this host by the roles converge ran.
FILES = ["/etc/directiron-sriov/vfs.json", "/etc/directiron-sriov", "/usr/local/libexec/directiron-sriov-replay",
         "/etc/systemd/system/directiron-sriov-vfs.service",
         "/etc/systemd/system/multi-user.target.wants/directiron-sriov-vfs.service",
         "/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules",
         "/etc/modules-load.d/directiron-sriov-vfio.conf"]
# What the collection could leave anywhere (the lock on /run is a tmpfs file, documented as kept)
LEFTOVERS = ("find /etc /usr /var/lib /lib/systemd -xdev -name '*directiron*' 2>/dev/null; "
             "systemctl list-unit-files --no-legend 'directiron*' | cat")


def links(host):
    return dict((link["ifname"], link) for link in json.loads(host.check_output("ip -d -j link show")))


def vf_netdev(host, pf_address, index):
    return host.check_output("ls /sys/bus/pci/devices/%s/virtfn%d/net" % (pf_address, index)).strip()


def vf_driver(host, pf_address, index):
    return host.check_output("basename $(readlink /sys/bus/pci/devices/%s/virtfn%d/driver)" % (pf_address, index))


def numvfs(host, pf_address):
    return int(host.file("/sys/bus/pci/devices/%s/sriov_numvfs" % pf_address).content_string)


def module(host, name, check=False, **args):
    try:
        result = host.ansible(name, json.dumps(args) if args else None, check=check, become=True)
    except AnsibleException as exc:
        return False, exc.result
    return not result.get("failed") and "msg" not in result, result


def playbook(host, path, *extra):
    """ansible-playbook PATH against this VM: (rc, output)."""
    env = dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no "
                                "-o ControlMaster=auto -o ControlPersist=60s",
               ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    argv = [sys.executable, "-m", "ansible.cli.playbook", "-i", host.backend.ansible_inventory,
            path] + list(extra)
    run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                         universal_newlines=True, timeout=1500, check=False)
    return run.returncode, run.stdout


def decommission(host, *extra):
    """The decommission playbook with inventory.yml as the host's inventory (extra vars)."""
    return playbook(host, os.path.join(COLLECTION, "playbooks", "decommission.yml"), "-e", "@" + INVENTORY_VARS,
                    "-e", "sriov_target=%s" % host.backend.host, *extra)


def cmdline_args(host):
    return host.file("/proc/cmdline").content_string.split()


def reboot(host, path):
    """Run a playbook that reboots this VM; warn when the lab's stall guard (kernel-upgrade.yml)
    had to reset a boot, which the VM's serial log records as a panic."""
    vm = "%s-%s" % (os.environ.get("MOLECULE_SCENARIO_NAME", "lifecycle"), host.backend.get_hostname())
    serial = os.path.join(COLLECTION, "lab", "run", vm, "serial.log")

    def panics():
        if not os.path.exists(serial):
            return 0
        with open(serial, errors="replace") as handle:
            return handle.read().count("Kernel panic")
    before = panics()
    rc, out = playbook(host, path)
    if panics() > before:
        warnings.warn("the lab VM panicked on an RCU stall while booting and was reset (see %s)" % serial)
    return rc, out


def footprint(host):
    present = [path for path in FILES if host.run("test -e %s" % path).rc == 0]
    return present, host.check_output(LEFTOVERS).strip()


# -- MTU ---------------------------------------------------------------------------------------------
def test_pf_and_vf_mtus_show_in_ip_link(host):
    info = links(host)
    assert info[PF1]["mtu"] == 9000
    assert info[vf_netdev(host, PF1_ADDRESS, 0)]["mtu"] == 9000
    assert info[vf_netdev(host, PF1_ADDRESS, 1)]["mtu"] == 4000
    assert info[vf_netdev(host, PF1_ADDRESS, 2)]["mtu"] == 1500  # not asked: left alone
    assert info[PF2]["mtu"] == 1500


def test_sriov_facts_report_the_mtus(host):
    ok, result = module(host, "directiron.sriov.sriov_facts")
    assert ok, result
    pf = [p for p in result["ansible_facts"]["sriov"]["pfs"] if p["address"] == PF1_ADDRESS][0]
    assert pf["mtu"] == 9000
    assert [vf["mtu"] for vf in pf["vfs"]] == [9000, 4000, 1500]
    pf2 = [p for p in result["ansible_facts"]["sriov"]["pfs"] if p["address"] == PF2_ADDRESS][0]
    assert pf2["vfs"][0]["mtu"] is None  # on vfio-pci: no host netdev


def test_the_boot_config_keeps_the_mtus(host):
    config = json.loads(host.file("/etc/directiron-sriov/vfs.json").content_string)
    assert config["pfs"][0]["mtu"] == 9000 and config["pfs"][0]["vfs"][1]["mtu"] == 4000


def test_a_vf_mtu_above_its_pf_is_refused_before_anything_changes(host):
    before = host.check_output("ip -d -j link show")
    ok, result = module(host, "directiron.sriov.sriov_vf", pf=PF1, vfs=[{"id": 2, "mtu": 9216}])
    assert not ok and "vfs[0].mtu 9216 is above the MTU 9000 of the PF enp1s0" in result["msg"], result
    ok, result = module(host, "directiron.sriov.sriov_vf", pf=PF1, mtu=9300)
    assert not ok and "max_mtu" in result["msg"], result
    assert host.check_output("ip -d -j link show") == before


# -- a kernel upgrade ---------------------------------------------------------------------------------
def test_a_kernel_upgrade_reboots_into_the_new_kernel(host):
    before = host.check_output("uname -r")
    rc, out = reboot(host, os.path.join(HERE, "..", "kernel-upgrade.yml"))
    assert rc == 0, out
    newest = host.check_output("ls /boot/vmlinuz-* | sort -V | tail -n 1")
    assert host.check_output("uname -r") == newest[len("/boot/vmlinuz-"):] != before, (before, newest)
    assert host.run("dpkg-query -W linux-image-%s" % before).rc == 0  # the old one is still installed


def test_the_new_kernel_booted_with_the_iommu_arguments_and_has_groups(host):
    args = cmdline_args(host)
    assert "intel_iommu=on" in args and "iommu=pt" in args, args
    assert args[0] == "BOOT_IMAGE=/boot/vmlinuz-" + host.check_output("uname -r")
    assert int(host.check_output("ls /sys/kernel/iommu_groups | wc -l")) > 0


def test_the_replay_unit_put_the_vfs_back_on_the_new_kernel(host):
    show = dict(line.split("=", 1) for line in host.check_output(
        "systemctl show -p ActiveState,Result directiron-sriov-vfs.service").splitlines())
    assert show == {"ActiveState": "active", "Result": "success"}
    assert "0 failed, 0 missing" in host.check_output("journalctl -b -o cat -u directiron-sriov-vfs.service")
    assert numvfs(host, PF1_ADDRESS) == 3 and numvfs(host, PF2_ADDRESS) == 1
    info = links(host)
    assert info[PF1]["mtu"] == 9000
    assert [info[vf_netdev(host, PF1_ADDRESS, index)]["mtu"] for index in range(3)] == [9000, 4000, 1500]
    vfinfo = dict((vf["vf"], vf) for vf in info[PF1]["vfinfo_list"])
    assert vfinfo[1]["address"] == "02:1a:00:00:07:01"
    assert (vfinfo[2].get("vlan_list") or [{}])[0].get("vlan", vfinfo[2].get("vlan")) == 200
    assert vf_driver(host, PF2_ADDRESS, 0) == "vfio-pci"


# -- decommission ------------------------------------------------------------------------------------
def test_decommission_is_refused_while_a_vf_group_is_held_open(host):
    group = os.path.basename(host.check_output("readlink /sys/bus/pci/devices/%s/virtfn0/iommu_group" % PF2_ADDRESS))
    pid = int(host.check_output(
        "setsid nohup python3 -c \"import time; f = open('/dev/vfio/%s', 'rb'); time.sleep(900)\" "
        ">/dev/null 2>&1 & echo $!" % group).strip())
    try:
        host.run("sleep 2")
        rc, out = decommission(host)
        assert rc != 0, out
        assert "/dev/vfio/%s is held open by process(es) %d" % (group, pid) in out, out
        assert "Set the VFs of every PF to 0" not in out  # stopped at the check
        assert footprint(host)[0] == FILES
        assert numvfs(host, PF1_ADDRESS) == 3 and numvfs(host, PF2_ADDRESS) == 1
    finally:
        host.run("kill %d" % pid)


def test_decommission_in_check_mode_lists_what_it_would_remove_and_changes_nothing(host):
    before = host.check_output("cat /etc/default/grub; virsh -c qemu:///system net-list --all --name")
    rc, out = decommission(host, "--check", "-e", "sriov_decommission_iommu=true")
    assert rc == 0, out
    for path in ("/usr/local/libexec/directiron-sriov-replay", "/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules",
                 "/etc/modules-load.d/directiron-sriov-vfio.conf", NETWORK,
                 "set sriov_numvfs of %s from 3 to 0" % PF1_ADDRESS):
        assert path in out, out
    removed_args = out.split("kernel_args_removed")[-1].split("kernel_cmdline_actions")[0]
    assert "intel_iommu=on" in removed_args and "iommu=pt" in removed_args, out
    assert footprint(host)[0] == FILES
    assert numvfs(host, PF1_ADDRESS) == 3
    assert host.check_output("cat /etc/default/grub; virsh -c qemu:///system net-list --all --name") == before


def test_a_pf_with_state_absent_loses_its_vfs_and_leaves_the_boot_config(host):
    rc, out = playbook(host, os.path.join(HERE, "..", "pf-absent.yml"))
    assert rc == 0, out
    assert numvfs(host, PF1_ADDRESS) == 0
    config = json.loads(host.file("/etc/directiron-sriov/vfs.json").content_string)
    assert config["addresses"] == [PF2_ADDRESS], config
    assert PF1_ADDRESS not in host.file("/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules").content_string
    # the other PF keeps its VF on vfio-pci
    assert numvfs(host, PF2_ADDRESS) == 1
    assert vf_driver(host, PF2_ADDRESS, 0) == "vfio-pci"


def test_decommission_leaves_nothing_of_the_collection(host):
    grub = host.file("/etc/default/grub").content_string
    rc, out = decommission(host)
    assert rc == 0, out
    assert numvfs(host, PF1_ADDRESS) == 0 and numvfs(host, PF2_ADDRESS) == 0
    present, leftovers = footprint(host)
    assert present == [] and leftovers == "", (present, leftovers)
    assert NETWORK not in host.check_output("virsh -c qemu:///system net-list --all --name").split()
    assert host.run("systemctl status directiron-sriov-vfs.service").rc == 4  # no such unit
    # the IOMMU arguments stay unless asked for
    assert host.file("/etc/default/grub").content_string == grub and "intel_iommu=on" in grub


def test_decommission_again_with_the_iommu_switch_only_takes_the_arguments_off(host):
    rc, out = decommission(host, "-e", "sriov_decommission_iommu=true")
    assert rc == 0, out
    assert "changed=1 " in out.split("PLAY RECAP")[-1], out  # everything else was gone already
    grub = host.file("/etc/default/grub").content_string
    assert "intel_iommu=on" not in grub and "iommu=pt" not in grub, grub
    assert "intel_iommu=on" in cmdline_args(host)  # until the next boot


def test_after_a_reboot_the_kernel_runs_without_the_iommu_arguments_and_nothing_is_left(host):
    rc, out = reboot(host, os.path.join(HERE, "..", "reboot.yml"))
    assert rc == 0, out
    args = cmdline_args(host)
    assert not [arg for arg in args if arg.startswith(("intel_iommu=", "amd_iommu=", "iommu="))], args
    assert footprint(host) == ([], "")
    assert numvfs(host, PF1_ADDRESS) == 0 and numvfs(host, PF2_ADDRESS) == 0
