# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake SR-IOV host for the sriov_vf tests: a sysfs tree laid out like the kernel's, plus a
fake kernel that reacts to writes the way igb/igbvf and the PCI core do, and a fake `ip`.

The fake kernel is installed by replacing ``_sysfs.write_attr`` (the one write primitive), so
the code under test writes real files in the tree and the tree changes as a kernel's would:
sriov_numvfs creates and removes VF directories (EBUSY for N -> M, both non-zero),
driver_override/unbind/drivers_probe bind drivers, and errors can be injected per attribute.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs

PF_VENDOR = "0x8086"
PF_DEVICE = "0x10c9"
VF_DEVICE = "0x10ca"


def _vf_address(bus, index):
    devfn = 0x80 + 2 * index  # igb: VF offset 128, stride 2 -> 01:10.0, 01:10.2, ...
    return "0000:%02x:%02x.%x" % (bus, devfn >> 3, devfn & 7)


def default_vf_link():
    return {"mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0, "protocol": "802.1Q", "spoofchk": True,
            "trust": False, "link_state": "auto", "min_tx": 0, "max_tx": 0}


class FakeHost(object):
    """Two igb PFs (enp1s0 at 0000:01:00.0, enp2s0 at 0000:02:00.0), a virtio management NIC,
    and a PCI bridge with an e1000 in IOMMU group 90 (`shared_group_vf` puts VF 0 of enp1s0
    in that group too)."""

    def __init__(self, base, totalvfs=7, numvfs=0, autoprobe=True, shared_group_vf=False,
                 default_route_dev="mgmt0", ssh_server_ip="10.0.2.15", ssh_dev="mgmt0"):
        self.base = str(base)
        self.root = os.path.join(self.base, "sys")
        self.proc = os.path.join(self.base, "proc")
        self.totalvfs = totalvfs
        self.shared_group_vf = shared_group_vf
        self.default_route_dev = default_route_dev
        self.ssh_server_ip = ssh_server_ip
        self.ssh_dev = ssh_dev
        self.errors = {}  # attribute name (or "ip") -> errno to raise on write
        self.ignore_trust = False
        self.writes = []
        self.calls = []
        self.links = {}  # ifname -> {index: ip settings}
        self.next_group = [20]
        os.makedirs(self.proc)
        for drv in ("igb", "igbvf", "vfio-pci", "e1000", "virtio-pci", "pcieport"):
            self._mkdir("bus/pci/drivers/" + drv)
        self._mkdir("class/net")
        self._mkdir("kernel/iommu_groups")
        self.top = "devices/pci0000:00"
        self._function(self.top + "/0000:00:02.0", "0000:00:02.0", "0x1af4", "0x1000", 1, "virtio-pci",
                       netdev="mgmt0")
        for bus in (1, 2):
            rp = self.top + "/0000:00:%02x.0" % (3 + bus)
            self._function(rp, "0000:00:%02x.0" % (3 + bus), "0x1b36", "0x000c", 1 + bus, "pcieport",
                           cls="0x060400")
            pf = "0000:%02x:00.0" % bus
            pf_path = rp + "/" + pf
            self._function(pf_path, pf, PF_VENDOR, PF_DEVICE, 10 + bus, "igb", netdev="enp%ds0" % bus)
            self._file(pf_path + "/sriov_totalvfs", str(totalvfs))
            self._file(pf_path + "/sriov_numvfs", "0")
            self._file(pf_path + "/sriov_drivers_autoprobe", "1" if autoprobe else "0")
            self.links["enp%ds0" % bus] = {}
        br = self.top + "/0000:00:1f.0"
        self._function(br, "0000:00:1f.0", "0x1b36", "0x000e", 90, None, cls="0x060400")
        self._function(br + "/0000:30:01.0", "0000:30:01.0", "0x8086", "0x100e", 90, "e1000", netdev="ens1")
        if numvfs:
            self.set_numvfs("0000:01:00.0", numvfs)

    # -- tree building -----------------------------------------------------------------------------
    def _abs(self, rel):
        return os.path.join(self.root, rel)

    def _mkdir(self, rel):
        if not os.path.isdir(self._abs(rel)):
            os.makedirs(self._abs(rel))

    def _file(self, rel, text):
        self._mkdir(os.path.dirname(rel))
        with open(self._abs(rel), "w") as handle:
            handle.write(text + "\n")

    def _link(self, rel, target_rel):
        self._mkdir(os.path.dirname(rel))
        path = self._abs(rel)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(os.path.relpath(self._abs(target_rel), os.path.dirname(path)), path)

    def _unlink(self, rel):
        if os.path.lexists(self._abs(rel)):
            os.unlink(self._abs(rel))

    def _function(self, path, address, vendor, device, group, driver, netdev=None, cls="0x020000"):
        self._mkdir(path)
        for name, value in (("vendor", vendor), ("device", device), ("class", cls), ("numa_node", "-1"),
                            ("subsystem_vendor", vendor), ("subsystem_device", "0x0000"),
                            ("driver_override", "(null)")):
            self._file(path + "/" + name, value)
        self._link("bus/pci/devices/" + address, path)
        if group is not None:
            self._link(path + "/iommu_group", "kernel/iommu_groups/%d" % group)
            self._link("kernel/iommu_groups/%d/devices/%s" % (group, address), path)
        if driver:
            self.bind_driver(address, driver)
        if netdev:
            self._file(path + "/net/%s/address" % netdev, "52:54:00:00:00:01")
            # as the kernel spells it: device -> ../../../<address>
            os.symlink("../../../" + address, self._abs(path + "/net/%s/device" % netdev))
            self._link("class/net/" + netdev, path + "/net/" + netdev)

    def dev_path(self, address):
        return os.path.relpath(os.path.realpath(self._abs("bus/pci/devices/" + address)), self.root)

    def bind_driver(self, address, driver):
        path = self.dev_path(address) if os.path.lexists(self._abs("bus/pci/devices/" + address)) else None
        self._link(path + "/driver", "bus/pci/drivers/" + driver)
        self._link("bus/pci/drivers/%s/%s" % (driver, address), path)

    def unbind_driver(self, address):
        driver = self.driver_of(address)
        if driver:
            self._unlink(self.dev_path(address) + "/driver")
            self._unlink("bus/pci/drivers/%s/%s" % (driver, address))

    def driver_of(self, address):
        path = self._abs(self.dev_path(address) + "/driver")
        return os.path.basename(os.readlink(path)) if os.path.lexists(path) else None

    def read(self, rel):
        with open(self._abs(rel)) as handle:
            return handle.read().strip()

    def pf_rel(self, pf):
        return self.dev_path(pf)

    def vf_addresses(self, pf="0000:01:00.0"):
        return _sysfs.list_vfs(self.root, pf)

    # -- the fake kernel -----------------------------------------------------------------------------
    def set_numvfs(self, pf, count):
        pf_path = self.pf_rel(pf)
        bus = int(pf.split(":")[1], 16)
        ifname = "enp%ds0" % bus
        current = int(self.read(pf_path + "/sriov_numvfs"))
        if current and count:
            raise OSError(errno.EBUSY, "Device or resource busy")
        rp_path = os.path.dirname(pf_path)
        for index in range(current):
            address = _vf_address(bus, index)
            self.unbind_driver(address)
            group = os.path.basename(os.readlink(self._abs(self.dev_path(address) + "/iommu_group")))
            self._unlink("kernel/iommu_groups/%s/devices/%s" % (group, address))
            vf_path = self.dev_path(address)
            if os.path.isdir(self._abs(vf_path + "/net")):
                for name in os.listdir(self._abs(vf_path + "/net")):
                    self._unlink("class/net/" + name)
            self._unlink("bus/pci/devices/" + address)
            self._unlink(pf_path + "/virtfn%d" % index)
            for dirpath, dirnames, filenames in os.walk(self._abs(vf_path), topdown=False):
                for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                    os.unlink(os.path.join(dirpath, name))
                for name in dirnames:
                    if os.path.isdir(os.path.join(dirpath, name)):
                        os.rmdir(os.path.join(dirpath, name))
            os.rmdir(self._abs(vf_path))
        self.links[ifname] = {}
        autoprobe = self.read(pf_path + "/sriov_drivers_autoprobe") == "1"
        for index in range(count):
            address = _vf_address(bus, index)
            vf_path = rp_path + "/" + address
            if self.shared_group_vf and bus == 1 and index == 0:
                group = 90
            else:
                group = self.next_group[0]
                self.next_group[0] += 1
            self._function(vf_path, address, PF_VENDOR, VF_DEVICE, group, None)
            self._link(vf_path + "/physfn", pf_path)
            self._link(pf_path + "/virtfn%d" % index, vf_path)
            if autoprobe:
                self.probe(address)
            self.links[ifname][index] = default_vf_link()
        self._file(pf_path + "/sriov_numvfs", str(count))

    def probe(self, address):
        if self.driver_of(address):
            return
        override = self.read(self.dev_path(address) + "/driver_override")
        driver = override if override != "(null)" else "igbvf"
        if os.path.isdir(self._abs("bus/pci/drivers/" + driver)):
            self.bind_driver(address, driver)

    def write_attr(self, path, value):
        """Replaces _sysfs.write_attr: what the kernel does on each write."""
        rel = os.path.relpath(path, self.root)
        value = str(value)
        self.writes.append((rel, value))
        name = os.path.basename(rel)
        if name in self.errors:
            raise OSError(self.errors[name], os.strerror(self.errors[name]))
        if name == "sriov_numvfs":
            pf = os.path.basename(os.path.dirname(rel))
            self.set_numvfs(pf, int(value))
        elif name == "sriov_drivers_autoprobe":
            self._file(rel, value)
        elif name == "driver_override":
            self._file(rel, value.strip() or "(null)")
        elif name == "unbind":
            self.unbind_driver(value)
        elif name == "drivers_probe":
            self.probe(value)
        else:
            raise AssertionError("unexpected write to %s" % rel)

    # -- the fake commands -------------------------------------------------------------------------
    def ip_link_json(self, ifname):
        vfs = []
        for index, vf in sorted(self.links.get(ifname, {}).items()):
            entry = {"vf": index, "link_type": "ether", "address": vf["mac"],
                     "rate": {"max_tx": vf["max_tx"], "min_tx": vf["min_tx"]},
                     "spoofchk": vf["spoofchk"], "link_state": vf["link_state"], "trust": vf["trust"],
                     "query_rss_en": False}
            if vf["vlan"]:
                item = {"vlan": vf["vlan"]}
                if vf["qos"]:
                    item["qos"] = vf["qos"]
                if vf["protocol"] != "802.1Q":
                    item["protocol"] = vf["protocol"]
                entry["vlan_list"] = [item]
            vfs.append(entry)
        link = {"ifindex": 3, "ifname": ifname, "flags": ["BROADCAST", "MULTICAST"], "mtu": 1500,
                "operstate": "DOWN", "address": "52:54:00:12:34:56", "num_vf": len(vfs)}
        if vfs:
            link["vfinfo_list"] = vfs
        return json.dumps([link])

    def ip_set_vf(self, argv):
        ifname, index = argv[4], int(argv[6])
        if "ip" in self.errors:
            return 2, "", "RTNETLINK answers: %s\n" % os.strerror(self.errors["ip"])
        vf = self.links[ifname][index]
        words = argv[7:]
        pairs = dict(zip(words[::2], words[1::2]))
        if "vlan" in pairs:
            vf["vlan"] = int(pairs["vlan"])
            vf["qos"] = int(pairs.get("qos", 0))
            vf["protocol"] = pairs.get("proto", "802.1Q")
        for key in ("mac", "link_state"):
            if key in pairs:
                vf[key] = pairs[key]
        if "state" in pairs:
            vf["link_state"] = pairs["state"]
        if "spoofchk" in pairs:
            vf["spoofchk"] = pairs["spoofchk"] == "on"
        if "trust" in pairs and not self.ignore_trust:
            vf["trust"] = pairs["trust"] == "on"
        if "min_tx_rate" in pairs:
            vf["min_tx"] = int(pairs["min_tx_rate"])
        if "max_tx_rate" in pairs:
            vf["max_tx"] = int(pairs["max_tx_rate"])
        return 0, "", ""

    def runner(self, argv):
        assert isinstance(argv, list) and all(isinstance(arg, str) for arg in argv), argv
        self.calls.append(list(argv))
        if argv[:6] == ["ip", "-d", "-j", "link", "show", "dev"]:
            return 0, self.ip_link_json(argv[6]), ""
        if argv[:3] == ["ip", "link", "set"]:
            return self.ip_set_vf(argv)
        if argv[:2] == ["ip", "-j"] and argv[3:] == ["route", "show", "default"]:
            if argv[2] == "-4" and self.default_route_dev:
                return 0, json.dumps([{"dst": "default", "gateway": "10.0.2.2", "dev": self.default_route_dev}]), ""
            return 0, "[]", ""
        if argv == ["ip", "-j", "addr", "show"]:
            return 0, json.dumps([{"ifname": name, "addr_info": [{"family": "inet", "local": self.ssh_server_ip}]
                                   if name == self.ssh_dev else []} for name in ("mgmt0", "enp1s0", "enp2s0")]), ""
        if argv[0] == "modinfo":
            return (0, "/lib/modules/x/%s.ko" % argv[-1], "") if argv[-1] in ("vfio-pci", "igbvf") else (
                1, "", "modinfo: ERROR: Module %s not found." % argv[-1])
        if argv[0] == "modprobe":
            self._mkdir("bus/pci/drivers/" + argv[-1])
            return 0, "", ""
        raise AssertionError("unexpected command %r" % (argv,))

    # -- /proc for the vfio guard ----------------------------------------------------------------
    def hold_vfio_group(self, pid, group):
        fd_dir = os.path.join(self.proc, str(pid), "fd")
        os.makedirs(fd_dir)
        os.symlink("/dev/vfio/%s" % group, os.path.join(fd_dir, "5"))
        os.symlink("/dev/null", os.path.join(fd_dir, "0"))

    def snapshot(self):
        """Every file and link in the tree with its content or target (to prove nothing changed)."""
        result = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, self.root)
                if os.path.islink(path):
                    result[rel] = "-> " + os.readlink(path)
                elif os.path.isfile(path):
                    with open(path) as handle:
                        result[rel] = handle.read()
        return result


def install(monkeypatch, host):
    """Route every sysfs write through the fake kernel."""
    monkeypatch.setattr(_sysfs, "write_attr", host.write_attr)
    return host
