# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate a whole per-host ``sriov_pfs`` inventory on the controller, before any host changes.

The checks are the sriov_vf module's own (``_spec.validate_params``): one implementation, run
here without host state so a play can refuse a bad inventory before the IOMMU role reboots
anything. Host-dependent checks (the PF exists, sriov_totalvfs, guards) stay in the module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._spec import validate_params


def sriov_pfs_errors(pfs, name="sriov_pfs"):
    """Return one message per invalid entry of ``pfs`` (empty list: valid), each naming its field."""
    if pfs is None:
        return []
    if not isinstance(pfs, (list, tuple)):
        raise AnsibleFilterError("%s must be a list of PF entries, got %s" % (name, type(pfs).__name__))
    errors = []
    seen = {}
    for position, entry in enumerate(pfs):
        where = "%s[%d]" % (name, position)
        if not isinstance(entry, dict):
            errors.append("%s: must be a dict with at least 'pf', got %r" % (where, entry))
            continue
        try:
            validated = validate_params(dict(entry))
        except SriovError as err:
            field = "%s.%s" % (where, err.field) if err.field else where
            errors.append("%s: %s" % (field, err.msg))
            continue
        key = repr(validated["pf"])
        if key in seen:
            errors.append("%s.pf: %s is already listed at %s[%d]" % (where, entry.get("pf"), name, seen[key]))
        else:
            seen[key] = position
    return errors


class FilterModule(object):
    def filters(self):
        return {"sriov_pfs_errors": sriov_pfs_errors}
