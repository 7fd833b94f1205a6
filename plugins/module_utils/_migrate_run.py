# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Live-migrate a running domain with failover pairs to another hypervisor, then give it a VF there.

Pure standard library: the ``libvirt`` binding is handed in by the caller. The order:

1. ``_migrate.migration_preflight`` on both connections: any problem refuses before anything
   changes, naming the domain and every problem;
2. the migration (``virDomainMigrate3``, live; a persistent domain is defined on the destination
   and undefined on the source, so it can come back the same way). libvirt and QEMU unplug each
   VF that is the transient side of a failover pair before the memory is copied (the guest's
   ``net_failover`` keeps the traffic on the virtio standby); a migration that runs past
   ``timeout`` seconds is aborted (``virDomainAbortJob``) and the domain keeps running on the
   source;
3. with ``reattach``, for each pair, the VF interface on the destination from the same-named pool
   network with the guest's MAC (``GuestInterfaceManager``, as ``sriov_guest_interface`` wires
   it): when libvirt there already gave the running domain a VF for the pair, nothing is done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.directiron.sriov.plugins.module_utils._domain import GuestInterfaceManager
from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import (
    VIR_DOMAIN_XML_INACTIVE, interface_record, parse_domain_xml)
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import close_connection, open_connection
from ansible_collections.directiron.sriov.plugins.module_utils._migrate import failover_pairs, migration_preflight

# libvirt-domain.h, virDomainMigrateFlags
VIR_MIGRATE_LIVE = 1
VIR_MIGRATE_PERSIST_DEST = 8
VIR_MIGRATE_UNDEFINE_SOURCE = 16
# how long an aborted migration may take to give the domain back on the source
ABORT_GRACE = 60


def _flag(libvirt_mod, name, default):
    return getattr(libvirt_mod, name, default)


