# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``sriov_vf`` option table, and validation of a whole request against it.

``PF_OPTIONS`` and ``VF_OPTIONS`` are the one description of the module's options: name, type,
default, bounds, choices, version_added and documentation text; a per-VF setting the PF applies
also names its ``ip link set DEV vf N`` word and where ``ip -d -j link show`` reports it. From
them come the module's argument spec (``argument_spec()``), the checks below, the parsing of
iproute2's output and the ``ip link set`` commands (``_iplink``), the comparison of wanted and
current settings (``_vf_links``), sriov_facts' per-VF keys, and the documentation copies.

``validate_params(params, totalvfs=None, numvfs=None)`` returns a normalised copy of the request
(defaults filled in, MACs lower-cased, ``vfs`` sorted by id) or raises ``SriovError`` whose
``field`` names the offending option, for example ``vfs[2].mac``. It needs no host state: the
inventory filter runs it on the controller, the module and the boot-time replay on the host.
Each value is checked once on each side: ``request_errors`` (controller) collects every problem
in one pass, and the host checks a request once; the ``ip`` argv builders format checked values.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

MAX_VLAN = _rules.MAX_VLAN
MAX_QOS = 7
# The kernel takes rates in Mbit/s; above 1 Tbit/s is a unit mistake (kbit/s), not a NIC.
MAX_TX_RATE = 1000000
MAX_VF_ID = _rules.MAX_VF_ID
MAX_TIMEOUT = 3600
# IPv4's minimum MTU (RFC 791) and the largest value the kernel's MTU field takes (IP_MAX_MTU).
MIN_MTU = 68
MAX_MTU = 65535
# Bounds of sriov_host's own int options (the sriov_vfs role passes its sriov_vfs_* options to them;
# the inventory check applies the same bounds to the role options).
HOST_OPTION_BOUNDS = {"boot_wait": (0, MAX_TIMEOUT)}

