# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Defaults are promises too (SAFETY-2): every documented default is tied to what runs.

- each module's DOCUMENTATION default equals its argument spec's default;
- each role option's documented default (meta/argument_specs.yml) equals its defaults/main.yml
  value, or the fallback of the inventory variable that value reads (``x | default(V)``);
- each per-item key a role's task fills with ``item.KEY | default(V)`` has V equal to the
  documented default of that key in the role's argument spec and in the module it calls;
- the iommu role's reboot decisions (reboot, warn, neither) for every combination of the inputs
  that decide them, evaluated by Ansible's own templar from the role's task file.

A flipped default anywhere (say ``autostart`` of libvirt_pools' networks) fails here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import importlib
import itertools
import os
import re

import pytest
import yaml

from ansible.module_utils import basic

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MODULES = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                 if not path.endswith("__init__.py"))
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(path)))
               for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))
FALLBACK_RE = re.compile(r"^\{\{\s*[a-z_]+\s*\|\s*default\((?P<value>.*)\)\s*\}\}\Z")
ITEM_DEFAULT_RE = re.compile(r"^\s+(?P<key>[a-z_]+): \"\{\{ item\.(?P=key) \| default\((?P<value>[^()]*)\) \}\}\"\s*\Z")


def _yaml(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


class _Spec(Exception):
    pass


def _argument_spec(monkeypatch, name):
    """The argument spec a module's main() builds (AnsibleModule stopped before it reads anything)."""
    module = importlib.import_module("ansible_collections.directiron.sriov.plugins.modules.%s" % name)
    if not hasattr(module, "main"):
        pytest.skip("%s documents an action plugin" % name)

    def capture(self, argument_spec=None, **_kwargs):
        raise _Spec(argument_spec)

    monkeypatch.setattr(basic.AnsibleModule, "__init__", capture)
    with pytest.raises(_Spec) as info:
        module.main()
    return module, info.value.args[0]


def _default_pairs(spec, doc, where):
    """(where, spec default, documented default) of every option and sub-option."""
    pairs = []
    for name, option in sorted(spec.items()):
        documented = (doc or {}).get(name) or {}
        pairs.append(("%s.%s" % (where, name), option.get("default"), documented.get("default")))
        if option.get("options"):
            pairs.extend(_default_pairs(option["options"], documented.get("suboptions"), "%s.%s" % (where, name)))
    return pairs


@pytest.mark.parametrize("name", MODULES)
def test_module_documented_defaults_are_the_argument_spec_defaults(monkeypatch, name):
    module, spec = _argument_spec(monkeypatch, name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        parts = fragment.split(".")[2:]  # directiron.sriov.FILE[.VARIABLE]
        fragment_module = importlib.import_module("ansible_collections.directiron.sriov.plugins.doc_fragments.%s"
                                                  % parts[0])
        text = getattr(fragment_module.ModuleDocFragment, parts[1].upper() if len(parts) > 1 else "DOCUMENTATION")
        options.update(yaml.safe_load(text).get("options") or {})
    wrong = [(where, got, documented) for where, got, documented in _default_pairs(spec, options, name)
             if got != documented and not (got is None and documented is None)]
    assert wrong == []


def _role_options(role):
    specs = _yaml(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"))
    return specs["argument_specs"]["main"]["options"]


def _role_default(value):
    """A defaults/main.yml value, or the fallback V of ``{{ inventory_variable | default(V) }}``."""
    if isinstance(value, str):
        match = FALLBACK_RE.match(value.strip())
        if match:
            return yaml.safe_load(match.group("value"))
    return value


@pytest.mark.parametrize("role", ROLES)
def test_role_documented_defaults_are_the_role_defaults(role):
    defaults = _yaml(os.path.join(ROOT, "roles", role, "defaults", "main.yml")) or {}
    wrong = []
    for name, option in sorted(_role_options(role).items()):
        if "default" not in option:
            continue
        if name not in defaults:
            wrong.append((name, "documented default %r, no value in defaults/main.yml" % (option["default"],)))
        elif _role_default(defaults[name]) != option["default"]:
            wrong.append((name, defaults[name], option["default"]))
    assert wrong == []


def _item_defaults(role):
    """{key: V} of every ``key: "{{ item.key | default(V) }}"`` line in the role's tasks (V a literal)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml"))):
        with open(path) as handle:
            for line in handle:
                match = ITEM_DEFAULT_RE.match(line.rstrip("\n"))
                if not match or match.group("value") == "omit":
                    continue
                value = yaml.safe_load(match.group("value"))
                if isinstance(value, str) and not match.group("value").startswith(("'", '"')):
                    continue  # another variable (libvirt_pools_force), not a literal
                found[match.group("key")] = value
    return found


def test_libvirt_pools_item_defaults_are_the_documented_ones():
    found = _item_defaults("libvirt_pools")
    assert set(found) >= {"autostart", "active", "state"}
    documented = _role_options("libvirt_pools")["libvirt_pools_networks"]["options"]
    module = importlib.import_module("ansible_collections.directiron.sriov.plugins.modules.libvirt_vf_network")
    module_doc = yaml.safe_load(module.DOCUMENTATION)["options"]
    for key, value in sorted(found.items()):
        assert documented[key].get("default") == value, key
        assert module_doc[key].get("default") == value, key


def test_every_role_item_default_is_documented():
    for role in ROLES:
        found = _item_defaults(role)
        options = [option.get("options") or {} for option in _role_options(role).values()]
        for key, value in found.items():
            assert any(key in sub and sub[key].get("default") == value for sub in options), (role, key, value)


# -- the iommu role's reboot decisions ---------------------------------------------------------------
def _task_conditions(path, names):
    tasks = _yaml(path)
    return dict((task["name"], task["when"]) for task in tasks if task.get("name") in names)


REBOOT = "Reboot into the arguments and verify them"
WARN = "Warn that a reboot is pending and not allowed"


def _decide(conditions, variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core before 2.19: every template is trusted
        def trust_as_template(text):
            return text
    templar = Templar(loader=DataLoader(), variables=variables)
    items = conditions if isinstance(conditions, list) else [conditions]
    return all(templar.evaluate_conditional(trust_as_template(item)) for item in items)


# required (from the module), reboot_ok (role option; a string from the inventory too), check mode, planning
COMBINATIONS = list(itertools.product([True, False], [True, False, "yes", "false"], [True, False], [True, False]))


@pytest.mark.parametrize("required, reboot_ok, check_mode, planning", COMBINATIONS)
def test_the_iommu_role_reboots_only_when_required_allowed_and_converging(required, reboot_ok, check_mode, planning):
    conditions = _task_conditions(os.path.join(ROOT, "roles", "iommu", "tasks", "main.yml"), (REBOOT, WARN))
    variables = {"iommu_reboot_required": required, "iommu_reboot_ok": reboot_ok,
                 "ansible_check_mode": check_mode, "iommu_planning": planning}
    allowed = reboot_ok in (True, "yes")
    assert _decide(conditions[REBOOT], variables) == (required and allowed and not check_mode and not planning)
    assert _decide(conditions[WARN], variables) == (required and not allowed and not planning)


def test_the_reboot_required_fact_comes_from_the_module_result():
    tasks = _yaml(os.path.join(ROOT, "roles", "iommu", "tasks", "main.yml"))
    recorded = [task for task in tasks if task.get("name") == "Record whether the host must reboot for the IOMMU arguments"]
    assert recorded[0]["ansible.builtin.set_fact"] == {"iommu_reboot_required": "{{ iommu_result.reboot_required }}",
                                                       "iommu_rebooted": False}
    assert "when" not in recorded[0]


# -- the driver roles' reboot decisions (driver_options: new module options; driver_pins: a loaded
# build that is not the one on disk): each task that reboots, evacuates, clears or warns, with
# the expected decision for every combination of required, allowed (a string from the inventory
# too) and check mode.
def _reboots(required, allowed, check_mode):
    return required and allowed and not check_mode


def _warns(required, allowed, _check_mode):
    return required and not allowed


DRIVER_DECISIONS = [
    ("driver_options", "main.yml", "Reboot so that the modules load with their new options", _reboots),
    ("driver_options", "main.yml", "Evacuate the running guests by sriov_guest_policy (refuse, shutdown, migrate)", _reboots),
    ("driver_options", "main.yml", "Clear the pending reboot", _reboots),
    ("driver_options", "main.yml", "Warn that a reboot is pending and not allowed", _warns),
    ("driver_pins", "upgrade.yml", "Reboot into the pinned builds", _reboots),
]


@pytest.mark.parametrize("role, tasks, name, expected", DRIVER_DECISIONS, ids=[d[2] + " (" + d[0] + ")" for d in DRIVER_DECISIONS])
def test_the_driver_roles_reboot_only_when_required_allowed_and_converging(role, tasks, name, expected):
    conditions = _task_conditions(os.path.join(ROOT, "roles", role, "tasks", tasks), (name,))
    assert name in conditions, "%s has no task %r" % (role, name)
    for required, allowed, check_mode in itertools.product([True, False], [True, False, "yes", "false"], [True, False]):
        variables = {"%s_reboot_required" % role: required, "%s_reboot_ok" % role: allowed, "ansible_check_mode": check_mode}
        want = expected(required, allowed in (True, "yes"), check_mode)
        assert _decide(conditions[name], variables) == want, (required, allowed, check_mode)


@pytest.mark.parametrize("results, required", [
    ([], False),
    ([{"module": "igb", "reboot_required": False}], False),
    ([{"module": "igb", "reboot_required": False}, {"module": "ixgbe", "reboot_required": True}], True),
])
def test_the_driver_options_reboot_required_fact_comes_from_the_module_results(results, required):
    tasks = _yaml(os.path.join(ROOT, "roles", "driver_options", "tasks", "main.yml"))
    recorded = [task for task in tasks if task.get("name") == "Record whether the host must reboot for the new options"][0]
    assert "when" not in recorded
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core before 2.19: every template is trusted
        def trust_as_template(text):
            return text
    variables = {"__driver_options_results": {"results": results}}
    variables.update((key, trust_as_template(value)) for key, value in recorded["vars"].items())
    templar = Templar(loader=DataLoader(), variables=variables)
    value = templar.template(trust_as_template(recorded["ansible.builtin.set_fact"]["driver_options_reboot_required"]))
    assert value in (required, str(required))
