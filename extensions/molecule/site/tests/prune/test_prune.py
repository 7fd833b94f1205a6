# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""After site.yml with ../../inventory-prune.yml (PF 0000:02:00.0 dropped, sriov_vfs_prune on): the
dropped PF has no VFs now and left the boot config; the PF still listed kept everything.
Read-only, like ../site/test_site.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "..", "..", "inventory-prune.yml")) as _handle:
    INVENTORY = yaml.safe_load(_handle)


def test_the_dropped_pf_has_no_vfs_now(host):
    assert host.check_output("cat /sys/bus/pci/devices/0000:02:00.0/sriov_numvfs") == "0"
    assert not host.check_output("ls /sys/bus/pci/devices/0000:02:00.0 | grep '^virtfn' || true")


def test_the_dropped_pf_left_the_boot_config(host):
    data = json.loads(host.check_output("cat /etc/directiron-sriov/vfs.json"))
    assert data["addresses"] == ["0000:01:00.0"]
    assert data["pfs"] == INVENTORY["sriov_pfs"]


def test_the_listed_pf_kept_its_vfs(host):
    assert host.check_output("cat /sys/bus/pci/devices/0000:01:00.0/sriov_numvfs") == "4"
    link = json.loads(host.check_output("ip -d -j link show dev enp1s0"))[0]
    assert [vf["address"] for vf in link["vfinfo_list"]][:3] == ["02:1a:00:00:05:00", "02:1a:00:00:05:01", "02:1a:00:00:05:02"]