# One entry per option: name, Ansible type (and elements), required/default, min/max for ints,
# choices, the version that added it, and the description (a list of paragraphs) shared by the
# module and the role docs. A per-VF setting that the PF applies (``ip link set DEV vf N WORD
# VALUE``) also has:
#   ip     its WORD (on/off for a bool);
#   json   where ``ip -d -j link show`` prints it in an element of ``vfinfo_list``: dotted paths
#          tried in turn (newer iproute2 first); a value of the wrong type reads as not reported;
#   unset  what an absent key means (iproute2 omits a zero VLAN, priority and rate); without it,
#          an absent key is None (the driver does not report the setting);
#   group  settings the kernel takes in one netlink message: written together in one command, and
#          a change to one re-sends the others (their current values unless asked for).
PF_OPTIONS = (
    {"name": "pf", "type": "raw", "required": True, "version_added": "0.1.0", "description": [
        "The PF to manage. Give its netdev name (V(enp65s0f0)), its PCI address (V(0000:41:00.0)), "
        "or a dict that selects an SR-IOV capable function by PCI ids.",
        "The selector dict has the keys C(vendor) (PCI vendor id, for example V(0x8086)), C(device) (PCI device id "
        "of the PF, for example V(0x10c9)) and C(index) (which of the matching PFs, from 0 in PCI address order; "
        "default 0). Ids have 1 to 4 hex digits, with or without C(0x).",
        "A netdev name has at most 15 characters. Names with C(/), C(..) or characters outside "
        "C([A-Za-z0-9_.:@-]) are refused before sysfs is read.",
        "A netdev name that changes (NIC renamed) makes the PF missing at the boot-time replay; a PCI address "
        "does not.",
    ]},
    {"name": "num_vfs", "type": "int", "min": 0, "version_added": "0.1.0", "description": [
        "Wanted number of VFs, from 0 to the PF's C(sriov_totalvfs). Omit it to keep the current count.",
        "Changing a non-zero count removes all VFs first, then creates the new number.",
    ]},
    {"name": "drivers_autoprobe", "type": "bool", "version_added": "0.1.0", "description": [
        "Wanted C(sriov_drivers_autoprobe) of the PF. When false, new VFs get no driver unless one is asked "
        "for with C(vf_driver) or a VF's C(driver), and V(default) leaves them unbound.",
        "It is set before VFs are created, so it applies to the VFs this run creates.",
    ]},
    {"name": "vf_driver", "type": "str", "driver": True, "version_added": "0.1.0", "description": [
        "Driver for every VF of the PF unless an entry of C(vfs) names its own.",
        "V(vfio-pci) (or any other driver name) is bound through C(driver_override) and C(drivers_probe); "
        "the module loads the driver with C(modprobe) when it is not loaded yet.",
        "V(default) clears C(driver_override) and hands the VF back to the kernel's choice (C(igbvf), C(iavf) ...).",
        "Kernel module spellings of a driver name (V(vfio_pci)) are refused with the driver name to use.",
        "Omit it to leave VF drivers as they are.",
    ]},
    {"name": "vfs", "type": "list", "elements": "dict", "default": [], "version_added": "0.1.0", "description": [
        "Per-VF settings. Keys left out are not changed. Unknown keys are an error.",
    ]},
    {"name": "force", "type": "bool", "default": False, "version_added": "0.1.0", "description": [
        "Do what the guards refuse (VFs in use, management interface, shared IOMMU group). "
        "The refusals are returned as warnings instead.",
        "The boot-time replay persists it, so the replay also forces.",
    ]},
    {"name": "pf_up", "type": "bool", "default": True, "version_added": "0.1.0", "description": [
        "Bring the PF's link administratively up (C(ip link set PF up)) when it has VFs after the run.",
        "The PF driver answers its VFs' mailbox requests only while the PF is up, so a VF of a PF that is down "
        "gets no MAC or VLAN from the host, and a guest's VF driver then comes up with a random MAC.",
        "V(false) leaves the PF's link state as it is. A PF without a netdev is left alone.",
    ]},
    {"name": "timeout", "type": "int", "default": 60, "min": 1, "max": MAX_TIMEOUT, "version_added": "0.1.0", "description": [
        "Seconds to wait for new VFs to appear, and for a VF to bind to its driver (1 to 3600).",
    ]},
    {"name": "mtu", "type": "int", "min": MIN_MTU, "max": MAX_MTU, "version_added": "2.0.0", "description": [
        "MTU of the PF's netdev (C(ip link set PF mtu N)), 68-65535, and at most the C(max_mtu) the driver "
        "reports (C(ip -d link)). Omit it to leave the PF's MTU as it is.",
        "A VF's own C(mtu) may not be above it, as the PF carries the VFs' frames.",
    ]},
    {"name": "state", "type": "str", "default": "present", "choices": ["present", "absent"], "version_added": "2.0.0", "description": [
        "V(absent) takes the PF out of SR-IOV duty. Its VFs go to 0 (through the guards) and the boot-time "
        "replay forgets it. It takes no C(num_vfs) above 0 and no C(vfs), C(vf_driver) or C(mtu).",
    ]},
)

