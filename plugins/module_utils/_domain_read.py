# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt domains as data: their interfaces, the VFs they hold, the NUMA nodes they run on.

Pure standard library: the ``libvirt`` binding is handed in by the caller. What this file owns:
- ``interface_record(elem)``: one ``<interface>`` of a domain as plain data (type, source network,
  VF PCI address, MAC, VLAN, user alias, teaming); the shape every comparison uses;
- ``domain_device_map(conn)``: which domain (running or defined) holds which VF, with its MAC
  (``sriov_domain_facts``, the guards, the network manager's in-use check);
- ``domain_numa_nodes``: the NUMA nodes a domain's numatune / vcpu cpuset place it on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import close_connection, open_connection

VIR_DOMAIN_XML_INACTIVE = 2


# ---------------------------------------------------------------------------------------------
# Domain XML as data


def parse_domain_xml(text, what="domain"):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SriovError("libvirt returned %s XML that does not parse: %s" % (what, exc))
    if root.tag != "domain":
        raise SriovError("expected a <domain> document, got <%s>" % root.tag)
    return root


def interface_record(elem):
    """One ``<interface>`` as data: {type, network, bridge, vf, mac, vlan, alias, teaming, model}.

    ``vf``: the host PCI address a hostdev interface uses (``<source><address>``), else None.
    ``vlan``: one tag as an int, several (a trunk) as a sorted list, none as None.
    ``teaming``: {"type", "persistent"} or None.
    """
    source = elem.find("source")
    vlan = None
    vlan_elem = elem.find("vlan")
    if vlan_elem is not None:
        tags = sorted(int(tag.get("id")) for tag in vlan_elem.findall("tag") if _rules.is_ascii_number(tag.get("id")))
        vlan = tags[0] if len(tags) == 1 and vlan_elem.get("trunk", "no") != "yes" else tags
    teaming = elem.find("teaming")
    mac = elem.find("mac")
    model = elem.find("model")
    alias = elem.find("alias")
    return {
        "type": elem.get("type"),
        "network": source.get("network") if source is not None else None,
        "bridge": source.get("bridge") if source is not None else None,
        "vf": _rules.xml_pci_address(source.find("address")) if source is not None else None,
        "mac": mac.get("address").lower() if mac is not None and mac.get("address") else None,
        "vlan": vlan,
        "alias": alias.get("name") if alias is not None else None,
        "teaming": None if teaming is None else {"type": teaming.get("type"),
                                                 "persistent": teaming.get("persistent")},
        "model": model.get("type") if model is not None else None,
    }


def domain_hostdev_addresses(root):
    """Host PCI addresses of plain ``<hostdev type='pci'>`` devices (not interfaces)."""
    result = []
    for hostdev in root.findall("devices/hostdev"):
        if hostdev.get("type", "pci") == "pci":
            address = _rules.xml_pci_address(hostdev.find("source/address"))
            if address:
                result.append(address)
    return result


def parse_cpuset(text):
    """libvirt/kernel cpu list ``0-3,8,^2`` -> set of ints; ValueError when it does not parse."""
    result = set()
    excluded = set()
    for part in (text or "").replace(" ", "").split(","):
        if not part:
            continue
        target = result
        if part.startswith("^"):
            target, part = excluded, part[1:]
        first, dash, last = part.partition("-")
        low, high = int(first), int(last) if dash else int(first)
        target.update(range(low, high + 1))
    return result - excluded


def cpu_nodes(sysfs_root):
    """{cpu: NUMA node} from ``devices/system/node/nodeN/cpulist``; {} on a host without them."""
    result = {}
    for node, cpulist in sorted(_sysfs.numa_node_cpulists(sysfs_root).items()):
        try:
            cpus = parse_cpuset(cpulist)
        except ValueError:
            continue
        for cpu in cpus:
            result[cpu] = node
    return result


def domain_numa_nodes(root, sysfs_root):
    """(set of NUMA nodes, what placed it) or (None, reason) when the domain is not placed.

    ``<numatune><memory nodeset=>`` wins; else the nodes of ``<vcpu cpuset=>`` (via sysfs).
    ``placement='auto'`` (numad) is decided when the domain starts: its live XML has the nodeset.
    """
    memory = root.find("numatune/memory")
    if memory is not None and memory.get("nodeset"):
        try:
            return parse_cpuset(memory.get("nodeset")), "numatune nodeset %s" % memory.get("nodeset")
        except ValueError:
            return None, "numatune nodeset %r does not parse" % memory.get("nodeset")
    vcpu = root.find("vcpu")
    if vcpu is not None and vcpu.get("cpuset"):
        try:
            cpus = parse_cpuset(vcpu.get("cpuset"))
        except ValueError:
            return None, "vcpu cpuset %r does not parse" % vcpu.get("cpuset")
        mapping = cpu_nodes(sysfs_root)
        nodes = set(mapping[cpu] for cpu in cpus if cpu in mapping)
        if nodes:
            return nodes, "vcpu cpuset %s" % vcpu.get("cpuset")
    return None, "no numatune nodeset or vcpu cpuset"


# ---------------------------------------------------------------------------------------------
# Which domain holds which VF


def _domain_xml(libvirt_mod, dom, flags):
    try:
        return parse_domain_xml(dom.XMLDesc(flags))
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: reading the XML of domain %s failed: %s" % (dom.name(), exc))


def read_domain(libvirt_mod, dom):
    """{name, active, persistent, config_root, live_root} of one domain (live_root None when off)."""
    try:
        active = bool(dom.isActive())
        persistent = bool(dom.isPersistent())
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: reading the state of domain %s failed: %s" % (dom.name(), exc))
    inactive = getattr(libvirt_mod, "VIR_DOMAIN_XML_INACTIVE", VIR_DOMAIN_XML_INACTIVE)
    return {
        "name": dom.name(),
        "active": active,
        "persistent": persistent,
        "config_root": _domain_xml(libvirt_mod, dom, inactive) if persistent else None,
        "live_root": _domain_xml(libvirt_mod, dom, 0) if active else None,
    }


def domain_devices(state):
    """What one domain holds: {name, active, persistent, interfaces, hostdevs}.

    A running domain is described by its live XML (the VF a pool network handed out is only
    there), a shut-off one by its definition.
    """
    root = state["live_root"] if state["active"] else state["config_root"]
    interfaces = [interface_record(elem) for elem in root.findall("devices/interface")] if root is not None else []
    return {
        "name": state["name"],
        "active": state["active"],
        "persistent": state["persistent"],
        "interfaces": interfaces,
        "hostdevs": domain_hostdev_addresses(root) if root is not None else [],
    }


def domain_device_map(libvirt_mod, conn):
    """-> {"domains": [domain_devices...], "vfs": {pci address: {domain, active, mac, alias, kind}}}.

    ``vfs`` lists every host PCI device a domain holds, from hostdev interfaces (with their MAC)
    and plain ``<hostdev>`` devices (MAC null); a running holder wins over a defined one.
    """
    try:
        doms = conn.listAllDomains(0)
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: listing domains failed: %s" % exc)
    domains = sorted((domain_devices(read_domain(libvirt_mod, dom)) for dom in doms), key=lambda d: d["name"])
    holders = {}
    for domain in domains:
        entries = [(i["vf"], i["mac"], i["alias"], "interface") for i in domain["interfaces"] if i["vf"]]
        entries += [(address, None, None, "hostdev") for address in domain["hostdevs"]]
        for address, mac, alias, kind in entries:
            current = holders.get(address)
            if current is None or (domain["active"] and not current["active"]):
                holders[address] = {"domain": domain["name"], "active": domain["active"], "mac": mac,
                                    "alias": alias, "kind": kind}
    return {"domains": domains, "vfs": holders}


def gather_domain_facts(libvirt_mod, uri):
    """``domain_device_map`` over a connection of its own (what sriov_domain_facts returns)."""
    conn = open_connection(libvirt_mod, uri)
    try:
        return domain_device_map(libvirt_mod, conn)
    finally:
        close_connection(libvirt_mod, conn)
