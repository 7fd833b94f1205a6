# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt hostdev networks that hand out SR-IOV VFs from a pool.

Pure standard library: the ``libvirt`` Python binding is not imported here but handed in by
the caller (the module imports it from ``_libvirt_conn``, unit tests hand in a fake). Nothing here calls exit_json/fail_json: failures
are ``SriovError``.

``VfNetworkManager``: read once, compute the wanted definition, diff, write outside check mode.
The request and the pool it asks for on the host (validation, PFs and VF selectors resolved
through ``_sysfs``) are ``_libvirt_pool``'s, the manager's base class. The selector syntax is
``_vf_selector``'s, the ``<network>`` XML ``_network_xml``'s, the connection ``_libvirt_conn``'s
and the domains using a network ``_domain_read``'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import domain_device_map
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_pool import VfPoolRequest
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import (
    VIR_ERR_NO_NETWORK, close_connection, error_code, open_connection)
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock
from ansible_collections.directiron.sriov.plugins.module_utils._network_xml import (
    apply_wanted, canonical_network, live_pool_differs, network_skeleton, parse_network_xml, render_network_xml)

VIR_NETWORK_XML_INACTIVE = 1


# ---------------------------------------------------------------------------------------------
# Manager


class VfNetworkManager(VfPoolRequest):
    """Converge one libvirt hostdev network.

    params: name, state, pfs, vfs, vlan, autostart, active, force, restart (deprecated), uri, sysfs_root.
    libvirt_mod: the imported ``libvirt`` binding (or a fake with the same surface).
    sysfs: the ``_sysfs`` module (or a fake) for PF resolution and VF listing.
    The request and its pool on the host are ``_libvirt_pool.VfPoolRequest``'s (the base class).
    """

    # -- libvirt --------------------------------------------------------------------------------

    def _call(self, what, func, *args):
        try:
            return func(*args)
        except self.libvirt.libvirtError as exc:
            raise SriovError("libvirt: %s failed for network %s: %s" % (what, self.params["name"], exc))

    def connect(self):
        self.conn = open_connection(self.libvirt, self.params.get("uri"))
        return self.conn

    def lookup(self):
        try:
            return self.conn.networkLookupByName(self.params["name"])
        except self.libvirt.libvirtError as exc:
            if error_code(exc) == getattr(self.libvirt, "VIR_ERR_NO_NETWORK", VIR_ERR_NO_NETWORK):
                return None
            raise SriovError("libvirt: looking up network %s failed: %s" % (self.params["name"], exc))

    def connections(self, net, live_root):
        """How many guest interfaces use the running network (live XML ``connections``, or its ports)."""
        try:
            count = int(live_root.get("connections") or 0)
        except ValueError:
            count = 0
        if hasattr(net, "listAllPorts"):
            try:
                count = max(count, len(net.listAllPorts(0)))
            except self.libvirt.libvirtError:
                pass  # libvirt older than 5.5 has no ports API; the live XML count stands
        return count

    def read_state(self, net):
        if net is None:
            return {"exists": False, "xml": None, "root": None, "live_root": None, "active": False,
                    "connections": 0, "autostart": False, "persistent": False}
        text = self._call("XMLDesc", net.XMLDesc, getattr(self.libvirt, "VIR_NETWORK_XML_INACTIVE",
                                                          VIR_NETWORK_XML_INACTIVE))
        root = parse_network_xml(text)
        active = bool(self._call("isActive", net.isActive))
        live_root = parse_network_xml(self._call("XMLDesc", net.XMLDesc, 0)) if active else None
        return {
            "exists": True,
            "xml": text,
            "root": root,
            "live_root": live_root,
            "active": active,
            "connections": self.connections(net, live_root) if active else 0,
            "autostart": bool(self._call("autostart", net.autostart)),
            "persistent": bool(self._call("isPersistent", net.isPersistent)),
        }

    # -- converge -------------------------------------------------------------------------------

    def run(self):
        self.validate()
        # Outside check mode under the host lock: the VFs read from sysfs stay as read until defined.
        with host_lock("libvirt_vf_network %s" % self.params["name"], enabled=not self.check_mode):
            wanted = self.wanted_pool() if self.params.get("state", "present") == "present" else None
            self.connect()
            try:
                net = self.lookup()
                before = self.read_state(net)
                if self.params.get("state", "present") == "absent":
                    return self._absent(net, before)
                return self._present(net, before, wanted)
            finally:
                close_connection(self.libvirt, self.conn)

    def _diff_text(self, xml_text, active, autostart):
        if xml_text is None:
            return ""
        state = ("yes" if active else "no", "yes" if autostart else "no")
        return "%s<!-- active: %s, autostart: %s -->\n" % ((xml_text,) + state)

    def pool_in_use(self, before, wanted):
        """The host PCI addresses the network hands out now: its live pool (a running network), else none.

        A live ``<pf>`` without the addresses it expanded to (libvirt before 9) stands for the PF's
        current VFs when it is the PF asked for.
        """
        if not before["active"]:
            return set()
        live = canonical_network(before["live_root"])
        if live["addresses"]:
            return set(live["addresses"])
        if wanted and live["pf"] and live["pf"] == ([wanted["pf"]] if wanted.get("pf") else []):
            return set(wanted.get("pool_addresses") or [])
        return set()

    def running_users(self, before, wanted):
        """{domain name: [what it uses]} of running domains using this network.

        A domain uses it through an interface whose live ``<source network=NAME>`` names it (an
        ordinary network keeps the name in the live XML), or through a VF or ``<hostdev>`` from its
        live pool (a hostdev network's interface shows only the VF it handed out).
        """
        pool = self.pool_in_use(before, wanted)
        users = {}
        for domain in domain_device_map(self.libvirt, self.conn)["domains"]:
            if not domain["active"]:
                continue
            uses = []
            for iface in domain["interfaces"]:
                if iface["network"] == self.params["name"]:
                    uses.append("interface %s" % (iface["mac"] or iface["alias"] or "without MAC"))
                elif iface["vf"] in pool:
                    uses.append("VF %s%s" % (iface["vf"], " (MAC %s)" % iface["mac"] if iface["mac"] else ""))
            uses.extend("hostdev %s" % address for address in domain["hostdevs"] if address in pool)
            if uses:
                users[domain["name"]] = uses
        return users

    def _guard_in_use(self, before, wanted, doing):
        """Refuse ``doing`` (a phrase such as "restart") while running domains use the network, naming
        them, unless force=true: then the refusal becomes a warning. Check mode refuses the same way."""
        users = self.running_users(before, wanted) if before["exists"] else {}
        connections = before["connections"]
        if not users and not connections:
            return
        if users:
            who = "running domain(s) use it: %s" % "; ".join(
                "%s (%s)" % (domain, ", ".join(uses)) for domain, uses in sorted(users.items()))
        else:
            who = ("%d guest interface(s) use it (libvirt's count; no running domain on %s names it)"
                   % (connections, self.params.get("uri") or "qemu:///system"))
        message = "network %s is in use, %s" % (self.params["name"], who)
        if self.params.get("force"):
            self.warnings.append("force=true: %s; %s it anyway (libvirt loses track of the VFs they hold "
                                 "until they restart)" % (message, doing))
            return
        hint = "stop those domains first, or set force=true"
        if self.params.get("restart"):
            hint += " (restart=true no longer overrides this)"
        raise SriovError("%s; refusing to %s it: %s" % (message, doing, hint), field="force",
                         details={"domains": sorted(users), "connections": connections})

    def _absent(self, net, before):
        changed = False
        before_text = render_network_xml(before["root"]) if before["exists"] else None
        if net is not None:
            if before["active"]:
                self._guard_in_use(before, None, "stop and remove")
                self.actions.append("stopped network %s" % self.params["name"])
                if not self.check_mode:
                    self._call("destroy", net.destroy)
            if before["persistent"]:
                self.actions.append("undefined network %s" % self.params["name"])
                if not self.check_mode:
                    self._call("undefine", net.undefine)
            changed = True
        return {
            "changed": changed,
            "actions": self.actions,
            "restart_required": False,
            "network": {"name": self.params["name"], "exists": False, "active": False, "autostart": False,
                        "xml": "", "vf_count": 0, "connections": 0},
            "diff": {"before": self._diff_text(before_text, before["active"], before["autostart"]), "after": ""},
        }

    def _present(self, net, before, wanted):
        params = self.params
        name = params["name"]
        want_active = params.get("active", True)
        want_autostart = params.get("autostart", True)
        root = before["root"] if before["exists"] else network_skeleton(name)
        new_root = apply_wanted(ET.fromstring(ET.tostring(root)), wanted)
        definition_changed = (not before["persistent"]
                              or canonical_network(before["root"]) != canonical_network(new_root))
        after_text = render_network_xml(new_root)
        before_text = render_network_xml(before["root"]) if before["exists"] else None
        connections = before["connections"]
        # The running network may still carry an older definition (saved earlier while guests used it).
        live_differs = before["active"] and live_pool_differs(before["live_root"], new_root,
                                                              wanted.get("pool_addresses") or [])
        if want_active and wanted.get("pf") and not wanted.get("vf_count"):
            self._vfs_missing("PF %s has no VFs: libvirt cannot start a hostdev pool on it; create VFs first "
                              "(directiron.sriov.sriov_vf) or set active=false" % wanted["pf"], "pfs")

        restart = before["active"] and want_active and (definition_changed or live_differs)
        if restart or (before["active"] and not want_active) or (definition_changed and before["exists"]):
            # Before anything changes, in check mode too: a hostdev network takes its new pool only
            # on the next start, and restarting it while guests hold VFs from it makes libvirt forget
            # those allocations; so it is not redefined or restarted behind a running guest's back.
            doing = [] if not (definition_changed and before["exists"]) else ["redefine"]
            doing += ["restart"] if restart else (["stop"] if before["active"] and not want_active else [])
            self._guard_in_use(before, wanted, " and ".join(doing))

        if definition_changed:
            self.actions.append("%s network %s" % ("redefined" if before["exists"] else "defined", name))
            if not self.check_mode:
                net = self._call("define", self.conn.networkDefineXML, ET.tostring(new_root, encoding="unicode"))

        if restart:
            self.actions.append("restarted network %s" % name)
            if not self.check_mode:
                self._call("destroy", net.destroy)
                self._call("create", net.create)
        elif before["active"] and not want_active:
            self.actions.append("stopped network %s" % name)
            if not self.check_mode:
                self._call("destroy", net.destroy)
        elif not before["active"] and want_active:
            self.actions.append("started network %s" % name)
            if not self.check_mode:
                self._call("create", net.create)

        if bool(before["autostart"]) != bool(want_autostart):
            self.actions.append("%s autostart of network %s" % ("enabled" if want_autostart else "disabled", name))
            if not self.check_mode:
                self._call("setAutostart", net.setAutostart, 1 if want_autostart else 0)

        result_xml = after_text
        if not self.check_mode and self.actions:
            result_xml = render_network_xml(parse_network_xml(
                self._call("XMLDesc", net.XMLDesc, getattr(self.libvirt, "VIR_NETWORK_XML_INACTIVE",
                                                           VIR_NETWORK_XML_INACTIVE))))
        return {
            "changed": bool(self.actions),
            "actions": self.actions,
            "restart_required": False,
            "network": {
                "name": name,
                "exists": True,
                "active": bool(want_active),
                "autostart": bool(want_autostart),
                "xml": result_xml,
                "vf_count": wanted.get("vf_count", 0),
                "connections": connections,
            },
            "diff": {
                "before": self._diff_text(before_text, before["active"], before["autostart"]),
                "after": self._diff_text(after_text, want_active, want_autostart),
            },
        }
