# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What would break if a PF or VF were touched: the guards of ``sriov_vf``.

Each guard returns a list of problems (plain sentences naming the device and what breaks);
``_vf.apply_pf`` refuses with all of them unless ``force: true`` (then they become warnings).

A guard set is any object with these three methods (tests pass fakes):

- ``management_problems(netdevs)``: netdevs (PF or VF names) that carry a default route or the
  address of the Ansible connection, directly or under a bridge/bond/VLAN built on them;
- ``in_use_problems(vfs)``: VFs (dicts with ``address`` and ``iommu_group``) attached to a
  running libvirt domain or whose ``/dev/vfio/<group>`` is held open by a process;
- ``iommu_group_problems(vf, group, to_vfio)``: devices sharing the VF's IOMMU group still
  bound to a host driver, which would block vfio-pci (``to_vfio``: addresses that this request
  binds to vfio-pci too).

``HostGuards`` is the real set. The boot-time replay has no Ansible connection, and the
network is not up yet when it runs, so it builds ``HostGuards(runner, sysfs_root,
management=False)``: the default-route/connection guard is off, the others stay on.
``NoGuards`` accepts everything.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs


class NoGuards(object):
    """A guard set that never objects (tests, or a caller that already checked)."""

    def management_problems(self, netdevs):
        return []

    def in_use_problems(self, vfs):
        return []

    def iommu_group_problems(self, vf, group, to_vfio):
        return []

    def domain_holding(self, address):
        return None


def _json_or_empty(text):
    try:
        data = json.loads(text or "[]")
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def connection_address(environ):
    """The host-side address of the SSH connection Ansible runs over, or None."""
    parts = (environ.get("SSH_CONNECTION") or "").split()
    if len(parts) >= 3:
        address = parts[2]
        # An IPv4-mapped IPv6 address is how sshd may report an IPv4 peer.
        if address.startswith("::ffff:") and "." in address:
            address = address[len("::ffff:"):]
        return address.split("%")[0]
    return None


def parse_default_routes(route_json):
    """Netdevs named by `ip -j route show default` output."""
    devs = []
    for route in _json_or_empty(route_json):
        if isinstance(route, dict):
            if route.get("dev"):
                devs.append(route["dev"])
            for hop in route.get("nexthops") or []:
                if isinstance(hop, dict) and hop.get("dev"):
                    devs.append(hop["dev"])
    return devs


def parse_address_owner(addr_json, address):
    """The netdev(s) holding `address` in `ip -j addr show` output."""
    owners = []
    for link in _json_or_empty(addr_json):
        if not isinstance(link, dict):
            continue
        for info in link.get("addr_info") or []:
            if isinstance(info, dict) and info.get("local") == address and link.get("ifname"):
                owners.append(link["ifname"])
    return owners


def parse_domain_pci_addresses(xml_text):
    """PCI addresses (0000:01:10.0 form) of <hostdev> and <interface type='hostdev'> sources."""
    addresses = []
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError:
        return addresses
    for node in root.iter("source"):
        for addr in node.iter("address"):
            address = _rules.xml_pci_address(addr)
            if address:
                addresses.append(address)
    return addresses


