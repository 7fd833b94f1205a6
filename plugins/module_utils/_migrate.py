# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Can a running domain live-migrate to another hypervisor? Asked before anything changes.

Pure standard library: the ``libvirt`` binding is handed in by the caller. Read-only: nothing
here changes a host. ``migration_preflight`` returns every problem it finds (not only the first),
each a sentence naming the domain, so a refusal says all that stands in the way at once:

- the domain runs on the source (a live migration moves a running domain);
- no plain ``<hostdev>`` (libvirt refuses to migrate a PCI device that is not the transient side
  of a failover pair); every VF interface is the transient side of a pair (``<teaming
  type='transient' persistent='ALIAS'/>``) whose persistent side (a virtio interface with that
  alias and ``<teaming type='persistent'/>``) carries the same MAC, and comes from a pool
  network (a VF picked by address cannot be taken again on another host);
- every network the domain uses exists and runs on the destination under the same name, a VF
  pool as a VF pool, with enough free VFs (the pool's VFs no running domain there holds);
- the destination can run the domain, by libvirt's own checks: its domain capabilities for the
  domain's emulator type, architecture and machine, and its hypervisor CPU comparison when the
  domain asks for a named CPU model; and no domain of that name runs there;
- the guest has a failover master over each pair (``guest_nic_facts`` from inside the guest: the
  NIC with the pair's MAC is the lower of a ``failover`` master), so the VF's unplug leaves the
  traffic on the virtio standby.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import (
    VIR_DOMAIN_XML_INACTIVE, domain_device_map, domain_hostdev_addresses, interface_record, parse_domain_xml)
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import VIR_ERR_NO_DOMAIN, VIR_ERR_NO_NETWORK, error_code
from ansible_collections.directiron.sriov.plugins.module_utils._network_xml import parse_network_xml

VIR_CPU_COMPARE_INCOMPATIBLE = 0


def network_state(libvirt_mod, conn, name):
    """{exists, active, pool}: ``pool`` is the VF addresses of a running hostdev network, None
    when the network is not a VF pool (or not running: libvirt lists a ``<pf>`` pool's VFs only
    in the live XML)."""
    try:
        net = conn.networkLookupByName(name)
    except libvirt_mod.libvirtError as exc:
        if error_code(exc) == getattr(libvirt_mod, "VIR_ERR_NO_NETWORK", VIR_ERR_NO_NETWORK):
            return {"exists": False, "active": False, "pool": None, "hostdev": False}
        raise SriovError("libvirt: looking up network %s failed: %s" % (name, exc))
    try:
        active = bool(net.isActive())
        root = parse_network_xml(net.XMLDesc(0))
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: reading network %s failed: %s" % (name, exc))
    forward = root.find("forward")
    hostdev = forward is not None and forward.get("mode") == "hostdev"
    pool = None
    if hostdev and active:
        pool = [_rules.xml_pci_address(elem) for elem in forward.findall("address")]
        pool = [address for address in pool if address]
    return {"exists": True, "active": active, "pool": pool, "hostdev": hostdev}


def _lookup(libvirt_mod, conn, name):
    """The domain named ``name`` on ``conn``, or None when there is none."""
    try:
        return conn.lookupByName(name)
    except libvirt_mod.libvirtError as exc:
        if error_code(exc) == getattr(libvirt_mod, "VIR_ERR_NO_DOMAIN", VIR_ERR_NO_DOMAIN):
            return None
        raise SriovError("libvirt: looking up domain %s failed: %s" % (name, exc))


def failover_pairs(interfaces):
    """-> (pairs, problems): pairs {mac, transient, persistent} from ``interface_record``s."""
    pairs, problems = [], []
    by_alias = dict((i["alias"], i) for i in interfaces if i["alias"])
    for iface in interfaces:
        teaming = iface["teaming"] or {}
        if teaming.get("type") != "transient":
            continue
        backup = by_alias.get(teaming.get("persistent"))
        if backup is None or (backup["teaming"] or {}).get("type") != "persistent":
            problems.append("its transient interface %s names the persistent side %r, which is not a "
                            "<teaming type='persistent'/> interface of the domain"
                            % (iface["mac"], teaming.get("persistent")))
            continue
        if backup["mac"] != iface["mac"]:
            problems.append("the failover pair %s has two MACs (%s on the VF, %s on the virtio side); the guest "
                            "pairs them by MAC" % (teaming.get("persistent"), iface["mac"], backup["mac"]))
            continue
        pairs.append({"mac": iface["mac"], "transient": iface, "persistent": backup})
    return pairs, problems


def _guest_has_master(guest_nics, mac):
    for nic in (guest_nics or {}).get("nics") or []:
        if (nic.get("mac") or "").lower() == mac and nic.get("master") and nic.get("master_kind") == "failover":
            return nic["master"]
    return None


def _destination_runs(libvirt_mod, dst, root, name):
    """Problems libvirt on the destination reports for running this domain (its own checks)."""
    problems = []
    os_type = root.find("os/type")
    arch = os_type.get("arch") if os_type is not None else None
    machine = os_type.get("machine") if os_type is not None else None
    virttype = root.get("type")
    try:
        dst.getDomainCapabilities(None, arch, machine, virttype, 0)
    except libvirt_mod.libvirtError as exc:
        problems.append("the destination cannot run a %s %s guest of machine %s: %s" % (virttype, arch, machine, exc))
        return problems
    cpu = root.find("cpu")
    if cpu is not None and cpu.find("model") is not None and cpu.get("mode", "custom") in ("custom", "host-model"):
        try:
            verdict = dst.compareHypervisorCPU(None, arch, machine, virttype, ET.tostring(cpu).decode(), 0)
        except libvirt_mod.libvirtError as exc:
            problems.append("the destination could not compare the domain's CPU: %s" % exc)
        else:
            if verdict <= VIR_CPU_COMPARE_INCOMPATIBLE:
                problems.append("the destination's CPU cannot run the domain's CPU model %s" % cpu.findtext("model"))
    return problems


def migration_preflight(libvirt_mod, src, dst, domain, guest_nics=None, confirm_master=True):
    """-> {domain, problems, pairs, networks, needed_vfs, free_vfs}; an empty ``problems`` means go.

    ``src``/``dst``: open libvirt connections to the source and the destination hypervisor;
    ``guest_nics``: ``ansible_facts.guest_nics`` read inside the guest (None: not known);
    ``confirm_master=False``: the guest's failover master is not checked (the caller warns).
    """
    dom = _lookup(libvirt_mod, src, domain)
    if dom is None:
        raise SriovError("no libvirt domain named %s on the source" % domain, field="domain")
    problems = []
    try:
        active = bool(dom.isActive())
        persistent = bool(dom.isPersistent())
        inactive = getattr(libvirt_mod, "VIR_DOMAIN_XML_INACTIVE", VIR_DOMAIN_XML_INACTIVE)
        # the definition names the pool networks (a running pool interface shows only its VF)
        root = parse_domain_xml(dom.XMLDesc(inactive if persistent else 0))
        live = parse_domain_xml(dom.XMLDesc(0)) if active else root
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: reading domain %s failed: %s" % (domain, exc))
    if not active:
        problems.append("it is not running (a live migration moves a running domain)")
    for address in domain_hostdev_addresses(live):
        problems.append("it holds the PCI device %s as a plain <hostdev>, which libvirt cannot migrate (give VFs "
                        "as the transient side of a failover pair)" % address)
    interfaces = [interface_record(elem) for elem in root.findall("devices/interface")]
    pairs, pair_problems = failover_pairs(interfaces)
    problems += pair_problems
    networks, needed = {}, {}
    for iface in interfaces:
        if iface["network"]:
            networks.setdefault(iface["network"], network_state(libvirt_mod, src, iface["network"]))
    transient_macs = set(pair["mac"] for pair in pairs)
    for iface in interfaces:
        on_pool = iface["network"] and networks[iface["network"]]["hostdev"]
        if iface["type"] != "hostdev" and not on_pool:
            continue
        if iface["mac"] not in transient_macs or (iface["teaming"] or {}).get("type") != "transient":
            problems.append("its VF interface %s is not the transient side of a failover pair; libvirt cannot "
                            "migrate it" % iface["mac"])
        elif not on_pool:
            problems.append("its VF interface %s names the VF %s by address; only a VF from a pool network can be "
                            "taken again on the destination" % (iface["mac"], iface["vf"]))
        else:
            needed[iface["network"]] = needed.get(iface["network"], 0) + 1
    free = {}
    held = domain_device_map(libvirt_mod, dst)["vfs"]
    for name in sorted(networks):
        there = network_state(libvirt_mod, dst, name)
        if not there["exists"]:
            problems.append("the destination has no network named %s" % name)
        elif not there["active"]:
            problems.append("the network %s is not running on the destination" % name)
        elif networks[name]["hostdev"] and not there["hostdev"]:
            problems.append("the network %s on the destination is not a VF pool" % name)
        if name in needed and there["pool"] is not None:
            free[name] = len([vf for vf in there["pool"] if not (held.get(vf) or {}).get("active")])
            if free[name] < needed[name]:
                problems.append("the destination's pool %s has %d free VF(s), the domain needs %d"
                                % (name, free[name], needed[name]))
    there = _lookup(libvirt_mod, dst, domain)
    if there is not None:
        problems.append("a domain named %s already exists on the destination" % domain)
    problems += _destination_runs(libvirt_mod, dst, root, domain)
    for pair in pairs if confirm_master else []:
        if guest_nics is None:
            problems.append("the guest's NICs are unknown (pass guest_nic_facts' guest_nics): cannot confirm a "
                            "failover master over %s" % pair["mac"])
        elif not _guest_has_master(guest_nics, pair["mac"]):
            problems.append("the guest has no failover master over %s (net_failover not loaded, or the pair not "
                            "formed): unplugging the VF would cut its traffic" % pair["mac"])
    return {
        "domain": domain,
        "problems": ["domain %s: %s" % (domain, problem) for problem in problems],
        "pairs": [{"mac": p["mac"], "network": p["transient"]["network"], "alias": p["persistent"]["alias"],
                   "standby_network": p["persistent"]["network"], "standby_bridge": p["persistent"]["bridge"],
                   "guest_master": _guest_has_master(guest_nics, p["mac"])} for p in pairs],
        "networks": sorted(networks),
        "needed_vfs": needed,
        "free_vfs": free,
    }
