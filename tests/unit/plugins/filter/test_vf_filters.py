# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.filter import vf
from ansible_collections.directiron.sriov.plugins.filter.vf import FilterModule, vf_mac, vf_range

# vf_mac needs netaddr on the controller; ansible-test units installs it from tests/unit/requirements.txt.
needs_netaddr = pytest.mark.skipif(vf.netaddr is None, reason="netaddr is not installed")


def test_filters_are_registered_under_their_documented_names():
    assert set(FilterModule().filters()) == {"vf_range", "vf_mac"}


def test_vf_range_expands_range_and_single_ids():
    assert vf_range("enp1s0#4-6,9") == [{"pf": "enp1s0", "id": 4}, {"pf": "enp1s0", "id": 5},
                                        {"pf": "enp1s0", "id": 6}, {"pf": "enp1s0", "id": 9}]


def test_vf_range_takes_a_list_and_drops_duplicates():
    assert vf_range(["enp1s0#0-1", "0000:02:00.0#1", "enp1s0#1"]) == [
        {"pf": "enp1s0", "id": 0}, {"pf": "enp1s0", "id": 1}, {"pf": "0000:02:00.0", "id": 1}]


@pytest.mark.parametrize("bad", ["enp1s0", "enp1s0#3-1", "a b#1", 5, {"pf": "x"}])
def test_vf_range_rejects_bad_selectors(bad):
    with pytest.raises(AnsibleFilterError):
        vf_range(bad)


@pytest.mark.parametrize("base,index,expected", [
    ("02:1a:00:00:00:01", 0, "02:1a:00:00:00:01"),
    ("02:1a:00:00:00:01", 4, "02:1a:00:00:00:05"),
    ("02:1A:00:00:00:FF", 1, "02:1a:00:00:01:00"),
    ("02-1a-00-00-00-01", "2", "02:1a:00:00:00:03"),
    ("0a:00:00:00:00:00", 7, "0a:00:00:00:00:07"),
])
@needs_netaddr
def test_vf_mac_adds_index_to_base(base, index, expected):
    assert vf_mac(base, index) == expected


@pytest.mark.parametrize("base,index,words", [
    ("00:1b:21:00:00:01", 0, "not locally administered"),
    ("03:00:00:00:00:01", 0, "multicast"),
    ("02:ff:ff:ff:ff:ff", 1, "leaves the first octet"),
    ("02:00:00:00:00:00", -1, "non-negative"),
    ("02:00:00:00:00:00", True, "non-negative"),
    ("02:00:00:00:00:00", "x", "non-negative"),
    ("not-a-mac", 0, "not a MAC"),
])
@needs_netaddr
def test_vf_mac_refuses_unsafe_or_malformed_input(base, index, words):
    with pytest.raises(AnsibleFilterError) as err:
        vf_mac(base, index)
    assert words in str(err.value)


def test_vf_mac_says_netaddr_is_missing(monkeypatch):
    monkeypatch.setattr(vf, "netaddr", None)
    with pytest.raises(AnsibleFilterError) as err:
        vf_mac("02:00:00:00:00:00", 1)
    assert "netaddr" in str(err.value)
