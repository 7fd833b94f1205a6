# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-VF link settings (``ip link set DEV vf N ...``): normalised, compared, described.

``normalise_link`` puts what ``ip -d -j link`` reports into the request's types; ``link_changes``
is what to write so the current settings become the wanted ones (the VLAN triple and the two rates
go together, as the kernel takes them); ``describe_changes`` is their action text. Pure functions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils import _spec


def normalise_link(settings):
    """Every per-VF setting of the table, from settings as ``_iplink.parse_vfinfo`` reads them (None:
    not known, as for a VF that does not exist yet)."""
    settings = settings or {}
    return dict((key, settings.get(key)) for key in _spec.VF_LINK_KEYS)


def link_changes(wanted, current):
    """{key: value} of the per-VF settings to write so `current` becomes `wanted`.

    The settings of one table ``group`` go in one netlink message, so a change to any of them
    re-sends the group: the members not asked for keep their current values. In the VLAN group a
    zero vlan (untagged) takes neither qos nor proto.
    """
    current = normalise_link(current)
    changes = {}
    groups = {}
    for option in _spec.VF_LINK_OPTIONS:
        key = option["name"]
        differs = wanted.get(key) is not None and wanted[key] != _current(option, current)
        if option.get("group"):
            members = groups.setdefault(option["group"], [])
            members.append(option)
            if differs:
                changes[option["group"]] = None  # marks the group; filled in below
        elif differs:
            changes[key] = wanted[key]
    for group, members in groups.items():
        if changes.pop(group, False) is None:
            changes.update(_group_values(members, wanted, current))
    return changes


def _current(option, current):
    value = current.get(option["name"])
    return option.get("unset") if value is None else value


def _group_values(members, wanted, current):
    """The values of a group to re-send: each member as wanted, else as it is. A member that needs a
    VLAN tag (qos, vlan_proto) goes only with a non-zero vlan, and only when asked for or not at its
    kernel default (not every driver takes ``proto``)."""
    values = dict((option["name"], wanted[option["name"]] if wanted.get(option["name"]) is not None
                   else _current(option, current)) for option in members)
    out = {}
    for option in members:
        name = option["name"]
        if option.get("needs_vlan") and (not values.get("vlan") or (
                wanted.get(name) is None and values[name] == option.get("unset"))):
            continue
        out[name] = values[name]
    return out


def describe_changes(changes):
    return ", ".join("%s %s" % (key, ("on" if value else "off") if isinstance(value, bool) else value)
                     for key, value in sorted(changes.items()))
