# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/reliability.md states the catalogue's counts; they must be the catalogue's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os
import re

from ansible_collections.directiron.sriov.tests.unit.catalogue import test_catalogue_modules as modules
from ansible_collections.directiron.sriov.tests.unit.catalogue.inventory_cases import CASES, RESOLVED_CASES
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import test_kernel_cmdline_bad_inputs

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs", "reliability.md")
# tests of test_catalogue_inventory.py that are cases of their own besides CASES
INVENTORY_EXTRA_CASES = 2


def count_tests(module):
    """Test cases of a test module: one per test function, one per parameter set of a parametrized one."""
    total = 0
    for name in dir(module):
        function = getattr(module, name)
        if not name.startswith("test_") or not callable(function):
            continue
        cases = 1
        for mark in getattr(function, "pytestmark", []):
            if mark.name == "parametrize":
                cases *= len(mark.args[1])
        total += cases
    return total


def inventory_kind(field):
    top = re.split(r"[.\[]", field)[0]
    return top if top in ("sriov_pfs", "sriov_pools", "sriov_driver_pins", "sriov_driver_options") else "names"


def test_reliability_doc_counts_are_the_catalogue_counts():
    with open(DOC) as handle:
        text = handle.read()
    rows = dict((label.strip(), int(count)) for label, count in
                re.findall(r"^\| ([^|]+?) \| [^|]* \| \**(\d+)\** \|$", text, re.M))
    kinds = collections.Counter(inventory_kind(case[2]) for case in CASES)
    assert rows["site inventory: names, scalars, role options"] == kinds["names"]
    assert rows["site inventory: `sriov_pfs` and VFs"] == kinds["sriov_pfs"]
    assert rows["site inventory: `sriov_pools`"] == kinds["sriov_pools"]
    assert rows["site inventory: `sriov_driver_pins`"] == kinds["sriov_driver_pins"]
    assert rows["site inventory: `sriov_driver_options`"] == kinds["sriov_driver_options"]
    assert rows["site inventory: against the PFs each host resolved (preflight)"] == len(RESOLVED_CASES)
    assert rows["module `sriov_vf` (fake host: two igb PFs)"] == len(modules.SRIOV_VF_CASES)
    assert rows["module `libvirt_vf_network` (fake libvirt)"] == len(modules.LIBVIRT_CASES)
    assert rows["role argument specs (iommu, sriov_vfs, libvirt_pools, driver_pins)"] == len(modules.ROLE_CASES)
    total = (len(CASES) + len(RESOLVED_CASES) + INVENTORY_EXTRA_CASES + len(modules.SRIOV_VF_CASES) + len(modules.LIBVIRT_CASES)
             + len(modules.ROLE_CASES))
    assert rows["**total in `tests/unit/catalogue`**"] == total >= 80
    kernel_cmdline = count_tests(test_kernel_cmdline_bad_inputs)
    assert rows["module `kernel_cmdline` (drop-ins, continuations, symlinks, encodings, NUL, length, unwritable "
                "files)"] == kernel_cmdline
    assert rows["**all bad inputs**"] == total + kernel_cmdline
