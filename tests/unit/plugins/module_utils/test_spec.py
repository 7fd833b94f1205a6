# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""validate_params: every malformed request is refused with the offending field named."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._spec import validate_params, wanted_driver


def req(**kwargs):
    params = {"pf": "enp1s0"}
    params.update(kwargs)
    return params


def refused(params, totalvfs=None, numvfs=None):
    with pytest.raises(SriovError) as info:
        validate_params(params, totalvfs=totalvfs, numvfs=numvfs)
    return info.value


def test_valid_request_is_normalised():
    out = validate_params(req(num_vfs=4, vf_driver="vfio-pci", vfs=[
        {"id": 2, "mac": "02:AA:00:00:00:02", "vlan": 100, "qos": 3, "vlan_proto": "802.1ad", "trust": "yes"},
        {"id": 0, "max_tx_rate": 1000, "min_tx_rate": 100, "driver": "default", "link_state": "enable"},
    ]), totalvfs=7)
    assert [vf["id"] for vf in out["vfs"]] == [0, 2]
    assert out["vfs"][1]["mac"] == "02:aa:00:00:00:02"
    assert out["vfs"][1]["trust"] is True
    assert out["vfs"][1]["vlan_proto"] == "802.1ad"
    assert out["vfs"][0]["spoofchk"] is None
    assert out["force"] is False and out["timeout"] == 60 and out["sysfs_root"] == "/sys"
    assert wanted_driver(out, 0) == "default"
    assert wanted_driver(out, 2) == "vfio-pci"


@pytest.mark.parametrize("mac, words", [
    ("02:aa:00:00:00", "not a MAC"),
    ("02-aa-00-00-00-01", "not a MAC"),
    ("zz:aa:00:00:00:01", "not a MAC"),
    ("00:00:00:00:00:00", "all zeros"),
    ("01:00:5e:00:00:01", "multicast"),
    ("ff:ff:ff:ff:ff:ff", "multicast"),
])
def test_bad_mac_is_refused(mac, words):
    err = refused(req(vfs=[{"id": 0}, {"id": 1, "mac": mac}]))
    assert err.field == "vfs[1].mac"
    assert words in err.msg


@pytest.mark.parametrize("vlan", [-1, 4095, 5000, "abc", True])
def test_vlan_outside_range_is_refused(vlan):
    assert refused(req(vfs=[{"id": 0, "vlan": vlan}])).field == "vfs[0].vlan"


def test_vlan_bounds_are_accepted():
    out = validate_params(req(vfs=[{"id": 0, "vlan": 0}, {"id": 1, "vlan": 4094}]))
    assert [vf["vlan"] for vf in out["vfs"]] == [0, 4094]


def test_qos_without_vlan_is_refused():
    err = refused(req(vfs=[{"id": 0, "qos": 3}]))
    assert err.field == "vfs[0].qos" and "vlan" in err.msg


def test_qos_with_untagged_vlan_is_refused():
    assert refused(req(vfs=[{"id": 0, "vlan": 0, "qos": 3}])).field == "vfs[0].qos"


def test_qos_above_seven_is_refused():
    assert refused(req(vfs=[{"id": 0, "vlan": 5, "qos": 8}])).field == "vfs[0].qos"


def test_vlan_proto_needs_vlan_and_a_known_protocol():
    assert refused(req(vfs=[{"id": 0, "vlan_proto": "802.1ad"}])).field == "vfs[0].vlan_proto"
    assert refused(req(vfs=[{"id": 0, "vlan": 3, "vlan_proto": "qinq"}])).field == "vfs[0].vlan_proto"


def test_min_rate_above_max_is_refused():
    err = refused(req(vfs=[{"id": 0, "min_tx_rate": 500, "max_tx_rate": 100}]))
    assert err.field == "vfs[0].min_tx_rate" and "500" in err.msg


def test_min_rate_with_unlimited_max_is_accepted():
    assert validate_params(req(vfs=[{"id": 0, "min_tx_rate": 500, "max_tx_rate": 0}]))["vfs"][0]["min_tx_rate"] == 500


def test_vf_index_at_or_above_num_vfs_is_refused():
    err = refused(req(num_vfs=4, vfs=[{"id": 4}]))
    assert err.field == "vfs[0].id" and "4" in err.msg


def test_vf_index_checked_against_current_count_when_num_vfs_unset():
    assert refused(req(vfs=[{"id": 3}]), numvfs=2).field == "vfs[0].id"
    assert validate_params(req(vfs=[{"id": 1}]), numvfs=2)["vfs"][0]["id"] == 1


