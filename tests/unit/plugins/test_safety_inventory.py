# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory check (SAFETY-2): null variables refused, role options within their module's
bounds, every error of an entry in one run, "did you mean", no test-only options offered, and
YAML type names in messages."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.action.validate_inventory import role_options
from ansible_collections.directiron.sriov.plugins.module_utils import _inventory, _spec
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def _errors(**variables):
    return _inventory.validate_fleet({"h1": variables}, known=set(role_options())).get("h1", [])


def _fields(lines):
    return [line.split(":")[0] for line in lines]


@pytest.mark.parametrize("name", sorted(_inventory.SITE_VARIABLES) + ["sriov_vfs_boot_wait", "sriov_vfs_prune"])
def test_a_null_variable_is_refused_not_skipped(name):
    assert _fields(_errors(**{name: None})) == [name]


@pytest.mark.parametrize("value", [-5, 3601, "٣", "x", 2.5])
def test_sriov_vfs_boot_wait_out_of_range_is_refused(value):
    errors = _errors(sriov_vfs_boot_wait=value)
    assert _fields(errors) and set(_fields(errors)) == {"sriov_vfs_boot_wait"}, errors


def test_sriov_vfs_boot_wait_bounds_are_the_modules():
    assert _errors(sriov_vfs_boot_wait=0) == [] and _errors(sriov_vfs_boot_wait=_spec.MAX_TIMEOUT) == []
    assert _spec.HOST_OPTION_BOUNDS["boot_wait"] == (0, _spec.MAX_TIMEOUT)


@pytest.mark.parametrize("value", ["python3", "/usr/bin/python3\n", "/usr/bin/python3 -u"])
def test_sriov_vfs_python_must_be_a_shebang_path(value):
    assert _fields(_errors(sriov_vfs_python=value)) == ["sriov_vfs_python"]


def test_every_error_of_one_entry_in_one_run():
    entry = {"pf": "enp1s0", "num_vf": 3, "mtu": 5, "timeout": 0,
             "vfs": [{"id": "x", "vlan": 9999, "macc": "02:00:00:00:00:01"}, {"id": 1, "qos": 9}]}
    assert _fields(_errors(sriov_pfs=[entry])) == [
        "sriov_pfs[0].num_vf", "sriov_pfs[0].timeout", "sriov_pfs[0].mtu", "sriov_pfs[0].vfs[0].macc",
        "sriov_pfs[0].vfs[0].id", "sriov_pfs[0].vfs[0].vlan", "sriov_pfs[0].vfs[1].qos"]


def test_an_entry_with_a_bad_pf_reports_its_other_errors_too():
    assert _fields(_errors(sriov_pfs=[{"pf": "../x", "num_vfs": "many"}])) == [
        "sriov_pfs[0].pf", "sriov_pfs[0].num_vfs"]


def test_num_vf_gets_did_you_mean_num_vfs():
    assert _errors(sriov_pfs=[{"pf": "enp1s0", "num_vf": 3}]) == [
        "sriov_pfs[0].num_vf: unknown option; did you mean num_vfs?"]
    with pytest.raises(SriovError) as info:
        _spec.validate_params({"pf": "enp1s0", "num_vf": 3})
    assert "did you mean num_vfs?" in info.value.msg


def test_the_allowed_keys_leave_out_the_test_only_options():
    errors = _errors(sriov_pfs=[{"pf": "enp1s0", "zzzzzz": 1, "sysfs_root": "/tmp"}])
    assert _fields(errors) == ["sriov_pfs[0].sysfs_root", "sriov_pfs[0].zzzzzz"]
    for line in errors:
        allowed = line.split("allowed: ")[1]
        assert "sysfs_root" not in allowed and "proc_root" not in allowed
        assert allowed.split(", ") == list(_spec.PF_KEYS)


class _TaggedDict(dict):
    pass


class _TaggedStr(str):
    pass


@pytest.mark.parametrize("variables, words", [
    ({"sriov_pfs": _TaggedDict(pf="enp1s0")}, "got mapping"),
    ({"sriov_pools": _TaggedStr("pool")}, "got string"),
    ({"sriov_driver_pins": ["x"]}, "got list"),
    ({"sriov_driver_options": _TaggedDict(module="igb")}, "got mapping"),
    ({"sriov_pfs": [{"pf": "enp1s0", "vfs": _TaggedDict(id=0)}]}, "got mapping"),
])
def test_messages_name_yaml_types_not_internal_classes(variables, words):
    errors = _errors(**variables)
    assert len(errors) == 1 and words in errors[0] and "Tagged" not in errors[0], errors
