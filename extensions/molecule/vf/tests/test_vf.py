# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_vf on real igb PFs: what converge did, read with the guest's own tools, then the module
driven directly: idempotence, check mode, an open vfio group, force (4 -> 0 -> 6) and the
management guard. The tests run in file order; the later ones change the VM."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest
import yaml

from testinfra.modules.ansible import AnsibleException

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "wanted.yml")) as _handle:
    WANTED = yaml.safe_load(_handle)
PF = WANTED["vf_pf"]
PF_ADDRESS = "0000:01:00.0"
OTHER_PF = "enp2s0"


def sriov_vf(host, check=False, **args):
    """Run the module on the guest: (True, result) or (False, failure result).

    testinfra reads the result from `ansible --tree`, where ansible-core 2.19 leaves out the
    `failed` key. A failure of this module carries `msg` (and the `actions` done before it); a
    success returns no `msg`.
    """
    try:
        result = host.ansible("directiron.sriov.sriov_vf", json.dumps(args), check=check)
    except AnsibleException as exc:
        return False, exc.result
    return not result.get("failed") and "msg" not in result, result


def converge_args(**extra):
    args = {"pf": PF, "num_vfs": WANTED["vf_num_vfs"], "vfs": WANTED["vf_entries"]}
    args.update(extra)
    return args


def vfinfo(host, pf=PF):
    link = json.loads(host.check_output("ip -d -j link show dev %s" % pf))[0]
    return dict((vf["vf"], vf) for vf in link.get("vfinfo_list", []))


def vf_address(host, index, pf_address=PF_ADDRESS):
    return os.path.basename(host.check_output("readlink /sys/bus/pci/devices/%s/virtfn%d" % (pf_address, index)))


def vf_driver(host, address):
    out = host.run("readlink /sys/bus/pci/devices/%s/driver" % address)
    return os.path.basename(out.stdout.strip()) if out.rc == 0 else None


def vf_group(host, address):
    return os.path.basename(host.check_output("readlink /sys/bus/pci/devices/%s/iommu_group" % address))


def sysfs_snapshot(host):
    """Everything sriov_vf could change on the PF, as text."""
    return host.check_output(
        "cd /sys/bus/pci/devices/%s && cat sriov_numvfs sriov_drivers_autoprobe && "
        "for v in virtfn*; do echo $v $(readlink $v) $(readlink $v/driver) $(cat $v/driver_override); done; "
        "ip -d -j link show dev %s" % (PF_ADDRESS, PF))


def test_four_vfs_exist(host):
    assert host.file("/sys/bus/pci/devices/%s/sriov_numvfs" % PF_ADDRESS).content_string.strip() == "4"
    assert len(vfinfo(host)) == 4


def test_per_vf_settings_show_in_ip_link(host):
    info = vfinfo(host)
    for wanted in WANTED["vf_entries"]:
        vf = info[wanted["id"]]
        if "mac" in wanted:
            assert vf["address"] == wanted["mac"]
        if "vlan" in wanted:
            assert vf["vlan_list"][0]["vlan"] == wanted["vlan"]
            assert vf["vlan_list"][0].get("qos", 0) == wanted.get("qos", 0)
        if "trust" in wanted:
            assert vf["trust"] is wanted["trust"]
        if "spoofchk" in wanted:
            assert vf["spoofchk"] is wanted["spoofchk"]
    # an untagged VF: iproute2 prints "vlan_list": [{}]
    assert info[3].get("vlan_list", [{}])[0].get("vlan", 0) == 0


def test_two_vfs_on_vfio_pci_with_their_dev_vfio_group(host):
    for wanted in WANTED["vf_entries"]:
        address = vf_address(host, wanted["id"])
        if wanted.get("driver") == "vfio-pci":
            assert vf_driver(host, address) == "vfio-pci"
            assert host.file("/sys/bus/pci/devices/%s/driver_override" % address).content_string.strip() == "vfio-pci"
            assert host.run("test -c /dev/vfio/%s" % vf_group(host, address)).rc == 0
        else:
            assert vf_driver(host, address) == "igbvf"


