# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of lab/schedule.py: lanes, order, backfill, logs, interruption (no VM)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import sys

import pytest

from lab import schedule
from lab.schedule import Job, Runner, order, pick, plan

DEFAULT_SET = ("facts", "vf", "lifecycle", "faults", "iommu", "site", "guest")


def _jobs(spec):
    return [Job(name, weight, seconds) for name, weight, seconds in spec]


def _peak(result, weights):
    """Most lab VMs running at once in a planned schedule."""
    events = sorted([(start, weights[name]) for name, start, _e in result]
                    + [(end, -weights[name]) for name, _s, end in result])
    peak = running = 0
    for _t, delta in events:
        running += delta
        peak = max(peak, running)
    return peak


def test_every_default_scenario_has_a_time_and_a_molecule_yml():
    times = schedule.load_times()
    for name in DEFAULT_SET + ("default", "pools", "persist", "migrate"):
        assert times[name] > 0
        assert schedule.platform_count(name) >= 1
    assert schedule.platform_count("facts") == 2
    assert schedule.vm_names("facts") == ["facts-host", "facts-guest"]
    assert schedule.platform_count("migrate") == 2
    assert schedule.vm_names("migrate") == ["migrate-hosta", "migrate-hostb"]


def test_order_is_largest_vm_seconds_first():
    jobs = _jobs([("a", 1, 100), ("b", 2, 80), ("c", 1, 150)])
    assert [job.name for job in order(jobs)] == ["b", "c", "a"]


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_plan_never_exceeds_the_lanes(lanes):
    spec = [("facts", 2, 497), ("vf", 1, 76), ("lifecycle", 1, 610), ("faults", 1, 563),
            ("iommu", 1, 291), ("site", 1, 577), ("guest", 1, 770)]
    weights = {name: min(weight, lanes) for name, weight, _s in spec}
    result = plan(_jobs(spec), lanes)
    assert sorted(name for name, _s, _e in result) == sorted(weights)
    assert _peak(result, weights) <= lanes


def test_one_lane_runs_one_after_another():
    result = plan(_jobs([("a", 1, 10), ("b", 2, 30), ("c", 1, 20)]), 1)
    assert result == [("b", 0, 30), ("c", 30, 50), ("a", 50, 60)]


def test_two_lanes_balance_the_default_set():
    times = schedule.load_times()
    jobs = [Job(name, schedule.platform_count(name), times[name]) for name in DEFAULT_SET]
    result = plan(jobs, 2)
    makespan = max(end for _n, _s, end in result)
    two_vm = sum(job.seconds for job in jobs if job.weight == 2)
    one_vm = sum(job.seconds for job in jobs if job.weight == 1)
    # No better than the work split evenly, and within one scenario of it.
    assert makespan >= two_vm + one_vm / 2.0
    assert makespan <= two_vm + one_vm / 2.0 + max(times[name] for name in DEFAULT_SET)
    assert makespan < sum(job.seconds for job in jobs)


def test_a_two_vm_scenario_waits_for_both_lanes():
    running = _jobs([("long", 1, 100)])
    running[0].started = 0
    pending = _jobs([("pair", 2, 500), ("short", 1, 50), ("too-long", 1, 200)])
    # pair does not fit; short ends (t=60) before long (t=100), so it may fill the lane.
    assert pick(pending, running, 2, now=10).name == "short"
    # too-long would delay pair: not started beside it.
    assert pick([pending[0], pending[2]], running, 2, now=10) is None
    running[0].started = -1000  # long overran its expected end: no backfill at all
    assert pick(pending, running, 2, now=10) is None


def test_a_scenario_heavier_than_the_lanes_runs_alone():
    result = plan(_jobs([("pair", 2, 50), ("one", 1, 10)]), 1)
    assert result == [("pair", 0, 50), ("one", 50, 60)]


def _runner(tmp_path, jobs, script, lanes=2):
    """A Runner whose 'molecule' is a small python script taking the scenario name."""
    out = io.StringIO()
    runner = Runner(jobs, lanes, str(tmp_path), [sys.executable, "-c", script], out=out)
    return runner, out


@pytest.fixture
def no_vms(monkeypatch):
    stopped = []
    monkeypatch.setattr(schedule, "stop_vms", stopped.append)
    return stopped


