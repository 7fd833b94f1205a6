# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The primitives every other file checks names and values with: one rule, one place.

- the host roots ``HOST_ROOTS`` (``sysfs_root``, ``proc_root`` and their defaults) and the
  default libvirt connection ``LIBVIRT_URI``;
- PCI addresses: ``PCI_ADDRESS_RE``, ``is_pci_address``, ``parse_pci_address``, ``format_pci_address``,
  and their libvirt XML form ``xml_pci_address`` (element -> address), ``xml_pci_attributes``;
- netdev names (``IFNAMSIZ``) and safe single path components: ``is_netdev_name``, ``is_safe_name``;
- PF references: ``validate_pf`` (a netdev name, a PCI address or ``{vendor, device, index}``),
  ``normalise_pci_id`` (PCI vendor/device ids) and ``pf_label`` (how messages name one);
- VLAN ids and VF indexes: ``MAX_VLAN``, ``MAX_VF_ID``;
- MAC addresses: ``MAC_RE``, ``validate_mac``;
- booleans and integers as Ansible accepts them: ``parse_bool``, ``parse_int``;
- driver names: ``VFIO_DRIVER``, ``DEFAULT_DRIVER``, ``validate_driver`` (module spellings such
  as ``vfio_pci`` are refused with the driver name to use, never guessed);
- the other names the collection takes: libvirt network names (``NETWORK_NAME_RE``), VF selector
  ids (``SELECTOR_IDS_RE``, ``BARE_IDS_RE``), package names and versions (``PACKAGE_RE``,
  ``VERSION_RE``), kernel module option names and values (``OPTION_NAME_RE``, ``OPTION_VALUE_RE``),
  libvirt user aliases (``USER_ALIAS_RE``); ``matches(pattern, value)`` applies any of them;
- ASCII decimal numbers as the kernel writes them: ``is_ascii_number``.

Every pattern here is anchored with ``^`` and ``\\Z`` (``$`` would also match before a trailing
newline, so ``"br0\\n"`` would pass as a name) and spells digits ``[0-9]`` (``\\d`` also takes
``"٣"`` and other Unicode digits, which ``int()`` then reads as 3). A unit test
(test_rules_one_place) fails when a pattern with ``$`` or ``\\d``, or a copy of one of these
patterns, appears elsewhere in plugins/.

Pure standard library (the boot-time replay imports it without Ansible). Every check raises
``SriovError`` whose ``field`` is the caller's field name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# -- host roots -------------------------------------------------------------------------------------
# Where a module (or the replay) finds sysfs and procfs: options of every module that reads the
# host, so captured trees and tests need no mocks of open(). Documented by the sysfs doc fragment.
HOST_ROOTS = {"sysfs_root": "/sys", "proc_root": "/proc"}
# The libvirt connection the modules and the guards open unless told otherwise.
LIBVIRT_URI = "qemu:///system"


# -- PCI addresses ---------------------------------------------------------------------------------
# domain:bus:slot.function as sysfs spells it (lower case; slot 0x00-0x1f, function 0-7).
PCI_ADDRESS_RE = re.compile(
    r"^(?P<domain>[0-9a-f]{4,8}):(?P<bus>[0-9a-f]{2}):(?P<slot>[01][0-9a-f])\.(?P<function>[0-7])\Z")
_PCI_ADDRESS_ANY_CASE_RE = re.compile(PCI_ADDRESS_RE.pattern, re.IGNORECASE)


def is_pci_address(value, any_case=False):
    """True for a full PCI address in the form sysfs uses (lower case; any case with ``any_case``)."""
    pattern = _PCI_ADDRESS_ANY_CASE_RE if any_case else PCI_ADDRESS_RE
    return isinstance(value, str) and pattern.match(value) is not None


