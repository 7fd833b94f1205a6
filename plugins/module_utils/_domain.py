# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VF interfaces given to a libvirt domain, converged in its definition and while it runs.

Pure standard library: the ``libvirt`` binding is handed in by the caller (the module imports it,
unit tests hand in a fake). Failures are ``SriovError``.

What this file owns: ``GuestInterfaceManager``, the wanted VF interface (and its failover partner)
of one domain, compared with the defined and the live domain XML, attached/detached with
AFFECT_CONFIG and AFFECT_LIVE separately. The request and its checks before any change (fields,
the VF on the host, libvirt's domain and networks, the VF's holder) are ``_domain_request``'s
(``GuestInterfaceRequest``, the manager's base class). Domains as data (``interface_record``,
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

import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import _domain_xml, interface_record, read_domain
from ansible_collections.directiron.sriov.plugins.module_utils._domain_request import GuestInterfaceRequest
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import close_connection, open_connection
from ansible_collections.directiron.sriov.plugins.module_utils._domain_interfaces import (
    backup_differs, backup_interface_element, find_backup_interface, find_vf_interface, snippet, vf_config_differs,
    vf_interface_element, vf_live_differs)

VIR_DOMAIN_AFFECT_LIVE = 1
VIR_DOMAIN_AFFECT_CONFIG = 2
# ---------------------------------------------------------------------------------------------
# Manager


class GuestInterfaceManager(GuestInterfaceRequest):
    """Converge the VF interface (and its failover partner) of one libvirt domain.

    params: domain, state (present|absent), network | vf | pf + vf_index, mac, vlan, alias,
    failover ({network|bridge, alias}), live, unplug_timeout, uri, sysfs_root. The request is
    validated and checked against the host and libvirt by ``_domain_request.GuestInterfaceRequest``;
    here it is converged.
    """

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
