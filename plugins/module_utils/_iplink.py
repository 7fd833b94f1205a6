# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-VF state through iproute2: parsing ``ip -d -j link show`` and building ``ip link set`` argv.

Pure standard library: the boot-time replay imports this without Ansible.
Parsing lives in ``parse_*`` functions; argv building in ``*_argv`` functions. No command is ever
built from a string.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _spec
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def _to_int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _at(entry, path):
    """The value at a dotted path (``vlan_list.0.qos``) of parsed JSON, or None."""
    value = entry
    for part in path.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def read_setting(option, entry):
    """One per-VF setting out of an element of ``vfinfo_list``, in the request's type: the first of
    the option's JSON paths that iproute2 printed, else its ``unset`` value. A value iproute2 prints
    in another type or outside the choices reads as not reported (None)."""
    unset = option.get("unset")
    value = None
    for path in option["json"]:
        value = _at(entry, path)
        if value is not None:
            break
    if value is None:
        return unset
    kind = option["type"]
    if kind == "int":
        return _to_int(value, unset)
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if not isinstance(value, str):
        return None
    if option.get("mac"):
        return value.lower()
    choices = option.get("choices")
    if choices:
        # iproute2 spells the VLAN protocol 802.1Q/802.1ad; the choices' spelling wins
        return dict((choice.lower(), choice) for choice in choices).get(value.lower(), unset)
    return value


def parse_vfinfo(entry):
    """One element of ``vfinfo_list`` -> {setting: value} of every per-VF setting of the option table.

    iproute2 omits zero values (vlan 0, qos 0, rates) and prints ``protocol`` only for 802.1ad, so
    absent keys mean the kernel defaults (the table's ``unset``); a setting the driver does not
    report is None.
    """
    return dict((option["name"], read_setting(option, entry)) for option in _spec.VF_LINK_OPTIONS)


def parse_link_show(json_text):
    """``ip -d -j link show`` output -> {ifname: {"vfs": {index: settings}, ...}}.

    Besides ``vfs`` each interface carries ``ifindex``, ``address``, ``operstate``, ``admin_up``
    (``UP`` among its flags), ``mtu``, ``min_mtu``, ``max_mtu`` and ``num_vf`` (from the ``-d`` details) when iproute2 printed them. Raises ValueError when the
    text is not the JSON list iproute2 prints.
    """
    data = json.loads(json_text) if json_text and json_text.strip() else []
    if not isinstance(data, list):
        raise ValueError("ip -j link show did not print a JSON list")
    links = {}
    for link in data:
        if not isinstance(link, dict) or not isinstance(link.get("ifname"), str):
            continue
        vfs = {}
        for entry in link.get("vfinfo_list") or []:
            if isinstance(entry, dict) and "vf" in entry:
                vfs[_to_int(entry["vf"])] = parse_vfinfo(entry)
        links[link["ifname"]] = {
            "ifindex": link.get("ifindex"),
            "address": link.get("address"),
            "operstate": link.get("operstate"),
            "admin_up": "UP" in (link.get("flags") or []),
            "mtu": link.get("mtu"),
            "min_mtu": link.get("min_mtu"),
            "max_mtu": link.get("max_mtu"),
            "num_vf": link.get("num_vf"),
            "vfs": vfs,
        }
    return links


def parse_ethtool_info(text):
    """``ethtool -i IF`` output -> {"driver", "version", "firmware_version", "bus_info"} (missing -> None)."""
    keys = {"driver": "driver", "version": "version", "firmware-version": "firmware_version",
            "bus-info": "bus_info"}
    result = dict((v, None) for v in keys.values())
    for line in (text or "").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() in keys:
            value = value.strip()
            result[keys[name.strip()]] = value or None
    return result


def mtu_argv(ifname, mtu, field="mtu", ip_bin="ip"):
    """``ip link set dev IF mtu N`` for a PF or a VF's own netdev (``mtu`` validated by the option table)."""
    if not _rules.is_netdev_name(ifname):
        raise SriovError("not a network interface name: %r" % (ifname,), field=field)
    return [ip_bin, "link", "set", "dev", ifname, "mtu", str(int(mtu))]


def _word(value):
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def vf_set_argv(ifname, index, changes, ip_bin="ip"):
    """Argv lists that apply ``changes`` to VF ``index`` of PF netdev ``ifname``.

    ``changes`` holds only the settings to change, values as ``_spec.validate_params`` returns them
    (they are not checked again here). Each setting is ``WORD VALUE`` after ``vf N``, in table
    order; the settings of one ``group`` (the VLAN triple, the two rates) form one command, as the
    kernel takes them in one message: a change to qos or vlan_proto passes vlan too.
    """
    if not _rules.is_netdev_name(ifname):
        raise SriovError("not a network interface name: %r" % (ifname,), field="pf")
    unknown = set(changes) - set(_spec.VF_LINK_KEYS)
    if unknown:
        raise SriovError("unknown VF settings: %s" % ", ".join(sorted(unknown)), field="vfs")
    base = [ip_bin, "link", "set", "dev", ifname, "vf", str(int(index))]
    commands = []
    groups = {}
    for option in _spec.VF_LINK_OPTIONS:
        name = option["name"]
        if name not in changes or changes[name] is None:
            continue
        group = option.get("group") or name
        if group not in groups:
            groups[group] = []
            commands.append(groups[group])
        groups[group].extend([option["ip"], _word(changes[name])])
    tagged = [o["name"] for o in _spec.VF_LINK_OPTIONS if o.get("needs_vlan") and changes.get(o["name"]) is not None]
    if tagged and changes.get("vlan") is None:
        raise SriovError("%s: set together with vlan, pass vlan too" % ", ".join(tagged), field="vlan")
    return [base + words for words in commands]