def test_second_identical_run_changes_nothing(host):
    ok, result = sriov_vf(host, **converge_args())
    assert ok, result
    assert result["changed"] is False and result["actions"] == []


def test_check_mode_changes_nothing(host):
    before = sysfs_snapshot(host)
    ok, result = sriov_vf(host, check=True, **converge_args(num_vfs=6, vf_driver="default", drivers_autoprobe=False))
    assert ok, result
    assert result["changed"] is True
    assert "set sriov_numvfs of %s from 4 to 0" % PF_ADDRESS in result["actions"]
    assert sysfs_snapshot(host) == before


@pytest.fixture
def vfio_holder(host):
    """A process holding VF 0's /dev/vfio group open; killed by its pid afterwards."""
    group = vf_group(host, vf_address(host, 0))
    pid = host.check_output(
        "setsid nohup python3 -c \"import time; f = open('/dev/vfio/%s', 'rb'); time.sleep(900)\" "
        ">/dev/null 2>&1 & echo $!" % group).strip()
    host.run("sleep 2")
    yield group, int(pid)
    host.run("kill %d" % int(pid))


def test_open_vfio_group_blocks_4_to_6_until_force(host, vfio_holder):
    group, pid = vfio_holder
    assert host.run("test -d /proc/%d" % pid).rc == 0
    before = sysfs_snapshot(host)
    ok, result = sriov_vf(host, **converge_args(num_vfs=6))
    assert not ok
    assert "/dev/vfio/%s is held open by process(es) %d" % (group, pid) in result["msg"]
    assert "force" in result["msg"]
    assert sysfs_snapshot(host) == before
    # the holder keeps the group open: force removes the VFs anyway (only a guest's device fd
    # would make the kernel wait); the refusal becomes a warning
    ok, result = sriov_vf(host, **converge_args(num_vfs=6, force=True))
    assert ok, result
    assert host.run("test -d /proc/%d" % pid).rc == 0
    # the new VFs are made without a driver, configured through the PF, then probed (autoprobe back on)
    assert result["actions"][:3] == ["set sriov_numvfs of %s from 4 to 0" % PF_ADDRESS,
                                     "set sriov_drivers_autoprobe of %s to 0 until its new VFs are configured"
                                     % PF_ADDRESS,
                                     "set sriov_numvfs of %s to 6" % PF_ADDRESS]
    assert host.file("/sys/bus/pci/devices/%s/sriov_drivers_autoprobe" % PF_ADDRESS).content_string.strip() == "1"
    assert len(vfinfo(host)) == 6
    assert vfinfo(host)[0]["address"] == WANTED["vf_entries"][0]["mac"]
    assert vf_driver(host, vf_address(host, 0)) == "vfio-pci"


def test_pf_carrying_a_default_route_is_refused(host):
    setup = ("ip link set %(pf)s up && ip addr add 198.51.100.15/24 dev %(pf)s && "
             "ip route add default via 198.51.100.1 dev %(pf)s metric 4000 onlink" % {"pf": OTHER_PF})
    host.run_expect([0], setup)
    try:
        before = host.check_output("cat /sys/class/net/%s/device/sriov_numvfs" % OTHER_PF)
        ok, result = sriov_vf(host, pf=OTHER_PF, num_vfs=2)
        assert not ok
        assert "%s carries the host's default route" % OTHER_PF in result["msg"]
        assert host.check_output("cat /sys/class/net/%s/device/sriov_numvfs" % OTHER_PF) == before
    finally:
        host.run("ip route del default via 198.51.100.1 dev %s metric 4000; ip addr flush dev %s"
                 % (OTHER_PF, OTHER_PF))


# -- coexistence: a systemd .link file that owns the SR-IOV settings of the other PF ----------------
LINK_FILE = "/etc/systemd/network/10-lab-sriov.link"