VF_OPTIONS = (
    {"name": "id", "type": "int", "required": True, "min": 0, "max": MAX_VF_ID, "version_added": "0.1.0", "description": [
        "VF index, from 0 to C(num_vfs) - 1.",
    ]},
    {"name": "mac", "type": "str", "mac": True, "version_added": "0.1.0", "ip": "mac", "json": ("address", "mac"), "description": [
        "Administrative MAC address. It must be unicast, not all zeros, and not used by another VF or PF "
        "of the host.",
    ]},
    {"name": "vlan", "type": "int", "min": 0, "max": MAX_VLAN, "version_added": "0.1.0",
     "ip": "vlan", "json": ("vlan_list.0.vlan", "vlan"), "unset": 0, "group": "vlan",
     "description": [
         "VLAN id 0-4094 that the PF tags onto the VF's traffic. V(0) means untagged.",
     ]},
    {"name": "qos", "type": "int", "min": 0, "max": MAX_QOS, "needs_vlan": True, "version_added": "0.1.0",
     "ip": "qos", "json": ("vlan_list.0.qos", "qos"), "unset": 0, "group": "vlan",
     "description": [
         "802.1p priority 0-7 of the VLAN tag. It needs a non-zero C(vlan) in the same entry.",
     ]},
    {"name": "vlan_proto", "type": "str", "needs_vlan": True, "version_added": "0.1.0",
     "choices": ["802.1Q", "802.1ad"], "ip": "proto", "json": ("vlan_list.0.protocol", "protocol"), "unset": "802.1Q", "group": "vlan",
     "description": [
         "VLAN protocol. It needs C(vlan) in the same entry.",
     ]},
    {"name": "spoofchk", "type": "bool", "version_added": "0.1.0", "ip": "spoofchk", "json": ("spoofchk",), "description": [
        "MAC/VLAN anti-spoofing check of the VF.",
    ]},
    {"name": "trust", "type": "bool", "version_added": "0.1.0", "ip": "trust", "json": ("trust",), "description": [
        "Trusted VF (it may change its MAC, enter promiscuous or all-multicast mode).",
    ]},
    {"name": "link_state", "type": "str", "version_added": "0.1.0",
     "choices": ["auto", "enable", "disable"], "ip": "state", "json": ("link_state",),
     "description": [
         "Link state the VF sees. V(auto) follows the PF.",
     ]},
    {"name": "min_tx_rate", "type": "int", "min": 0, "max": MAX_TX_RATE, "version_added": "0.1.0",
     "ip": "min_tx_rate", "json": ("rate.min_tx",), "unset": 0, "group": "rate",
     "description": [
         "Minimum guaranteed transmit rate in Mbit/s, 0-1000000. V(0) disables it.",
         "It may not be above C(max_tx_rate), and the minimum rates of all VFs of a PF together may not be "
         "above the PF's link speed when the host knows it.",
     ]},
    {"name": "max_tx_rate", "type": "int", "min": 0, "max": MAX_TX_RATE, "version_added": "0.1.0",
     "ip": "max_tx_rate", "json": ("rate.max_tx", "tx_rate"), "unset": 0, "group": "rate",
     "description": [
         "Maximum transmit rate in Mbit/s, 0-1000000. V(0) means no limit.",
         "It may not be above the PF's link speed when the host knows it.",
     ]},
    {"name": "query_rss", "type": "bool", "version_added": "2.0.0", "ip": "query_rss", "json": ("query_rss_en",), "description": [
        "Whether the VF may query the PF's RSS configuration (hash key and redirection table). Some VF drivers "
        "need it to report or use RSS, for example ixgbevf on 82599 and X540.",
        "The PF driver must implement it (ixgbe, i40e and ice do); igb does not, and the kernel's refusal "
        "(EOPNOTSUPP) fails the run naming the VF and the PF. V(null) in the facts when the driver does not "
        "report it.",
    ]},
    {"name": "driver", "type": "str", "driver": True, "version_added": "0.1.0", "description": [
        "Driver for this VF, as in C(vf_driver).",
    ]},
    {"name": "mtu", "type": "int", "min": MIN_MTU, "max": MAX_MTU, "version_added": "2.0.0", "description": [
        "MTU of the VF's host-side netdev (C(ip link set VF mtu N)), 68-65535, at most the VF's C(max_mtu) and "
        "not above the PF's MTU. The VF needs a host network driver (not V(vfio-pci)); a guest sets the MTU of "
        "a VF it owns itself.",
        "Set after the VF's other settings. igbvf applies it by resetting the VF, which sends the netdev's own MAC "
        "to the PF, and igb takes that MAC from a trusted VF; so the VF's settings are read and, where the reset "
        "undid them, written again in the same run.",
    ]},
)

VF_KEYS = tuple(option["name"] for option in VF_OPTIONS)
# The per-VF settings applied through the PF, ``ip link set DEV vf N ...``, in table order (the
# order of the commands and of sriov_facts' keys); the VF netdev's own mtu is not one of them.
VF_LINK_OPTIONS = tuple(option for option in VF_OPTIONS if option.get("ip"))
VF_LINK_KEYS = tuple(option["name"] for option in VF_LINK_OPTIONS)
VF_NETDEV_KEYS = ("mtu",)
DEFAULTS = dict((option["name"], option.get("default")) for option in PF_OPTIONS)
DEFAULTS.update(_rules.HOST_ROOTS)
DEFAULT_DRIVER = _rules.DEFAULT_DRIVER
VF_BY_NAME = dict((option["name"], option) for option in VF_OPTIONS)
PF_BY_NAME = dict((option["name"], option) for option in PF_OPTIONS)


