# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt domains and the VFs they hold: the domain map, and VF interfaces given to a domain.

Pure standard library: the ``libvirt`` binding is handed in by the caller (the module imports it,
unit tests hand in a fake), sysfs is read through ``_sysfs``. Failures are ``SriovError``.

What this file owns: ``GuestInterfaceManager``, the wanted VF interface (and its failover partner)
of one domain, compared with the defined and the live domain XML, attached/detached with
AFFECT_CONFIG and AFFECT_LIVE separately. Domains as data (``interface_record``,
``domain_device_map``, ``domain_numa_nodes``) are ``_domain_read``'s; the interface elements and
their comparisons ``_domain_interfaces``'.

Shapes of libvirt's domain XML this relies on (https://libvirt.org/formatdomain.html):
- the defined (inactive) XML keeps what was attached: ``<interface type='network'>`` with
  ``<source network='NAME'/>``, or ``<interface type='hostdev' managed='yes'>`` with
  ``<source><address type='pci' .../></source>``; libvirt adds a generated MAC when none was
  given and a guest ``<address type='pci'>``;
- the live XML of a running domain shows an interface on a hostdev network as the device it got:
  ``type='hostdev'`` with the VF's ``<source><address>``; the network name is gone, the MAC stays.
  libvirt adds ``<alias name='hostdev0'/>`` (or keeps a user alias ``ua-...``), the guest address
  and ``<driver name='vfio'/>``;
- failover pairing (libvirt 6.1+): a virtio interface with ``<teaming type='persistent'/>`` and a
  user alias, plus the VF interface with ``<teaming type='transient' persistent='ALIAS'/>``, both
  with the same MAC.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import (
    _domain_xml, domain_device_map, domain_numa_nodes, interface_record, read_domain)
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import (
    VIR_ERR_NO_DOMAIN, VIR_ERR_NO_NETWORK, close_connection, error_code, open_connection)
from ansible_collections.directiron.sriov.plugins.module_utils._domain_interfaces import (
    backup_differs, backup_interface_element, find_backup_interface, find_vf_interface, snippet, vf_config_differs,
    vf_interface_element, vf_live_differs)

VIR_DOMAIN_AFFECT_LIVE = 1
VIR_DOMAIN_AFFECT_CONFIG = 2

# libvirt accepts user aliases only with this prefix (formatdomain.html#device-addresses, "alias")
USER_ALIAS_RE = _rules.USER_ALIAS_RE
SOURCES = ("network", "vf", "pf")
# ---------------------------------------------------------------------------------------------
# Manager


