# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_host main(): every PF planned and guarded before any write, prune, the persisted replay
files, idempotence, check mode and diff on a fake host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils import basic
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import module_args as patch_module_args

from ansible_collections.directiron.sriov.plugins.module_utils import _replay_install
from ansible_collections.directiron.sriov.plugins.modules import iommu_facts, sriov_facts, sriov_host
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install

TWO_PFS = [
    {"pf": "enp1s0", "num_vfs": 3, "vf_driver": "vfio-pci",
     "vfs": [{"id": 0, "mac": "02:aa:00:00:00:01", "vlan": 100, "trust": True}]},
    {"pf": "0000:02:00.0", "num_vfs": 2, "drivers_autoprobe": False},
]


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path))
    host.etc = str(tmp_path / "root")
    os.makedirs(host.etc)

    def run_command(self, argv, **kwargs):
        assert isinstance(argv, list)
        if argv[0].endswith("virsh"):
            return 1, "", "error: failed to connect to the hypervisor"
        if argv[0] == "systemctl":
            host.calls.append(list(argv))
            assert argv == ["systemctl", "--root=%s" % host.etc, "enable", _replay_install.UNIT]
            wants = os.path.join(host.etc, _replay_install.WANTS_PATH.lstrip("/"))
            os.makedirs(os.path.dirname(wants))
            os.symlink(_replay_install.UNIT_PATH, wants)
            return 0, "", ""
        return host.runner(argv)

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, **kwargs):
        raise FailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    return host


def run(host, module=sriov_host, **args):
    args.setdefault("sysfs_root", host.root)
    args.setdefault("proc_root", host.proc)
    if module is sriov_host:
        args.setdefault("config_root", host.etc)
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as info:
            module.main()
    return info.type is ExitJson, info.value.args[0]


def files(host):
    found = {}
    for dirpath, _dirnames, filenames in os.walk(host.etc):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                continue
            found["/" + os.path.relpath(path, host.etc)] = os.stat(path).st_mode & 0o7777
    return found


def config(host):
    with open(os.path.join(host.etc, _replay_install.CONFIG_PATH.lstrip("/"))) as handle:
        return json.load(handle)


def test_one_run_converges_every_pf_and_persists_the_replay_then_changes_nothing(host):
    ok, first = run(host, sriov_pfs=TWO_PFS, _ansible_diff=True)
    assert ok and first["changed"] is True
    assert [(pf["pf"], pf["netdev"], pf["state"]["num_vfs"]) for pf in first["pfs"]] == [
        ("0000:01:00.0", "enp1s0", 3), ("0000:02:00.0", "enp2s0", 2)]
    assert first["actions"][0].startswith("write %s" % _replay_install.UDEV_RULE_PATH)
    assert first["actions"][-1] == "enable %s" % _replay_install.UNIT
    assert files(host) == {_replay_install.UDEV_RULE_PATH: 0o644, _replay_install.CONFIG_PATH: 0o600, _replay_install.LAUNCHER_PATH: 0o755,
                           _replay_install.UNIT_PATH: 0o644}
    assert config(host) == {"version": 1, "wait_timeout": 60, "addresses": ["0000:01:00.0", "0000:02:00.0"],
                            "pfs": TWO_PFS}
    with open(os.path.join(host.etc, _replay_install.UDEV_RULE_PATH.lstrip("/"))) as handle:
        assert 'RESULT=="*/0000:01:00.0|*/0000:02:00.0"' in handle.read()
    headers = [entry["before_header"] for entry in first["diff"]]
    assert "sriov_pfs[0] 0000:01:00.0" in headers and _replay_install.CONFIG_PATH in headers
    calls = len(host.calls)
    ok, second = run(host, sriov_pfs=TWO_PFS)
    assert ok and second["changed"] is False and second["actions"] == []
    assert [call for call in host.calls[calls:] if call[0] == "systemctl"] == []


def test_check_mode_writes_nothing_and_reports_every_file(host):
    before = host.snapshot()
    ok, result = run(host, sriov_pfs=TWO_PFS, _ansible_check_mode=True)
    assert ok and result["changed"] is True and host.writes == [] and host.snapshot() == before
    assert files(host) == {}
    assert result["pfs"][0]["state"]["num_vfs"] == 3 and "enable %s" % _replay_install.UNIT in result["actions"]


