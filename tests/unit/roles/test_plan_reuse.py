# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan, then apply: when the converge reuses the preflight's check-mode result instead of running a module again.

The conditions are the roles' own variables (sriov_vfs, libvirt_pools) and the site playbook's
__sriov_undisturbed, evaluated here as Ansible evaluates them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 templates every string it is given

    def trust_as_template(value):
        return value


ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def _yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def evaluate(expression, variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return str(templar.template(trust_as_template(expression))).strip() == "True"


VFS_HOLDS = _yaml("roles", "sriov_vfs", "vars", "main.yml")["__sriov_vfs_plan_holds"]
POOLS_HOLDS = _yaml("roles", "libvirt_pools", "vars", "main.yml")["__libvirt_pools_plan_holds"]
IOMMU_HOLDS = _yaml("roles", "iommu", "vars", "main.yml")["__iommu_plan_holds"]
UNDISTURBED = [play for play in _yaml("playbooks", "site.yml") if play["name"] == "Converge SR-IOV hypervisors"][0][
    "vars"]["__sriov_undisturbed"]
PLAN = {"changed": False, "pfs": [{"pf": "0000:01:00.0", "changed": False}], "pruned": [], "actions": []}
# a planning run is reported unchanged; its actions say it would change
WOULD_CHANGE = dict(PLAN, actions=["0000:01:00.0: set sriov_numvfs 0 -> 4"])
NETWORKS = [{"name": "site-net", "pfs": ["enp1s0"]}]
POOL_PLAN = {"changed": False, "results": [{"changed": False, "item": NETWORKS[0], "name": "site-net"}]}


def test_the_vf_plan_holds_only_when_it_succeeded_and_changed_nothing():
    assert evaluate(VFS_HOLDS, {"sriov_vfs_plan": PLAN})
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": {}})  # the role used alone: the module runs
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": dict(PLAN, changed=True)})
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": WOULD_CHANGE})
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": {"changed": False, "pfs": []}})  # no actions: not a plan
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": dict(PLAN, failed=True, msg="x")})
    assert not evaluate(VFS_HOLDS, {"sriov_vfs_plan": {"changed": False, "skipped": True}})


def test_the_pool_plan_holds_only_for_the_same_networks_unchanged():
    assert evaluate(POOLS_HOLDS, {"libvirt_pools_plan": POOL_PLAN, "libvirt_pools_networks": NETWORKS})
    assert not evaluate(POOLS_HOLDS, {"libvirt_pools_plan": {}, "libvirt_pools_networks": NETWORKS})
    assert not evaluate(POOLS_HOLDS, {"libvirt_pools_plan": dict(POOL_PLAN, changed=True),
                                      "libvirt_pools_networks": NETWORKS})
    other = [{"name": "site-net", "pfs": ["enp1s0"], "vlan": 7}]
    assert not evaluate(POOLS_HOLDS, {"libvirt_pools_plan": POOL_PLAN, "libvirt_pools_networks": other})


IOMMU_PLAN = {"changed": False, "vendor": "intel", "args": ["intel_iommu=on", "iommu=pt"], "remove": [],
              "reboot_required": False, "actions": []}


def test_the_iommu_plan_holds_only_when_it_succeeded_and_would_write_nothing():
    assert evaluate(IOMMU_HOLDS, {"iommu_plan": IOMMU_PLAN})
    # a reboot still pending does not stop the reuse: the role reboots (or warns) from the plan
    assert evaluate(IOMMU_HOLDS, {"iommu_plan": dict(IOMMU_PLAN, reboot_required=True)})
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": {}})  # the role used alone: the module runs
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": dict(IOMMU_PLAN, changed=True)})
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": dict(IOMMU_PLAN, actions=["edit /etc/default/grub"])})
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": {"changed": False, "actions": []}})  # not this module's result
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": dict(IOMMU_PLAN, failed=True, msg="x")})
    assert not evaluate(IOMMU_HOLDS, {"iommu_plan": {"changed": False, "skipped": True}})


def test_the_converge_passes_every_plan_under_the_one_undisturbed_rule():
    converge = [play for play in _yaml("playbooks", "site.yml") if play["name"] == "Converge SR-IOV hypervisors"][0]
    tasks = [inner for task in converge["tasks"] for inner in task.get("block", [task])]
    plans = dict((task["ansible.builtin.include_role"]["name"], task.get("vars", {})) for task in tasks
                 if "ansible.builtin.include_role" in task)
    assert "__sriov_undisturbed" in plans["directiron.sriov.iommu"]["iommu_plan"]
    assert "__sriov_undisturbed" in plans["directiron.sriov.sriov_vfs"]["sriov_vfs_plan"]
    assert "__sriov_undisturbed" in plans["directiron.sriov.libvirt_pools"]["libvirt_pools_plan"]


QUIET = {"host_packages_known": {"family": "apt", "asked": ["kmod"], "present": ["kmod"]}}


@pytest.mark.parametrize("disturbance, undisturbed", [
    ({}, True),
    ({"sriov_plan_reuse": False}, False),
    ({"sriov_serial": "100%"}, True),
    ({"sriov_serial": "10%"}, False),  # a rolling converge: a later batch's plan would be old
    ({"sriov_serial": [1, 5, "20%"]}, False),
    ({"sriov_driver_pins": {}}, False),
    ({"sriov_driver_options": []}, False),
    ({"iommu_rebooted": True}, False),
    ({"host_packages_known": {"family": "apt", "asked": ["kmod"], "present": []}}, False),  # installed now
    ({"host_packages_known": None}, False),
], ids=["quiet", "opted-out", "one-batch", "rolling", "rolling-list", "driver-pins", "driver-options", "rebooted", "package-installed", "unknown-packages"])
def test_the_site_reuses_plans_only_on_a_host_nothing_changed_before(disturbance, undisturbed):
    variables = dict(QUIET, **disturbance)
    if variables["host_packages_known"] is None:
        del variables["host_packages_known"]
    assert evaluate(UNDISTURBED, variables) is undisturbed
