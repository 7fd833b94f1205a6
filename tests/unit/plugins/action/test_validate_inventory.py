# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validate_inventory action: hosts read from hostvars, failing or isolating, one line per error."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import types

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.directiron.sriov.plugins.action.validate_inventory import (
    ActionModule,
    identities,
    playbook_variables,
    role_options,
)

GOOD = {"sriov_pfs": [{"pf": "enp1s0", "num_vfs": 2}], "ansible_host": "10.0.0.1", "other_var": 1}


class Unreadable(dict):
    def __getitem__(self, key):
        if key == "sriov_pfs":
            raise ValueError("'undefined_thing' is undefined\nsecond line of the traceback")
        return dict.__getitem__(self, key)


def run(hostvars, **args):
    task = Task()
    task.args = args
    # the action never connects; ActionBase.run only looks at the shell's tmpdir
    connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir="/nonexistent"))
    action = ActionModule(task=task, connection=connection, play_context=PlayContext(), loader=DataLoader(),
                          templar=Templar(loader=DataLoader()), shared_loader_obj=None)
    return action.run(task_vars={"hostvars": hostvars, "ansible_play_hosts_all": sorted(hostvars),
                                 "inventory_hostname": sorted(hostvars)[0], "groups": {"all": sorted(hostvars)}})


def test_a_valid_fleet_passes_and_non_sriov_variables_are_ignored():
    result = run({"kvm1": dict(GOOD), "kvm2": {}})
    assert not result.get("failed") and result["hosts"] == {} and result["checked"] == 2


def test_errors_of_every_host_fail_the_task_together():
    result = run({"kvm1": {"sriov_pf": []}, "kvm2": dict(GOOD), "kvm3": {"sriov_iommu": "intl"}})
    assert result["failed"] is True
    assert sorted(result["hosts"]) == ["kvm1", "kvm3"]
    assert result["msg"].splitlines() == [
        "2 inventory error(s) on 2 host(s); no host was changed:",
        "kvm1: sriov_pf: unknown variable; did you mean sriov_pfs?",
        "kvm3: sriov_iommu: must be one of auto, intel, amd, got 'intl'",
    ]


def test_isolate_reports_without_failing():
    result = run({"kvm1": {"sriov_pf": []}, "kvm2": dict(GOOD)}, isolate=True)
    assert not result.get("failed")
    assert result["hosts"] == {"kvm1": ["sriov_pf: unknown variable; did you mean sriov_pfs?"]}


def test_only_the_given_hosts_are_checked():
    result = run({"kvm1": {"sriov_pf": []}, "kvm2": dict(GOOD)}, hosts=["kvm2"])
    assert not result.get("failed") and result["checked"] == 1


def test_macs_of_hosts_outside_the_run_still_count():
    mac = {"sriov_pfs": [{"pf": "enp1s0", "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01"}]}]}
    outside = dict(mac, sriov_iommu="intl")  # its own errors are not this run's
    result = run({"kvm1": dict(mac), "kvm2": outside}, hosts=["kvm1"])
    assert result["failed"] is True
    assert result["hosts"] == {"kvm1": ["sriov_pfs[0].vfs[0].mac: MAC 02:1a:00:00:00:01 is also given to kvm2 "
                                        "sriov_pfs[0].vfs[0].mac"]}


def test_a_variable_that_cannot_be_templated_is_one_line():
    result = run({"kvm1": Unreadable(sriov_pfs="{{ undefined_thing }}")})
    assert result["hosts"] == {"kvm1": ["sriov_pfs: cannot be templated: 'undefined_thing' is undefined"]}


def test_role_options_named_sriov_are_known_and_typed():
    options = role_options()
    assert options["sriov_vfs_prune"]["type"] == "bool"
    assert "sriov_vfs_pfs" not in options  # the role's copy of sriov_pfs
    result = run({"kvm1": {"sriov_vfs_prune": "perhaps", "sriov_vfs_boot_wait": 30}})
    assert result["hosts"] == {"kvm1": ["sriov_vfs_prune: must be of type bool (its role's argument spec), "
                                        "got 'perhaps'"]}


def test_take_over_is_a_known_bool_role_option():
    assert role_options()["sriov_vfs_take_over"]["type"] == "bool"
    assert run({"kvm1": {"sriov_vfs_take_over": True}})["hosts"] == {}
    assert run({"kvm1": {"sriov_vfs_take_over": "if needed"}})["hosts"] == {
        "kvm1": ["sriov_vfs_take_over: must be of type bool (its role's argument spec), got 'if needed'"]}


@pytest.mark.parametrize("isolate", ["sometimes", 3])
def test_a_bad_isolate_argument_fails_clearly(isolate):
    with pytest.raises(AnsibleActionFail, match="isolate"):
        run({"kvm1": dict(GOOD)}, isolate=isolate)


def test_resolved_from_reads_each_hosts_preflight_results():
    declared = {"sriov_pfs": [{"pf": "enp1s0"}, {"pf": "0000:01:00.0"}]}
    preflight = {"results": [{"pf": "0000:01:00.0", "state": {"netdev": "enp1s0"}, "__sriov_index": 0},
                             {"pf": "0000:01:00.0", "state": {"netdev": "enp1s0"}, "__sriov_index": 1}]}
    assert not run({"kvm1": dict(declared)}).get("failed")  # two spellings: only the host can tell
    result = run({"kvm1": dict(declared, __preflight=preflight)}, resolved_from="__preflight")
    assert result["hosts"] == {"kvm1": ["sriov_pfs[1].pf: '0000:01:00.0' is PF 0000:01:00.0, already declared at "
                                        "sriov_pfs[0].pf"]}


def test_resolved_from_reads_one_sriov_host_preflight():
    declared = {"sriov_pfs": [{"pf": "enp1s0"}], "sriov_pools": [{"name": "net", "pfs": ["0000:01:00.0"]}]}
    preflight = {"changed": False, "pfs": [{"pf": "0000:01:00.0", "netdev": "enp1s0", "state": {}}]}
    assert identities(preflight) == [{"address": "0000:01:00.0", "netdev": "enp1s0"}]
    assert identities({"skipped": True}) == []
    result = run({"kvm1": dict(declared, __preflight=preflight)}, resolved_from="__preflight")
    assert not result.get("failed") and result.get("hosts", {}) == {}


def test_failed_or_skipped_preflight_results_resolve_nothing():
    assert identities({"results": [{"failed": True, "msg": "x"}, {"skipped": True}, {"pf": "0000:02:00.0"}]}) == [
        None, None, {"address": "0000:02:00.0", "netdev": None}]
    assert identities(None) == []


def test_the_playbooks_own_variables_are_known():
    names = playbook_variables()
    assert {"sriov_audit_fail_on_drift", "sriov_target", "sriov_serial"} <= names
    assert "sriov_vf" not in names  # a module named in a comment is no variable
    result = run({"kvm1": {"sriov_audit_fail_on_drift": False, "sriov_audit_host": "kvm"}})
    assert result["hosts"] == {"kvm1": ["sriov_audit_host: unknown variable; did you mean sriov_audit_hosts?"]}
