# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify the migrate scenario's migrations: the nested guest went to hostb and came back to
hosta without a reboot, and now runs on hosta with a VF of hosta's pool under its failover
master (its serial report, libvirt and the PF as the lab VM's tools see them)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")))
from lab import nested  # noqa: E402  (the repository root is not on the verifier's path)

testinfra_hosts = ["hosta"]
NESTED_DIR = "/var/lib/libvirt/images/lab-nested"


@pytest.fixture(scope="module")
def hostvars(host):
    return host.ansible.get_variables()


@pytest.fixture(scope="module")
def figures(host):
    return json.loads(host.file(NESTED_DIR + "/migrations.json").content_string)


def test_both_legs_kept_the_guest_s_boot_and_its_traffic(figures):
    assert [leg["leg"] for leg in figures["legs"]] == ["to-hostb", "to-hosta"]
    for leg in figures["legs"]:
        assert leg["same_boot"] is True
        assert leg["ping_received"] > 0
        assert leg["ping_lost"] is not None and leg["ping_sent"] >= leg["ping_received"]
        assert leg["standby_s"] is not None and leg["standby_s"] > 0


def test_the_guest_runs_here_with_its_first_boot(host, hostvars):
    first = nested.parse_report(host.file(NESTED_DIR + "/first-report.log").content_string)
    now = nested.parse_report(host.file(hostvars["nested_serial_log"]).content_string)
    assert first["boot"] and now["boot"] == first["boot"]
    assert now["uptime"] > first["uptime"]
    assert host.check_output("virsh -c qemu:///system domstate %s" % hostvars["nested_name"]) == "running"


def test_the_guest_s_vf_is_from_this_host_s_pool_under_its_failover_master(host, hostvars, figures):
    now = nested.parse_report(host.file(hostvars["nested_serial_log"]).content_string)
    mac = hostvars["nested_failover_mac"]
    vfs = [nic for nic in nested.nics_by_driver(now, "igbvf").values() if nic["mac"] == mac]
    assert len(vfs) == 1 and vfs[0]["master"]
    links = json.loads(host.check_output("ip -d -j link show enp1s0"))
    assert mac in [vf["address"] for vf in links[0]["vfinfo_list"]]
    assert figures["legs"][1]["vf"] and mac in figures["legs"][1]["dest_vf_macs"]