def test_runner_logs_each_scenario_and_reports_failures(tmp_path, no_vms):
    script = ("import sys; name = sys.argv[1]; print('hello from', name); "
              "sys.exit(3 if name == 'bad' else 0)")
    runner, out = _runner(tmp_path, _jobs([("good", 1, 1), ("bad", 1, 2), ("other", 1, 1)]),
                          script)
    results = runner.run(poll=0.05)
    assert sorted((name, ok) for name, ok, _l in results) == [
        ("bad", False), ("good", True), ("other", True)]
    for name in ("good", "bad", "other"):
        assert (tmp_path / ("%s.log" % name)).read_text().strip() == "hello from %s" % name
    text = out.getvalue()
    assert "lab-test: scenario bad FAILED in" in text
    assert "lab-test: scenario good passed in" in text
    assert sorted(no_vms) == ["bad", "good", "other"]  # VMs checked after every scenario


def test_runner_keeps_to_the_lanes(tmp_path, no_vms):
    # Each fake scenario records its start and end; no more than 2 may overlap.
    script = ("import sys, time, os; name = sys.argv[1]; "
              "open(os.path.join(%r, name + '.t'), 'w').write('%%f ' %% time.time()); "
              "time.sleep(0.3); "
              "open(os.path.join(%r, name + '.t'), 'a').write('%%f' %% time.time())"
              % (str(tmp_path), str(tmp_path)))
    jobs = _jobs([("a", 1, 3), ("b", 1, 2), ("c", 1, 1), ("d", 2, 1)])
    runner, _out = _runner(tmp_path, jobs, script)
    runner.run(poll=0.02)
    spans = {}
    for name in "abcd":
        start, end = (tmp_path / ("%s.t" % name)).read_text().split()
        spans[name] = (float(start), float(end))
    for moment in [span[0] + 0.01 for span in spans.values()]:
        vms = sum(2 if name == "d" else 1 for name, (start, end) in spans.items()
                  if start <= moment < end)
        assert vms <= 2
    # d (2 VMs) overlapped nothing.
    d_start, d_end = spans["d"]
    assert all(end <= d_start or start >= d_end
               for name, (start, end) in spans.items() if name != "d")


def test_stop_all_ends_the_children_and_their_vms(tmp_path, no_vms):
    script = "import time; time.sleep(60)"
    runner, out = _runner(tmp_path, _jobs([("x", 1, 1), ("y", 1, 1)]), script)
    for job in list(runner.pending):
        runner.pending.remove(job)
        runner.start(job)
    procs = [job.proc for job in runner.running]
    runner.stop_all(grace=5)
    assert all(proc.poll() is not None for proc in procs)
    assert sorted(no_vms) == ["x", "y"]
    assert not runner.running
    assert "scenario x interrupted" in out.getvalue()


def test_dry_run_prints_the_plan(capsys):
    assert schedule.main(["--dry-run", "--jobs", "2", "vf", "default"]) == 0
    text = capsys.readouterr().out
    assert "2 lanes" in text and "default 0-" in text and "vf 0-" in text


def test_port_lock_is_exclusive_across_processes(tmp_path, monkeypatch):
    import subprocess
    from lab import vm
    monkeypatch.setenv("DIRECTIRON_LAB_CACHE", str(tmp_path))
    probe = ("import fcntl, sys; h = open(sys.argv[1], 'w')\n"
             "try:\n    fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n"
             "    sys.exit(1)\n")
    lock = str(tmp_path / ".port.lock")
    with vm.port_lock():
        assert subprocess.run([sys.executable, "-c", probe, lock], check=False).returncode == 1
    assert subprocess.run([sys.executable, "-c", probe, lock], check=False).returncode == 0


def test_a_hung_scenario_is_stopped_and_run_once_more(tmp_path, no_vms):
    # "flaky" hangs on its first run only (a VM that stalled), "stuck" hangs every time.
    script = ("import os, sys, time; name = sys.argv[1]; mark = os.path.join(%r, name + '.ran')\n"
              "first = not os.path.exists(mark); open(mark, 'a').close(); print('run of', name)\n"
              "if name == 'stuck' or first: time.sleep(60)\n" % str(tmp_path))
    out = io.StringIO()
    runner = Runner(_jobs([("flaky", 1, 0), ("stuck", 1, 0)]), 2, str(tmp_path),
                    [sys.executable, "-c", script], out=out, min_timeout=1)
    runner.stop = lambda jobs, grace=60: [job.proc.kill() or job.proc.wait() for job in jobs]
    results = runner.run(poll=0.05)
    assert sorted((name, ok) for name, ok, _l in results) == [("flaky", True), ("stuck", False)]
    text = out.getvalue()
    assert "scenario flaky timed out after 1 s" in text and "running it once more" in text
    assert "scenario stuck timed out again" in text
    assert (tmp_path / "flaky.log.timed-out").exists() and (tmp_path / "flaky.log").exists()
    assert no_vms.count("flaky") == 2 and no_vms.count("stuck") == 3
