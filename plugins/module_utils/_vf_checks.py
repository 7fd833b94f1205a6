# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VfChecks: the whole request validated against the PF's current state (step 2 of ``_vf``).

MACs unique across every VF and netdev of the host, rates within the PF's link speed, MTUs within
the drivers' ranges, drivers known on the host. Nothing is written when any of it fails.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._vf_links import normalise_link
from ansible_collections.directiron.sriov.plugins.module_utils._vf_state import VfState
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs


class VfChecks(VfState):
    """Validation against the state ``VfState`` read."""

    # -- 2. validation against the current state ------------------------------------------------
    def field_of(self, vf_id, key):
        """``vfs[N].key`` with N the entry's position in the request as written."""
        where = _spec.position_of(self.raw_params.get("vfs") or [], vf_id)
        return where if where == "vfs" else "%s.%s" % (where, key)

    def validate(self):
        params = self.params
        needs_link = any(any(vf.get(key) is not None for key in _spec.VF_LINK_KEYS) for vf in params["vfs"])
        if needs_link and not self.netdev:
            raise SriovError("PF %s has no network interface, so per-VF settings cannot be applied "
                             "(is it bound to its network driver?)" % self.pf, field="vfs")
        for vf in params["vfs"]:
            if vf["driver"]:
                self.check_driver(vf["driver"], self.field_of(vf["id"], "driver"))
        if params["vf_driver"]:
            self.check_driver(params["vf_driver"], "vf_driver")
        self.check_macs()
        self.check_rates()
        self.check_mtus()

    def check_mtu_bounds(self, mtu, ifname, field):
        """An MTU within what the driver reports for the netdev (``ip -d``: min_mtu, max_mtu)."""
        link = self.host_links.get(ifname) or {}
        low, high = link.get("min_mtu"), link.get("max_mtu")
        if isinstance(high, int) and high and mtu > high:
            raise SriovError("%s %d is above the max_mtu %d of %s" % (field, mtu, high, ifname), field=field)
        if isinstance(low, int) and mtu < low:
            raise SriovError("%s %d is below the min_mtu %d of %s" % (field, mtu, low, ifname), field=field)

    def check_mtus(self):
        """The PF's MTU within its driver's range; a VF's within its own and not above the PF's; a VF
        MTU only for a VF that has (or gets) a host netdev."""
        params = self.params
        if params["mtu"] is not None:
            if not self.netdev:
                raise SriovError("mtu: PF %s has no network interface" % self.pf, field="mtu")
            self.check_mtu_bounds(params["mtu"], self.netdev, "mtu")
        pf_mtu = params["mtu"] if params["mtu"] is not None else _sysfs.netdev_mtu(self.root, self.netdev)
        for vf in params["vfs"]:
            if vf["mtu"] is None:
                continue
            field = self.field_of(vf["id"], "mtu")
            if pf_mtu is not None and vf["mtu"] > pf_mtu:
                raise SriovError("%s %d is above the MTU %d of the PF %s: the PF carries the VF's frames"
                                 % (field, vf["mtu"], pf_mtu, self.netdev), field=field)
            want = _spec.wanted_driver(params, vf["id"])
            if self.recreate:
                if want is None or want == _rules.DEFAULT_DRIVER:
                    if not self.autoprobe:
                        raise SriovError("%s: the new VF %d gets no driver (drivers_autoprobe is off), so no netdev "
                                         "to set the MTU on" % (field, vf["id"]), field=field)
                continue
            netdev = self.vf_netdev(self.vfs.get(vf["id"]))
            if netdev:
                self.check_mtu_bounds(vf["mtu"], netdev, field)
            elif want is None:
                raise SriovError("%s: VF %d has no host netdev (driver %s) to set the MTU on; give it a host driver"
                                 % (field, vf["id"], (self.vfs.get(vf["id"]) or {}).get("driver") or "none"),
                                 field=field)

    def check_driver(self, driver, field):
        """The driver exists on this host (loaded, or a module modprobe can load); else refuse."""
        if driver == _rules.DEFAULT_DRIVER:
            return
        if _sysfs.driver_present(self.root, driver):
            return
        # A module name whose PCI driver is spelled differently (mlx5-core vs mlx5_core).
        for other in (driver.replace("_", "-"), driver.replace("-", "_")):
            if other != driver and _sysfs.driver_present(self.root, other):
                raise SriovError("%s %r is not a PCI driver on this host: did you mean %s?" % (field, driver, other),
                                 field=field)
        try:
            rc, _out, _err = self.runner(["modinfo", "-n", driver])
        except OSError:
            rc = 1
        if rc != 0:
            raise SriovError("%s: driver %r is unknown on this host (not in /sys/bus/pci/drivers, no kernel "
                             "module of that name); use 'default', 'vfio-pci' or an installed driver"
                             % (field, driver), field=field)

    def mac_owners(self):
        """{mac: who has it} over every VF and every netdev of the host, except what this run replaces.

        A VF netdev of this PF keeps its MAC unless this run sets that VF (or recreates them all):
        another VF may not be given it.
        """
        owners = {}
        own_vf_netdevs = set()
        for index, function in self.vfs.items():
            if self.recreate or index in self.wanted_vfs:
                own_vf_netdevs.update(function.get("netdevs") or [])
        for ifname, link in sorted(self.host_links.items()):
            for index, settings in sorted((link.get("vfs") or {}).items()):
                if ifname == self.netdev and (self.recreate or index in self.wanted_vfs):
                    continue  # reset by the new VF count, or set by this request
                mac = (settings.get("mac") or "").lower()
                if mac and mac != "00:00:00:00:00:00":
                    owners.setdefault(mac, "VF %s of %s" % (index, ifname))
        for ifname, link in sorted(self.host_links.items()):
            mac = (link.get("address") or "").lower()
            if mac and ifname not in own_vf_netdevs:
                owners.setdefault(mac, "the network interface %s" % ifname)
        return owners

    def check_macs(self):
        if not any(vf["mac"] for vf in self.params["vfs"]):
            return
        owners = self.mac_owners()
        for vf in self.params["vfs"]:
            if vf["mac"] and vf["mac"] in owners:
                raise SriovError("%s %s is already used by %s on this host: give each VF a MAC of its own"
                                 % (self.field_of(vf["id"], "mac"), vf["mac"], owners[vf["mac"]]),
                                 field=self.field_of(vf["id"], "mac"))

    def check_rates(self):
        """Rates against the PF's link speed, when the host knows it (link up)."""
        speed = _sysfs.netdev_state(self.root, self.pf, self.netdev).get("speed") if self.netdev else None
        if not speed:
            return
        for vf in self.params["vfs"]:
            for key in ("min_tx_rate", "max_tx_rate"):
                if vf[key] and vf[key] > speed:
                    raise SriovError("%s %d Mbit/s is above the link speed of %s (%s Mbit/s)"
                                     % (self.field_of(vf["id"], key), vf[key], self.netdev, speed),
                                     field=self.field_of(vf["id"], key))
        total = 0
        for index in range(self.target):
            wanted = (self.wanted_vfs.get(index) or {}).get("min_tx_rate")
            current = 0 if self.recreate else normalise_link(self.links.get(index)).get("min_tx_rate") or 0
            total += wanted if wanted is not None else current
        if total > speed:
            first = [vf["id"] for vf in self.params["vfs"] if vf["min_tx_rate"]]
            field = self.field_of(first[0], "min_tx_rate") if first else "vfs"
            raise SriovError("the minimum rates of the VFs of %s add up to %d Mbit/s, above its link speed of %s "
                             "Mbit/s" % (self.netdev, total, speed), field=field)
