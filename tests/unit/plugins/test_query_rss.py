# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vfs[].query_rss (``ip link set DEV vf N query_rss on|off``, iproute2's ``query_rss_en``) through every
path: sriov_vf, sriov_host, the boot-time replay, facts, the inventory check and the role's spec.

The fake host is igb, which has no ndo_set_vf_rss_query_en: the kernel refuses the setting and igb
reports none. ``rss_query`` makes the fake a PF driver that has it (ixgbe, i40e).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import io
import os

import pytest
import yaml

from ansible_collections.directiron.sriov.plugins.filter.sriov_inventory import sriov_pfs_errors
from ansible_collections.directiron.sriov.plugins.module_utils import _guards, _replay, _sriov_facts, _vf
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._host import HostManager
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")


@pytest.fixture
def host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, numvfs=2))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return host


def apply(host, check_mode=False, **params):
    params.setdefault("pf", "enp1s0")
    return _vf.apply_pf(params, host.runner, sysfs_root=host.root, check_mode=check_mode, guards=_guards.NoGuards())


def test_igb_refuses_query_rss_and_the_error_names_the_vf_the_pf_and_the_kernels_answer(host):
    with pytest.raises(SriovError) as info:
        apply(host, vfs=[{"id": 1, "query_rss": True}])
    msg = info.value.msg
    assert "setting query_rss on for VF 1 of PF enp1s0 (0000:01:00.0, driver igb)" in msg
    assert "%s (RTNETLINK answers: Operation not supported)" % errno.errorcode[errno.EOPNOTSUPP] in msg
    assert "the driver does not support this setting" in msg
    assert info.value.field == "vfs[0].query_rss"
    assert ["ip", "link", "set", "dev", "enp1s0", "vf", "1", "query_rss", "on"] in host.calls


def test_sriov_host_fails_naming_the_entry_and_the_vf(host):
    manager = HostManager({"sriov_pfs": [{"pf": "enp1s0", "vfs": [{"id": 0, "query_rss": "on"}]}],
                           "sysfs_root": host.root, "proc_root": host.proc, "persist": False}, host.runner,
                          guards=_guards.HostGuards(host.runner, host.root, host.proc))
    with pytest.raises(SriovError) as info:
        manager.run()
    assert "query_rss on for VF 0 of PF enp1s0" in info.value.msg and "Operation not supported" in info.value.msg


def test_a_driver_with_query_rss_gets_it_once_and_reports_it(host):
    host.rss_query = True
    plan = apply(host, check_mode=True, vfs=[{"id": 0, "query_rss": True}])
    assert plan["actions"] == ["set VF 0 of enp1s0: query_rss on"]
    assert [vf["query_rss"] for vf in plan["diff"]["after"]["vfs"]] == [True, False]
    result = apply(host, vfs=[{"id": 0, "query_rss": True}])
    assert result["changed"] and not result["warnings"]
    assert [vf["query_rss"] for vf in result["diff"]["after"]["vfs"]] == [True, False]
    assert not apply(host, vfs=[{"id": 0, "query_rss": True}])["changed"]
    assert apply(host, vfs=[{"id": 0, "query_rss": False}])["actions"] == ["set VF 0 of enp1s0: query_rss off"]


def test_facts_report_query_rss_and_null_where_the_driver_reports_none(host, tmp_path):
    def reported():
        facts = _sriov_facts.gather_sriov_facts(sysfs_root=host.root, proc_root=host.proc, netlink="always",
                                                runner=host.runner, ip_bin="ip", config_root=str(tmp_path))
        pf = [pf for pf in facts["pfs"] if pf["netdev"] == "enp1s0"][0]
        return [vf["query_rss"] for vf in pf["vfs"]]

    assert reported() == [None, None]  # igb reports no setting
    host.rss_query = True
    host.links["enp1s0"][1]["query_rss"] = True
    assert reported() == [False, True]


def test_the_boot_time_replay_applies_it(host):
    host.rss_query = True
    config = {"version": 1, "wait_timeout": 0, "pfs": [{"pf": "enp1s0", "num_vfs": 2, "vfs": [{"id": 1, "query_rss": True}]}]}
    summary = _replay.replay(config, runner=host.runner, log=_replay.Logger(io.StringIO()), sysfs_root=host.root,
                             proc_root=host.proc)
    assert summary["ok"] == ["enp1s0"] and not summary["failed"]
    assert host.links["enp1s0"][1]["query_rss"] is True


def test_the_inventory_check_refuses_a_value_that_is_not_a_boolean():
    errors = sriov_pfs_errors([{"pf": "enp1s0", "vfs": [{"id": 0, "query_rss": "maybe"}]}])
    assert len(errors) == 1 and errors[0].startswith("sriov_pfs[0].vfs[0].query_rss"), errors
    assert sriov_pfs_errors([{"pf": "enp1s0", "vfs": [{"id": 0, "query_rss": True}]}]) == []


def test_the_role_documents_it_as_new_in_the_next_release():
    with open(os.path.join(ROOT, "roles", "sriov_vfs", "meta", "argument_specs.yml")) as handle:
        spec = yaml.safe_load(handle)
    vfs = spec["argument_specs"]["main"]["options"]["sriov_vfs_pfs"]["options"]["vfs"]["options"]
    assert vfs["query_rss"]["type"] == "bool" and vfs["query_rss"]["version_added"] == "2.0.0"
