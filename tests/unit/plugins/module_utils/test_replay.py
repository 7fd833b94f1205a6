# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot-time replay: config envelope, waiting for PFs, continuing past a missing or failing PF."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _replay
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeRunner(object):
    def __init__(self, settle_rc=0):
        self.calls = []
        self.settle_rc = settle_rc

    def __call__(self, argv):
        assert isinstance(argv, list)
        self.calls.append(argv)
        if argv[:2] == ["udevadm", "settle"]:
            return self.settle_rc, "", "" if self.settle_rc == 0 else "timeout"
        return 0, "", ""


class FakeApply(object):
    """Records each call; answers from a per-PF table (a dict result or an exception to raise)."""

    def __init__(self, answers=None):
        self.calls = []
        self.answers = answers or {}

    def __call__(self, params, runner, sysfs_root="/sys", check_mode=False, guards=None):
        self.calls.append({"params": params, "sysfs_root": sysfs_root, "check_mode": check_mode, "guards": guards})
        answer = self.answers.get(params["pf"], {"changed": True, "pf": "0000:01:00.0",
                                                 "actions": ["set sriov_numvfs to %s" % params.get("num_vfs")],
                                                 "warnings": []})
        if isinstance(answer, Exception):
            raise answer
        return answer


def readiness_from(table):
    """readiness(pf) from {pf: (address, reason)}; unknown PFs are absent."""
    def readiness(pf):
        return table.get(pf, (None, "no netdev or PCI function named %s" % pf))
    return readiness


def config(*pfs, **extra):
    data = {"version": 1, "pfs": list(pfs)}
    data.update(extra)
    return data


