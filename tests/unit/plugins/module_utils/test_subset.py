# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gather_subset names, read as ansible.builtin.setup reads them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._subset import resolve_subset

VALID = ("devices", "groups")


@pytest.mark.parametrize("requested, chosen", [
    (["all"], ["devices", "groups"]),
    (None, ["devices", "groups"]),
    ([], ["devices", "groups"]),
    (["groups"], ["groups"]),
    (["!groups"], ["devices"]),
    (["all", "!devices"], ["groups"]),
    (["!all"], []),
    (["min"], []),
    (["!all", "devices"], ["devices"]),
    (["devices", "!devices"], []),
    ([" groups "], ["groups"]),
])
def test_resolve(requested, chosen):
    assert resolve_subset(requested, VALID) == chosen


def test_unknown_name_names_the_choices():
    with pytest.raises(SriovError) as info:
        resolve_subset(["groups", "!pfs"], VALID)
    assert info.value.field == "gather_subset" and "!pfs" in info.value.msg and "devices" in info.value.msg
