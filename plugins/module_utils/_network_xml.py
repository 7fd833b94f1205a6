# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt ``<network>`` XML as this collection builds, merges, compares and prints it.

Only the parts this collection manages are compared: name, ``<forward mode managed>``, its
``<pf>``/``<address>`` children, ``<vlan>``. ``render_network_xml`` prints any element the way
the managers hand XML to libvirt (domain interface snippets too).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def network_skeleton(name):
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    return root


def parse_network_xml(text):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SriovError("libvirt returned network XML that does not parse: %s" % exc)
    if root.tag != "network":
        raise SriovError("expected a <network> document, got <%s>" % root.tag)
    return root


def canonical_network(root):
    """The parts of a ``<network>`` this collection manages, as plain comparable data.

    uuid, mac, bridge, portgroups, metadata and any other element are ignored on purpose: libvirt
    fills some in and an operator may set others; redefining keeps them.
    """
    if root is None:
        return None
    forward = root.find("forward")
    result = {
        "name": (root.findtext("name") or "").strip(),
        "forward_mode": None,
        "managed": None,
        "pf": [],
        "addresses": [],
        "vlan": None,
    }
    if forward is not None:
        result["forward_mode"] = forward.get("mode")
        result["managed"] = forward.get("managed", "no")
        result["pf"] = sorted(pf.get("dev") for pf in forward.findall("pf"))
        addresses = [_rules.xml_pci_address(addr) for addr in forward.findall("address")]
        result["addresses"] = sorted(address for address in addresses if address)
    vlan = root.find("vlan")
    if vlan is not None:
        tags = sorted(int(tag.get("id")) for tag in vlan.findall("tag") if tag.get("id") is not None)
        result["vlan"] = tags[0] if len(tags) == 1 and vlan.get("trunk", "no") != "yes" else tags
    return result


def live_pool_differs(live_root, new_root, pool_addresses):
    """Whether a running network runs something other than the definition ``new_root``.

    libvirt's live XML of a ``<pf>`` pool keeps the ``<pf>`` and adds the VFs the PF had when the
    network started, as ``<address>`` children (libvirt 9, recorded in tests/fixtures/libvirt/).
    So the live pool's addresses are compared with
    ``pool_addresses`` (the PF's current VFs, or the wanted addresses); a PF whose VF count changed
    since then counts as a difference (the network must restart to hand out the new VFs).
    """
    live = canonical_network(live_root)
    new = canonical_network(new_root)
    if live is None:
        return False
    for key in ("forward_mode", "managed", "vlan"):
        if live[key] != new[key]:
            return True
    if live["addresses"] or not live["pf"]:
        return live["addresses"] != sorted(pool_addresses)
    return live["pf"] != new["pf"]  # a live <pf> without the addresses it expanded to


def apply_wanted(root, wanted):
    """Rewrite the managed parts of ``root`` (in place) to match ``wanted``; keep everything else.

    ``wanted``: {"pf": netdev or None, "addresses": [pci addresses], "vlan": int or None}.
    """
    forward = root.find("forward")
    if forward is None:
        forward = ET.Element("forward")
        name = root.find("name")
        # libvirt does not care about order, but humans reading the diff do: forward after name/uuid
        position = 1 if name is not None else 0
        if root.find("uuid") is not None:
            position += 1
        root.insert(position, forward)
    forward.set("mode", "hostdev")
    forward.set("managed", "yes")
    # <driver>, bandwidth-like children an operator added stay; the VF pool is ours.
    for child in list(forward):
        if child.tag in ("pf", "address", "interface"):
            forward.remove(child)
    if forward.text is None or not forward.text.strip():
        forward.text = None
    if wanted.get("pf"):
        ET.SubElement(forward, "pf", {"dev": wanted["pf"]})
    for address in wanted.get("addresses") or []:
        ET.SubElement(forward, "address", _rules.xml_pci_attributes(address))
    for vlan in root.findall("vlan"):
        root.remove(vlan)
    if wanted.get("vlan") is not None:
        vlan = ET.Element("vlan")
        ET.SubElement(vlan, "tag", {"id": str(int(wanted["vlan"]))})
        children = list(root)
        root.insert(children.index(forward) + 1, vlan)
    return root


def _indent(elem, level=0):
    """ElementTree.indent() is 3.9+; managed hosts may run 3.8."""
    pad = "\n" + "  " * level
    children = list(elem)
    if children:
        if not elem.text or not elem.text.strip():
            elem.text = pad + "  "
        for child in children:
            _indent(child, level + 1)
            if not child.tail or not child.tail.strip():
                child.tail = pad + "  "
        if not children[-1].tail or not children[-1].tail.strip():
            children[-1].tail = pad
    elif level and (not elem.tail or not elem.tail.strip()):
        elem.tail = pad


def render_network_xml(root):
    """Stable, indented text of ``root`` (a copy is indented, ``root`` is left alone)."""
    copy = ET.fromstring(ET.tostring(root))
    for elem in copy.iter():
        if elem.text is not None and not elem.text.strip():
            elem.text = None
        if elem.tail is not None and not elem.tail.strip():
            elem.tail = None
    _indent(copy)
    text = ET.tostring(copy, encoding="unicode")
    return text + "\n"
