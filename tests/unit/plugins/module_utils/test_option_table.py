# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One option table for sriov_vf (``_spec.PF_OPTIONS``/``VF_OPTIONS``): every copy agrees with it.

The module DOCUMENTATION (the generated doc fragment vf_options) and the role's
meta/argument_specs.yml are YAML written from the table (``make generate``); the validator, the
``ip link set`` builder and the facts keys are code. Each test here fails when one of them
changes without the table (or the table without them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest
import yaml

from ansible_collections.directiron.sriov.plugins.filter.sriov_inventory import sriov_pfs_errors
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink, _rules, _spec, _sriov_facts
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._host import HostManager
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import HOST_OPTIONS, LIBVIRT_OPTIONS
from ansible_collections.directiron.sriov.plugins.modules import sriov_host, sriov_vf
from ansible_collections.directiron.sriov.plugins.doc_fragments.vf_options import ModuleDocFragment as VfOptionsFragment

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
ROLE = os.path.join(ROOT, "roles", "sriov_vfs")
COMPARED = ("type", "elements", "required", "default", "choices", "description")
INT_OPTIONS = [o for o in _spec.PF_OPTIONS + _spec.VF_OPTIONS if o["type"] == "int" and o["name"] != "num_vfs"]


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def _shape(option, children_key):
    """The compared fields of a YAML option (defaults made explicit) and its children."""
    description = option.get("description")
    shape = {
        "type": option.get("type", "str"),
        "elements": option.get("elements"),
        "required": option.get("required", False),
        "default": option.get("default"),
        "choices": option.get("choices"),
        "description": description if isinstance(description, list) else [description],
    }
    return shape, option.get(children_key) or {}


def _table_shape(option):
    return {
        "type": option["type"],
        "elements": option.get("elements"),
        "required": option.get("required", False),
        "default": option.get("default"),
        "choices": option.get("choices"),
        "description": option["description"],
    }


# sriov_vf's own options that are not PF options of the table (sriov_host has its own take_over)
MODULE_ONLY = ("take_over",)


def _disagreements(yaml_options, children_key, where):
    """Every field where the YAML options and the table differ, as readable lines."""
    problems = []
    names = set(yaml_options) - set(HOST_OPTIONS) - set(MODULE_ONLY)
    table = dict((o["name"], o) for o in _spec.PF_OPTIONS)
    if names != set(table):
        problems.append("%s: options %s, table %s" % (where, sorted(names), sorted(table)))
    for name in sorted(names & set(table)):
        shape, children = _shape(yaml_options[name], children_key)
        want = _table_shape(table[name])
        problems.extend("%s: %s.%s is %r, table says %r" % (where, name, key, shape[key], want[key])
                        for key in COMPARED if shape[key] != want[key])
        if name == "vfs":
            vf_table = dict((o["name"], o) for o in _spec.VF_OPTIONS)
            if set(children) != set(vf_table):
                problems.append("%s: vfs options %s, table %s" % (where, sorted(children), sorted(vf_table)))
            for vf_name in sorted(set(children) & set(vf_table)):
                vf_shape = _shape(children[vf_name], children_key)[0]
                vf_want = _table_shape(vf_table[vf_name])
                problems.extend("%s: vfs.%s.%s is %r, table says %r" % (where, vf_name, key, vf_shape[key], vf_want[key])
                                for key in COMPARED if vf_shape[key] != vf_want[key])
    return problems


def test_module_documentation_matches_the_table():
    # sriov_vf's options are the generated fragment's (it documents none of its own)
    doc = yaml.safe_load(sriov_vf.DOCUMENTATION)
    assert "directiron.sriov.vf_options" in doc["extends_documentation_fragment"]
    assert not set(doc.get("options") or {}) & set(_spec.PF_KEYS)  # its own options are not the table's
    options = yaml.safe_load(VfOptionsFragment.DOCUMENTATION)["options"]
    assert _disagreements(options, "suboptions", "sriov_vf DOCUMENTATION") == []


def test_sriov_host_documents_each_sriov_pfs_entry_as_the_table():
    doc = yaml.safe_load(sriov_host.DOCUMENTATION)
    assert "directiron.sriov.vf_options.sriov_pfs" in doc["extends_documentation_fragment"]
    assert "suboptions" not in doc["options"]["sriov_pfs"]  # the fragment's, merged in by Ansible
    options = yaml.safe_load(VfOptionsFragment.SRIOV_PFS)["options"]
    assert _disagreements(options["sriov_pfs"]["suboptions"], "suboptions", "sriov_host DOCUMENTATION sriov_pfs") == []


def test_role_argument_spec_matches_the_table():
    spec = _load(os.path.join(ROLE, "meta", "argument_specs.yml"))
    options = spec["argument_specs"]["main"]["options"]["sriov_vfs_pfs"]["options"]
    assert _disagreements(options, "options", "roles/sriov_vfs/meta/argument_specs.yml") == []


def test_module_argument_spec_is_the_table():
    spec = _spec.argument_spec(HOST_OPTIONS)
    assert set(spec) == set(o["name"] for o in _spec.PF_OPTIONS) | set(HOST_OPTIONS)
    assert set(spec["vfs"]["options"]) == set(_spec.VF_KEYS)
    assert spec["vfs"]["options"]["vlan_proto"]["choices"] == ["802.1Q", "802.1ad"]


def _module_calls(tasks, name):
    """The arguments of every task of the named module, blocks included."""
    for task in tasks or []:
        if name in task:
            yield task[name]
        for key in ("block", "rescue", "always", "tasks"):
            yield from _module_calls(task.get(key), name)


def test_the_role_hands_the_whole_inventory_list_to_sriov_host():
    tasks = _load(os.path.join(ROLE, "tasks", "main.yml"))
    calls = list(_module_calls(tasks, "directiron.sriov.sriov_host"))
    assert len(calls) == 1, "one sriov_host task in the sriov_vfs role"
    assert calls[0]["sriov_pfs"] == "{{ sriov_vfs_pfs }}"
    assert list(_module_calls(tasks, "directiron.sriov.sriov_vf")) == []  # no per-PF option mapping to keep in step


def test_the_site_preflight_is_the_sriov_vfs_role_in_check_mode():
    """The preflight runs the converge's own sriov_host task in check mode: its result is the plan."""
    plays = _load(os.path.join(ROOT, "playbooks", "site.yml"))
    tasks = [task for play in plays for task in play.get("tasks") or []]
    assert list(_module_calls(tasks, "directiron.sriov.sriov_host")) == []
    assert list(_module_calls(tasks, "directiron.sriov.sriov_vf")) == []
    preflight = [task["ansible.builtin.include_role"] for task in plays[0]["tasks"]
                 if "ansible.builtin.include_role" in task]
    applied = dict((include["name"], include["apply"]) for include in preflight)
    assert applied["directiron.sriov.sriov_vfs"]["check_mode"] is True
    assert applied["directiron.sriov.libvirt_pools"]["check_mode"] is True


def _host_refusal(request):
    manager = HostManager({"sriov_pfs": [{"pf": "enp2s0"}, request], "sysfs_root": "/nonexistent",
                           "proc_root": "/nonexistent"}, runner=None, check_mode=True)
    with pytest.raises(SriovError) as info:
        manager.run()
    return info.value


@pytest.mark.parametrize("option", INT_OPTIONS, ids=lambda o: o["name"])
def test_sriov_host_refuses_each_entry_by_the_table_before_reading_the_host(option):
    if option.get("max") is None:
        request, field = _request_with(option["name"], -1)
    else:
        request, field = _request_with(option["name"], option["max"] + 1)
    error = _host_refusal(request)
    # entry 0 is fine as a request (its PF is not on this tree: reading it would fail); entry 1 is
    # refused by the table, by its position, before any entry's PF is read
    assert error.field == "sriov_pfs[1].%s" % field, error.msg
    assert error.msg.startswith("sriov_pfs[1].%s" % field) and "\n" not in error.msg


@pytest.mark.parametrize("option", [o for o in INT_OPTIONS if o.get("max") and o["name"] != "id"],
                         ids=lambda o: o["name"])
def test_documented_bounds_are_the_table_bounds(option):
    text = " ".join(option["description"])
    assert "%d-%d" % (option.get("min", 0), option["max"]) in text or \
        "%d to %d" % (option.get("min", 0), option["max"]) in text


def _request_with(name, value):
    if name in _spec.VF_KEYS:
        entry = {"id": 0, name: value} if name != "id" else {"id": value}
        if name in ("qos", "vlan_proto"):
            entry["vlan"] = 5
        return {"pf": "enp1s0", "vfs": [entry]}, "vfs[0].%s" % name
    return {"pf": "enp1s0", name: value}, name


@pytest.mark.parametrize("option", INT_OPTIONS, ids=lambda o: o["name"])
def test_validator_enforces_the_table_bounds(option):
    low, high = option.get("min", 0), option.get("max")
    if option["name"] == "qos":
        low = 1  # qos 0 with a tag is fine; the bound under test is the upper one
    _spec.validate_params(_request_with(option["name"], low)[0])
    if high is not None:
        _spec.validate_params(_request_with(option["name"], high)[0])
        request, field = _request_with(option["name"], high + 1)
        with pytest.raises(SriovError) as info:
            _spec.validate_params(request)
        assert info.value.field == field


ONE_OF_EACH = {"pf": "enp1s0", "num_vfs": 2, "drivers_autoprobe": True, "pf_up": True, "force": False, "timeout": 30,
               "vfs": [{"id": 0, "mac": "02:aa:00:00:00:01", "vlan": 5, "qos": 2, "vlan_proto": "802.1Q",
                        "spoofchk": False, "trust": True, "link_state": "auto", "min_tx_rate": 0, "max_tx_rate": 0},
                       {"id": 1, "driver": "default"}]}


def _fields_checked(monkeypatch, run):
    """Every field _spec.check_value checks while ``run()`` runs, with how often."""
    checked = {}
    original = _spec.check_value

    def counting(option, value, field):
        checked[field] = checked.get(field, 0) + 1
        return original(option, value, field)

    monkeypatch.setattr(_spec, "check_value", counting)
    run()
    return checked


def _fields_of(request, prefix=""):
    fields = set(prefix + key for key in request if key not in ("pf", "vfs"))
    for position, entry in enumerate(request["vfs"]):
        fields.update("%svfs[%d].%s" % (prefix, position, key) for key in entry)
    return fields


def test_the_controller_checks_each_value_once(monkeypatch):
    checked = _fields_checked(monkeypatch, lambda: sriov_pfs_errors([ONE_OF_EACH]))
    assert _fields_of(ONE_OF_EACH) <= set(checked)  # and the defaults the request leaves out
    assert set(checked.values()) == {1}, checked


def test_the_host_checks_each_value_once_from_sriov_host_to_the_ip_commands(tmp_path, monkeypatch):
    from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install
    host = install(monkeypatch, FakeHost(tmp_path))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    manager = HostManager({"sriov_pfs": [ONE_OF_EACH], "sysfs_root": host.root, "proc_root": host.proc,
                           "persist": False}, host.runner)
    checked = _fields_checked(monkeypatch, manager.run)
    assert any(call[:3] == ["ip", "link", "set"] and "vf" in call for call in host.calls)  # it applied them
    assert _fields_of(ONE_OF_EACH) <= set(checked)  # and the defaults the request leaves out
    assert set(checked.values()) == {1}, checked


def test_ip_link_parser_and_facts_report_the_table_keys():
    assert set(_iplink.parse_vfinfo({"vf": 0})) == set(_spec.VF_LINK_KEYS)
    assert tuple(_sriov_facts.VF_NETLINK_KEYS) == _spec.VF_LINK_KEYS
    # mtu is the VF netdev's own setting (ip link set VF mtu N), not one the PF sets for it
    assert _spec.VF_NETDEV_KEYS == ("mtu",)
    assert _spec.VF_LINK_KEYS == tuple(k for k in _spec.VF_KEYS if k not in ("id", "driver", "mtu"))


@pytest.mark.parametrize("value", sorted(_rules.BOOLEANS_TRUE | _rules.BOOLEANS_FALSE, key=repr) + ["YES", " on "])
def test_every_ansible_boolean_means_the_same_in_filter_validator_and_module(value):
    from ansible.module_utils.parsing.convert_bool import boolean
    entry = {"pf": "enp1s0", "vfs": [{"id": 0, "trust": value}]}
    assert sriov_pfs_errors([entry]) == []
    assert _spec.validate_params(entry)["vfs"][0]["trust"] is boolean(value)


def test_ansible_and_the_rules_accept_the_same_booleans():
    from ansible.module_utils.parsing import convert_bool
    assert _rules.BOOLEANS_TRUE == convert_bool.BOOLEANS_TRUE
    assert _rules.BOOLEANS_FALSE == convert_bool.BOOLEANS_FALSE


def test_host_roots_are_documented_by_the_sysfs_fragment_as_declared():
    from ansible_collections.directiron.sriov.plugins.doc_fragments.sysfs import ModuleDocFragment
    documented = dict(yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"])
    documented.update(yaml.safe_load(ModuleDocFragment.PROC_ROOT)["options"])
    assert dict((name, (doc["type"], doc["default"])) for name, doc in documented.items()) == \
        dict((name, (spec["type"], spec["default"])) for name, spec in HOST_OPTIONS.items())
    assert set(HOST_OPTIONS) == set(_rules.HOST_ROOTS)


def test_libvirt_uri_is_documented_by_the_libvirt_fragment_as_declared():
    from ansible_collections.directiron.sriov.plugins.doc_fragments.libvirt import ModuleDocFragment
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert dict((name, (doc["type"], doc["default"])) for name, doc in documented.items()) == \
        dict((name, (spec["type"], spec["default"])) for name, spec in LIBVIRT_OPTIONS.items())
    assert LIBVIRT_OPTIONS["uri"]["default"] == _rules.LIBVIRT_URI
