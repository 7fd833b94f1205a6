# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a whole ``sriov_vf`` request before anything on the host is touched.

Pure standard library: the role validates a whole inventory with ``validate_params`` on the
controller side and the boot-time replay imports this without Ansible.

``validate_params(params, totalvfs=None)`` returns a normalised copy of the request (defaults
filled in, MACs lower-cased, ``vfs`` sorted by id) or raises ``SriovError`` whose ``field``
names the offending option, for example ``vfs[2].mac``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# Same keys and defaults as the options of directiron.sriov.sriov_vf.
DEFAULTS = {
    "pf": None,
    "num_vfs": None,
    "drivers_autoprobe": None,
    "vf_driver": None,
    "vfs": None,
    "force": False,
    "timeout": 60,
    "sysfs_root": "/sys",
    "proc_root": "/proc",
}

VF_KEYS = (
    "id", "mac", "vlan", "qos", "vlan_proto", "spoofchk", "trust", "link_state",
    "min_tx_rate", "max_tx_rate", "driver",
)
# Per-VF settings applied through `ip link set DEV vf N ...` (everything but id and driver).
VF_LINK_KEYS = (
    "mac", "vlan", "qos", "vlan_proto", "spoofchk", "trust", "link_state",
    "min_tx_rate", "max_tx_rate",
)
VLAN_PROTOS = ("802.1Q", "802.1ad")
LINK_STATES = ("auto", "enable", "disable")
DEFAULT_DRIVER = "default"

MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
# Characters a netdev name or a PCI address may hold; anything else could walk out of sysfs.
PF_NAME_RE = re.compile(r"^[A-Za-z0-9_.:@-]+$")
HEX_ID_RE = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")
DRIVER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
IFNAMSIZ = 16
MAX_PF_NAME = 64
MAX_VLAN = 4094
MAX_QOS = 7


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _as_int(value, field, minimum=0, maximum=None):
    """An int from an int or a decimal string; bools are refused (True is not 1 VF)."""
    if isinstance(value, str) and re.match(r"^\s*\d+\s*$", value):
        value = int(value)
    if not _is_int(value):
        raise SriovError("%s must be an integer, got %r" % (field, value), field=field)
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise SriovError("%s must be at least %d, got %d" % (field, minimum, value), field=field)
        raise SriovError("%s must be between %d and %d, got %d" % (field, minimum, maximum, value), field=field)
    return value


_TRUE = ("yes", "on", "true", "1")
_FALSE = ("no", "off", "false", "0")


def _as_bool(value, field):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise SriovError("%s must be a boolean, got %r" % (field, value), field=field)


def validate_pf(pf):
    """The PF selector, checked for shape only (no filesystem access)."""
    if isinstance(pf, dict):
        unknown = sorted(set(pf) - set(("vendor", "device", "index")))
        if unknown:
            raise SriovError("pf selector has unknown key(s) %s; allowed: vendor, device, index"
                             % ", ".join(unknown), field="pf.%s" % unknown[0])
        out = {}
        for key in ("vendor", "device"):
            value = pf.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                value = "0x%04x" % value
            if not isinstance(value, str) or not HEX_ID_RE.match(value):
                raise SriovError("pf.%s must be a hexadecimal PCI id such as 0x8086, got %r" % (key, value),
                                 field="pf.%s" % key)
            out[key] = "0x%04x" % int(value, 16)
        out["index"] = _as_int(pf.get("index", 0) if pf.get("index") is not None else 0, "pf.index")
        return out
    if not isinstance(pf, str) or not pf:
        raise SriovError("pf is required: a netdev name, a PCI address or {vendor, device, index}", field="pf")
    if len(pf) > MAX_PF_NAME or not PF_NAME_RE.match(pf) or ".." in pf or pf in (".",):
        raise SriovError("pf %r is not a netdev name or a PCI address: only letters, digits and _.:@- are "
                         "allowed, and no '..'" % pf, field="pf")
    return pf


