# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the ``sriov_*`` inventory of every host of the play, on the controller, once.

Runs once for the whole play (no connection to any host): reads each host's ``sriov_*``
variables from hostvars, checks them with ``_inventory.validate_fleet`` (site variables,
cross-field and fleet-wide rules) and the role options a user may set directly (those named
``sriov_*`` in the roles' ``meta/argument_specs.yml``) with Ansible's own argument-spec validator.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.directiron.sriov.plugins.module_utils._inventory import (
    PREFIX,
    _line,
    _short,
    ROLE_COPIES,
    SITE_VARIABLES,
    fleet_lines,
    validate_fleet,
)

COLLECTION_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ROLES_DIR = os.path.join(COLLECTION_DIR, "roles")
PLAYBOOKS_DIR = os.path.join(COLLECTION_DIR, "playbooks")
# A variable named in a playbook: sriov_... not part of a longer name or of a plugin's FQCN.
PLAYBOOK_VARIABLE_RE = re.compile(r"(?<![.\w])(sriov_[a-z0-9_]+)")


def role_options(roles_dir=ROLES_DIR):
    """{option: argument spec} of every role option named ``sriov_*`` that the site does not set itself."""
    options = {}
    for path in sorted(glob.glob(os.path.join(roles_dir, "*", "meta", "argument_specs.yml"))):
        with open(path) as handle:
            specs = yaml.safe_load(handle) or {}
        for entry in (specs.get("argument_specs") or {}).values():
            for name, spec in (entry.get("options") or {}).items():
                if name.startswith(PREFIX) and name not in SITE_VARIABLES and name not in ROLE_COPIES:
                    options[name] = _plain_spec(spec)
    return options


def playbook_variables(playbooks_dir=PLAYBOOKS_DIR):
    """The ``sriov_*`` names the collection's playbooks read (``sriov_audit_hosts`` of audit.yml, ...)."""
    names = set()
    for path in sorted(glob.glob(os.path.join(playbooks_dir, "*.yml"))):
        with open(path) as handle:
            names.update(PLAYBOOK_VARIABLE_RE.findall(handle.read()))
    modules = set(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(COLLECTION_DIR, "plugins", "modules", "*.py")))
    return names - set(ROLE_COPIES) - modules


def _plain_spec(spec):
    """An argument_specs.yml option without its documentation keys (ArgumentSpecValidator's form)."""
    keep = ("type", "elements", "choices", "default", "required", "options")
    out = dict((key, value) for key, value in spec.items() if key in keep)
    if isinstance(out.get("options"), dict):
        out["options"] = dict((name, _plain_spec(sub)) for name, sub in out["options"].items())
    return out


def role_option_errors(variables, options):
    """One short line per role option among ``variables`` that its role's argument spec refuses."""
    errors = []
    for name in sorted(set(variables) & set(options)):
        result = ArgumentSpecValidator({name: options[name]}).validate({name: variables[name]})
        if result.error_messages:
            errors.append(_line(name, "must be of type %s (its role's argument spec), got %s"
                                % (options[name].get("type", "str"), _short(variables[name]))))
    return errors


def fleet_errors(fleet, options, extra=None, outside=None, resolved=None, more_known=()):
    """{host: [error lines]} of a fleet ``{host: {sriov_* variables}}``: site rules and role options.

    outside: ``{host: sriov_pfs}`` of the inventory hosts not checked (their MACs still count);
    resolved: ``{host: [{address, netdev}]}``, each host's PFs as the preflight resolved them;
    more_known: more accepted names (the playbooks' own variables).
    """
    errors_by_host = validate_fleet(fleet, known=set(options) | set(more_known), outside=outside, resolved=resolved)
    for host in fleet:
        lines = list((extra or {}).get(host, [])) + role_option_errors(fleet[host], options)
        if lines:
            errors_by_host.setdefault(host, []).extend(lines)
    return errors_by_host


def identities(results):
    """[{address, netdev}] per sriov_pfs position from a registered result: one sriov_host run
    (its ``pfs``), or a loop of sriov_vf runs over sriov_pfs (its ``results``)."""
    if isinstance((results or {}).get("pfs"), list):
        return [{"address": pf["pf"], "netdev": pf.get("netdev")} if isinstance(pf, dict) and pf.get("pf") else None
                for pf in results["pfs"]]
    found = []
    for result in (results or {}).get("results") or []:
        if not isinstance(result, dict) or result.get("failed") or result.get("skipped") or not result.get("pf"):
            found.append(None)
            continue
        found.append({"address": result["pf"], "netdev": (result.get("state") or {}).get("netdev")})
    return found


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class ActionModule(ActionBase):
    BYPASS_HOST_LOOP = True
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=dict(
            hosts=dict(type="list", elements="str"),
            isolate=dict(type="bool", default=False),
            resolved_from=dict(type="str"),
        ))
        hosts = args["hosts"]
        if hosts is None:
            hosts = task_vars.get("ansible_play_hosts_all") or [task_vars.get("inventory_hostname")]
        hostvars = task_vars.get("hostvars") or {}
        options = role_options()
        fleet, extra = {}, {}
        for host in hosts:
            fleet[host], extra[host] = self._host_variables(hostvars, host)
        outside = {}
        for host in (task_vars.get("groups") or {}).get("all", []):
            if host not in fleet:
                outside[host] = self._host_variables(hostvars, host, only=("sriov_pfs",))[0].get("sriov_pfs")
        resolved = None
        if args["resolved_from"]:
            resolved = {}
            for host in hosts:
                try:
                    resolved[host] = identities(hostvars[host].get(args["resolved_from"]))
                except Exception as exc:
                    extra[host].append("%s: cannot be read: %s" % (args["resolved_from"], _first_line(exc)))
        errors_by_host = fleet_errors(fleet, options, extra, outside, resolved, playbook_variables())
        lines = fleet_lines(errors_by_host)
        result.update(changed=False, hosts=errors_by_host, checked=len(hosts))
        if not lines:
            result["msg"] = "the sriov_* inventory of %d host(s) is valid" % len(hosts)
            return result
        summary = "%d inventory error(s) on %d host(s)" % (len(lines), len(errors_by_host))
        if args["isolate"]:
            result["msg"] = summary + "; those hosts stop, the others go on"
        else:
            result["failed"] = True
            result["msg"] = "\n".join([summary + "; no host was changed:"] + lines)
        return result

    @staticmethod
    def _host_variables(hostvars, host, only=None):
        """({sriov_* name: templated value}, [error lines]) of one host (only the names in ``only`` when given)."""
        try:
            variables = hostvars[host]
            names = [name for name in variables if isinstance(name, str) and name.startswith(PREFIX)
                     and (only is None or name in only)]
        except Exception as exc:  # an inventory the controller cannot read: one line, not a traceback
            return {}, ["hostvars: cannot read this host's variables: %s" % _first_line(exc)]
        values, errors = {}, []
        for name in names:
            try:
                values[name] = variables[name]
            except Exception as exc:
                errors.append("%s: cannot be templated: %s" % (name, _first_line(exc)))
        return values, errors
