# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``facts`` option of sriov_host: the host's ``iommu`` and ``sriov`` facts in the same run.

A fleet report plus a dry run is then one module run per host instead of three. The facts come
from the collectors iommu_facts and sriov_facts use (``gather_iommu_facts``,
``gather_sriov_facts``), so they are what those modules return for the same ``gather_subset``.
The subset names of the two modules do not overlap (``devices``, ``groups``; ``pfs``, ``vfs``):
one list is read as ``gather_subset`` over both, and each collector gets its own names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils import _iommu_facts, _sriov_facts
from ansible_collections.directiron.sriov.plugins.module_utils._subset import resolve_subset

SUBSETS = _iommu_facts.SUBSETS + _sriov_facts.SUBSETS


def facts_subsets(requested):
    """The subset names ``facts`` asks for; SriovError naming ``facts`` on an unknown name.

    sriov_host calls it before it changes anything, so a typo in ``facts`` fails the run whole.
    """
    return resolve_subset(requested, SUBSETS, field="facts")


def gather_host_facts(requested, sysfs_root, proc_root, runner=None, ip_bin=None, ethtool_bin=None):
    """``{"iommu": ..., "sriov": ...}`` as iommu_facts and sriov_facts return them for ``requested``.

    ``requested``: a ``gather_subset`` list over both modules' names (``[min]`` is both summaries);
    SriovError names the ``facts`` option on an unknown name.
    """
    chosen = facts_subsets(requested)
    iommu = _iommu_facts.gather_iommu_facts(sysfs_root, proc_root,
                                            [name for name in chosen if name in _iommu_facts.SUBSETS])
    sriov = _sriov_facts.gather_sriov_facts(sysfs_root=sysfs_root, proc_root=proc_root, runner=runner,
                                            ip_bin=ip_bin, ethtool_bin=ethtool_bin,
                                            subset=[name for name in chosen if name in _sriov_facts.SUBSETS])
    return {"iommu": iommu, "sriov": sriov}