def validate_mac(mac, field):
    if not isinstance(mac, str) or not MAC_RE.match(mac):
        raise SriovError("%s %r is not a MAC address (six colon-separated hex octets)" % (field, mac), field=field)
    mac = mac.lower()
    octets = [int(part, 16) for part in mac.split(":")]
    if not any(octets):
        raise SriovError("%s %s is all zeros; give a unicast address such as 02:00:00:00:00:01" % (field, mac),
                         field=field)
    if octets[0] & 1:
        raise SriovError("%s %s is a multicast address (lowest bit of the first octet set); a VF needs a "
                         "unicast address" % (field, mac), field=field)
    return mac


def validate_driver(driver, field):
    if not isinstance(driver, str) or not DRIVER_RE.match(driver):
        raise SriovError("%s %r is not a driver name: use 'default', 'vfio-pci' or a kernel driver name"
                         % (field, driver), field=field)
    return driver


def validate_vf(entry, position):
    """One entry of ``vfs``: every key checked, unknown keys refused by name."""
    where = "vfs[%d]" % position
    if not isinstance(entry, dict):
        raise SriovError("%s must be a dict with at least an id, got %r" % (where, entry), field=where)
    unknown = sorted(set(entry) - set(VF_KEYS))
    if unknown:
        raise SriovError("%s has unknown key(s) %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(VF_KEYS)),
                         field="%s.%s" % (where, unknown[0]))
    if entry.get("id") is None:
        raise SriovError("%s needs an id (the VF index)" % where, field="%s.id" % where)
    vf = dict((key, None) for key in VF_KEYS)
    vf["id"] = _as_int(entry["id"], "%s.id" % where)
    value = entry.get("mac")
    if value is not None:
        vf["mac"] = validate_mac(value, "%s.mac" % where)
    if entry.get("vlan") is not None:
        vf["vlan"] = _as_int(entry["vlan"], "%s.vlan" % where, 0, MAX_VLAN)
    if entry.get("qos") is not None:
        vf["qos"] = _as_int(entry["qos"], "%s.qos" % where, 0, MAX_QOS)
        if vf["vlan"] is None:
            raise SriovError("%s.qos needs a vlan in the same entry: the kernel sets the priority together "
                             "with the VLAN tag" % where, field="%s.qos" % where)
        if vf["vlan"] == 0 and vf["qos"]:
            raise SriovError("%s.qos %d needs a non-zero vlan (vlan 0 means untagged)" % (where, vf["qos"]),
                             field="%s.qos" % where)
    if entry.get("vlan_proto") is not None:
        proto = entry["vlan_proto"]
        match = [p for p in VLAN_PROTOS if isinstance(proto, str) and p.lower() == proto.lower()]
        if not match:
            raise SriovError("%s.vlan_proto must be one of %s, got %r" % (where, ", ".join(VLAN_PROTOS), proto),
                             field="%s.vlan_proto" % where)
        if vf["vlan"] is None:
            raise SriovError("%s.vlan_proto needs a vlan in the same entry" % where,
                             field="%s.vlan_proto" % where)
        vf["vlan_proto"] = match[0]
    for key in ("spoofchk", "trust"):
        if entry.get(key) is not None:
            vf[key] = _as_bool(entry[key], "%s.%s" % (where, key))
    if entry.get("link_state") is not None:
        state = entry["link_state"]
        if state not in LINK_STATES:
            raise SriovError("%s.link_state must be one of %s, got %r" % (where, ", ".join(LINK_STATES), state),
                             field="%s.link_state" % where)
        vf["link_state"] = state
    for key in ("min_tx_rate", "max_tx_rate"):
        if entry.get(key) is not None:
            vf[key] = _as_int(entry[key], "%s.%s" % (where, key))
    # max_tx_rate 0 means "no limit", so only a non-zero maximum bounds the minimum.
    if vf["min_tx_rate"] and vf["max_tx_rate"] and vf["min_tx_rate"] > vf["max_tx_rate"]:
        raise SriovError("%s.min_tx_rate %d is above max_tx_rate %d (Mbit/s)"
                         % (where, vf["min_tx_rate"], vf["max_tx_rate"]), field="%s.min_tx_rate" % where)
    if entry.get("driver") is not None:
        vf["driver"] = validate_driver(entry["driver"], "%s.driver" % where)
    return vf