class HostGuards(object):
    """The real guards, reading the running host through `runner`, sysfs and /proc."""

    def __init__(self, runner, sysfs_root="/sys", proc_root="/proc", environ=None,
                 management=True, libvirt=True, virsh=None):
        self.runner = runner
        self.sysfs_root = sysfs_root
        self.proc_root = proc_root
        self.environ = os.environ if environ is None else environ
        self.management = management
        self.libvirt = libvirt
        self.virsh = virsh
        self._management = None
        self._domains = None
        self._open_groups = None
        self.notes = []

    # -- management connection and default route -------------------------------------------
    def _ip_json(self, argv):
        try:
            rc, out, _err = self.runner(argv)
        except OSError:
            return "[]"
        return out if rc == 0 else "[]"

    def management_netdevs(self):
        """{netdev: reason} for every netdev carrying a default route or the connection address."""
        if self._management is not None:
            return self._management
        carriers = {}
        for family in ("-4", "-6"):
            for dev in parse_default_routes(self._ip_json(["ip", "-j", family, "route", "show", "default"])):
                carriers.setdefault(dev, "carries the host's default route (%s)" % ("IPv4" if family == "-4" else "IPv6"))
        address = connection_address(self.environ)
        if address:
            for dev in parse_address_owner(self._ip_json(["ip", "-j", "addr", "show"]), address):
                carriers[dev] = "carries %s, the address of the Ansible connection" % address
        result = {}
        for dev, reason in carriers.items():
            for lower in sorted(_sysfs.lower_netdevs(self.sysfs_root, dev)):
                result.setdefault(lower, reason if lower == dev else "%s (through %s)" % (reason, dev))
        self._management = result
        return result

    def management_problems(self, netdevs):
        if not self.management:
            return []
        carriers = self.management_netdevs()
        return ["%s %s: touching it could cut this host off" % (dev, carriers[dev])
                for dev in netdevs if dev in carriers]

    # -- VFs in use ----------------------------------------------------------------------------
    def _virsh_path(self):
        if self.virsh:
            return self.virsh
        return shutil.which("virsh", path=self.environ.get("PATH", os.defpath) + ":/usr/bin:/usr/sbin")

    def running_domain_devices(self):
        """{pci address: domain name} for PCI devices handed to running libvirt domains."""
        if self._domains is not None:
            return self._domains
        self._domains = {}
        virsh = self._virsh_path() if self.libvirt else None
        if not virsh:
            return self._domains
        try:
            rc, out, err = self.runner([virsh, "-c", _rules.LIBVIRT_URI, "list", "--name", "--state-running"])
        except OSError:
            return self._domains
        if rc != 0:
            self.notes.append("libvirt not checked for VFs in use: %s" % (err or out).strip())
            return self._domains
        for name in [line.strip() for line in out.splitlines() if line.strip()]:
            try:
                rc, xml_text, _err = self.runner([virsh, "-c", _rules.LIBVIRT_URI, "dumpxml", "--", name])
            except OSError:
                continue
            if rc == 0:
                for address in parse_domain_pci_addresses(xml_text):
                    self._domains[address] = name
        return self._domains

    def open_vfio_groups(self):
        """{group (str): [pid, ...]} of /dev/vfio/<group> files held open by any process."""
        if self._open_groups is not None:
            return self._open_groups
        groups = {}
        try:
            pids = [name for name in os.listdir(self.proc_root) if _rules.is_ascii_number(name)]
        except OSError:
            pids = []
        for pid in pids:
            fd_dir = os.path.join(self.proc_root, pid, "fd")
            try:
                fds = os.listdir(fd_dir)
            except OSError:
                continue  # the process ended, or we may not look
            for fd in fds:
                try:
                    target = os.readlink(os.path.join(fd_dir, fd))
                except OSError:
                    continue
                match = re.match(r"^/dev/vfio/([0-9]+)\Z", target)
                if match:
                    holders = groups.setdefault(match.group(1), [])
                    if int(pid) not in holders:
                        holders.append(int(pid))
        self._open_groups = groups
        return groups

    def domain_holding(self, address):
        """The running libvirt domain a PCI function is handed to, or None."""
        return self.running_domain_devices().get(address)

    def in_use_problems(self, vfs):
        problems = []
        domains = self.running_domain_devices() if vfs else {}
        groups = self.open_vfio_groups() if vfs else {}
        for vf in vfs:
            address = vf.get("address")
            if address in domains:
                problems.append("VF %s is attached to the running libvirt domain %s" % (address, domains[address]))
            group = vf.get("iommu_group")
            if group is not None and str(group) in groups:
                problems.append("VF %s: /dev/vfio/%s is held open by process(es) %s (a guest or a vfio user)"
                                % (address, group, ", ".join(str(pid) for pid in sorted(groups[str(group)]))))
        return problems

    # -- IOMMU group sharing -------------------------------------------------------------------
    def iommu_group_problems(self, vf, group, to_vfio):
        """The group's blockers by the one assignability rule (``_sysfs.assignment_verdict``)."""
        verdict, functions = _sysfs.group_verdict(self.sysfs_root, vf, group, assigned_with=to_vfio)
        if verdict is None:
            return []  # vanished: binding it fails with its own error
        if verdict["assignable"]:
            return []
        if not verdict["blocked_by"]:
            return ["VF %s: %s" % (vf, verdict["reason"])]
        return ["VF %s shares IOMMU group %s with %s, still bound to host driver %s: vfio-pci needs the whole group"
                % (vf, group, address, functions[address]["driver"]) for address in verdict["blocked_by"]]
