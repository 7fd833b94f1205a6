# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_vf refusals that used to be wrong successes: a VF given the MAC of another VF netdev of
the same PF, and a PF MTU change on the link that carries the management connection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.test_vf import apply


@pytest.fixture
def host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path))
    host.vf_netdevs = True
    return host


def _netdev_mac(host, ifname):
    import json
    return [link["address"] for link in json.loads(host.ip_link_json()) if link["ifname"] == ifname][0]


def test_a_vf_may_not_take_the_mac_of_another_vf_netdev_of_the_same_pf(host):
    apply(host, num_vfs=2)
    taken = _netdev_mac(host, "vf1n1")
    before = host.snapshot()
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vfs=[{"id": 0, "mac": taken}])
    assert info.value.field == "vfs[0].mac" and "vf1n1" in info.value.msg
    assert host.snapshot() == before


def test_a_vf_may_keep_the_mac_its_own_netdev_has(host):
    apply(host, num_vfs=2)
    own = _netdev_mac(host, "vf1n0")
    assert apply(host, num_vfs=2, vfs=[{"id": 0, "mac": own}])["changed"] is True


def test_recreating_the_vfs_frees_their_netdev_macs(host):
    apply(host, num_vfs=2)
    old = _netdev_mac(host, "vf1n1")
    assert apply(host, num_vfs=3, vfs=[{"id": 0, "mac": old}])["changed"] is True


def test_two_vfs_of_one_request_with_one_mac_are_refused(host):
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vfs=[{"id": 0, "mac": "02:00:00:00:00:01"}, {"id": 1, "mac": "02:00:00:00:00:01"}])
    assert info.value.field == "vfs[1].mac"
    assert host.writes == []


@pytest.fixture
def mgmt_host(tmp_path, monkeypatch):
    return install(monkeypatch, FakeHost(tmp_path, default_route_dev="enp1s0", ssh_dev="enp1s0"))


def test_a_pf_mtu_change_on_the_management_link_is_refused(mgmt_host):
    before = mgmt_host.snapshot()
    with pytest.raises(SriovError) as info:
        apply(mgmt_host, mtu=9000)
    assert "enp1s0" in info.value.msg and "cut this host off" in info.value.msg
    assert mgmt_host.snapshot() == before and mgmt_host.mtu_of("enp1s0") == 1500


def test_force_changes_the_mtu_of_the_management_link_with_a_warning(mgmt_host):
    result = apply(mgmt_host, mtu=9000, force=True)
    assert mgmt_host.mtu_of("enp1s0") == 9000
    assert any("cut this host off" in warning for warning in result["warnings"])


def test_an_unchanged_mtu_on_the_management_link_is_no_change(mgmt_host):
    result = apply(mgmt_host, mtu=1500)
    assert result["changed"] is False and result["warnings"] == []
