# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake of the libvirt binding's domain surface (the community.libvirt seam), for the guest interface tests.

The XML it produces follows the shapes libvirt documents and prints
(https://libvirt.org/formatdomain.html, "Network interfaces", "Teaming a virtio/hostdev NIC"):

- definition (``XMLDesc(VIR_DOMAIN_XML_INACTIVE)``): what was attached, plus a generated MAC
  ``52:54:00:xx:xx:xx`` when none was given and a guest PCI ``<address>`` (one PCIe root port bus
  per device, as on a q35 machine); no ``<alias>`` unless the user gave an ``ua-`` alias;
- live XML of a running domain: an interface on a hostdev pool network becomes
  ``<interface type='hostdev' managed='yes'>`` with ``<driver name='vfio'/>`` and the VF it got as
  ``<source><address type='pci' .../></source>``, the network name gone; an interface on an ordinary
  network stays ``type='network'`` with ``portid`` and ``bridge`` on its ``<source>`` and a
  ``<target dev='vnetN'/>``; every device gets ``<alias name='hostdevN'/>``/``'netN'`` unless it has
  a user alias, and the VLAN of the network when the interface has none;
- detach matches by MAC and, when several interfaces share it (failover pairs), by alias or guest
  address (libvirt's virDomainNetFindIdx); a running guest that does not acknowledge the hot-unplug
  keeps the device (``ack_unplug=False``);
- attributes are written with single quotes, as libvirt does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import uuid as uuidlib
import xml.etree.ElementTree as ET

VIR_DOMAIN_AFFECT_LIVE = 1
VIR_DOMAIN_AFFECT_CONFIG = 2
VIR_DOMAIN_XML_INACTIVE = 2


class libvirtError(Exception):
    def __init__(self, msg, code=1):
        super(libvirtError, self).__init__(msg)
        self.code = code

    def get_error_code(self):
        return self.code


def _text(root):
    return ET.tostring(root, encoding="unicode").replace('"', "'")


def _pci(address):
    domain, bus, rest = address.split(":")
    slot, function = rest.split(".")
    return {"type": "pci", "domain": "0x" + domain, "bus": "0x" + bus, "slot": "0x" + slot,
            "function": "0x" + function}


def _address_of(elem):
    if elem is None:
        return None
    return "%04x:%02x:%02x.%x" % tuple(int(elem.get(k), 16) for k in ("domain", "bus", "slot", "function"))


class FakeDomain(object):
    def __init__(self, host, name, xml_text=None, persistent=True):
        self.host = host
        self._name = name
        root = ET.fromstring(xml_text or "<domain type='kvm'><name>%s</name><memory unit='KiB'>393216</memory>"
                                         "<vcpu placement='static'>1</vcpu><devices/></domain>" % name)
        if root.find("uuid") is None:
            uuid_elem = ET.Element("uuid")
            uuid_elem.text = str(uuidlib.uuid4())
            root.insert(1, uuid_elem)
        self.config = root if persistent else None
        self.live = None
        self.persistent = persistent
        self.ack_unplug = True
        self._bus = itertools.count(1)
        self._alias = itertools.count(0)
        for iface in root.findall("devices/interface"):
            self._fill_config(iface)

    # -- what libvirt adds -------------------------------------------------------------------------
    def _fill_config(self, iface):
        if iface.find("mac") is None:
            mac = ET.Element("mac", {"address": "52:54:00:%02x:%02x:%02x" % next(self.host.mac_seq)})
            iface.insert(0, mac)
        if iface.find("address") is None:
            ET.SubElement(iface, "address", {"type": "pci", "domain": "0x0000", "bus": "0x%02x" % next(self._bus),
                                             "slot": "0x00", "function": "0x0"})

    def _live_element(self, iface):
        """The running domain's view of a defined interface."""
        live = ET.fromstring(ET.tostring(iface))
        kind = live.get("type")
        alias = live.find("alias")
        if kind == "network":
            name = live.find("source").get("network")
            net = self.host.networks.get(name)
            if net is None:
                raise libvirtError("Network not found: no network with matching name '%s'" % name, code=43)
            if net["pool"] is not None:
                vf = self.host.free_vf(name)
                live.attrib.clear()
                live.set("type", "hostdev")
                live.set("managed", "yes")
                source = live.find("source")
                source.attrib.clear()
                ET.SubElement(source, "address", _pci(vf))
                live.insert(1, ET.Element("driver", {"name": "vfio"}))
                if live.find("vlan") is None and net.get("vlan") is not None:
                    vlan = ET.SubElement(live, "vlan")
                    ET.SubElement(vlan, "tag", {"id": str(net["vlan"])})
            else:
                source = live.find("source")
                source.set("portid", str(uuidlib.uuid4()))
                source.set("bridge", net.get("bridge") or "virbr0")
                ET.SubElement(live, "target", {"dev": "vnet%d" % next(self.host.vnet_seq)})
        elif kind == "hostdev":
            vf = _address_of(live.find("source/address"))
            holder = self.host.holder(vf)
            if holder is not None:
                raise libvirtError("Requested operation is not valid: PCI device %s is in use by driver QEMU, "
                                   "domain %s" % (vf, holder), code=55)
            live.insert(1, ET.Element("driver", {"name": "vfio"}))
        elif kind == "bridge":
            ET.SubElement(live, "target", {"dev": "vnet%d" % next(self.host.vnet_seq)})
        if alias is None:
            ET.SubElement(live, "alias", {"name": "%s%d" % ("hostdev" if live.get("type") == "hostdev" else "net",
                                                            next(self._alias))})
        return live

    # -- binding surface ---------------------------------------------------------------------------
    def name(self):
        return self._name

    def isActive(self):
        return 1 if self.live is not None else 0

    def isPersistent(self):
        return 1 if self.persistent else 0

    def XMLDesc(self, flags=0):
        if flags & VIR_DOMAIN_XML_INACTIVE or self.live is None:
            return _text(self.config if self.config is not None else self.live)
        return _text(self.live)

    def create(self):
        if self.live is not None:
            raise libvirtError("Requested operation is not valid: domain is already running", code=55)
        live = ET.fromstring(ET.tostring(self.config))
        live.set("id", str(next(self.host.id_seq)))
        devices = live.find("devices")
        for index, iface in enumerate(list(devices.findall("interface"))):
            position = list(devices).index(iface)
            devices.remove(iface)
            devices.insert(position, self._live_element(iface))
        self.live = live
        return 0

    def destroy(self):
        self.live = None
        return 0

    def attachDeviceFlags(self, xml_text, flags=0):
        self.host.calls.append(("attach", self._name, flags, xml_text))
        iface = ET.fromstring(xml_text)
        if iface.tag != "interface":
            raise libvirtError("unsupported device type %s" % iface.tag)
        self._fill_config(iface)
        if flags & VIR_DOMAIN_AFFECT_LIVE:
            if self.live is None:
                raise libvirtError("Requested operation is not valid: domain is not running", code=55)
            teaming = iface.find("teaming")
            if teaming is not None and teaming.get("type") == "transient":
                partner = teaming.get("persistent")
                if not any((a.get("name") == partner) for a in self.live.findall("devices/interface/alias")):
                    raise libvirtError("unsupported configuration: teaming persistent='%s' names no interface"
                                       % partner, code=67)
            self.live.find("devices").append(self._live_element(iface))
        if flags & VIR_DOMAIN_AFFECT_CONFIG:
            if not self.persistent:
                raise libvirtError("Requested operation is not valid: cannot modify device on transient domain")
            vf = _address_of(iface.find("source/address")) if iface.get("type") == "hostdev" else None
            for other in self.config.findall("devices/interface"):
                if vf and other.get("type") == "hostdev" and _address_of(other.find("source/address")) == vf:
                    raise libvirtError("Requested operation is not valid: device is already in the domain "
                                       "configuration", code=55)
            self.config.find("devices").append(iface)
        return 0

    def _match(self, root, iface):
        """libvirt's virDomainNetFindIdx: by MAC, then by guest address and alias when given."""
        mac = iface.find("mac").get("address").lower() if iface.find("mac") is not None else None
        candidates = [e for e in root.findall("devices/interface")
                      if mac is None or e.find("mac").get("address").lower() == mac]
        alias = iface.find("alias")
        if alias is not None:
            candidates = [e for e in candidates if e.find("alias") is not None
                          and e.find("alias").get("name") == alias.get("name")]
        address = iface.find("address")
        if address is not None:
            candidates = [e for e in candidates if e.find("address") is not None
                          and e.find("address").attrib == address.attrib]
        if not candidates:
            raise libvirtError("operation failed: no device matching MAC address %s found" % mac, code=99)
        if len(candidates) > 1:
            raise libvirtError("operation failed: multiple devices matching MAC address %s found" % mac, code=1)
        return candidates[0]

    def detachDeviceFlags(self, xml_text, flags=0):
        self.host.calls.append(("detach", self._name, flags, xml_text))
        iface = ET.fromstring(xml_text)
        if flags & VIR_DOMAIN_AFFECT_LIVE:
            if self.live is None:
                raise libvirtError("Requested operation is not valid: domain is not running", code=55)
            found = self._match(self.live, iface)
            if self.ack_unplug:
                self.live.find("devices").remove(found)
        if flags & VIR_DOMAIN_AFFECT_CONFIG:
            found = self._match(self.config, iface)
            self.config.find("devices").remove(found)
        return 0


class FakeConnection(object):
    def __init__(self, host):
        self.host = host

    def lookupByName(self, name):
        if name not in self.host.domains:
            raise libvirtError("Domain not found: no domain with matching name '%s'" % name, code=42)
        return self.host.domains[name]

    def listAllDomains(self, flags=0):
        return list(self.host.domains.values())

    def networkLookupByName(self, name):
        if name not in self.host.networks:
            raise libvirtError("Network not found: no network with matching name '%s'" % name, code=43)
        return self.host.networks[name]

    def close(self):
        self.host.closed += 1
        return 0


class FakeLibvirt(object):
    """Stands in for the ``libvirt`` module."""

    VIR_ERR_NO_DOMAIN = 42
    VIR_ERR_NO_NETWORK = 43
    VIR_DOMAIN_AFFECT_LIVE = VIR_DOMAIN_AFFECT_LIVE
    VIR_DOMAIN_AFFECT_CONFIG = VIR_DOMAIN_AFFECT_CONFIG
    VIR_DOMAIN_XML_INACTIVE = VIR_DOMAIN_XML_INACTIVE
    libvirtError = libvirtError

    def __init__(self):
        self.domains = {}
        self.networks = {}
        self.calls = []
        self.closed = 0
        self.mac_seq = ((0x10, 0x20, n) for n in itertools.count(1))
        self.vnet_seq = itertools.count(0)
        self.id_seq = itertools.count(1)

    def open(self, uri):
        return FakeConnection(self)

    def add_network(self, name, pool=None, vlan=None, bridge=None):
        """pool: VF addresses of a hostdev network (None: an ordinary bridged/NAT network)."""
        self.networks[name] = {"pool": pool, "vlan": vlan, "bridge": bridge}

    def add_domain(self, name, xml_text=None, running=False, persistent=True):
        dom = FakeDomain(self, name, xml_text, persistent=persistent)
        self.domains[name] = dom
        if running:
            dom.create()
        return dom

    def holder(self, vf):
        for dom in self.domains.values():
            if dom.live is None:
                continue
            for source in dom.live.findall("devices/interface/source/address") + dom.live.findall(
                    "devices/hostdev/source/address"):
                if _address_of(source) == vf:
                    return dom.name()
        return None

    def free_vf(self, network):
        for vf in self.networks[network]["pool"]:
            if self.holder(vf) is None:
                return vf
        raise libvirtError("network '%s' requires exclusive access to interfaces, but none are available" % network,
                           code=1)


def make_host_sysfs(root, pf="0000:01:00.0", netdev="enp1s0", vfs=(), numa_node=0, cpus_per_node=None,
                    shared_group=None):
    """A sysfs tree of one PF and its VFs (each alone in an IOMMU group, bound to no driver).

    shared_group: (vf address, neighbour address, neighbour driver) puts a host device in that VF's group.
    cpus_per_node: {node: "0-3"} writes devices/system/node/nodeN/cpulist.
    """
    import os

    root = str(root)
    devices = os.path.join(root, "bus", "pci", "devices")
    groups = os.path.join(root, "kernel", "iommu_groups")
    os.makedirs(devices)
    os.makedirs(os.path.join(root, "class", "net", netdev))
    os.makedirs(os.path.join(root, "bus", "pci", "drivers"))

    def write(path, value):
        with open(path, "w") as handle:
            handle.write(value + "\n")

    def function(address, group, klass="0x020000", driver=None):
        path = os.path.join(devices, address)
        os.makedirs(path)
        for name, value in (("vendor", "0x8086"), ("device", "0x10ca"), ("class", klass),
                            ("numa_node", str(numa_node))):
            write(os.path.join(path, name), value)
        os.makedirs(os.path.join(groups, str(group), "devices"), exist_ok=True)
        os.symlink("../../../../bus/pci/devices/" + address, os.path.join(groups, str(group), "devices", address))
        os.symlink("../../../kernel/iommu_groups/%d" % group, os.path.join(path, "iommu_group"))
        if driver:
            os.makedirs(os.path.join(root, "bus", "pci", "drivers", driver), exist_ok=True)
            os.symlink("../../../bus/pci/drivers/" + driver, os.path.join(path, "driver"))
        return path

    pf_path = function(pf, 1, driver="igb")
    write(os.path.join(pf_path, "sriov_totalvfs"), "7")
    write(os.path.join(pf_path, "sriov_numvfs"), str(len(vfs)))
    os.makedirs(os.path.join(pf_path, "net", netdev))
    os.symlink("../../../bus/pci/devices/" + pf, os.path.join(root, "class", "net", netdev, "device"))
    for index, vf in enumerate(vfs):
        vf_path = function(vf, 10 + index)
        os.symlink("../" + pf, os.path.join(vf_path, "physfn"))
        os.symlink("../" + vf, os.path.join(pf_path, "virtfn%d" % index))
    if shared_group:
        vf, neighbour, driver = shared_group
        group = 10 + list(vfs).index(vf)
        function(neighbour, group, driver=driver)
    for node, cpulist in (cpus_per_node or {}).items():
        path = os.path.join(root, "devices", "system", "node", "node%d" % node)
        os.makedirs(path)
        write(os.path.join(path, "cpulist"), cpulist)
    return root
