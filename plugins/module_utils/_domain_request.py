# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VF interface request for one libvirt domain, checked before anything changes.

``GuestInterfaceRequest`` is the base of ``_domain.GuestInterfaceManager`` (module
``sriov_guest_interface``): every field validated (``validate``, the failover partner too), the VF
resolved on the host (``pf`` + ``vf_index``, a VF and not a PF, assignable alone through
``_sysfs.group_verdict``, its NUMA node against the domain's), and what libvirt must hold first
(the domain, the networks, the VF not given to another running domain). The manager converges.

Pure standard library: the ``libvirt`` binding is handed in by the caller, sysfs is read through
``_sysfs``. Failures are ``SriovError``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import domain_device_map, domain_numa_nodes
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import (
    VIR_ERR_NO_DOMAIN, VIR_ERR_NO_NETWORK, error_code)

# libvirt accepts user aliases only with this prefix (formatdomain.html#device-addresses, "alias")
USER_ALIAS_RE = _rules.USER_ALIAS_RE
SOURCES = ("network", "vf", "pf")


class GuestInterfaceRequest(object):
    """The wanted VF interface of one domain, validated and checked against the host and libvirt.

    ``self.conn`` is the open libvirt connection while the libvirt checks run (the manager opens it).
    """

    def __init__(self, libvirt_mod, params, check_mode=False, sysfs=None, sleep=time.sleep, clock=time.time):
        self.libvirt = libvirt_mod
        self.params = dict(params)
        self.check_mode = check_mode
        self.sysfs = sysfs or _sysfs
        self.sleep = sleep
        self.clock = clock
        self.actions = []
        self.warnings = []
        self.conn = None

    # -- inputs ---------------------------------------------------------------------------------

    def validate(self):
        """Every field checked before libvirt is touched; returns the normalised wanted state."""
        params = self.params
        domain = params.get("domain")
        if not isinstance(domain, str) or not domain.strip() or "/" in domain:
            raise SriovError("domain %r must be the name of a libvirt domain" % (domain,), field="domain")
        state = params.get("state") or "present"
        given = [key for key in SOURCES if params.get(key) not in (None, "")]
        if params.get("vf_index") is not None and "pf" not in given:
            raise SriovError("vf_index needs pf (the PF whose VF it numbers)", field="vf_index")
        if "pf" in given and params.get("vf_index") is None:
            raise SriovError("pf needs vf_index (which of its VFs to give the domain)", field="pf")
        if len(given) > 1:
            raise SriovError("give one of network, vf or pf+vf_index, not %s" % " and ".join(given), field=given[1])
        if not given and (state == "present" or not params.get("mac")):
            raise SriovError("state=%s needs network (a VF pool), vf (a PCI address) or pf+vf_index%s"
                             % (state, "" if state == "present" else ", or mac"), field="network")
        wanted = {"network": None, "vf": None, "pf": None, "mac": None, "vlan": None, "alias": None,
                  "failover": None}
        network = params.get("network")
        if network:
            if not _rules.NETWORK_NAME_RE.match(network):
                raise SriovError("network %r may only contain letters, digits and _.+- (1-64 characters)" % network,
                                 field="network")
            wanted["network"] = network
        vf = params.get("vf")
        if vf:
            if not _rules.is_pci_address(vf, any_case=True):
                raise SriovError("vf %r is not a PCI address (domain:bus:slot.function, e.g. 0000:01:10.0)" % vf,
                                 field="vf")
            wanted["vf"] = _rules.format_pci_address(_rules.parse_pci_address(vf))
        if "pf" in given:
            index = params["vf_index"]
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise SriovError("vf_index must be a non-negative integer, got %r" % (index,), field="vf_index")
            wanted["pf"] = params["pf"]
        mac = params.get("mac")
        if mac:
            if not isinstance(mac, str) or not _rules.MAC_RE.match(mac):
                raise SriovError("mac %r is not a MAC address (six colon-separated hex octets)" % (mac,), field="mac")
            if int(mac.split(":")[0], 16) & 1:
                raise SriovError("mac %s is a multicast address; a NIC needs a unicast one" % mac, field="mac")
            wanted["mac"] = mac.lower()
        vlan = params.get("vlan")
        if vlan is not None:
            if isinstance(vlan, bool) or not isinstance(vlan, int) or not 0 <= vlan <= _rules.MAX_VLAN:
                raise SriovError("vlan %r must be an integer 0..%d" % (vlan, _rules.MAX_VLAN), field="vlan")
            wanted["vlan"] = vlan
        alias = params.get("alias")
        if alias:
            if not USER_ALIAS_RE.match(alias):
                raise SriovError("alias %r must start with 'ua-' followed by letters, digits, _ or - (libvirt's "
                                 "user alias rule)" % alias, field="alias")
            wanted["alias"] = alias
        failover = params.get("failover")
        if failover:
            wanted["failover"] = self._validate_failover(failover, wanted)
        return wanted

    def _validate_failover(self, failover, wanted):
        if not isinstance(failover, dict):
            raise SriovError("failover must be a dict like {network: default}", field="failover")
        unknown = sorted(set(failover) - set(["network", "bridge", "alias"]))
        if unknown:
            raise SriovError("failover has unknown keys: %s (use network or bridge, and alias)" % ", ".join(unknown),
                             field="failover." + unknown[0])
        network, bridge = failover.get("network"), failover.get("bridge")
        if bool(network) == bool(bridge):
            raise SriovError("failover needs exactly one of network or bridge (where the virtio partner connects)",
                             field="failover.network")
        if network and not _rules.NETWORK_NAME_RE.match(network):
            raise SriovError("failover.network %r may only contain letters, digits and _.+-" % network,
                             field="failover.network")
        if bridge and not _rules.is_netdev_name(bridge):
            raise SriovError("failover.bridge %r is not a bridge name" % bridge, field="failover.bridge")
        if not wanted["mac"]:
            raise SriovError("failover pairing needs mac: the VF and its virtio partner must carry the same MAC",
                             field="mac")
        alias = failover.get("alias") or "ua-backup-" + wanted["mac"].replace(":", "")
        if not USER_ALIAS_RE.match(alias):
            raise SriovError("failover.alias %r must start with 'ua-' followed by letters, digits, _ or -" % alias,
                             field="failover.alias")
        if wanted["alias"] and wanted["alias"] == alias:
            raise SriovError("alias and failover.alias must differ (both are %s)" % alias, field="failover.alias")
        return {"network": network or None, "bridge": bridge or None, "alias": alias}

    # -- host side of the VF --------------------------------------------------------------------

    def resolve_vf(self, wanted):
        """Fill in wanted["vf"] for pf+vf_index; check the VF exists. -> the VF's function dict."""
        root = self.params["sysfs_root"]
        if wanted["pf"] is not None:
            try:
                pf_address = self.sysfs.resolve_pf(root, wanted["pf"])
            except SriovError as exc:
                exc.field = "pf"
                raise
            vfs = self.sysfs.list_vfs(root, pf_address)
            index = self.params["vf_index"]
            if index not in vfs:
                raise SriovError("PF %s (%s) has no VF %d (it has %d VFs)" % (wanted["pf"], pf_address, index, len(vfs)),
                                 field="vf_index")
            wanted["vf"] = vfs[index]
        function = self.sysfs.read_function(root, wanted["vf"])
        if function is None:
            raise SriovError("no PCI function %s under %s" % (wanted["vf"], _sysfs.pci_devices_dir(root)), field="vf")
        if not function.get("physfn"):
            raise SriovError("%s is not a virtual function (it has no physfn): give a VF, or a pool network"
                             % wanted["vf"], field="vf")
        return function

    def check_assignable(self, function):
        """Refuse a VF that vfio cannot hand out alone (one rule: ``_sysfs.assignment_verdict``)."""
        address = function["address"]
        verdict, _functions = self.sysfs.group_verdict(self.params["sysfs_root"], address, function.get("iommu_group"))
        if verdict is not None and not verdict["assignable"]:
            raise SriovError("VF %s cannot be given to a guest: %s" % (address, verdict["reason"]),
                             field="vf" if self.params.get("vf") else "vf_index",
                             details={"blocked_by": verdict["blocked_by"]})
        return verdict

    def check_numa(self, function, config_root, live_root):
        root = self.params["sysfs_root"]
        pf = self.sysfs.read_function(root, function["physfn"]) if function.get("physfn") else None
        node = (pf or {}).get("numa_node")
        if node is None:
            node = function.get("numa_node")
        if node is None:
            return None
        nodes, placed_by = domain_numa_nodes(live_root if live_root is not None else config_root, root)
        if nodes is not None and node not in nodes:
            self.warnings.append("domain %s is placed on NUMA node(s) %s (%s) but VF %s belongs to PF %s on node %d: "
                                 "traffic will cross the interconnect"
                                 % (self.params["domain"], ",".join(str(n) for n in sorted(nodes)), placed_by,
                                    function["address"], function.get("physfn"), node))
        return node

    # -- libvirt --------------------------------------------------------------------------------

    def _call(self, what, func, *args):
        try:
            return func(*args)
        except self.libvirt.libvirtError as exc:
            raise SriovError("libvirt: %s failed for domain %s: %s" % (what, self.params["domain"], exc),
                             details={"actions_done": list(self.actions)})

    def lookup_domain(self):
        try:
            return self.conn.lookupByName(self.params["domain"])
        except self.libvirt.libvirtError as exc:
            if error_code(exc) == getattr(self.libvirt, "VIR_ERR_NO_DOMAIN", VIR_ERR_NO_DOMAIN):
                raise SriovError("no libvirt domain named %s at %s" % (self.params["domain"], self.params.get("uri")),
                                 field="domain")
            raise SriovError("libvirt: looking up domain %s failed: %s" % (self.params["domain"], exc))

    def check_network(self, name, field):
        try:
            self.conn.networkLookupByName(name)
        except self.libvirt.libvirtError as exc:
            if error_code(exc) == getattr(self.libvirt, "VIR_ERR_NO_NETWORK", VIR_ERR_NO_NETWORK):
                raise SriovError("no libvirt network named %s (define the pool with "
                                 "directiron.sriov.libvirt_vf_network first)" % name, field=field)
            raise SriovError("libvirt: looking up network %s failed: %s" % (name, exc))

    def check_vf_free(self, wanted):
        """Refuse a VF that another domain holds (running); warn when a shut-off one has it defined."""
        holders = domain_device_map(self.libvirt, self.conn)["vfs"]
        holder = holders.get(wanted["vf"])
        if holder is None or holder["domain"] == self.params["domain"]:
            return
        if holder["active"]:
            raise SriovError("VF %s is already given to the running domain %s" % (wanted["vf"], holder["domain"]),
                             field="vf" if self.params.get("vf") else "vf_index",
                             details={"holder": holder["domain"]})
        self.warnings.append("VF %s is also in the definition of the shut-off domain %s: only one of them can start"
                             % (wanted["vf"], holder["domain"]))