def _ansible_option(option):
    """One table entry in AnsibleModule's argument-spec shape."""
    spec = {"type": option["type"]}
    for key in ("required", "default", "choices", "elements"):
        if option.get(key) is not None:
            spec[key] = option[key]
    if option["name"] == "vfs":
        spec["options"] = dict((vf["name"], _ansible_option(vf)) for vf in VF_OPTIONS)
    return spec


def argument_spec(host_options):
    """The sriov_vf argument spec: the table plus the shared sysfs_root/proc_root options."""
    spec = dict((option["name"], _ansible_option(option)) for option in PF_OPTIONS)
    spec.update(host_options)
    return spec


def check_value(option, value, field):
    """One value against its table entry: type, bounds, choices, and the MAC and driver rules."""
    kind = option["type"]
    if kind == "int":
        return _rules.parse_int(value, field, option.get("min", 0), option.get("max"))
    if kind == "bool":
        return _rules.parse_bool(value, field)
    if option.get("mac"):
        return _rules.validate_mac(value, field)
    if option.get("driver"):
        return _rules.validate_driver(value, field)
    if option.get("choices"):
        # Exact, as Ansible's argument spec compares choices.
        if value not in option["choices"]:
            raise SriovError("%s must be one of %s, got %r" % (field, ", ".join(option["choices"]), value),
                             field=field)
    return value


PF_KEYS = tuple(option["name"] for option in PF_OPTIONS)


def unknown_key(key, known, where=""):
    """The error of one unknown key: "did you mean" its nearest known name, else the allowed names.

    ``known`` is what a user may write (the PF or VF option names): the test-only host roots
    (sysfs_root, proc_root) are never offered.
    """
    field = "%s.%s" % (where, key) if where else str(key)
    hint = _rules.closest(key, known)
    if hint:
        return SriovError("%s: unknown option; did you mean %s?" % (field, hint), field=field)
    return SriovError("%s: unknown option; allowed: %s" % (field, ", ".join(known)), field=field)


class Errors(object):
    """Where the checks put a SriovError: raised at once (a module run needs the first), or collected
    (an inventory check reports them all in one run)."""

    def __init__(self, collect=False):
        self.collect = collect
        self.found = []

    def add(self, err):
        if not self.collect:
            raise err
        self.found.append(err)

    def value(self, option, value, field):
        """``check_value``, its error added: the normalised value, or None when it was refused."""
        try:
            return check_value(option, value, field)
        except SriovError as err:
            self.add(err)
            return None


def validate_vf(entry, position, errors=None):
    """One entry of ``vfs``: every key checked once, unknown keys refused by name; then (when each
    part is valid) the rules across its keys. None when ``errors`` collected a problem."""
    errors = errors or Errors()
    where = "vfs[%d]" % position
    if not isinstance(entry, dict):
        errors.add(SriovError("%s must be a mapping with at least an id, got %s %r"
                              % (where, _rules.yaml_type(entry), entry), field=where))
        return None
    known = len(errors.found)
    for key in sorted(set(entry) - set(VF_KEYS), key=str):
        errors.add(unknown_key(key, VF_KEYS, where))
    if entry.get("id") is None:
        errors.add(SriovError("%s needs an id (the VF index)" % where, field="%s.id" % where))
    vf = dict.fromkeys(VF_KEYS)
    for option in VF_OPTIONS:
        if entry.get(option["name"]) is not None:
            vf[option["name"]] = errors.value(option, entry[option["name"]], "%s.%s" % (where, option["name"]))
    if len(errors.found) > known:
        return None
    try:
        check_vf_rules(vf, where)
    except SriovError as err:
        errors.add(err)
        return None
    return vf


