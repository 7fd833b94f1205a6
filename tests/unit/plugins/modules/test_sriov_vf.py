# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_vf main(): argument spec, check mode, diff, idempotence and fail_json on a fake host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.module_utils import basic
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import module_args as patch_module_args

from ansible_collections.directiron.sriov.plugins.modules import sriov_vf
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


@pytest.fixture
def host(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path))

    def run_command(self, argv, **kwargs):
        assert isinstance(argv, list)
        if argv[0].endswith("virsh"):
            return 1, "", "error: failed to connect to the hypervisor"
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


def run(host, **args):
    args.setdefault("sysfs_root", host.root)
    args.setdefault("proc_root", host.proc)
    with patch_module_args(args):
        with pytest.raises((ExitJson, FailJson)) as info:
            sriov_vf.main()
    return info.type is ExitJson, info.value.args[0]


def test_module_converges_and_is_idempotent(host):
    args = {"pf": "enp1s0", "num_vfs": 3, "vf_driver": "vfio-pci",
            "vfs": [{"id": 0, "mac": "02:aa:00:00:00:01", "vlan": 100, "trust": True}]}
    ok, first = run(host, _ansible_diff=True, **args)
    assert ok and first["changed"] is True and first["pf"] == "0000:01:00.0"
    assert "set sriov_numvfs of 0000:01:00.0 to 3" in first["actions"]
    assert first["state"]["num_vfs"] == 3 and first["diff"]["before"]["num_vfs"] == 0
    assert first["state"]["vfs"][0]["driver"] == "vfio-pci"
    ok, second = run(host, **args)
    assert ok and second["changed"] is False and second["actions"] == []
    assert "diff" not in second  # diffs only with --diff, as every module of the collection


def test_module_check_mode_writes_nothing(host):
    before = host.snapshot()
    ok, result = run(host, pf="enp1s0", num_vfs=2, _ansible_check_mode=True)
    assert ok and result["changed"] is True and host.writes == [] and host.snapshot() == before


def test_module_fails_with_field_on_bad_request(host):
    ok, result = run(host, pf="enp1s0", num_vfs=2, vfs=[{"id": 2, "vlan": 5}])
    assert not ok and result["field"] == "vfs[0].id" and host.writes == []


def test_module_rejects_unknown_vf_key(host):
    ok, result = run(host, pf="enp1s0", vfs=[{"id": 0, "jumbo": 9000}])
    assert not ok and "jumbo" in result["msg"] and host.writes == []


def test_module_guard_refusal_is_a_failure_with_problems(tmp_path, monkeypatch, host):
    host.default_route_dev = "enp1s0"
    ok, result = run(host, pf="enp1s0", num_vfs=2)
    assert not ok and "default route" in result["msg"]
    assert result["details"]["problems"] and host.writes == []
    ok, result = run(host, pf="enp1s0", num_vfs=2, force=True)
    assert ok and result["changed"] is True


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_pf_networkmanager_owns_is_refused_before_any_write_then_taken_over(tmp_path, monkeypatch, host, check_mode):
    config = tmp_path / "config"
    (config / "etc/NetworkManager/system-connections").mkdir(parents=True)
    (config / "etc/NetworkManager/system-connections/uplink.nmconnection").write_text(
        "[connection]\nid=uplink\ninterface-name=enp1s0\n\n[sriov]\ntotal-vfs=3\n")
    monkeypatch.setattr(sriov_vf, "CONFIG_ROOT", str(config))
    before = host.snapshot()
    ok, result = run(host, pf="enp1s0", num_vfs=2, _ansible_check_mode=check_mode)
    assert not ok and host.writes == [] and host.snapshot() == before
    assert result["field"] == "pf"
    assert result["msg"].startswith("pf enp1s0 (0000:01:00.0): its SR-IOV settings are owned by NetworkManager through "
                                    "/etc/NetworkManager/system-connections/uplink.nmconnection, matched by "
                                    "interface-name=enp1s0: [sriov] total-vfs=3")
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, text: warned.append(text))
    ok, result = run(host, pf="enp1s0", num_vfs=2, take_over=True, _ansible_check_mode=check_mode)
    assert ok and result["changed"] is True
    assert [w for w in warned if w.startswith("pf enp1s0 (0000:01:00.0): taking over SR-IOV settings owned by NetworkManager")]
    # another PF of the same host is not owned
    ok, result = run(host, pf="enp2s0", num_vfs=1, _ansible_check_mode=True)
    assert ok