def parse_pci_address(value, field="address"):
    """``"0000:01:10.2"`` (any case) -> ``(domain, bus, slot, function)`` as ints."""
    match = _PCI_ADDRESS_ANY_CASE_RE.match(value) if isinstance(value, str) else None
    if not match:
        raise SriovError("%r is not a PCI address (domain:bus:slot.function, e.g. 0000:01:10.0)" % (value,),
                         field=field)
    return tuple(int(match.group(part), 16) for part in ("domain", "bus", "slot", "function"))


def format_pci_address(parts):
    """``(domain, bus, slot, function)`` -> ``"0000:01:10.2"``, the sysfs spelling."""
    return "%04x:%02x:%02x.%x" % tuple(parts)


_XML_PCI_PARTS = ("domain", "bus", "slot", "function")


def _xml_pci_int(value):
    """libvirt writes address parts as hex with 0x; users may hand decimal."""
    value = (value or "0").strip()
    return int(value, 16) if value.lower().startswith("0x") else int(value, 10)


def xml_pci_address(elem):
    """libvirt's ``<address type='pci' domain= bus= slot= function=/>`` -> ``"0000:01:10.0"``.

    None for no element, another address type, no ``bus`` or a part that is not a number.
    """
    if elem is None or elem.get("type", "pci") != "pci" or elem.get("bus") is None:
        return None
    try:
        return format_pci_address([_xml_pci_int(elem.get(name)) for name in _XML_PCI_PARTS])
    except ValueError:
        return None


def xml_pci_attributes(address):
    """``"0000:01:10.0"`` -> the attributes of libvirt's ``<address type='pci' .../>`` for it."""
    domain, bus, slot, function = parse_pci_address(address)
    return {"type": "pci", "domain": "0x%04x" % domain, "bus": "0x%02x" % bus,
            "slot": "0x%02x" % slot, "function": "0x%x" % function}


# -- names -----------------------------------------------------------------------------------------
# The kernel's IFNAMSIZ is 16 bytes with the trailing NUL: a netdev name has at most 15 characters.
IFNAMSIZ = 16
MAX_NETDEV_NAME = IFNAMSIZ - 1
# Characters a netdev name, a driver name or a PCI address may hold: nothing that can walk out of
# a sysfs directory ('/', NUL, blanks) and, with the '..' check, no parent reference.
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9_.:@-]+\Z")


def is_safe_name(value):
    """True for a single path component made of [A-Za-z0-9_.:@-] (no '/', '..', NUL, blanks)."""
    return isinstance(value, str) and SAFE_NAME_RE.match(value) is not None and ".." not in value \
        and value != "."


def is_netdev_name(value):
    """True for a safe name the kernel could give a netdev (at most 15 characters)."""
    return is_safe_name(value) and len(value) <= MAX_NETDEV_NAME


# -- PF references ---------------------------------------------------------------------------------
PF_SELECTOR_KEYS = ("vendor", "device", "index")
# A PCI vendor or device id: 1 to 4 hex digits, with or without 0x, or an int; spelled 0x%04x.
PCI_ID_RE = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}\Z")


