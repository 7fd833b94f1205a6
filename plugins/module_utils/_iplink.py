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
import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# iproute2 prints IFLA_VF_LINK_STATE as one of these words.
LINK_STATES = ("auto", "enable", "disable")
VLAN_PROTOS = ("802.1Q", "802.1ad")
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")
IFNAME_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}\Z")


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

    Besides ``vfs`` each interface carries ``ifindex``, ``address``, ``operstate``, ``mtu`` and
    ``num_vf`` (from the ``-d`` details) when iproute2 printed them. Raises ValueError when the
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
            "mtu": link.get("mtu"),
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


def _onoff(value, field):
    if isinstance(value, bool):
        return "on" if value else "off"
    raise SriovError("%s must be true or false, got %r" % (field, value), field=field)


def _nonneg_int(value, field, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (maximum is not None and value > maximum):
        raise SriovError("%s must be an integer 0..%s, got %r" % (field, maximum if maximum is not None else "", value),
                         field=field)
    return str(value)


def vf_set_argv(ifname, index, changes, ip_bin="ip"):
    """Argv lists that apply ``changes`` to VF ``index`` of PF netdev ``ifname``.

    ``changes`` holds only the settings to change, any of: mac, vlan, qos, vlan_proto, spoofchk,
    trust, link_state, min_tx_rate, max_tx_rate. vlan/qos/vlan_proto form one command (the kernel
    sets them together: pass ``vlan`` whenever qos or vlan_proto change), and so do the two rates.
    Values are validated here so a bad value fails before any command runs.
    """
    if not isinstance(ifname, str) or not IFNAME_RE.match(ifname) or ifname in (".", ".."):
        raise SriovError("not a network interface name: %r" % (ifname,), field="pf")
    vf = _nonneg_int(index, "vfs.id")
    base = [ip_bin, "link", "set", "dev", ifname, "vf", vf]
    unknown = set(changes) - set(["mac", "vlan", "qos", "vlan_proto", "spoofchk", "trust", "link_state",
                                  "min_tx_rate", "max_tx_rate"])
    if unknown:
        raise SriovError("unknown VF settings: %s" % ", ".join(sorted(unknown)), field="vfs")
    argvs = []
    if "mac" in changes:
        mac = changes["mac"]
        if not isinstance(mac, str) or not MAC_RE.match(mac):
            raise SriovError("mac must look like 02:00:00:00:00:01, got %r" % (mac,), field="mac")
        argvs.append(base + ["mac", mac.lower()])
    if "vlan" in changes or "qos" in changes or "vlan_proto" in changes:
        if "vlan" not in changes:
            raise SriovError("qos and vlan_proto are set together with vlan: pass vlan too", field="vlan")
        argv = base + ["vlan", _nonneg_int(changes["vlan"], "vlan", 4095)]
        if changes.get("qos") is not None:
            argv += ["qos", _nonneg_int(changes["qos"], "qos", 7)]
        if changes.get("vlan_proto") is not None:
            if changes["vlan_proto"] not in VLAN_PROTOS:
                raise SriovError("vlan_proto must be one of %s" % ", ".join(VLAN_PROTOS), field="vlan_proto")
            argv += ["proto", changes["vlan_proto"]]
        argvs.append(argv)
    if "spoofchk" in changes:
        argvs.append(base + ["spoofchk", _onoff(changes["spoofchk"], "spoofchk")])
    if "trust" in changes:
        argvs.append(base + ["trust", _onoff(changes["trust"], "trust")])
    if "link_state" in changes:
        if changes["link_state"] not in LINK_STATES:
            raise SriovError("link_state must be one of %s" % ", ".join(LINK_STATES), field="link_state")
        argvs.append(base + ["state", changes["link_state"]])
    if "min_tx_rate" in changes or "max_tx_rate" in changes:
        argv = list(base)
        if "min_tx_rate" in changes:
            argv += ["min_tx_rate", _nonneg_int(changes["min_tx_rate"], "min_tx_rate")]
        if "max_tx_rate" in changes:
            argv += ["max_tx_rate", _nonneg_int(changes["max_tx_rate"], "max_tx_rate")]
        argvs.append(argv)
    return argvs