def test_a_bad_later_entry_stops_the_run_before_the_first_pf_is_touched(host):
    pfs = [TWO_PFS[0], {"pf": "enp2s0", "num_vfs": 2, "vfs": [{"id": 2, "vlan": 5}]}]
    ok, result = run(host, sriov_pfs=pfs)
    assert not ok and result["field"] == "sriov_pfs[1].vfs[0].id"
    assert result["msg"].startswith("sriov_pfs[1].vfs[0].id 2 ") and "\n" not in result["msg"]
    assert host.writes == [] and files(host) == {}


@pytest.mark.parametrize("pfs, field", [
    ([{"pf": "enp1s0"}, {"pf": "0000:01:00.0"}], "sriov_pfs[1].pf"),
    ([{"pf": "enp1s0", "num_vfs": 1, "vfs": [{"id": 0, "mac": "02:aa:00:00:00:01"}]},
      {"pf": "enp2s0", "num_vfs": 1, "vfs": [{"id": 0, "mac": "02:AA:00:00:00:01"}]}], "sriov_pfs[1].vfs[0].mac"),
    ([{"pf": "enp1s0", "num_vfs": "many"}], "sriov_pfs[0].num_vfs"),
    ([{"pf": "enp1s0", "colour": "red"}], "sriov_pfs[0].colour"),
    ([{"pf": "enp1s0", "sysfs_root": "/tmp"}], "sriov_pfs[0].sysfs_root"),
])
def test_bad_input_names_the_entry_and_field(host, pfs, field):
    ok, result = run(host, sriov_pfs=pfs)
    assert not ok and result["field"] == field and result["msg"].startswith(field)
    assert host.writes == [] and files(host) == {}


def test_prune_sets_pfs_no_longer_listed_to_zero_through_the_same_run(host):
    assert run(host, sriov_pfs=TWO_PFS)[0]
    ok, check = run(host, sriov_pfs=TWO_PFS[:1], prune=True, _ansible_check_mode=True)
    assert ok and check["pruned"] == ["0000:02:00.0"] and "set sriov_numvfs of 0000:02:00.0 from 2 to 0" in \
        check["actions"]
    ok, result = run(host, sriov_pfs=TWO_PFS[:1], prune=True)
    assert ok and result["pruned"] == ["0000:02:00.0"]
    with open(os.path.join(host.root, "bus", "pci", "devices", "0000:02:00.0", "sriov_numvfs")) as handle:
        assert handle.read().strip() == "0"
    assert config(host)["addresses"] == ["0000:01:00.0"]
    ok, again = run(host, sriov_pfs=TWO_PFS[:1], prune=True)
    assert ok and again["changed"] is False and again["pruned"] == []


def test_without_persist_only_the_vf_state_changes(host):
    ok, result = run(host, sriov_pfs=TWO_PFS, persist=False)
    assert ok and result["changed"] is True and files(host) == {}
    assert not any(action.startswith(("write", "enable")) for action in result["actions"])


def test_a_file_that_cannot_be_written_is_named_and_the_previous_one_stays(host, monkeypatch):
    import errno
    import tempfile
    assert run(host, sriov_pfs=TWO_PFS)[0]
    before = config(host)

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", full_disk)
    ok, result = run(host, sriov_pfs=TWO_PFS, boot_wait=30)  # the config (and the unit) change, first the config
    assert not ok and result["msg"] == ("writing %s failed: No space left on device (ENOSPC); the previous file "
                                        "is unchanged" % _replay_install.CONFIG_PATH)
    assert config(host) == before


@pytest.mark.parametrize("facts, iommu_subset, sriov_subset", [
    (["min"], ["min"], ["min"]),
    (["all"], ["all"], ["all"]),
    (["groups", "vfs"], ["groups"], ["vfs"]),
    (["!devices"], ["!devices"], ["all"]),
])
def test_facts_are_what_iommu_facts_and_sriov_facts_return_on_the_same_host(host, facts, iommu_subset, sriov_subset):
    # one run per host for a fleet report plus a dry run: the facts must not drift from the facts modules'
    ok, plan = run(host, sriov_pfs=TWO_PFS, facts=facts, _ansible_check_mode=True)
    assert ok and plan["changed"] is True and host.writes == []
    ok, iommu = run(host, module=iommu_facts, gather_subset=iommu_subset)
    assert ok
    ok, sriov = run(host, module=sriov_facts, gather_subset=sriov_subset)
    assert ok
    assert plan["ansible_facts"] == {"iommu": iommu["ansible_facts"]["iommu"], "sriov": sriov["ansible_facts"]["sriov"]}
    assert [pf["numvfs"] for pf in plan["ansible_facts"]["sriov"]["pfs"]] == [0, 0]


