# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VF-pool network request and the pool it asks for on the host.

``VfPoolRequest`` is the base of ``_libvirt.VfNetworkManager`` (module ``libvirt_vf_network``):
the parameters validated (network name, ``pfs`` or ``vfs``, PF references, VF selectors and PCI
addresses, VLAN), then ``wanted_pool`` resolves them through ``_sysfs`` (root-parametrised) into
what the network must hand out: one PF's netdev for libvirt's ``<pf dev>``, or the VF addresses.
VFs the pool needs and the host lacks are refused, or in check mode predicted without them.

Pure standard library. Failures are ``SriovError``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._vf_selector import (
    is_vf_selector, parse_vf_selector, rejoin_vf_items)


class VfPoolRequest(object):
    """The validated request of one hostdev network and its pool of VFs on the host."""

    def __init__(self, libvirt_mod, params, check_mode=False, sysfs=None):
        self.libvirt = libvirt_mod
        self.params = dict(params)
        self.params["vfs"] = rejoin_vf_items(self.params.get("vfs"))
        self.check_mode = check_mode
        self.sysfs = sysfs or _sysfs
        self.actions = []
        self.warnings = []
        self.conn = None

    # -- inputs ---------------------------------------------------------------------------------

    def validate(self):
        params = self.params
        name = params.get("name")
        if not name or not _rules.NETWORK_NAME_RE.match(name):
            raise SriovError("network name %r may only contain letters, digits and _.+- (1-64 characters)" % (name,),
                             field="name")
        if params.get("state", "present") != "present":
            return
        pfs = params.get("pfs") or []
        vfs = params.get("vfs") or []
        if pfs and vfs:
            raise SriovError("give either pfs or vfs, not both", field="pfs")
        if not pfs and not vfs:
            raise SriovError("state=present needs pfs (a pool of whole PFs) or vfs (explicit VFs)", field="pfs")
        for index, pf in enumerate(pfs):
            _rules.validate_pf(pf, "pfs[%d]" % index)
        for index, vf in enumerate(vfs):
            if is_vf_selector(vf):
                parse_vf_selector(vf, field="vfs[%d]" % index)
            elif not _rules.is_pci_address(vf.lower() if isinstance(vf, str) else vf):
                raise SriovError("vfs[%d] %r is neither a PCI address (0000:01:10.0) nor a selector (enp1s0#0-3)"
                                 % (index, vf), field="vfs[%d]" % index)
        if params.get("vlan") is not None:
            _rules.parse_int(params["vlan"], "vlan", 0, _rules.MAX_VLAN)

    def _pf_netdev(self, pf_address, asked):
        function = self.sysfs.read_function(self.params["sysfs_root"], pf_address)
        netdevs = (function or {}).get("netdevs") or []
        if isinstance(asked, str) and asked in netdevs:
            return asked
        if not netdevs:
            raise SriovError("PF %s (%s) has no network interface; libvirt's <pf dev> needs one" % (asked, pf_address),
                             field="pfs")
        return sorted(netdevs)[0]

    def _vfs_missing(self, message, field):
        """VFs the pool needs do not exist. A real run refuses; check mode predicts the pool without
        them, because the same check run of the site playbook predicts their creation just before."""
        if not self.check_mode:
            raise SriovError(message, field=field)
        self.warnings.append("check mode: %s; the pool is predicted without them" % message)

    def _vf_addresses(self, pf, field):
        root = self.params["sysfs_root"]
        try:
            pf_address = self.sysfs.resolve_pf(root, pf)
            vfs = self.sysfs.list_vfs(root, pf_address)
        except SriovError as exc:
            if exc.field in (None, "pf"):
                exc.field = field
            raise
        return pf_address, vfs

    def wanted_pool(self):
        """-> {"pf": netdev or None, "addresses": [...], "vlan": int or None, "vf_count": n}."""
        params = self.params
        pfs = params.get("pfs") or []
        wanted = {"pf": None, "addresses": [], "vlan": params.get("vlan")}
        if len(pfs) == 1:
            pf_address, vfs = self._vf_addresses(pfs[0], "pfs[0]")
            wanted["pf"] = self._pf_netdev(pf_address, pfs[0])
            wanted["vf_count"] = len(vfs)
            wanted["pf_addresses"] = [pf_address]
            wanted["pool_addresses"] = [vfs[i] for i in sorted(vfs)]
            return wanted
        addresses = []
        if pfs:
            # libvirt takes exactly one <pf>; a pool over several PFs lists their VFs instead.
            wanted["pf_addresses"] = []
            for index, pf in enumerate(pfs):
                pf_address, vfs = self._vf_addresses(pf, "pfs[%d]" % index)
                wanted["pf_addresses"].append(pf_address)
                if not vfs:
                    self._vfs_missing("PF %s (%s) has no VFs to list in the pool; create them first "
                                      "(directiron.sriov.sriov_vf)" % (pf, pf_address), "pfs[%d]" % index)
                addresses.extend(vfs[i] for i in sorted(vfs))
        else:
            for index, vf in enumerate(params.get("vfs") or []):
                if is_vf_selector(vf):
                    pf, ids = parse_vf_selector(vf, field="vfs[%d]" % index)
                    pf_address, vfs = self._vf_addresses(pf, "vfs[%d]" % index)
                    missing = [i for i in ids if i not in vfs]
                    if missing:
                        self._vfs_missing("vfs[%d] %r: PF %s has no VF %s (it has %d VFs)"
                                          % (index, vf, pf_address, ",".join(str(i) for i in missing), len(vfs)),
                                          "vfs[%d]" % index)
                    addresses.extend(vfs[i] for i in ids if i in vfs)
                else:
                    addresses.append(_rules.format_pci_address(_rules.parse_pci_address(vf, "vfs[%d]" % index)))
        seen = set()
        wanted["addresses"] = [a for a in addresses if not (a in seen or seen.add(a))]
        wanted["vf_count"] = len(wanted["addresses"])
        wanted["pool_addresses"] = list(wanted["addresses"])
        return wanted
