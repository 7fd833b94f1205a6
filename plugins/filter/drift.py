# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet driver drift table (the join and verdict live in module_utils/_drift.py).

Documentation lives in the adjacent sriov_drift_rows.yml, sriov_drift_text.yml and
sriov_drift_markdown.yml (this file defines all three filters).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.module_utils._drift import drift_rows, render_markdown, render_text
from ansible_collections.directiron.sriov.plugins.module_utils._rules import yaml_type


def _vars_of(hostvars, name):
    try:
        return hostvars[name]
    except KeyError:
        raise AnsibleFilterError("sriov_drift_rows: %s is not a host of the inventory" % name)


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("sriov_drift_rows: %s must be a dict, got %s" % (what, yaml_type(value)))
    return value


def sriov_drift_rows(hostvars, hosts, guests=None, extra_guests=None):
    """Rows of the drift table from the hypervisors' and guests' facts in ``hostvars``.

    hosts/guests: inventory names. extra_guests: [{name, guest_nics, pins}] gathered elsewhere.
    """
    host_items = []
    for name in hosts or []:
        hv = _vars_of(hostvars, name)
        facts = _mapping(hv.get("ansible_facts"), "ansible_facts of %s" % name)
        pins = _mapping(hv.get("sriov_driver_pins"), "sriov_driver_pins of %s" % name)
        host_items.append({"name": name, "sriov": facts.get("sriov"), "domains": facts.get("sriov_domains"),
                           "pins": {"host": pins.get("host") or [], "guest": pins.get("guest") or []}})
    guest_items = []
    for name in guests or []:
        hv = _vars_of(hostvars, name)
        facts = _mapping(hv.get("ansible_facts"), "ansible_facts of %s" % name)
        own_pins = _mapping(hv.get("sriov_driver_pins"), "sriov_driver_pins of %s" % name).get("guest")
        guest_items.append({"name": name, "nics": facts.get("guest_nics"), "pins": own_pins})
    for position, extra in enumerate(extra_guests or []):
        extra = _mapping(extra, "extra_guests[%d]" % position)
        if not extra.get("name"):
            raise AnsibleFilterError("sriov_drift_rows: extra_guests[%d] needs a name" % position)
        guest_items.append({"name": extra["name"], "nics": extra.get("guest_nics"), "pins": extra.get("pins")})
    return drift_rows(host_items, guest_items)


def sriov_drift_text(rows):
    return render_text(list(rows or []))


def sriov_drift_markdown(rows):
    return render_markdown(list(rows or []))


class FilterModule(object):
    def filters(self):
        return {
            "sriov_drift_rows": sriov_drift_rows,
            "sriov_drift_text": sriov_drift_text,
            "sriov_drift_markdown": sriov_drift_markdown,
        }
