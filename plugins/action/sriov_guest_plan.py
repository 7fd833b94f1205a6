# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What happens to the running guests of every host that will reboot: the guest policy, decided on the controller.

Reads, from hostvars, each host's running guests (``ansible_facts.sriov_guests`` of
``sriov_guests state=read``), the reasons it will reboot (a list in the variable ``reboots_from``),
its ``sriov_guest_policy``, ``sriov_guest_migrate_to`` and ``sriov_guest_migrate_uri``, and hands
them to ``_guest_policy.decide`` for the whole play at once (a peer's free VFs are reserved as
they are handed out). With ``plan`` it replans one host at its reboot (``_guest_policy.replan``).
Never fails itself: ``hosts`` maps each refused host to its lines (a task per host fails them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

from ansible_collections.directiron.sriov.plugins.module_utils import _guest_policy
from ansible_collections.directiron.sriov.plugins.plugin_utils._hostvars import HostView

DEFAULT_URI = "qemu+ssh://%s/system"


def host_setting(variables, host, reasons):
    """{policy, reboot, migrate_to, uri} of one host from its variables."""
    target = variables.get("ansible_host") or host
    return {
        "policy": variables.get("sriov_guest_policy") or _guest_policy.DEFAULT_POLICY,
        "reboot": [str(reason) for reason in (reasons or [])],
        "migrate_to": variables.get("sriov_guest_migrate_to") or None,
        "uri": variables.get("sriov_guest_migrate_uri") or DEFAULT_URI % target,
    }


def _get(hostvars, host, name, default=None):
    value = HostView(hostvars.get(host)).get(name, default)
    return default if value is None else value


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=dict(
            hosts=dict(type="list", elements="str"),
            serial=dict(type="raw"),
            reboots_from=dict(type="str", default="__sriov_reboot_reasons"),
            plan=dict(type="dict"),
        ))
        hostvars = task_vars.get("hostvars") or {}
        hosts = args["hosts"]
        if hosts is None:
            hosts = list(task_vars.get("ansible_play_hosts") or [task_vars.get("inventory_hostname")])
        settings, guests = {}, {}
        for host in hosts:
            variables = dict((name, _get(hostvars, host, name)) for name in (
                "ansible_host", "sriov_guest_policy", "sriov_guest_migrate_to", "sriov_guest_migrate_uri"))
            settings[host] = host_setting(variables, host, _get(hostvars, host, args["reboots_from"], []))
            found = (_get(hostvars, host, "ansible_facts", {}) or {}).get("sriov_guests")
            if found is not None:
                guests[host] = found
        if args["plan"] is not None:
            host = task_vars.get("inventory_hostname")
            # at the reboot: this host's own variables (the including role's too), templated as the task sees them
            names = ("ansible_host", "sriov_guest_policy", "sriov_guest_migrate_to", "sriov_guest_migrate_uri",
                     args["reboots_from"])
            own = dict((name, self._templar.template(task_vars[name])) for name in names if name in task_vars)
            setting = host_setting(own, host, own.get(args["reboots_from"]))
            found = (task_vars.get("ansible_facts") or {}).get("sriov_guests") or guests.get(host) or {}
            plans = {host: _guest_policy.replan(host, found, setting, args["plan"])}
            for peer, peer_setting in settings.items():
                if peer != host and plans[host]["domains"]:
                    for entry in plans[host]["domains"]:
                        if entry["destination"] == peer and not entry["dest_uri"]:
                            entry["dest_uri"] = peer_setting["uri"]
        else:
            plans = _guest_policy.decide(hosts, settings, guests, args["serial"])
        refused = dict((host, plan["refused"]) for host, plan in plans.items() if plan["refused"])
        result.update(changed=False, plans=plans, hosts=refused,
                      lines=dict((host, _guest_policy.plan_lines(host, plan)) for host, plan in plans.items()))
        result["msg"] = ("%d host(s) refused by the guest policy" % len(refused)) if refused else \
            "the guest policy lets every host that must reboot go"
        return result
