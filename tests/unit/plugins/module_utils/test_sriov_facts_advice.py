# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_facts' MTUs, queue and MSI-X data, and its over-provisioning advice: a warning only when
the data behind it is there."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _sriov_facts
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install

PF = "0000:01:00.0"


@pytest.fixture
def host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path))
    host.vf_netdevs = True
    return host


def facts(host, **kwargs):
    return _sriov_facts.gather_sriov_facts(sysfs_root=host.root, proc_root=host.proc, netlink="never", **kwargs)


def pf_entry(result, address=PF):
    return [pf for pf in result["pfs"] if pf["address"] == address][0]


def config_space(msix_size=None, capability_list=True):
    """256 bytes of PCI config space: a power-management capability, then MSI-X when asked."""
    data = bytearray(256)
    data[0x06] = 0x10 if capability_list else 0
    data[0x34] = 0x40
    data[0x40], data[0x41] = 0x01, 0x50  # PM -> 0x50
    if msix_size:
        data[0x50], data[0x51] = 0x11, 0x00
        control = msix_size - 1
        data[0x52], data[0x53] = control & 0xFF, control >> 8
    return bytes(data)


def write(host, rel, content):
    path = os.path.join(host.root, rel)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode) as handle:
        handle.write(content)


def test_mtus_of_the_pf_and_the_vf_host_netdevs(host):
    host.set_numvfs(PF, 2)
    write(host, "class/net/enp1s0/mtu", "9000\n")
    write(host, "class/net/vf1n1/mtu", "4000\n")
    pf = pf_entry(facts(host))
    assert pf["mtu"] == 9000 and [vf["mtu"] for vf in pf["vfs"]] == [1500, 4000]


@pytest.mark.parametrize("size", [3, 10, 2048])
def test_msix_table_size_is_read_from_config_space(host, size):
    write(host, host.dev_path(PF) + "/config", config_space(size))
    assert _sriov_facts.msix_table_size(host.root, PF) == size
    assert pf_entry(facts(host))["msix_vectors"] == size


@pytest.mark.parametrize("content", [None, config_space(None), config_space(10, capability_list=False),
                                     config_space(10)[:64]])
def test_msix_is_null_when_config_space_does_not_say(host, content):
    if content is not None:
        write(host, host.dev_path(PF) + "/config", content)
    assert _sriov_facts.msix_table_size(host.root, PF) is None


def test_a_capability_loop_ends(host):
    data = bytearray(config_space(None))
    data[0x51] = 0x40  # 0x50 does not exist: make 0x40 -> 0x40
    data[0x41] = 0x40
    write(host, host.dev_path(PF) + "/config", bytes(data))
    assert _sriov_facts.msix_table_size(host.root, PF) is None


def test_queue_counts_of_netdevs(host):
    for name in ("rx-0", "rx-1", "tx-0", "tx-1", "tx-2"):
        os.makedirs(os.path.join(host.root, "class/net/enp1s0/queues", name))
    assert pf_entry(facts(host))["queues"] == {"rx": 2, "tx": 3}
    assert pf_entry(facts(host), "0000:02:00.0")["queues"] is None  # no queues directory in this tree


def test_no_advice_without_data(host):
    host.set_numvfs(PF, 7)
    result = facts(host)
    assert result["advice"] == [] and pf_entry(result)["vf_total_msix"] is None


def test_a_shared_msix_pool_too_small_for_the_vfs_is_advised(host):
    host.set_numvfs(PF, 7)
    write(host, host.dev_path(PF) + "/sriov_vf_total_msix", "12\n")
    advice = facts(host)["advice"]
    assert advice == ["PF 0000:01:00.0: 7 VFs share 12 MSI-X vectors (sriov_vf_total_msix), 1 each: a VF needs at "
                      "least 2 (one for the PF mailbox, one per queue pair); use fewer VFs"]
    write(host, host.dev_path(PF) + "/sriov_vf_total_msix", "14\n")
    assert facts(host)["advice"] == []


def test_vfs_in_no_pool_and_no_running_guest_are_advised_only_when_pools_are_given(host):
    host.set_numvfs(PF, 4)
    host.set_numvfs("0000:02:00.0", 2)
    addresses = host.vf_addresses()
    assert facts(host)["advice"] == []
    pools = [{"name": "a", "vfs": ["enp1s0#0", addresses[1]]}, {"name": "b", "pfs": ["0000:02:00.0"]}]
    result = facts(host, pools=pools, domains={addresses[3]: "guest1"})
    assert result["advice"] == ["PF 0000:01:00.0: VF 2 in no pool and attached to no running guest: fewer VFs "
                                "would free their queues and interrupt vectors"]
    assert facts(host, pools=pools + [{"name": "c", "vfs": "enp1s0#2-3"}])["advice"] == []


def test_a_pool_that_cannot_be_read_is_said_in_missing(host):
    host.set_numvfs(PF, 1)
    result = facts(host, pools=[{"name": "gone", "pfs": ["enp9s0"]}])
    assert any(line.startswith("pools[0] (gone) not read: PF enp9s0") for line in result["missing"])
    assert result["advice"] == ["PF 0000:01:00.0: VF 0 in no pool and attached to no running guest: fewer VFs "
                                "would free their queues and interrupt vectors"]
