# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.filter.sriov_inventory import sriov_pfs_errors


def test_valid_inventory_from_the_design_has_no_errors():
    pfs = [
        {"pf": "enp65s0f0", "num_vfs": 8, "vf_driver": "vfio-pci",
         "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100, "trust": True, "spoofchk": True},
                 {"id": 1, "max_tx_rate": 1000, "driver": "default"}]},
        {"pf": "0000:02:00.0", "num_vfs": 2},
    ]
    assert sriov_pfs_errors(pfs) == []


def test_each_bad_entry_is_reported_with_its_field_path():
    pfs = [
        {"pf": "enp1s0", "num_vfs": 4, "vfs": [{"id": 0, "mac": "01:00:00:00:00:01"}]},
        {"pf": "../etc"},
        {"pf": "enp2s0", "num_vfs": 2, "vfs": [{"id": 2}]},
        {"pf": "enp3s0", "vfs": [{"id": 0, "vlan": 4095}]},
    ]
    errors = sriov_pfs_errors(pfs)
    assert [e.split(":")[0] for e in errors] == [
        "sriov_pfs[0].vfs[0].mac", "sriov_pfs[1].pf", "sriov_pfs[2].vfs[0].id", "sriov_pfs[3].vfs[0].vlan"]
    assert "multicast" in errors[0]


def test_same_pf_twice_is_an_error():
    errors = sriov_pfs_errors([{"pf": "enp1s0", "num_vfs": 1}, {"pf": "enp1s0", "num_vfs": 2}])
    assert errors == ["sriov_pfs[1].pf: 'enp1s0' is already declared at sriov_pfs[0].pf"]


def test_unknown_key_names_the_key():
    errors = sriov_pfs_errors([{"pf": "enp1s0", "numvfs": 4}], name="pfs")
    assert errors[0].startswith("pfs[0].numvfs:")


def test_not_a_list_is_one_error():
    assert sriov_pfs_errors("enp1s0") == ["sriov_pfs: must be a list of PF entries, got string"]
    assert sriov_pfs_errors(None) == []
