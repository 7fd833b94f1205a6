# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of the whole fleet's ``sriov_*`` inventory, on the controller, before any host changes.

Pure standard library. The entry points are ``validate_fleet({host: {var: value}})`` (every host,
cross-field and fleet-wide checks) and ``pfs_errors(pfs)`` (one host's ``sriov_pfs``). Each error
is one short line ``FIELD: what is wrong``, the field spelled as the user wrote the variable, with
list indexes (``sriov_pfs[1].vfs[0].vlan``); the fleet form puts the host name in front.

What this file owns: the set of inventory variable names the site playbook reads, unknown-name
suggestions, the cross-field rules (MACs unique on a host and across the fleet, a PF declared
once, pools against declared PFs), and the driver pin rules (package names, versions as strings).
The per-PF and per-VF rules are the ``sriov_vf`` module's own (``_spec.validate_params``), and the
selector and network-name rules are ``_libvirt``'s: they are called here, not copied.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._kmod_options import entries_errors as driver_options_errors
from ansible_collections.directiron.sriov.plugins.module_utils._vf_selector import is_vf_selector, parse_vf_selector
from ansible_collections.directiron.sriov.plugins.module_utils._rules import (
    DRIVER_RE,
    MAX_VLAN,
    NETWORK_NAME_RE,
    PACKAGE_RE,
    VERSION_RE,
    closest,
    is_pci_address,
    parse_bool,
    pf_label,
    validate_mac,
    validate_pf,
    yaml_type,
)
from ansible_collections.directiron.sriov.plugins.module_utils._rules import parse_int, validate_interpreter
from ansible_collections.directiron.sriov.plugins.module_utils._spec import HOST_OPTION_BOUNDS, request_errors

PREFIX = "sriov_"
# The inventory variables the site playbook reads, with what each must be.
SITE_VARIABLES = {
    "sriov_iommu": "auto, intel or amd",
    "sriov_iommu_passthrough": "a boolean",
    "sriov_reboot_ok": "a boolean",
    "sriov_pfs": "a list of PF entries (sriov_vf options)",
    "sriov_pools": "a list of libvirt VF-pool networks",
    "sriov_driver_pins": "a mapping with host and/or guest pin lists",
    "sriov_driver_options": "a list of kernel module options entries {module, options, state}",
    "sriov_isolate_failures": "a boolean",
    "sriov_target": "a host pattern",
    "sriov_serial": "a play serial (number or percentage)",
    "sriov_plan_reuse": "a boolean",
}
# Role variables that default to an inventory variable: set in the inventory they would replace it
# unchecked (the validation and the preflight read the inventory variable), so they are refused with
# the name to use.
ROLE_COPIES = {"sriov_vfs_pfs": "sriov_pfs"}
# Role options read from the inventory whose argument spec (type only) cannot say all: the rule of
# the module option each one becomes.
ROLE_OPTION_RULES = {
    "sriov_vfs_boot_wait": lambda value, field: parse_int(value, field, *HOST_OPTION_BOUNDS["boot_wait"]),
    "sriov_vfs_python": validate_interpreter,
}
IOMMU_VENDORS = ("auto", "intel", "amd")
BOOL_VARIABLES = ("sriov_iommu_passthrough", "sriov_reboot_ok", "sriov_isolate_failures", "sriov_plan_reuse")

POOL_KEYS = ("name", "state", "pfs", "vfs", "vlan", "autostart", "active", "force")
POOL_STATES = ("present", "absent")
PIN_LISTS = ("host", "guest")
PIN_KEYS = ("package", "version", "module", "module_version")
VERSION_OPERATORS = ("<", ">", "=", "!", "*", " ", ",")
MAX_LINE = 200


def _short(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _unknown_key(where, key, known):
    hint = closest(str(key), known)
    if hint:
        return where, "unknown key %s; did you mean %s?" % (_short(key), hint)
    return where, "unknown key %s; allowed: %s" % (_short(key), ", ".join(known))


class _Errors(object):
    """Collected (field, message) pairs of one host."""

    def __init__(self):
        self.items = []

    def add(self, field, msg):
        self.items.append((field, msg))

    def add_sriov(self, prefix, err):
        """A SriovError from a shared rule, its field re-rooted under ``prefix``."""
        field = "%s.%s" % (prefix, err.field) if err.field else prefix
        msg = err.msg
        if err.field and msg.startswith(err.field):
            msg = msg[len(err.field):].lstrip(" :")
        self.items.append((field, msg))


def _bool(errors, field, value):
    try:
        return parse_bool(value, field)
    except SriovError:
        errors.add(field, "must be a boolean (true or false), got %s" % _short(value))
        return None


# ---------------------------------------------------------------------------------------------
# sriov_pfs


class _Declared(object):
    """The PFs one host declares in sriov_pfs, for its pools to refer to.

    Before the preflight a PF is known by its spelling in sriov_pfs only: a pool naming
    ``enp2s0`` may mean the PF declared as ``0000:02:00.0``, which only the host can tell. After
    the preflight (``resolve``) each PF is also known by the PCI address and netdev name the
    sriov_vf module resolved on the host.
    """

    def __init__(self):
        self.entries = {}  # PF key -> (position in sriov_pfs, label, num_vfs)
        self.resolved = False

    def find(self, key):
        """The declared entry for ``key``; None while only the host can tell; False: not declared."""
        if key in self.entries:
            return self.entries[key]
        other_spelling = any(known[0] != key[0] for known in self.entries)
        if key[0] == "selector" or (other_spelling and not self.resolved):
            return None
        return False

    def names(self):
        labels = sorted(set(str(value[1]) for value in self.entries.values()))
        return ", ".join(labels) if labels else "none declared"

    def resolve(self, errors, identities):
        """Add each PF's resolved address and netdev; the same address twice is one PF declared twice.

        identities: per sriov_pfs position, {"address": ..., "netdev": ...} or None (not resolved).
        """
        by_position = dict((value[0], value) for value in self.entries.values())
        first = {}
        for position, identity in enumerate(identities or []):
            if not identity or position not in by_position or not identity.get("address"):
                continue
            address = str(identity["address"]).lower()
            if address in first:
                errors.add("sriov_pfs[%d].pf" % position, "%s is PF %s, already declared at sriov_pfs[%d].pf"
                           % (_short(by_position[position][1]), address, first[address]))
                continue
            first[address] = position
            self.entries.setdefault(("address", address), by_position[position])
            if identity.get("netdev"):
                self.entries.setdefault(("name", identity["netdev"]), by_position[position])
        self.resolved = True


def _check_pfs(errors, pfs, name="sriov_pfs"):
    """Every entry through the sriov_vf rules.

    Returns the ``_Declared`` PFs: every entry whose ``pf`` itself is valid (so one bad VF setting
    does not also make the pools on that PF look undeclared).
    """
    declared = _Declared()
    if pfs is None:
        return declared
    if not isinstance(pfs, list):
        errors.add(name, "must be a list of PF entries, got %s" % yaml_type(pfs))
        return declared
    for position, entry in enumerate(pfs):
        where = "%s[%d]" % (name, position)
        if not isinstance(entry, dict):
            errors.add(where, "must be a mapping with at least pf, got %s" % _short(entry))
            continue
        try:
            pf = validate_pf(dict(entry["pf"]) if isinstance(entry.get("pf"), dict) else entry.get("pf"))
        except SriovError as err:
            errors.add_sriov(where, err)
            for other in request_errors(dict(entry)):
                if other.field != err.field:
                    errors.add_sriov(where, other)  # the entry's other mistakes, in the same run
            continue
        key = _pf_key(pf)
        if key in declared.entries:
            errors.add(where + ".pf", "%s is already declared at %s[%d].pf"
                       % (_short(entry.get("pf")), name, declared.entries[key][0]))
            continue
        num_vfs = entry.get("num_vfs")
        declared.entries[key] = (position, pf_label(pf), num_vfs if isinstance(num_vfs, int) else None)
        for err in request_errors(dict(entry)):
            errors.add_sriov(where, err)
    return declared


def _pf_key(pf):
    """Comparable identity of a PF selector as written (a PCI address in any case is one key)."""
    if isinstance(pf, dict):
        return ("selector", pf["vendor"], pf["device"], pf["index"])
    if is_pci_address(pf, any_case=True):
        return ("address", pf.lower())
    return ("name", pf)


def pfs_errors(pfs, name="sriov_pfs"):
    """One line per invalid entry of one host's ``sriov_pfs`` (empty list: valid)."""
    errors = _Errors()
    _check_pfs(errors, pfs, name)
    return _lines(errors.items)


# ---------------------------------------------------------------------------------------------
# sriov_pools


def _check_pool_pfs(errors, where, pfs, declared):
    if not isinstance(pfs, list) or not pfs:
        errors.add(where, "must be a non-empty list of PFs declared in sriov_pfs")
        return
    for index, pf in enumerate(pfs):
        field = "%s[%d]" % (where, index)
        try:
            key = _pf_key(validate_pf(dict(pf) if isinstance(pf, dict) else pf))
        except SriovError as err:
            errors.add(field, err.msg)
            continue
        if declared.find(key) is False:
            errors.add(field, "PF %s is not declared in sriov_pfs (declared: %s)" % (_short(pf), declared.names()))


def _check_pool_vfs(errors, where, vfs, declared):
    items = [vfs] if isinstance(vfs, str) else vfs
    if not isinstance(items, list) or not items:
        errors.add(where, "must be a selector such as enp1s0#4-7 or a list of selectors and VF PCI addresses")
        return
    for index, item in enumerate(items):
        field = where if isinstance(vfs, str) else "%s[%d]" % (where, index)
        if not isinstance(item, str):
            errors.add(field, "must be a string, got %s" % _short(item))
        elif is_vf_selector(item):
            try:
                pf, ids = parse_vf_selector(item, field=field)
            except SriovError as err:
                errors.add(field, err.msg)
                continue
            entry = declared.find(_pf_key(pf))
            if entry is False:
                errors.add(field, "PF %s is not declared in sriov_pfs (declared: %s)" % (_short(pf), declared.names()))
                continue
            num_vfs = entry[2] if entry else None
            if num_vfs is not None and ids[-1] >= num_vfs:
                errors.add(field, "VF %d is past num_vfs %d of %s (VF indexes run from 0 to %d)"
                           % (ids[-1], num_vfs, pf, num_vfs - 1))
        elif not is_pci_address(item, any_case=True):
            errors.add(field, "%s is neither a VF selector (enp1s0#0-3) nor a PCI address (0000:01:10.0)"
                       % _short(item))


def _check_pools(errors, pools, declared):
    if pools is None:
        return
    if not isinstance(pools, list):
        errors.add("sriov_pools", "must be a list of networks, got %s" % yaml_type(pools))
        return
    names = {}
    for position, pool in enumerate(pools):
        where = "sriov_pools[%d]" % position
        if not isinstance(pool, dict):
            errors.add(where, "must be a mapping with at least name, got %s" % _short(pool))
            continue
        for key in sorted(set(pool) - set(POOL_KEYS), key=str):
            errors.add(*_unknown_key("%s.%s" % (where, key), key, POOL_KEYS))
        name = pool.get("name")
        if not isinstance(name, str) or not NETWORK_NAME_RE.match(name):
            errors.add(where + ".name", "%s is not a network name: 1-64 letters, digits and _.+- (no XML "
                       "metacharacters)" % _short(name))
        elif name in names:
            errors.add(where + ".name", "%s is already used by sriov_pools[%d]" % (name, names[name]))
        else:
            names[name] = position
        state = pool.get("state", "present")
        if state not in POOL_STATES:
            errors.add(where + ".state", "must be present or absent, got %s" % _short(state))
        for key in ("autostart", "active", "force"):
            if pool.get(key) is not None:
                _bool(errors, "%s.%s" % (where, key), pool[key])
        vlan = pool.get("vlan")
        if vlan is not None and (not isinstance(vlan, int) or isinstance(vlan, bool) or not 0 <= vlan <= MAX_VLAN):
            errors.add(where + ".vlan", "must be an integer from 0 to %d, got %s" % (MAX_VLAN, _short(vlan)))
        if state != "present":
            continue
        has_pfs, has_vfs = pool.get("pfs") is not None, pool.get("vfs") is not None
        if has_pfs and has_vfs:
            errors.add(where + ".vfs", "give either pfs or vfs, not both")
        elif has_pfs:
            _check_pool_pfs(errors, where + ".pfs", pool["pfs"], declared)
        elif has_vfs:
            _check_pool_vfs(errors, where + ".vfs", pool["vfs"], declared)
        else:
            errors.add(where + ".pfs", "a present network needs pfs (whole PFs) or vfs (selected VFs)")


# ---------------------------------------------------------------------------------------------
# sriov_driver_pins


def _check_text(errors, field, value, pattern, what):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        errors.add(field, "%s was read as the number %s (YAML turns 2.10 into 2.1); quote it" % (what, value))
    elif not isinstance(value, str) or not value.strip():
        errors.add(field, "%s must be a non-empty string, got %s" % (what, _short(value)))
    elif what == "version" and any(op in value for op in VERSION_OPERATORS):
        errors.add(field, "%s must be one exact version, not a constraint: %s" % (what, _short(value)))
    elif not pattern.match(value):
        errors.add(field, "%s %s has characters a package manager does not allow" % (what, _short(value)))


def _check_pins(errors, pins):
    if pins is None:
        return
    if not isinstance(pins, dict):
        errors.add("sriov_driver_pins", "must be a mapping {host: [...], guest: [...]}, got %s"
                   % yaml_type(pins))
        return
    for key in sorted(set(pins) - set(PIN_LISTS), key=str):
        errors.add(*_unknown_key("sriov_driver_pins.%s" % key, key, PIN_LISTS))
    for kind in PIN_LISTS:
        entries = pins.get(kind)
        where = "sriov_driver_pins.%s" % kind
        if entries is None:
            continue
        if not isinstance(entries, list):
            errors.add(where, "must be a list of {package, version, module}, got %s" % yaml_type(entries))
            continue
        packages = {}
        for index, pin in enumerate(entries):
            field = "%s[%d]" % (where, index)
            if not isinstance(pin, dict):
                errors.add(field, "must be a mapping {package, version, module}, got %s" % _short(pin))
                continue
            for key in sorted(set(pin) - set(PIN_KEYS), key=str):
                errors.add(*_unknown_key("%s.%s" % (field, key), key, PIN_KEYS))
            _check_text(errors, field + ".package", pin.get("package"), PACKAGE_RE, "package")
            _check_text(errors, field + ".version", pin.get("version"), VERSION_RE, "version")
            if pin.get("module") is not None:
                _check_text(errors, field + ".module", pin["module"], DRIVER_RE, "module")
            if pin.get("module_version") is not None:
                _check_text(errors, field + ".module_version", pin["module_version"], VERSION_RE, "version")
            package = pin.get("package")
            if isinstance(package, str):
                if package in packages:
                    errors.add(field + ".package", "%s is already pinned at %s[%d]" % (package, where, packages[package]))
                packages[package] = index


# ---------------------------------------------------------------------------------------------
# one host, the fleet


def _check_scalars(errors, variables):
    vendor = variables.get("sriov_iommu")
    if vendor is not None and vendor not in IOMMU_VENDORS:
        errors.add("sriov_iommu", "must be one of %s, got %s" % (", ".join(IOMMU_VENDORS), _short(vendor)))
    for name in BOOL_VARIABLES:
        if variables.get(name) is not None:
            _bool(errors, name, variables[name])


def check_host(variables, known=(), resolved=None):
    """(errors, macs) of one host: errors as (field, message), macs as [(field, mac)].

    variables: the host's ``sriov_*`` variables; known: more accepted names (role options read
    directly from the inventory), beside SITE_VARIABLES; resolved: after the preflight, the PFs'
    identities on the host (see ``_Declared.resolve``).
    """
    errors = _Errors()
    names = set(SITE_VARIABLES) | set(known)
    for name in sorted(variables):
        if name.startswith(PREFIX) and variables[name] is None and (name in names or name in ROLE_OPTION_RULES):
            # an empty "sriov_pools:" line: the roles would take null for "nothing asked" and skip
            # their checks, so it is refused rather than read as absent
            errors.add(name, "is null (an empty %s: line in YAML); give a value or remove the line" % name)
        elif name in ROLE_OPTION_RULES:
            try:
                ROLE_OPTION_RULES[name](variables[name], name)
            except SriovError as err:
                errors.add(name, err.msg[len(name):].lstrip(" :") if err.msg.startswith(name) else err.msg)
        if name in ROLE_COPIES:
            errors.add(name, "is the role's copy of %s; set %s instead" % (ROLE_COPIES[name], ROLE_COPIES[name]))
        elif name.startswith(PREFIX) and name not in names:
            hint = closest(name, names)
            errors.add(name, "unknown variable%s" % ("; did you mean %s?" % hint if hint else ""))
    _check_scalars(errors, variables)
    declared = _check_pfs(errors, variables.get("sriov_pfs"))
    if resolved is not None:
        declared.resolve(errors, resolved)
    macs = _macs(variables.get("sriov_pfs"))
    _check_pools(errors, variables.get("sriov_pools"), declared)
    _check_pins(errors, variables.get("sriov_driver_pins"))
    for field, message in driver_options_errors(variables.get("sriov_driver_options")):
        errors.add(field, message)
    return errors.items, macs


def _macs(pfs):
    """[(field, MAC)] of every VF MAC that is a valid MAC, also in entries with other errors."""
    macs = []
    for position, entry in enumerate(pfs if isinstance(pfs, list) else []):
        vfs = entry.get("vfs") if isinstance(entry, dict) else None
        for index, vf in enumerate(vfs if isinstance(vfs, list) else []):
            if not isinstance(vf, dict) or vf.get("mac") is None:
                continue
            field = "sriov_pfs[%d].vfs[%d].mac" % (position, index)
            try:
                macs.append((field, validate_mac(vf["mac"], field)))
            except SriovError:
                continue  # reported by the entry's own check
    return macs


def _line(field, msg):
    text = "%s: %s" % (field, msg)
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 3] + "..."


def _lines(items):
    return [_line(field, msg) for field, msg in items]


def validate_fleet(hosts, known=(), outside=None, resolved=None):
    """``{host: {sriov_* variables}}`` -> ``{host: [error lines]}`` for the hosts with errors.

    Besides each host's own checks, a MAC given to two VFs anywhere in the fleet is an error on
    both sides (a guest keeps its MAC when it moves between hypervisors). ``outside``:
    ``{host: sriov_pfs}`` of inventory hosts this run does not converge (``--limit``); their MACs
    count, their own errors are not reported. ``resolved``: ``{host: PF identities}`` once the
    preflight resolved each host's PFs (pools are then checked against addresses and netdevs too).
    """
    result = {}
    owners = {}
    for host in sorted(hosts):
        items, macs = check_host(hosts[host], known, (resolved or {}).get(host))
        result[host] = list(items)
        for field, mac in macs:
            owners.setdefault(mac, []).append((host, field))
    for host in sorted(set(outside or {}) - set(hosts)):
        for field, mac in _macs(outside[host]):
            owners.setdefault(mac, []).append((host, field))
    for mac, places in sorted(owners.items()):
        if len(places) < 2:
            continue
        for host, field in places:
            if host not in result:
                continue
            # two VFs of one PF are the sriov_vf rule's to report (_spec); other PFs and hosts are ours
            pf_of = field.split(".vfs[")[0]
            others = [f for h, f in places if h == host and f.split(".vfs[")[0] != pf_of]
            others += ["%s %s" % (h, f) for h, f in places if h != host]
            if not others:
                continue
            more = " and %d more" % (len(others) - 2) if len(others) > 2 else ""
            result[host].append((field, "MAC %s is also given to %s%s" % (mac, ", ".join(others[:2]), more)))
    return dict((host, _lines(items)) for host, items in result.items() if items)


def fleet_lines(errors_by_host):
    """Every error of every host as ``host: field: message`` lines, hosts in order."""
    return ["%s: %s" % (host, line) for host in sorted(errors_by_host) for line in errors_by_host[host]]