PF1 = {"pf": "enp1s0", "num_vfs": 4, "vf_driver": "vfio-pci",
       "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100, "trust": True}]}
PF2 = {"pf": "enp2s0", "num_vfs": 2}
READY = {"enp1s0": ("0000:01:00.0", None), "enp2s0": ("0000:02:00.0", None)}


def run(cfg, apply, readiness, runner=None, clock=None, **kwargs):
    clock = clock or FakeClock()
    log = _replay.Logger(io.StringIO())
    summary = _replay.replay(cfg, apply=apply, runner=runner or FakeRunner(), log=log, readiness=readiness,
                             guards="boot-guards", sleep=clock.sleep, clock=clock.clock, **kwargs)
    return summary, log


def test_every_pf_is_applied_in_order_with_the_persisted_options_and_host_roots():
    apply = FakeApply()
    summary, _log = run(config(PF1, PF2), apply, readiness_from(READY), sysfs_root="/fake/sys", proc_root="/fake/proc")
    assert [call["params"]["pf"] for call in apply.calls] == ["enp1s0", "enp2s0"]
    first = apply.calls[0]
    assert first["params"]["vfs"] == PF1["vfs"] and first["params"]["vf_driver"] == "vfio-pci"
    assert first["params"]["sysfs_root"] == "/fake/sys" and first["params"]["proc_root"] == "/fake/proc"
    assert first["sysfs_root"] == "/fake/sys" and first["check_mode"] is False
    assert first["guards"] == "boot-guards"
    assert summary == {"ok": ["enp1s0", "enp2s0"], "changed": ["enp1s0", "enp2s0"], "failed": {}, "missing": {}}
    assert _replay.exit_code(summary) == 0


def test_a_persisted_sysfs_root_does_not_override_the_hosts():
    apply = FakeApply()
    entry = dict(PF2, sysfs_root="/tmp/fixture", proc_root="/tmp/proc")
    run(config(entry), apply, readiness_from(READY))
    assert apply.calls[0]["params"]["sysfs_root"] == "/sys"
    assert apply.calls[0]["params"]["proc_root"] == "/proc"


def test_a_missing_pf_is_reported_and_the_others_are_still_applied():
    apply = FakeApply()
    ready = {"enp2s0": ("0000:02:00.0", None)}
    summary, log = run(config(PF1, PF2), apply, readiness_from(ready))
    assert [call["params"]["pf"] for call in apply.calls] == ["enp2s0"]
    assert list(summary["missing"]) == ["enp1s0"]
    assert summary["ok"] == ["enp2s0"]
    assert _replay.exit_code(summary) == _replay.EXIT_PF_FAILED
    errors = [msg for prio, msg in log.lines if prio == _replay.ERR]
    assert any("enp1s0 is missing" in msg and "no netdev or PCI function" in msg for msg in errors)


def test_a_failing_pf_does_not_stop_the_next_one():
    apply = FakeApply({"enp1s0": SriovError("writing sriov_numvfs failed: EBUSY", field="num_vfs")})
    summary, log = run(config(PF1, PF2), apply, readiness_from(READY))
    assert [call["params"]["pf"] for call in apply.calls] == ["enp1s0", "enp2s0"]
    assert summary["failed"] == {"enp1s0": "writing sriov_numvfs failed: EBUSY"}
    assert summary["ok"] == ["enp2s0"]
    assert _replay.exit_code(summary) == 1
    assert any("enp1s0 (0000:01:00.0) failed: writing sriov_numvfs failed: EBUSY" in msg for _p, msg in log.lines)


def test_an_unexpected_exception_is_logged_with_its_traceback_and_the_next_pf_applied():
    apply = FakeApply({"enp1s0": KeyError("vfs")})
    summary, log = run(config(PF1, PF2), apply, readiness_from(READY))
    assert "KeyError" in summary["failed"]["enp1s0"]
    assert summary["ok"] == ["enp2s0"]
    assert any("Traceback" in msg for _p, msg in log.lines)


def test_actions_and_warnings_are_logged_per_pf():
    apply = FakeApply({"enp2s0": {"changed": False, "pf": "0000:02:00.0", "actions": [],
                                  "warnings": ["VF 1 has no netdev"]}})
    _summary, log = run(config(PF1, PF2), apply, readiness_from(READY))
    messages = [msg for _p, msg in log.lines]
    assert "PF enp1s0 (0000:01:00.0): set sriov_numvfs to 4" in messages
    assert "PF enp2s0 (0000:02:00.0): already as configured" in messages
    assert (_replay.WARNING, "PF enp2s0 (0000:02:00.0): warning: VF 1 has no netdev") in log.lines


def test_udev_is_settled_first_then_an_absent_pf_gets_only_a_short_grace():
    clock = FakeClock()
    runner = FakeRunner(settle_rc=0)
    start = clock.now
    summary, _log = run(config(PF1), FakeApply(), readiness_from({}), runner=runner, clock=clock)
    assert runner.calls[0] == ["udevadm", "settle", "--timeout=60"]
    assert list(summary["missing"]) == ["enp1s0"]
    waited = clock.now - start
    assert _replay.SETTLED_GRACE <= waited < _replay.SETTLED_GRACE + 1


def test_when_udev_does_not_settle_the_replay_waits_up_to_the_configured_timeout():
    clock = FakeClock()
    start = clock.now
    summary, log = run(config(PF1, wait_timeout=20), FakeApply(), readiness_from({}),
                       runner=FakeRunner(settle_rc=1), clock=clock)
    assert 20 <= clock.now - start < 21
    assert list(summary["missing"]) == ["enp1s0"]
    assert any(prio == _replay.WARNING and "settle" in msg for prio, msg in log.lines)


def test_a_pf_that_appears_late_is_applied_once_it_is_ready():
    clock = FakeClock()
    appear_at = clock.now + 3

    def readiness(pf):
        if clock.now < appear_at:
            return "0000:01:00.0", "0000:01:00.0 has no driver bound yet"
        return "0000:01:00.0", None

    apply = FakeApply()
    summary, _log = run(config(PF1), apply, readiness, runner=FakeRunner(settle_rc=1), clock=clock)
    assert summary["ok"] == ["enp1s0"] and not summary["missing"]
    assert len(apply.calls) == 1
    assert clock.now >= appear_at


def test_no_wait_when_every_pf_is_ready_at_once():
    clock = FakeClock()
    run(config(PF1, PF2), FakeApply(), readiness_from(READY), clock=clock)
    assert clock.sleeps == []


def test_check_mode_is_passed_to_apply():
    apply = FakeApply()
    run(config(PF2), apply, readiness_from(READY), check_mode=True)
    assert apply.calls[0]["check_mode"] is True


def test_an_empty_config_does_nothing_and_succeeds():
    apply = FakeApply()
    runner = FakeRunner()
    summary, _log = run(config(), apply, readiness_from(READY), runner=runner)
    assert apply.calls == [] and runner.calls == []
    assert _replay.exit_code(summary) == 0


def test_selector_pfs_get_a_readable_label():
    assert _replay.pf_label({"vendor": "0x8086", "device": "0x10c9", "index": 1}) == "{vendor: 0x8086, device: 0x10c9, index: 1}"


@pytest.mark.parametrize("bad, words", [
    ([], "JSON object"),
    ({"pfs": []}, "version"),
    ({"version": 2, "pfs": []}, "version 2"),
    ({"version": 1}, "'pfs' must be a list"),
    ({"version": 1, "pfs": [{"num_vfs": 2}]}, "pfs[0]"),
    ({"version": 1, "pfs": ["enp1s0"]}, "pfs[0]"),
    ({"version": 1, "pfs": [], "wait_timeout": "soon"}, "wait_timeout"),
    ({"version": 1, "pfs": [], "wait_timeout": True}, "wait_timeout"),
])
def test_check_config_refuses_a_malformed_envelope(bad, words):
    with pytest.raises(_replay.ConfigError) as err:
        _replay.check_config(bad)
    assert words in str(err.value)


def write(tmp_path, data):
    path = tmp_path / "vfs.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_main_returns_0_when_all_pfs_apply(tmp_path, monkeypatch):
    monkeypatch.setattr(_replay, "pf_readiness", lambda pf, sysfs_root: READY[pf])
    stream = io.StringIO()
    apply = FakeApply()
    rc = _replay.main(["--config", write(tmp_path, config(PF1, PF2)), "--no-settle"], apply=apply,
                      runner=FakeRunner(), stream=stream, environ={})
    assert rc == 0
    assert len(apply.calls) == 2
    assert "2 ok (2 changed), 0 failed, 0 missing" in stream.getvalue()
    assert "<" not in stream.getvalue().splitlines()[0][:1]


def test_main_returns_1_and_prefixes_journal_priorities_when_a_pf_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(_replay, "pf_readiness", lambda pf, sysfs_root: READY.get(pf, (None, "not found")))
    stream = io.StringIO()
    cfg = config(PF2, {"pf": "enp9s0", "num_vfs": 1}, wait_timeout=0)
    rc = _replay.main(["--config", write(tmp_path, cfg)], apply=FakeApply(), runner=FakeRunner(),
                      stream=stream, environ={"JOURNAL_STREAM": "8:1234"})
    assert rc == 1
    lines = stream.getvalue().splitlines()
    assert "<3>PF enp9s0 is missing, not applied: not found" in lines
    assert lines[-1].startswith("<3>replayed 2 PF(s)")


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 7, "pfs": []})])
def test_main_returns_2_and_applies_nothing_when_the_config_is_unusable(tmp_path, content):
    apply = FakeApply()
    stream = io.StringIO()
    rc = _replay.main(["--config", write(tmp_path, content)], apply=apply, runner=FakeRunner(), stream=stream,
                      environ={})
    assert rc == 2 and apply.calls == []
    assert "config unusable" in stream.getvalue()


def test_main_returns_2_when_the_config_file_is_absent(tmp_path):
    stream = io.StringIO()
    rc = _replay.main(["--config", str(tmp_path / "nope.json")], apply=FakeApply(), runner=FakeRunner(),
                      stream=stream, environ={})
    assert rc == 2
    assert "cannot read" in stream.getvalue()


def test_subprocess_runner_takes_argv_lists_only():
    with pytest.raises(TypeError):
        _replay.subprocess_runner("udevadm settle")
    rc, out, _err = _replay.subprocess_runner(["echo", "a b"])
    assert rc == 0 and out == "a b\n"
    rc, _out, err = _replay.subprocess_runner(["/nonexistent/tool"])
    assert rc == 127 and "/nonexistent/tool" in err