def validate_params(params, totalvfs=None, numvfs=None):
    """Validate a whole request; return the normalised copy or raise SriovError naming the field.

    totalvfs: the PF's sriov_totalvfs when known (the role passes facts, the module reads sysfs).
    numvfs: the current VF count, used for VF indexes when the request leaves num_vfs unset.
    """
    if not isinstance(params, dict):
        raise SriovError("the request must be a dict of sriov_vf options, got %r" % (params,))
    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        raise SriovError("unknown option(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))),
                         field=unknown[0])
    out = dict(DEFAULTS)
    out.update((key, value) for key, value in params.items() if value is not None)
    out["pf"] = validate_pf(params.get("pf"))
    if out["num_vfs"] is not None:
        out["num_vfs"] = _as_int(out["num_vfs"], "num_vfs")
        if totalvfs is not None and out["num_vfs"] > totalvfs:
            raise SriovError("num_vfs %s is above what the PF supports (sriov_totalvfs %s)"
                             % (out["num_vfs"], totalvfs), field="num_vfs")
    if out["drivers_autoprobe"] is not None:
        out["drivers_autoprobe"] = _as_bool(out["drivers_autoprobe"], "drivers_autoprobe")
    if out["vf_driver"] is not None:
        out["vf_driver"] = validate_driver(out["vf_driver"], "vf_driver")
    out["force"] = _as_bool(out["force"], "force")
    out["timeout"] = _as_int(out["timeout"], "timeout", 1, 3600)
    for key in ("sysfs_root", "proc_root"):
        if not isinstance(out[key], str) or not out[key].startswith("/"):
            raise SriovError("%s must be an absolute path, got %r" % (key, out[key]), field=key)

    entries = out["vfs"] or []
    if not isinstance(entries, list):
        raise SriovError("vfs must be a list of dicts, got %r" % (entries,), field="vfs")
    vfs = [validate_vf(entry, position) for position, entry in enumerate(entries)]
    limit = out["num_vfs"] if out["num_vfs"] is not None else numvfs
    seen_ids = {}
    seen_macs = {}
    for position, vf in enumerate(vfs):
        where = "vfs[%d]" % position
        if vf["id"] in seen_ids:
            raise SriovError("%s.id %d is a duplicate of vfs[%d].id" % (where, vf["id"], seen_ids[vf["id"]]),
                             field="%s.id" % where)
        seen_ids[vf["id"]] = position
        if limit is not None and vf["id"] >= limit:
            raise SriovError("%s.id %d is not below the VF count %d (VF indexes run from 0 to num_vfs - 1)"
                             % (where, vf["id"], limit), field="%s.id" % where)
        if totalvfs is not None and vf["id"] >= totalvfs:
            raise SriovError("%s.id %d is not below sriov_totalvfs %s" % (where, vf["id"], totalvfs),
                             field="%s.id" % where)
        if vf["mac"] is not None:
            if vf["mac"] in seen_macs:
                raise SriovError("%s.mac %s is also given to vfs[%d]" % (where, vf["mac"], seen_macs[vf["mac"]]),
                                 field="%s.mac" % where)
            seen_macs[vf["mac"]] = position
    out["vfs"] = sorted(vfs, key=lambda vf: vf["id"])
    return out


def wanted_driver(params, vf_id):
    """The driver asked for one VF: its own ``driver``, else ``vf_driver``, else None (leave it)."""
    for vf in params.get("vfs") or []:
        if vf["id"] == vf_id and vf.get("driver") is not None:
            return vf["driver"]
    return params.get("vf_driver")
