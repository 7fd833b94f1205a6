# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the migrate scenario's nested guest on hosta: what it reported over its serial console
(parsed by lab/nested.py) in its first full report, before the migrations (side_effect keeps a
copy), against what the lab VM's own tools say (ip, virsh, sysfs) now that it is back."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys
import xml.etree.ElementTree as ET

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")))
from lab import nested  # noqa: E402  (the repository root is not on the verifier's path)

VIRSH = "virsh -c qemu:///system "
testinfra_hosts = ["hosta"]


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def report(host, hostvars):
    log = "/var/lib/libvirt/images/lab-nested/first-report.log"
    parsed = nested.parse_report(host.file(log).content_string)
    assert parsed is not None, "no complete report in %s" % log
    return parsed


def _host_vfs(host, pf):
    """{vf id: {mac, trust, vlan ...}} as `ip -d -j link show` reports them on the lab VM."""
    links = json.loads(host.check_output("ip -d -j link show %s" % pf))
    return {vf["vf"]: vf for vf in links[0].get("vfinfo_list", [])}


def _vf_address(host, pf, index):
    return host.check_output("basename $(readlink /sys/class/net/%s/device/virtfn%d)" % (pf, index))


def test_pf_is_administratively_up(host):
    flags = json.loads(host.check_output("ip -j link show enp1s0"))[0]["flags"]
    assert "UP" in flags


def test_the_specific_vf_carries_into_the_guest_the_mac_the_host_set(host, hostvars, report):
    wanted = hostvars["sriov_pfs"][0]["vfs"][0]
    assert _host_vfs(host, "enp1s0")[0]["address"] == wanted["mac"]
    assert _vf_address(host, "enp1s0", 0) in hostvars["nested_vfs"]
    guest = [nic for nic in nested.nics_by_driver(report, "igbvf").values() if nic["mac"] == wanted["mac"]]
    assert len(guest) == 1, report["nics"]
    assert guest[0]["master"] is None


def test_trust_set_on_the_host_lets_the_guest_change_its_vf_mac(host, report):
    assert _host_vfs(host, "enp1s0")[0]["trust"] is True
    own = [nic for nic in nested.nics_by_driver(report, "igbvf").values() if nic["master"] is None]
    assert [nic["macset"] for nic in own] == ["ok"]


def test_the_pool_vf_is_on_igbvf_under_the_failover_master_with_virtio(host, hostvars, report):
    mac = hostvars["nested_failover_mac"]
    vfs = [(name, nic) for name, nic in nested.nics_by_driver(report, "igbvf").items() if nic["mac"] == mac]
    assert len(vfs) == 1, report["nics"]
    vf_name, vf = vfs[0]
    master = report["nics"][vf["master"]]
    standby = [name for name, nic in nested.nics_by_driver(report, "virtio_net").items()
               if nic["master"] == vf["master"] and nic["mac"] == mac]
    assert len(standby) == 1
    assert sorted(master["lowers"]) == sorted([vf_name, standby[0]])
    assert master["mac"] == mac


def test_the_pool_handed_out_the_vf_libvirt_set_the_mac_on(host, hostvars):
    mac = hostvars["nested_failover_mac"]
    domain = ET.fromstring(host.check_output(VIRSH + "dumpxml " + hostvars["nested_name"]))
    teamed = [iface for iface in domain.findall("devices/interface")
              if iface.find("teaming") is not None and iface.find("teaming").get("type") == "transient"]
    assert len(teamed) == 1
    address = teamed[0].find("source/address")
    pci = "%04x:%02x:%02x.%x" % tuple(int(address.get(k), 16) for k in ("domain", "bus", "slot", "function"))
    pool = [_vf_address(host, "enp1s0", index) for index in (1, 2, 3)]
    assert pci in pool
    index = pool.index(pci) + 1
    assert _host_vfs(host, "enp1s0")[index]["address"] == mac
    assert host.check_output("basename $(readlink /sys/bus/pci/devices/%s/driver)" % pci) == "vfio-pci"


def test_the_guest_vf_driver_is_the_lab_kernel_s_own(host, report):
    release = host.check_output("uname -r")
    assert {nic["version"] for nic in nested.nics_by_driver(report, "igbvf").values()} == {release}