def check_vf_rules(vf, where):
    """The rules across the keys of one checked VF entry."""
    for option in VF_OPTIONS:
        key = option["name"]
        if vf[key] is not None and option.get("needs_vlan") and vf["vlan"] is None:
            raise SriovError("%s.%s needs a vlan in the same entry: the kernel sets it together with the VLAN tag"
                             % (where, key), field="%s.%s" % (where, key))
    if vf["qos"] and vf["vlan"] == 0:
        raise SriovError("%s.qos %d needs a non-zero vlan (vlan 0 means untagged)" % (where, vf["qos"]),
                         field="%s.qos" % where)
    # max_tx_rate 0 means "no limit", so only a non-zero maximum bounds the minimum.
    if vf["min_tx_rate"] and vf["max_tx_rate"] and vf["min_tx_rate"] > vf["max_tx_rate"]:
        raise SriovError("%s.min_tx_rate %d is above max_tx_rate %d (Mbit/s)"
                         % (where, vf["min_tx_rate"], vf["max_tx_rate"]), field="%s.min_tx_rate" % where)


def check_request(params, errors, known=PF_KEYS):
    """Every option of a request checked once against the table, then (when each is valid) the rules
    across them. Returns the normalised copy, or None when ``errors`` collected a problem."""
    if not isinstance(params, dict):
        errors.add(SriovError("the request must be a mapping of sriov_vf options, got %s %r"
                              % (_rules.yaml_type(params), params)))
        return None
    for key in sorted(set(params) - set(known), key=str):
        errors.add(unknown_key(key, PF_KEYS))
    out = dict(DEFAULTS)
    out.update((key, value) for key, value in params.items() if value is not None)
    try:
        out["pf"] = _rules.validate_pf(params.get("pf"))
    except SriovError as err:
        errors.add(err)
    for option in PF_OPTIONS:
        name = option["name"]
        if name not in ("pf", "vfs") and out[name] is not None:
            out[name] = errors.value(option, out[name], name)
    for key in _rules.HOST_ROOTS:
        if not isinstance(out[key], str) or not out[key].startswith("/"):
            errors.add(SriovError("%s must be an absolute path, got %r" % (key, out[key]), field=key))
    entries = out["vfs"] or []
    if not isinstance(entries, list):
        errors.add(SriovError("vfs must be a list of mappings, got %s %r" % (_rules.yaml_type(entries), entries),
                              field="vfs"))
        entries = []
    vfs = [validate_vf(entry, position, errors) for position, entry in enumerate(entries)]
    if errors.found:
        return None
    out["vfs"] = vfs
    try:
        check_request_rules(out, entries)
    except SriovError as err:
        errors.add(err)
        return None
    return out


def check_request_rules(out, entries):
    """The rules across the options of a checked request: VF ids and MACs unique, MTUs, state absent."""
    seen_ids = {}
    seen_macs = {}
    for position, vf in enumerate(out["vfs"]):
        where = "vfs[%d]" % position
        if vf["id"] in seen_ids:
            raise SriovError("%s.id %d is a duplicate of vfs[%d].id" % (where, vf["id"], seen_ids[vf["id"]]),
                             field="%s.id" % where)
        seen_ids[vf["id"]] = position
        if vf["mac"] is not None:
            if vf["mac"] in seen_macs:
                raise SriovError("%s.mac %s is also given to vfs[%d]" % (where, vf["mac"], seen_macs[vf["mac"]]),
                                 field="%s.mac" % where)
            seen_macs[vf["mac"]] = position
    check_vf_ids(out, entries)
    out["vfs"] = sorted(out["vfs"], key=lambda vf: vf["id"])
    check_mtus(out, entries)
    if out["state"] == "absent":
        check_absent(out)