def test_facts_describe_the_host_after_the_run_and_are_off_by_default(host):
    ok, result = run(host, sriov_pfs=TWO_PFS, persist=False, facts=["min"])
    assert ok and [pf["numvfs"] for pf in result["ansible_facts"]["sriov"]["pfs"]] == [3, 2]
    ok, result = run(host, sriov_pfs=TWO_PFS, persist=False)
    assert ok and result["changed"] is False and "ansible_facts" not in result


def test_an_unknown_facts_name_is_refused_by_its_option(host):
    ok, result = run(host, sriov_pfs=TWO_PFS, facts=["pf"], _ansible_check_mode=True)
    assert not ok and "unknown facts pf" in result["msg"] and "devices, groups, pfs, vfs" in result["msg"]


OWNED_LINK = "[Match]\nPath=pci-0000:02:00.0\n\n[Link]\nSR-IOVVirtualFunctions=4\n"


def own_enp2s0(host, path="etc/systemd/network/10-sriov.link", text=OWNED_LINK):
    full = os.path.join(host.etc, path)
    os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_pf_owned_by_a_link_file_is_refused_before_any_write(host, check_mode):
    own_enp2s0(host)
    before = host.snapshot()
    ok, result = run(host, sriov_pfs=TWO_PFS, _ansible_check_mode=check_mode)
    assert not ok
    assert result["msg"].startswith("sriov_pfs[1].pf 0000:02:00.0 (0000:02:00.0): its SR-IOV settings are owned by "
                                    "systemd-udevd (.link) through /etc/systemd/network/10-sriov.link")
    assert "or set take_over: true" in result["msg"]
    assert host.writes == [] and host.snapshot() == before
    assert files(host) == {"/etc/systemd/network/10-sriov.link": 0o644}


def test_a_pf_owned_by_networkmanager_is_refused_naming_the_connection(host):
    own_enp2s0(host, "etc/NetworkManager/system-connections/uplink.nmconnection",
               "[connection]\nid=uplink\ninterface-name=enp2s0\n[sriov]\ntotal-vfs=2\n")
    ok, result = run(host, sriov_pfs=TWO_PFS)
    assert not ok and host.writes == []
    assert ("owned by NetworkManager through /etc/NetworkManager/system-connections/uplink.nmconnection, matched by "
            "interface-name=enp2s0: [sriov] total-vfs=2") in result["msg"]


def test_take_over_proceeds_with_a_warning(host, monkeypatch):
    own_enp2s0(host)
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))
    ok, result = run(host, sriov_pfs=TWO_PFS, take_over=True)
    assert ok and result["changed"] is True
    assert host.read("bus/pci/devices/0000:02:00.0/sriov_numvfs") == "2"
    assert [w for w in warned if w.startswith("sriov_pfs[1].pf 0000:02:00.0 (0000:02:00.0): taking over SR-IOV settings "
                                              "owned by systemd-udevd (.link) through /etc/systemd/network/10-sriov.link")]


def test_a_pf_the_run_would_prune_is_refused_when_another_owner_holds_it(host):
    ok, _result = run(host, sriov_pfs=TWO_PFS)
    assert ok
    own_enp2s0(host)
    ok, result = run(host, sriov_pfs=TWO_PFS[:1], prune=True)
    assert not ok and result["msg"].startswith("prune of PF 0000:02:00.0: its SR-IOV settings are owned by")


def test_facts_report_the_owner_of_each_pf(host):
    own_enp2s0(host)
    ok, result = run(host, module=sriov_facts, config_root=host.etc)
    assert ok
    owners = dict((pf["address"], pf["owners"]) for pf in result["ansible_facts"]["sriov"]["pfs"])
    assert owners["0000:01:00.0"] == []
    assert [(o["owner"], o["file"], o["matched_by"], o["settings"]["virtual_functions"]) for o in owners["0000:02:00.0"]] == [
        ("systemd-udevd (.link)", "/etc/systemd/network/10-sriov.link", "Path=pci-0000:02:00.0", "4")]


def test_facts_match_a_link_file_by_the_pfs_mac_read_from_sysfs(host):
    own_enp2s0(host, text="[Match]\nMACAddress=52:54:00:00:00:01\nDriver=igb\n[SR-IOV]\nVirtualFunction=0\n")
    ok, result = run(host, module=sriov_facts, config_root=host.etc)
    assert ok
    assert [(pf["netdev"], [o["matched_by"] for o in pf["owners"]]) for pf in result["ansible_facts"]["sriov"]["pfs"]] == [
        ("enp1s0", ["Driver=igb MACAddress=52:54:00:00:00:01"]), ("enp2s0", ["Driver=igb MACAddress=52:54:00:00:00:01"])]