def test_duplicate_index_is_refused():
    err = refused(req(vfs=[{"id": 1}, {"id": 1}]))
    assert err.field == "vfs[1].id" and "duplicate" in err.msg


def test_duplicate_mac_is_refused_case_insensitively():
    err = refused(req(vfs=[{"id": 0, "mac": "02:aa:00:00:00:01"}, {"id": 1, "mac": "02:AA:00:00:00:01"}]))
    assert err.field == "vfs[1].mac" and "vfs[0]" in err.msg


def test_num_vfs_above_totalvfs_is_refused():
    err = refused(req(num_vfs=8), totalvfs=7)
    assert err.field == "num_vfs" and "7" in err.msg


def test_negative_num_vfs_is_refused():
    assert refused(req(num_vfs=-1)).field == "num_vfs"


@pytest.mark.parametrize("driver", ["vfio pci", "../../x", "a/b", "", "x" * 65])
def test_malformed_driver_is_refused(driver):
    assert refused(req(vf_driver=driver)).field == "vf_driver"
    assert refused(req(vfs=[{"id": 0, "driver": driver}])).field == "vfs[0].driver"


@pytest.mark.parametrize("pf", ["../../etc", "enp1s0/..", "a/b", "en p1", "enp1s0\x00", "..", "", "x" * 65, 5])
def test_pf_that_could_walk_out_of_sysfs_is_refused(pf):
    assert refused(req(pf=pf)).field == "pf"


def test_pf_selector_is_normalised_and_checked():
    out = validate_params(req(pf={"vendor": "8086", "device": "0x10C9"}))
    assert out["pf"] == {"vendor": "0x8086", "device": "0x10c9", "index": 0}
    assert refused(req(pf={"vendor": "0x8086", "device": "xyz", "index": 0})).field == "pf.device"
    assert refused(req(pf={"vendor": "0x8086", "device": "0x10c9", "index": -1})).field == "pf.index"
    assert refused(req(pf={"vendor": "0x8086", "device": "0x10c9", "bus": 1})).field == "pf.bus"


def test_unknown_key_in_vf_entry_is_named():
    err = refused(req(vfs=[{"id": 0, "vlan": 5, "jumbo": 9000}]))
    assert err.field == "vfs[0].jumbo" and "jumbo" in err.msg


def test_vf_entry_without_id_is_refused():
    assert refused(req(vfs=[{"mac": "02:00:00:00:00:01"}])).field == "vfs[0].id"


def test_unknown_option_is_refused():
    assert refused(req(numvfs=3)).field == "numvfs"


def test_bad_link_state_and_booleans_are_refused():
    assert refused(req(vfs=[{"id": 0, "link_state": "up"}])).field == "vfs[0].link_state"
    assert refused(req(vfs=[{"id": 0, "trust": "maybe"}])).field == "vfs[0].trust"
    assert refused(req(force="perhaps")).field == "force"


def test_timeout_must_be_positive():
    assert refused(req(timeout=0)).field == "timeout"


@pytest.mark.parametrize("params, field", [
    (req(state="absent", num_vfs=2), "num_vfs"),
    (req(state="absent", vf_driver="vfio-pci"), "vf_driver"),
    (req(state="absent", mtu=9000), "mtu"),
    (req(state="absent", vfs=[{"id": 0}]), "vfs"),
    (req(state="gone"), "state"),
    (req(mtu=67), "mtu"),
    (req(mtu=9000, vfs=[{"id": 2, "mtu": 1500}, {"id": 0, "mtu": 9001}]), "vfs[1].mtu"),
    (req(vf_driver="vfio-pci", vfs=[{"id": 0, "mtu": 1500}]), "vfs[0].mtu"),
    (req(vfs=[{"id": 0, "driver": "vfio-pci", "mtu": 1500}]), "vfs[0].mtu"),
])
def test_mtu_and_state_absent_are_checked_naming_the_field(params, field):
    assert refused(params).field == field


def test_state_absent_means_zero_vfs():
    assert validate_params(req(state="absent"))["num_vfs"] == 0
    assert validate_params(req(state="absent", num_vfs=0, force=True))["force"] is True
    assert validate_params(req())["state"] == "present"
    assert validate_params(req(mtu=9000, vfs=[{"id": 0, "mtu": 9000}]))["vfs"][0]["mtu"] == 9000