def check_vf_ids(params, entries, totalvfs=None, numvfs=None):
    """The VF count and indexes against the PF: num_vfs within sriov_totalvfs (when known), each VF
    index below the VF count (num_vfs, else the current ``numvfs``) and sriov_totalvfs."""
    if totalvfs is not None and params["num_vfs"] is not None and params["num_vfs"] > totalvfs:
        raise SriovError("num_vfs %s is above what the PF supports (sriov_totalvfs %s)"
                         % (params["num_vfs"], totalvfs), field="num_vfs")
    limit = params["num_vfs"] if params["num_vfs"] is not None else numvfs
    for vf in params["vfs"]:
        field = "%s.id" % position_of(entries, vf["id"])
        if limit is not None and vf["id"] >= limit:
            raise SriovError("%s %d is not below the VF count %d (VF indexes run from 0 to num_vfs - 1)"
                             % (field, vf["id"], limit), field=field)
        if totalvfs is not None and vf["id"] >= totalvfs:
            raise SriovError("%s %d is not below sriov_totalvfs %s" % (field, vf["id"], totalvfs), field=field)


def validate_params(params, totalvfs=None, numvfs=None):
    """Validate a whole request; return the normalised copy or raise SriovError naming the field.

    totalvfs: the PF's sriov_totalvfs when known (the module reads sysfs).
    numvfs: the current VF count, used for VF indexes when the request leaves num_vfs unset.
    """
    out = check_request(params, Errors(), known=DEFAULTS)
    if totalvfs is not None or numvfs is not None:
        check_vf_ids(out, params.get("vfs") or [], totalvfs, numvfs)
    return out


def request_errors(params):
    """Every problem of one PF entry as written in an inventory, as SriovErrors (empty: valid).

    ``validate_params`` stops at the first problem (a module run needs one); an inventory check
    reports them all in one run: each unknown key, each option, each VF entry, then (when each
    part is valid on its own) the rules across options. The host roots are module options, not
    options of a PF entry.
    """
    if not isinstance(params, dict):
        return [SriovError("must be a mapping with at least pf, got %s %r" % (_rules.yaml_type(params), params))]
    errors = Errors(collect=True)
    check_request(params, errors)
    return errors.found


def vf_errors(entry, position):
    """Every problem of one ``vfs`` entry (the per-entry part of ``request_errors``)."""
    errors = Errors(collect=True)
    validate_vf(entry, position, errors)
    return errors.found


def position_of(entries, vf_id):
    """``vfs[N]`` of the entry with this id, N its position in the request as written."""
    for position, entry in enumerate(entries):
        if isinstance(entry, dict) and str(entry.get("id")).strip() == str(vf_id):
            return "vfs[%d]" % position
    return "vfs"


def check_mtus(params, entries):
    """A VF's MTU not above its PF's (when both are asked), and only for a VF with a host netdev."""
    for vf in params["vfs"]:
        if vf["mtu"] is None:
            continue
        field = "%s.mtu" % position_of(entries, vf["id"])
        if params["mtu"] is not None and vf["mtu"] > params["mtu"]:
            raise SriovError("%s %d is above the PF's mtu %d: the PF carries the VF's frames"
                             % (field, vf["mtu"], params["mtu"]), field=field)
        driver = wanted_driver(params, vf["id"])
        if driver == _rules.VFIO_DRIVER:
            raise SriovError("%s needs a host netdev, but the VF is given to vfio-pci: the guest sets its MTU"
                             % field, field=field)


def check_absent(params):
    """state absent means 0 VFs and nothing else asked of the PF."""
    if params["num_vfs"]:
        raise SriovError("num_vfs %d contradicts state absent (its VFs go to 0)" % params["num_vfs"],
                         field="num_vfs")
    for name in ("vf_driver", "mtu", "drivers_autoprobe"):
        if params[name] is not None:
            raise SriovError("%s is not taken with state absent (the PF leaves SR-IOV duty)" % name, field=name)
    if params["vfs"]:
        raise SriovError("vfs is not taken with state absent (the PF leaves SR-IOV duty)", field="vfs")
    params["num_vfs"] = 0


def wanted_driver(params, vf_id):
    """The driver asked for one VF: its own ``driver``, else ``vf_driver``, else None (leave it)."""
    for vf in params.get("vfs") or []:
        if vf["id"] == vf_id and vf.get("driver") is not None:
            return vf["driver"]
    return params.get("vf_driver")
