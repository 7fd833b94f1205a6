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

# iproute2 prints IFLA_VF_LINK_STATE as one of the words of the link_state option.
LINK_STATES = tuple(option["choices"] for option in _spec.VF_OPTIONS if option["name"] == "link_state")[0]
_OPTIONS = dict((option["name"], option) for option in _spec.VF_OPTIONS)


def _to_int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def parse_vfinfo(entry):
    """One element of ``vfinfo_list`` -> normalised per-VF settings.

    iproute2 omits zero values (vlan 0, qos 0) and prints ``protocol`` only for 802.1ad,
    so absent keys mean the kernel defaults.
    """
    vlan = 0
    qos = 0
    proto = "802.1Q"
    vlan_list = entry.get("vlan_list")
    if isinstance(vlan_list, list) and vlan_list:
        first = vlan_list[0] if isinstance(vlan_list[0], dict) else {}
        vlan = _to_int(first.get("vlan"))
        qos = _to_int(first.get("qos"))
        proto = first.get("protocol") or proto
    else:
        vlan = _to_int(entry.get("vlan"))
        qos = _to_int(entry.get("qos"))
        proto = entry.get("protocol") or proto
    rate = entry.get("rate") if isinstance(entry.get("rate"), dict) else {}
    max_tx = _to_int(rate.get("max_tx"), None)
    if max_tx is None:
        # kernels without IFLA_VF_RATE report only the legacy tx_rate (a max rate)
        max_tx = _to_int(entry.get("tx_rate"))
    link_state = entry.get("link_state")
    if link_state not in LINK_STATES:
        link_state = None
    mac = entry.get("address", entry.get("mac"))
    return {
        "mac": mac.lower() if isinstance(mac, str) else None,
        "vlan": vlan,
        "qos": qos,
        "vlan_proto": proto,
        "spoofchk": entry.get("spoofchk") if isinstance(entry.get("spoofchk"), bool) else None,
        "trust": entry.get("trust") if isinstance(entry.get("trust"), bool) else None,
        "link_state": link_state,
        "min_tx_rate": _to_int(rate.get("min_tx")),
        "max_tx_rate": max_tx,
    }


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
    """``ip link set dev IF mtu N`` for a PF or a VF's own netdev, the value checked against the table."""
    if not _rules.is_netdev_name(ifname):
        raise SriovError("not a network interface name: %r" % (ifname,), field=field)
    option = [o for o in _spec.PF_OPTIONS if o["name"] == "mtu"][0]
    return [ip_bin, "link", "set", "dev", ifname, "mtu", str(_spec.check_value(option, mtu, field))]


def vf_set_argv(ifname, index, changes, ip_bin="ip"):
    """Argv lists that apply ``changes`` to VF ``index`` of PF netdev ``ifname``.

    ``changes`` holds only the settings to change, any of: mac, vlan, qos, vlan_proto, spoofchk,
    trust, link_state, min_tx_rate, max_tx_rate. vlan/qos/vlan_proto form one command (the kernel
    sets them together: pass ``vlan`` whenever qos or vlan_proto change), and so do the two rates.
    Values are validated here so a bad value fails before any command runs.
    """
    if not _rules.is_netdev_name(ifname):
        raise SriovError("not a network interface name: %r" % (ifname,), field="pf")
    unknown = set(changes) - set(_spec.VF_LINK_KEYS)
    if unknown:
        raise SriovError("unknown VF settings: %s" % ", ".join(sorted(unknown)), field="vfs")
    if ("qos" in changes or "vlan_proto" in changes) and "vlan" not in changes:
        raise SriovError("qos and vlan_proto are set together with vlan: pass vlan too", field="vlan")
    # The option table's own checks, so a bad value fails before any command runs.
    words = {"id": str(_spec.check_value(_OPTIONS["id"], index, "vfs.id"))}
    for key, value in changes.items():
        value = _spec.check_value(_OPTIONS[key], value, key) if value is not None else None
        words[key] = ("on" if value else "off") if isinstance(value, bool) else value
    base = [ip_bin, "link", "set", "dev", ifname, "vf", words["id"]]
    argvs = []
    if "mac" in changes:
        argvs.append(base + ["mac", words["mac"]])
    if "vlan" in changes:
        argv = base + ["vlan", str(words["vlan"])]
        if words.get("qos") is not None:
            argv += ["qos", str(words["qos"])]
        if words.get("vlan_proto") is not None:
            argv += ["proto", words["vlan_proto"]]
        argvs.append(argv)
    for key, word in (("spoofchk", "spoofchk"), ("trust", "trust"), ("link_state", "state")):
        if key in changes:
            argvs.append(base + [word, words[key]])
    rates = [key for key in ("min_tx_rate", "max_tx_rate") if key in changes]
    if rates:
        argvs.append(base + [part for key in rates for part in (key, str(words[key]))])
    return argvs
