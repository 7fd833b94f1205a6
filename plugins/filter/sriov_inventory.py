# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate one host's ``sriov_pfs`` on the controller, before any host changes.

A thin wrapper over ``_inventory.pfs_errors``: the same rules the site playbook's
``directiron.sriov.validate_inventory`` applies to the whole fleet. Checks that need the host (the
PF exists, sriov_totalvfs, guards) stay in the sriov_vf module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._inventory import pfs_errors


def sriov_pfs_errors(pfs, name="sriov_pfs"):
    """One message per invalid entry of ``pfs`` (empty list: valid), each starting with its field."""
    return pfs_errors(pfs, name)


class FilterModule(object):
    def filters(self):
        return {"sriov_pfs_errors": sriov_pfs_errors}