def module(host, name, check=False, **args):
    try:
        result = host.ansible(name, json.dumps(args), check=check)
    except AnsibleException as exc:
        return False, exc.result
    return not result.get("failed") and "msg" not in result, result


@pytest.fixture
def sriov_link(host):
    """A .link file with SR-IOV settings for OTHER_PF, matched by udev's own ID_PATH; removed afterwards."""
    address = os.path.basename(host.check_output("readlink /sys/class/net/%s/device" % OTHER_PF))
    properties = dict(line.split("=", 1) for line in
                      host.check_output("udevadm info -q property /sys/class/net/%s" % OTHER_PF).splitlines() if "=" in line)
    # the detection compares Path= with pci-ADDRESS: udev's ID_PATH of this PF must be that
    assert properties["ID_PATH"] == "pci-%s" % address
    text = ("[Match]\nPath=%s\n\n[Link]\nNamePolicy=keep kernel database onboard slot path\n"
            "AlternativeNamesPolicy=database onboard slot path\nMACAddressPolicy=persistent\n"
            "SR-IOVVirtualFunctions=2\n\n[SR-IOV]\nVirtualFunction=0\nVLANId=30\n" % properties["ID_PATH"])
    host.run_expect([0], "printf '%%s' '%s' > %s && udevadm control --reload" % (text, LINK_FILE))
    try:
        yield address
    finally:
        host.run("rm -f %s && udevadm control --reload" % LINK_FILE)
        host.run("echo 0 > /sys/class/net/%s/device/sriov_numvfs" % OTHER_PF)


def test_the_link_file_is_one_systemd_applies_to_the_pf(host, sriov_link):
    # systemd is the judge: udev's net_setup_link picks this file for the PF (the first match by
    # name, before 99-default.link), the file sriov_facts then names
    out = host.check_output("udevadm test-builtin net_setup_link /sys/class/net/%s 2>&1" % OTHER_PF)
    assert "ID_NET_LINK_FILE=%s" % LINK_FILE in out, out


def test_facts_report_the_link_file_as_the_owner_of_that_pf_only(host, sriov_link):
    ok, result = module(host, "directiron.sriov.sriov_facts", gather_subset=["pfs"])
    assert ok, result
    owners = dict((pf["address"], pf["owners"]) for pf in result["ansible_facts"]["sriov"]["pfs"])
    assert owners[PF_ADDRESS] == []
    assert [(o["owner"], o["file"], o["matched_by"], o["settings"]) for o in owners[sriov_link]] == [
        ("systemd-udevd (.link)", LINK_FILE, "Path=pci-%s" % sriov_link,
         {"virtual_functions": "2", "vfs": [{"VirtualFunction": "0", "VLANId": "30"}]})]


def test_sriov_host_refuses_the_owned_pf_naming_the_file_then_takes_it_over(host, sriov_link):
    args = {"sriov_pfs": [{"pf": OTHER_PF, "num_vfs": 1}], "persist": False}
    numvfs = "cat /sys/class/net/%s/device/sriov_numvfs" % OTHER_PF
    before = host.check_output(numvfs)
    for check in (True, False):
        ok, result = module(host, "directiron.sriov.sriov_host", check=check, **args)
        assert not ok
        assert result["msg"].startswith("sriov_pfs[0].pf %s (%s): its SR-IOV settings are owned by systemd-udevd (.link) "
                                        "through %s, matched by Path=pci-%s" % (OTHER_PF, sriov_link, LINK_FILE, sriov_link))
        assert "set take_over: true" in result["msg"]
        assert host.check_output(numvfs) == before
    ok, result = module(host, "directiron.sriov.sriov_host", take_over=True, **args)
    assert ok, result
    assert host.check_output(numvfs) == "1"
    # ansible-core may keep module warnings out of the result it writes (the unit tests check the text)
    if "warnings" in result:
        assert [w for w in result["warnings"] if "taking over SR-IOV settings owned by systemd-udevd (.link) through %s"
                % LINK_FILE in str(w)], result
