# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interfaces one domain should have: the VF ``<interface>`` (and its failover partner) as XML,
found among a domain's interfaces and compared with what is wanted (``GuestInterfaceManager``'s
``wanted`` shape, records from ``_domain_read.interface_record``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import interface_record
from ansible_collections.directiron.sriov.plugins.module_utils._network_xml import render_network_xml


def vf_interface_element(wanted):
    """The VF ``<interface>`` for ``wanted`` (see GuestInterfaceManager.wanted)."""
    if wanted["network"]:
        elem = ET.Element("interface", {"type": "network"})
    else:
        elem = ET.Element("interface", {"type": "hostdev", "managed": "yes"})
    if wanted["mac"]:
        ET.SubElement(elem, "mac", {"address": wanted["mac"]})
    if wanted["network"]:
        ET.SubElement(elem, "source", {"network": wanted["network"]})
    else:
        source = ET.SubElement(elem, "source")
        ET.SubElement(source, "address", _rules.xml_pci_attributes(wanted["vf"]))
    if wanted["vlan"] is not None:
        vlan = ET.SubElement(elem, "vlan")
        ET.SubElement(vlan, "tag", {"id": str(wanted["vlan"])})
    if wanted["failover"]:
        ET.SubElement(elem, "teaming", {"type": "transient", "persistent": wanted["failover"]["alias"]})
    if wanted["alias"]:
        ET.SubElement(elem, "alias", {"name": wanted["alias"]})
    return elem


def backup_interface_element(wanted):
    """The virtio ``<interface>`` that keeps traffic while the VF is unplugged (failover pairing)."""
    failover = wanted["failover"]
    kind = "network" if failover["network"] else "bridge"
    elem = ET.Element("interface", {"type": kind})
    ET.SubElement(elem, "mac", {"address": wanted["mac"]})
    ET.SubElement(elem, "source", {kind: failover[kind]})
    ET.SubElement(elem, "model", {"type": "virtio"})
    ET.SubElement(elem, "teaming", {"type": "persistent"})
    ET.SubElement(elem, "alias", {"name": failover["alias"]})
    return elem


def _is_backup(record):
    return bool(record["teaming"]) and record["teaming"]["type"] == "persistent"


def find_vf_interface(elems, wanted, live=False, mac=None):
    """The element among ``elems`` that is the managed VF interface, or None.

    Identity: the MAC (given, or learnt from the definition) of an interface that is not a
    failover backup; without a MAC, the source (pool network or VF address) in the definition.
    A live hostdev-network interface has no network name left, so live lookups need the MAC.
    """
    mac = mac or wanted["mac"]
    for elem in elems:
        record = interface_record(elem)
        if _is_backup(record):
            continue
        if mac:
            if record["mac"] == mac:
                return elem
        elif not live and wanted["network"] and record["type"] == "network" and record["network"] == wanted["network"]:
            return elem
        elif wanted["vf"] and record["type"] == "hostdev" and record["vf"] == wanted["vf"]:
            return elem
    return None


def find_backup_interface(elems, alias):
    for elem in elems:
        record = interface_record(elem)
        if record["alias"] == alias:
            return elem
    return None


def vf_config_differs(record, wanted):
    """Whether a defined VF interface differs from what is wanted (unmanaged fields ignored)."""
    if wanted["network"]:
        if record["type"] != "network" or record["network"] != wanted["network"]:
            return True
    elif record["type"] != "hostdev" or record["vf"] != wanted["vf"]:
        return True
    if wanted["mac"] and record["mac"] != wanted["mac"]:
        return True
    if record["vlan"] != wanted["vlan"]:
        return True
    want_teaming = {"type": "transient", "persistent": wanted["failover"]["alias"]} if wanted["failover"] else None
    if record["teaming"] != want_teaming:
        return True
    return bool(wanted["alias"]) and record["alias"] != wanted["alias"]


def vf_live_differs(record, wanted):
    """Whether a live VF interface differs; a pool network's VF and VLAN are libvirt's choice."""
    if record["type"] != "hostdev":
        return True
    if wanted["vf"] and record["vf"] != wanted["vf"]:
        return True
    if (wanted["vlan"] is not None or not wanted["network"]) and record["vlan"] != wanted["vlan"]:
        return True
    want_teaming = {"type": "transient", "persistent": wanted["failover"]["alias"]} if wanted["failover"] else None
    return record["teaming"] != want_teaming


def backup_differs(record, wanted, live=False):
    failover = wanted["failover"]
    want = {"mac": wanted["mac"], "model": "virtio", "teaming": {"type": "persistent", "persistent": None}}
    have = {"mac": record["mac"], "model": record["model"], "teaming": record["teaming"]}
    if have != want:
        return True
    if live:
        return False  # a network's live interface type follows the network's forward mode
    kind = "network" if failover["network"] else "bridge"
    return record["type"] != kind or record[kind] != failover[kind]


def snippet(elems):
    """Indented XML of ``elems`` (for diffs and results), '' for none."""
    return "".join(render_network_xml(elem) for elem in elems if elem is not None)