def normalise_pci_id(value, field):
    """``0x8086``, ``8086``, ``0x15b`` or an int -> ``"0x8086"``, ``"0x015b"`` (the sysfs spelling)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xffff:
        return "0x%04x" % value
    if not isinstance(value, str) or not PCI_ID_RE.match(value):
        raise SriovError("%s must be a hexadecimal PCI id such as 0x8086, got %r" % (field, value), field=field)
    return "0x%04x" % int(value, 16)


def validate_pf(pf, field="pf"):
    """A PF reference, checked for shape only (no filesystem access).

    Returns the netdev name or PCI address unchanged (a PCI address lower-cased), or the
    selector as ``{vendor: "0x8086", device: "0x10c9", index: 0}``.
    """
    if isinstance(pf, dict):
        unknown = sorted(set(pf) - set(PF_SELECTOR_KEYS))
        if unknown:
            raise SriovError("%s selector has unknown key(s) %s; allowed: %s"
                             % (field, ", ".join(unknown), ", ".join(PF_SELECTOR_KEYS)),
                             field="%s.%s" % (field, unknown[0]))
        index = pf.get("index")
        return {"vendor": normalise_pci_id(pf.get("vendor"), "%s.vendor" % field),
                "device": normalise_pci_id(pf.get("device"), "%s.device" % field),
                "index": parse_int(0 if index is None else index, "%s.index" % field)}
    if not isinstance(pf, str) or not pf:
        raise SriovError("%s is required: a netdev name, a PCI address or {vendor, device, index}" % field,
                         field=field)
    if _PCI_ADDRESS_ANY_CASE_RE.match(pf):
        return pf.lower()
    if not is_safe_name(pf):
        raise SriovError("%s %r is not a netdev name or a PCI address: only letters, digits and the characters "
                         "_.:@- are allowed, and no '..'" % (field, pf), field=field)
    if len(pf) > MAX_NETDEV_NAME:
        raise SriovError("%s %r is longer than a netdev name can be (%d characters) and is not a PCI address"
                         % (field, pf, MAX_NETDEV_NAME), field=field)
    return pf


def pf_label(pf):
    """How messages, logs and lock holders name a PF reference: the name or address as given, a
    selector as written in YAML, ``{vendor: 0x8086, device: 0x10c9, index: 0}``."""
    if isinstance(pf, dict):
        return "{vendor: %s, device: %s, index: %s}" % (pf.get("vendor"), pf.get("device"), pf.get("index", 0))
    return str(pf)


# -- VLANs and VF indexes -------------------------------------------------------------------------
MAX_VLAN = 4094  # 4095 is reserved by 802.1Q; the kernel and libvirt's pools get 0-4094
# Highest VF index a request or a VF selector may name (sriov_totalvfs bounds it on the host).
MAX_VF_ID = 4095


# -- MAC addresses ---------------------------------------------------------------------------------
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")


def validate_mac(mac, field):
    """A unicast, non-zero MAC address, lower-cased."""
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


# -- booleans and integers -------------------------------------------------------------------------
# Ansible's own sets (ansible.module_utils.parsing.convert_bool): `trust: 1`, `trust: "yes"` and
# `trust: t` mean the same in the argument spec, the inventory filter and the module.
BOOLEANS_TRUE = frozenset(("y", "yes", "on", "1", "true", "t", 1, 1.0, True))
BOOLEANS_FALSE = frozenset(("n", "no", "off", "0", "false", "f", 0, 0.0, False))


def parse_bool(value, field):
    if isinstance(value, bool):
        return value
    normalised = value.strip().lower() if isinstance(value, str) else value
    try:
        if normalised in BOOLEANS_TRUE:
            return True
        if normalised in BOOLEANS_FALSE:
            return False
    except TypeError:  # unhashable (a list, a dict)
        pass
    raise SriovError("%s must be a boolean, got %r" % (field, value), field=field)


# An int written as text: ASCII digits only, blanks around allowed (as Ansible's own int type does).
INT_TEXT_RE = re.compile(r"^[ \t]*[0-9]+[ \t]*\Z")
ASCII_NUMBER_RE = re.compile(r"^[0-9]+\Z")


def is_ascii_number(text):
    """True for a non-empty run of ASCII digits (``str.isdigit`` also takes "٣" and "²")."""
    return isinstance(text, str) and ASCII_NUMBER_RE.match(text) is not None


def matches(pattern, value):
    """True when ``value`` is a string that ``pattern`` (one of this file's, anchored with \\Z) matches."""
    return isinstance(value, str) and pattern.match(value) is not None


def parse_int(value, field, minimum=0, maximum=None):
    """An int from an int or a decimal string, within bounds; bools are refused (True is not 1 VF).

    Text must be ASCII digits: ``"٣"`` is refused, not read as 3. Floats are refused too (5.7 is
    not VF 5).
    """
    if isinstance(value, str) and INT_TEXT_RE.match(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SriovError("%s must be an integer, got %r" % (field, value), field=field)
    if value < minimum or (maximum is not None and value > maximum):
        if maximum is None:
            raise SriovError("%s must be at least %d, got %d" % (field, minimum, value), field=field)
        raise SriovError("%s must be between %d and %d, got %d" % (field, minimum, maximum, value), field=field)
    return value


# -- drivers ---------------------------------------------------------------------------------------
VFIO_DRIVER = "vfio-pci"
# "default": give the VF back to the kernel's choice of driver (clear driver_override).
DEFAULT_DRIVER = "default"
DRIVER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
# Kernel module names and near misses of PCI driver names. sysfs knows a PCI driver by its driver
# name only (/sys/bus/pci/drivers/vfio-pci); binding to "vfio_pci" would wait for a driver that
# never appears, so these are refused with the name to use.
DRIVER_MISSPELLINGS = {
    "vfio_pci": VFIO_DRIVER,
    "vfio": VFIO_DRIVER,
    "pci_stub": "pci-stub",
}


def validate_driver(driver, field):
    """A driver name for ``driver_override``: ``default``, ``vfio-pci`` or a kernel driver name."""
    if not isinstance(driver, str) or not DRIVER_RE.match(driver):
        raise SriovError("%s %r is not a driver name: use '%s', '%s' or a kernel driver name"
                         % (field, driver, DEFAULT_DRIVER, VFIO_DRIVER), field=field)
    if driver in DRIVER_MISSPELLINGS:
        raise SriovError("%s %r is a kernel module name, not the PCI driver name: did you mean %s?"
                         % (field, driver, DRIVER_MISSPELLINGS[driver]), field=field)
    return driver


# -- other names -----------------------------------------------------------------------------------
# A libvirt network name: letters, digits and _.+- (no XML metacharacters, no blanks), 1-64 long.
NETWORK_NAME_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,64}\Z")
# The ids part of a VF selector (``4-7,9``), and one bare id or range of it.
SELECTOR_IDS_RE = re.compile(r"^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*\Z")
BARE_IDS_RE = re.compile(r"^[0-9]+(-[0-9]+)?\Z")
# Debian and RPM package names: letters, digits and + . _ - ; nothing a shell or an option parser reads.
PACKAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+._-]{0,127}\Z")
# An exact version as apt or dnf write it (epoch:upstream-revision, ~ for pre-releases); no operators.
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+~:_-]{0,127}\Z")
# A kernel module parameter: a C identifier; its value: no blanks, quotes or shell metacharacters.
OPTION_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
OPTION_VALUE_RE = re.compile(r"^[A-Za-z0-9_.:,+/@=-]{1,256}\Z")
# A libvirt user alias (libvirt requires the ua- prefix).
USER_ALIAS_RE = re.compile(r"^ua-[A-Za-z0-9_-]{1,60}\Z")


# -- interpreter paths -----------------------------------------------------------------------------
# The kernel reads a shebang line up to the first blank or newline, and (before Linux 5.1) only its
# first 127 bytes: an interpreter path for a generated script is absolute, with no blank, control
# character or non-ASCII byte, and short.
INTERPRETER_RE = re.compile(r"^/[A-Za-z0-9_.+@/-]{1,100}\Z")


def validate_interpreter(value, field):
    """An absolute interpreter path a ``#!`` line can hold (``/usr/bin/python3``)."""
    if not isinstance(value, str) or not INTERPRETER_RE.match(value) or "/../" in value + "/":
        raise SriovError("%s must be an absolute path to an interpreter such as /usr/bin/python3 (letters, digits "
                         "and _.+@-/ only, no blanks or newlines, at most 101 characters), got %r"
                         % (field, value), field=field)
    return value


# -- how messages name what they got --------------------------------------------------------------
def yaml_type(value):
    """The YAML name of a value's type (mapping, list, string, ...), never an internal class name
    such as ``_AnsibleTaggedDict``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return "value of another type"


def closest(name, known):
    """The known name nearest to ``name`` (difflib), or None: the "did you mean" of unknown keys."""
    match = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return match[0] if match else None
