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

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec


def normalise_link(settings):
    """Per-VF settings as parsed from ip, in the types the request uses."""
    settings = dict(settings or {})
    out = {}
    for key in _spec.VF_LINK_KEYS:
        value = settings.get(key)
        if key == "mac" and value is not None:
            value = str(value).lower()
        elif key in ("spoofchk", "trust"):
            value = None if value is None else _rules.parse_bool(value, key)
        elif key in ("vlan", "qos", "min_tx_rate", "max_tx_rate") and value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = None
        elif key == "vlan_proto" and value is not None:
            value = "802.1ad" if str(value).lower() == "802.1ad" else "802.1Q"
        out[key] = value
    return out


def link_changes(wanted, current):
    """{key: value} of the per-VF settings to write so `current` becomes `wanted`.

    The VLAN tag, priority and protocol are set together by the kernel (one vf_vlan_info), so a
    change to any of them re-sends the whole triple: qos and proto keep their current values
    unless asked for.
    """
    current = normalise_link(current)
    changes = {}
    for key in ("mac", "spoofchk", "trust", "link_state"):
        if wanted.get(key) is not None and wanted[key] != current.get(key):
            changes[key] = wanted[key]
    current_vlan = {"vlan": current.get("vlan") or 0, "qos": current.get("qos") or 0,
                    "vlan_proto": current.get("vlan_proto") or "802.1Q"}
    if any(wanted.get(key) is not None and wanted[key] != value for key, value in current_vlan.items()):
        vlan = wanted["vlan"] if wanted.get("vlan") is not None else (current.get("vlan") or 0)
        changes["vlan"] = vlan
        if vlan:
            qos = wanted.get("qos") if wanted.get("qos") is not None else current.get("qos")
            if qos:
                changes["qos"] = qos
            # Name the protocol only when asked for or not the default: not every driver takes "proto".
            if wanted.get("vlan_proto") is not None:
                changes["vlan_proto"] = wanted["vlan_proto"]
            elif current.get("vlan_proto") not in (None, "802.1Q"):
                changes["vlan_proto"] = current["vlan_proto"]
    rate_keys = ("min_tx_rate", "max_tx_rate")
    if any(wanted.get(key) is not None and wanted[key] != current.get(key) for key in rate_keys):
        # Both rates go in one netlink message; keep the one not asked for.
        for key in rate_keys:
            value = wanted[key] if wanted.get(key) is not None else current.get(key)
            changes[key] = value or 0
    return changes


def describe_changes(changes):
    return ", ".join("%s %s" % (key, ("on" if value else "off") if isinstance(value, bool) else value)
                     for key, value in sorted(changes.items()))
