# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site preflight's prediction of the converge's reboots (the guest policy decides only for them), evaluated
from site.yml's own expressions through Ansible's templar."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.directiron.sriov.tests.unit.roles.test_plan_reuse import _yaml, trust_as_template

PREFLIGHT = [play for play in _yaml("playbooks", "site.yml") if play["name"] == "Check the whole fleet before any host changes"][0]
PREDICT = [task for task in PREFLIGHT["tasks"] if task["name"].startswith("Predict the reboots of the converge")][0]
IOMMU = {"changed": False, "args": ["intel_iommu=on", "iommu=pt"], "remove": [], "reboot_required": True, "actions": []}
OPTIONS = {"results": [{"module": "igb", "reboot_required": True}, {"module": "vfio_pci", "reboot_required": False},
                       {"skipped": True}]}


def predict(variables):
    variables = dict(variables)
    for name in ("__sriov_iommu_reboot", "__sriov_options_pending", "__sriov_options_reboot"):
        templar = Templar(loader=DataLoader(), variables=variables)
        variables[name] = templar.template(trust_as_template(PREDICT["vars"][name]))
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.template(trust_as_template(PREDICT["ansible.builtin.set_fact"]["__sriov_reboot_reasons"]))


@pytest.mark.parametrize("variables, reasons", [
    ({}, []),
    ({"__sriov_preflight_iommu": IOMMU}, []),  # a reboot the play may not make: nothing to decide
    ({"__sriov_preflight_iommu": IOMMU, "sriov_reboot_ok": True}, ["iommu: boot with intel_iommu=on iommu=pt"]),
    ({"__sriov_preflight_iommu": IOMMU, "sriov_reboot_ok": True, "iommu_reboot_ok": False}, []),
    ({"__sriov_preflight_iommu": dict(IOMMU, reboot_required=False), "sriov_reboot_ok": True}, []),
    ({"__sriov_preflight_options": OPTIONS, "sriov_reboot_ok": True}, ["driver_options: load igb with new options"]),
    ({"__sriov_preflight_options": OPTIONS, "__sriov_preflight_iommu": IOMMU, "sriov_reboot_ok": True},
     ["iommu: boot with intel_iommu=on iommu=pt", "driver_options: load igb with new options"]),
    ({"__sriov_preflight_options": {"results": [{"skipped": True}]}, "sriov_reboot_ok": True}, []),
])
def test_the_preflight_predicts_the_reboots_the_converge_may_make(variables, reasons):
    assert list(predict(variables)) == reasons


def test_the_guest_plan_and_its_refusal_run_in_the_preflight_with_the_tags_always():
    names = [task["name"] for task in PREFLIGHT["tasks"]]
    for name in ("Predict the reboots", "Read the running guests", "Decide what happens to each running guest",
                 "Stop the hosts whose guests the policy refuses", "Check each planned migration"):
        task = [t for t in PREFLIGHT["tasks"] if t["name"].startswith(name)][0]
        assert task["tags"] == ["always", "preflight"], name
        assert names.index(task["name"]) < names.index("Stop every host because a host failed its checks "
                                                       "(sriov_isolate_failures is false)")


@pytest.mark.parametrize("reasons, pools, peer_policy, reads", [
    ([], False, None, False),
    ([], True, None, False),
    ([], False, "migrate", False),
    ([], True, "migrate", True),  # a possible peer: its free VFs count
    (["iommu: boot with intel_iommu=on"], False, None, True),
])
def test_the_guests_are_read_on_a_host_that_reboots_or_may_take_guests(reasons, pools, peer_policy, reads):
    task = [t for t in PREFLIGHT["tasks"] if t["name"].startswith("Read the running guests")][0]
    hostvars = {"a": {}, "b": {"sriov_guest_policy": peer_policy} if peer_policy else {}}
    variables = {"hostvars": hostvars, "ansible_play_hosts": ["a", "b"], "__sriov_reboot_reasons": reasons}
    if pools:
        variables["sriov_pools"] = [{"name": "vf-pool"}]
    templar = Templar(loader=DataLoader(), variables=variables)
    assert templar.template(trust_as_template("{{ %s }}" % task["when"])) is reads