class DomainMigration(object):
    """Preflight, migrate and re-attach one domain. params: domain, dest_uri, uri, timeout, reattach,
    guest_nics (None: the guest's failover master is not confirmed, with a warning)."""

    def __init__(self, libvirt_mod, params, check_mode=False, clock=time.time):
        self.libvirt = libvirt_mod
        self.params = dict(params)
        self.check_mode = check_mode
        self.clock = clock
        self.actions = []
        self.warnings = []

    # -- inputs -----------------------------------------------------------------------------------

    def validate(self):
        domain = self.params.get("domain")
        if not isinstance(domain, str) or not domain.strip() or "/" in domain:
            raise SriovError("domain %r must be the name of a libvirt domain" % (domain,), field="domain")
        dest = self.params.get("dest_uri")
        if not isinstance(dest, str) or not dest.strip():
            raise SriovError("dest_uri must be the libvirt URI of the destination, such as qemu+ssh://root@hv2/system",
                             field="dest_uri")
        if dest == (self.params.get("uri") or "qemu:///system"):
            raise SriovError("domain %s: dest_uri %s is the source itself" % (domain, dest), field="dest_uri")
        timeout = self.params.get("timeout")
        if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
            raise SriovError("timeout must be a positive number of seconds, got %r" % (timeout,), field="timeout")

    # -- steps ------------------------------------------------------------------------------------

    def _pairs(self, dom):
        """The failover pairs of the domain's definition, as GuestInterfaceManager wants them."""
        persistent = bool(dom.isPersistent())
        inactive = _flag(self.libvirt, "VIR_DOMAIN_XML_INACTIVE", VIR_DOMAIN_XML_INACTIVE)
        root = parse_domain_xml(dom.XMLDesc(inactive if persistent else 0))
        pairs, _problems = failover_pairs([interface_record(e) for e in root.findall("devices/interface")])
        wanted = []
        for pair in pairs:
            vf, backup = pair["transient"], pair["persistent"]
            wanted.append({
                "domain": self.params["domain"], "state": "present", "network": vf["network"], "vf": None,
                "pf": None, "vf_index": None, "mac": pair["mac"], "vlan": vf["vlan"], "alias": vf["alias"],
                "failover": {"network": backup["network"], "bridge": None if backup["network"] else backup["bridge"],
                             "alias": backup["alias"]},
                "live": True, "unplug_timeout": 30, "uri": self.params["dest_uri"], "sysfs_root": None,
            })
        return persistent, wanted

    def _migrate(self, dom, dst, flags):
        """virDomainMigrate3 in a thread, aborted past the timeout. -> seconds it took."""
        outcome = {}

        def call():
            try:
                outcome["domain"] = dom.migrate3(dst, {}, flags)
            except self.libvirt.libvirtError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=call, name="migrate-%s" % self.params["domain"])
        worker.daemon = True
        start = self.clock()
        worker.start()
        worker.join(self.params["timeout"])
        if worker.is_alive():
            try:
                dom.abortJob()
            except self.libvirt.libvirtError as exc:
                self.warnings.append("domain %s: aborting the migration failed: %s" % (self.params["domain"], exc))
            worker.join(ABORT_GRACE)
            raise SriovError("domain %s: the live migration to %s did not finish within %ss and was aborted; the "
                             "domain runs on the source" % (self.params["domain"], self.params["dest_uri"],
                                                            self.params["timeout"]),
                             field="timeout", details={"actions_done": list(self.actions)})
        seconds = round(self.clock() - start, 3)
        if "error" in outcome:
            raise SriovError("domain %s: the live migration to %s failed: %s"
                             % (self.params["domain"], self.params["dest_uri"], outcome["error"]),
                             details={"actions_done": list(self.actions)})
        return seconds

    def _reattach(self, wanted):
        """Give the migrated domain its VF back on the destination. -> the vfs record."""
        manager = GuestInterfaceManager(self.libvirt, wanted, check_mode=self.check_mode)
        try:
            result = manager.run()
        except SriovError as err:
            raise SriovError("domain %s runs on %s on its virtio standby only: attaching a VF from %s with MAC %s "
                             "failed: %s" % (self.params["domain"], self.params["dest_uri"], wanted["network"],
                                             wanted["mac"], err),
                             field=err.field, details={"actions_done": list(self.actions)})
        attached = [a for a in manager.actions if "the VF interface" in a]
        self.actions.extend("%s at %s" % (a, self.params["dest_uri"]) for a in manager.actions)
        self.warnings.extend(manager.warnings)
        return {"mac": wanted["mac"], "network": wanted["network"], "vf": result["interface"]["live_vf"],
                "attached_by": "module" if attached else "libvirt"}

    # -- run --------------------------------------------------------------------------------------

    def run(self):
        self.validate()
        name, dest = self.params["domain"], self.params["dest_uri"]
        guest_nics = self.params.get("guest_nics")
        src = open_connection(self.libvirt, self.params.get("uri"))
        try:
            try:
                dst = open_connection(self.libvirt, dest)
            except SriovError as err:
                raise SriovError("domain %s: %s" % (name, err), field="dest_uri")
            try:
                return self._run(src, dst, name, dest, guest_nics)
            finally:
                close_connection(self.libvirt, dst)
        finally:
            close_connection(self.libvirt, src)

    def _run(self, src, dst, name, dest, guest_nics):
        found = migration_preflight(self.libvirt, src, dst, name, guest_nics,
                                    confirm_master=guest_nics is not None)
        if found["problems"]:
            raise SriovError("domain %s cannot live-migrate to %s: %s" % (name, dest, "; ".join(found["problems"])),
                             field="domain", details={"sriov_migration": found})
        if guest_nics is None and found["pairs"]:
            self.warnings.append("domain %s: the guest's failover master was not confirmed (no guest_nics); its "
                                 "traffic stays up during the migration only if net_failover paired the NICs" % name)
        dom = src.lookupByName(name)
        persistent, wanted = self._pairs(dom)
        flags = _flag(self.libvirt, "VIR_MIGRATE_LIVE", VIR_MIGRATE_LIVE)
        if persistent:
            flags |= (_flag(self.libvirt, "VIR_MIGRATE_PERSIST_DEST", VIR_MIGRATE_PERSIST_DEST)
                      | _flag(self.libvirt, "VIR_MIGRATE_UNDEFINE_SOURCE", VIR_MIGRATE_UNDEFINE_SOURCE))
        self.actions.append("live-migrated domain %s from %s to %s%s" % (
            name, self.params.get("uri") or "qemu:///system", dest,
            " (defined there, undefined on the source)" if persistent else ""))
        result = {"changed": True, "domain": name, "source": self.params.get("uri") or "qemu:///system",
                  "destination": dest, "seconds": None, "vfs": [], "actions": self.actions,
                  "warnings": self.warnings, "preflight": found}
        if self.check_mode:
            for want in wanted if self.params.get("reattach", True) else []:
                self.actions.append("would attach on %s a VF from the pool %s with MAC %s as the transient side of "
                                    "the failover pair %s (unless libvirt there gave it one)"
                                    % (dest, want["network"], want["mac"], want["failover"]["alias"]))
                result["vfs"].append({"mac": want["mac"], "network": want["network"], "vf": None, "attached_by": None})
            return result
        result["seconds"] = self._migrate(dom, dst, flags)
        if self.params.get("reattach", True):
            result["vfs"] = [self._reattach(want) for want in wanted]
        return result