class GuestInterfaceManager(object):
    """Converge the VF interface (and its failover partner) of one libvirt domain.

    params: domain, state (present|absent), network | vf | pf + vf_index, mac, vlan, alias,
    failover ({network|bridge, alias}), live, unplug_timeout, uri, sysfs_root.
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

    # -- converge -------------------------------------------------------------------------------

    def run(self):
        wanted = self.validate()
        state = self.params.get("state") or "present"
        function = None
        if state == "present" and (wanted["vf"] or wanted["pf"] is not None):
            function = self.resolve_vf(wanted)
            self.check_assignable(function)
        elif wanted["pf"] is not None:
            self.resolve_vf(wanted)  # detaching by pf+vf_index needs the VF's address, not its health
        self.conn = open_connection(self.libvirt, self.params.get("uri"))
        try:
            dom = self.lookup_domain()
            current = read_domain(self.libvirt, dom)
            if state == "present":
                if wanted["network"]:
                    self.check_network(wanted["network"], "network")
                if wanted["failover"] and wanted["failover"]["network"]:
                    self.check_network(wanted["failover"]["network"], "failover.network")
                if wanted["vf"]:
                    self.check_vf_free(wanted)
            return self.converge(dom, current, wanted, state, function)
        finally:
            close_connection(self.libvirt, self.conn)

    def _elements(self, root):
        return root.findall("devices/interface") if root is not None else []

    def _locate(self, current, wanted):
        """-> {"config": (vf elem, backup elem), "live": (vf elem, backup elem)}."""
        config = self._elements(current["config_root"])
        live = self._elements(current["live_root"])
        config_vf = find_vf_interface(config, wanted)
        mac = wanted["mac"] or (interface_record(config_vf)["mac"] if config_vf is not None else None)
        live_vf = find_vf_interface(live, wanted, live=True, mac=mac) if (mac or wanted["vf"]) else None
        alias = wanted["failover"]["alias"] if wanted["failover"] else None
        return {
            "config": (config_vf, find_backup_interface(config, alias) if alias else None),
            "live": (live_vf, find_backup_interface(live, alias) if alias else None),
            "mac": mac,
        }

    def converge(self, dom, current, wanted, state, function):
        name = self.params["domain"]
        found = self._locate(current, wanted)
        do_live = current["active"] and self.params.get("live", True)
        do_config = current["persistent"]
        if function is not None and state == "present":
            self.check_numa(function, current["config_root"], current["live_root"])
        before_elems = [e for e in found["config"] if e is not None]
        if not do_config:
            before_elems = [e for e in found["live"] if e is not None]
        if state == "absent":
            self._remove(dom, found, do_live, do_config)
            after_elems = []
        else:
            after_elems = self._present(dom, found, wanted, do_live, do_config)
        after_text = snippet(after_elems)
        return {
            "changed": bool(self.actions),
            "actions": self.actions,
            "warnings": self.warnings,
            "interface": self._result(dom, wanted, state, after_text, found),
            "diff": {"before": self._diff_text(before_elems, current["active"]),
                     "after": self._diff_text(after_elems, current["active"])},
        }

    def _diff_text(self, elems, active):
        text = snippet(elems)
        return "%s<!-- domain %s: %s -->\n" % (text, self.params["domain"], "running" if active else "shut off")

    # steps ---------------------------------------------------------------------------------------

    def _flags(self, live, config=False):
        flags = 0
        if live:
            flags |= getattr(self.libvirt, "VIR_DOMAIN_AFFECT_LIVE", VIR_DOMAIN_AFFECT_LIVE)
        if config:
            flags |= getattr(self.libvirt, "VIR_DOMAIN_AFFECT_CONFIG", VIR_DOMAIN_AFFECT_CONFIG)
        return flags

    def _attach(self, dom, elem, live, config, what):
        """One call for both (libvirt then parses the device once, so a generated MAC is the same in both,
        and saves the definition only when the hot-plug worked)."""
        where = " and ".join(w for w, on in (("running", live), ("defined", config)) if on)
        self.actions.append("attached %s to the %s domain %s" % (what, where, self.params["domain"]))
        if not self.check_mode:
            self._call("attachDeviceFlags", dom.attachDeviceFlags, ET.tostring(elem, encoding="unicode"),
                       self._flags(live, config))

    def _detach(self, dom, elem, live, what):
        self.actions.append("detached %s from the %s domain %s" % (what, "running" if live else "defined",
                                                                   self.params["domain"]))
        if self.check_mode:
            return
        self._call("detachDeviceFlags", dom.detachDeviceFlags, ET.tostring(elem, encoding="unicode"),
                   self._flags(live, not live))
        if live:
            self._wait_unplugged(dom, elem)

    def _wait_unplugged(self, dom, elem):
        """A live unplug needs the guest's consent (PCI hot-unplug); wait until the device is gone."""
        record = interface_record(elem)
        deadline = self.clock() + float(self.params.get("unplug_timeout") or 0)
        while True:
            live = [interface_record(e) for e in self._elements(_domain_xml(self.libvirt, dom, 0))]
            if not any(r["mac"] == record["mac"] and r["alias"] == record["alias"] for r in live):
                return
            if self.clock() >= deadline:
                raise SriovError("domain %s has not released interface %s (MAC %s) within %ss: the guest did not "
                                 "acknowledge the PCI hot-unplug; run again once it has, or shut the domain down"
                                 % (self.params["domain"], record["alias"] or record["vf"] or "", record["mac"],
                                    self.params.get("unplug_timeout")), field="unplug_timeout",
                                 details={"actions_done": list(self.actions)})
            self.sleep(1)

    def _remove(self, dom, found, do_live, do_config):
        # VF first, then its partner: the guest's failover master keeps traffic on virtio meanwhile
        labels = ("the VF interface", "the failover virtio interface")
        if do_live:
            for elem, label in zip(found["live"], labels):
                if elem is not None:
                    self._detach(dom, elem, True, label)
        if do_config:
            for elem, label in zip(found["config"], labels):
                if elem is not None:
                    self._detach(dom, elem, False, label)

    def _present(self, dom, found, wanted, do_live, do_config):
        if not wanted["mac"] and found["mac"]:
            # keep the MAC libvirt generated when the interface was first attached
            wanted = dict(wanted, mac=found["mac"])
        new_vf = vf_interface_element(wanted)
        new_backup = backup_interface_element(wanted) if wanted["failover"] else None
        config_vf, config_backup = found["config"]
        live_vf, live_backup = found["live"]
        # stale interfaces go first (the VF before its virtio partner: the guest keeps traffic on virtio)
        live_vf_missing = live_backup_missing = False
        if do_live:
            vf_stale = live_vf is not None and vf_live_differs(interface_record(live_vf), wanted)
            backup_stale = (new_backup is not None and live_backup is not None
                            and backup_differs(interface_record(live_backup), wanted, live=True))
            if vf_stale or (backup_stale and live_vf is not None):
                self._detach(dom, live_vf, True, "the VF interface (to change it)")
                live_vf = None
            if backup_stale:
                self._detach(dom, live_backup, True, "the failover virtio interface (to change it)")
                live_backup = None
            live_vf_missing = live_vf is None
            live_backup_missing = new_backup is not None and live_backup is None
        config_vf_missing = config_backup_missing = False
        if do_config:
            if config_vf is not None and vf_config_differs(interface_record(config_vf), wanted):
                self._detach(dom, config_vf, False, "the VF interface (to change it)")
                config_vf = None
            if (new_backup is not None and config_backup is not None
                    and backup_differs(interface_record(config_backup), wanted)):
                self._detach(dom, config_backup, False, "the failover virtio interface (to change it)")
                config_backup = None
            config_vf_missing = config_vf is None
            config_backup_missing = new_backup is not None and config_backup is None
        # then the virtio partner before the VF: the VF's teaming names it
        if live_backup_missing or config_backup_missing:
            self._attach(dom, new_backup, live_backup_missing, config_backup_missing, "the failover virtio interface")
        if live_vf_missing or config_vf_missing:
            self._attach(dom, new_vf, live_vf_missing, config_vf_missing, "the VF interface")
        return [e for e in (new_backup, new_vf) if e is not None]

    def _result(self, dom, wanted, state, after_text, found):
        """What the interface looks like now (re-read outside check mode when something changed)."""
        live_vf_address = None
        mac = wanted["mac"] or found["mac"]
        if not self.check_mode and self.actions:
            current = read_domain(self.libvirt, dom)
            found = self._locate(current, dict(wanted, mac=mac))
            mac = mac or found["mac"]
        live_vf = found["live"][0]
        if live_vf is not None:
            live_vf_address = interface_record(live_vf)["vf"]
        return {
            "domain": self.params["domain"],
            "state": state,
            "network": wanted["network"],
            "vf": wanted["vf"] or live_vf_address,
            "mac": mac,
            "vlan": wanted["vlan"],
            "alias": wanted["alias"],
            "failover_alias": wanted["failover"]["alias"] if wanted["failover"] else None,
            "live_vf": live_vf_address,
            "xml": after_text,
        }
