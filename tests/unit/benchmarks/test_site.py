# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/site.py (the site playbook against a ping): counting, verdicts and faults, on stand-in tools."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.directiron.sriov.benchmarks import bench, site

LOG = """PLAY [Check the whole fleet before any host changes] ***
TASK [directiron.sriov.host_packages : Ask the package database which packages are installed] ***
<127.0.0.1> SSH: EXEC ssh -C -o ControlMaster=auto host '/bin/sh -c ...'
TASK [directiron.sriov.sriov_vfs : Apply the VF state of every PF now and persist it for every boot] ***
<127.0.0.1> SSH: EXEC ssh -C host '/bin/sh -c ...'
TASK [directiron.sriov.iommu : Reboot the host] ***
<127.0.0.1> SSH: EXEC ssh host 'reboot'
<127.0.0.1> SSH: EXEC ssh host 'cat /proc/cmdline'
PLAY RECAP *********************************************************************
host                       : ok=40   changed=%(changed)d    unreachable=0    failed=0    skipped=25   rescued=0    ignored=0
"""


def test_remote_executions_are_counted_per_task_in_order():
    rows = site.executions_per_task(LOG % {"changed": 0})
    assert rows == [(1, "directiron.sriov.host_packages : Ask the package database which packages are installed"),
                    (1, "directiron.sriov.sriov_vfs : Apply the VF state of every PF now and persist it for every boot"),
                    (2, "directiron.sriov.iommu : Reboot the host")]


def stand_in_playbook(tmp_path, monkeypatch, changed, rc=0):
    """ansible-playbook that prints LOG; site.ping answers at once with a fixed time."""
    script = tmp_path / "ansible-playbook"
    (tmp_path / "log.txt").write_text(LOG % {"changed": changed})
    script.write_text("#!/bin/sh\ncat '%s'\nexit %d\n" % (tmp_path / "log.txt", rc))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(site, "_tool", lambda name: str(tmp_path / name))


@pytest.mark.parametrize("ping_s, report_only, status, verdict", [
    (1000.0, False, 0, "met"),      # the re-run far under 5x this ping
    (1e-6, False, 1, "missed"),     # far over
    (1e-6, True, 0, "missed"),      # reported, not judged
])
def test_the_re_run_is_judged_against_the_ping(tmp_path, monkeypatch, capsys, ping_s, report_only, status, verdict):
    stand_in_playbook(tmp_path, monkeypatch, changed=0)
    monkeypatch.setattr(site, "ping", lambda inventory, times=3: ping_s)
    argv = ["--inventory", "inv", "--log-dir", str(tmp_path / "logs")] + (["--report-only"] if report_only else [])
    assert site.main(argv) == status
    out = capsys.readouterr().out
    assert out.count("4 remote executions (SSH commands)") == 2 and "host: ok=40 changed=0" in out
    assert "idempotent re-run, best of 2: " in out
    assert out.splitlines()[-1 if verdict == "met" else -2].endswith(": " + verdict)
    assert ("MISSED: the idempotent re-run" in out) == (verdict == "missed")
    assert os.path.exists(str(tmp_path / "logs" / "site-rerun-2.log"))


def test_a_re_run_that_changes_something_is_a_fault_even_when_only_reporting(tmp_path, monkeypatch, capsys):
    stand_in_playbook(tmp_path, monkeypatch, changed=1)
    monkeypatch.setattr(site, "ping", lambda inventory, times=3: 1000.0)
    assert site.main(["--inventory", "inv", "--report-only", "--log-dir", str(tmp_path)]) == 2
    assert "FAULT: the idempotent re-run 1 changed host" in capsys.readouterr().out


def test_a_failed_first_run_stops_before_the_re_run(tmp_path, monkeypatch, capsys):
    stand_in_playbook(tmp_path, monkeypatch, changed=5, rc=2)
    monkeypatch.setattr(site, "ping", lambda inventory, times=3: 1000.0)
    assert site.main(["--inventory", "inv", "--first", "--log-dir", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    assert "FAULT: first run failed (exit 2)" in out and "idempotent re-run" not in out


def test_bench_goals_line_lists_every_miss_whatever_the_exit_status():
    results = [(0, "fine\n"), (0, "x\nMISSED: the idempotent re-run: 5.48x ping (goal <= 5x)\n"), (1, "MISSED: fleet\n")]
    assert bench.goals_line(results) == ("missed: the idempotent re-run: 5.48x ping (goal <= 5x); fleet"
                                         " (exit status 1)")
    assert bench.goals_line([(0, "all good\n")]) == "all met"
