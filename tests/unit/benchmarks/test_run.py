# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/run.py fails when a goal is missed (and only reports with --report-only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.benchmarks import run
from ansible_collections.directiron.sriov.tests.fixtures import sysfs_tree


@pytest.mark.parametrize("wall, cpu, load, missed, words", [
    (0.10, 0.09, 0.5, False, "within"),
    (0.40, 0.30, 9.0, True, "OVER (CPU 0.300 s > 0.25 s)"),   # CPU over: missed on any machine
    (0.40, 0.20, 9.0, False, "judged on CPU"),                # busy machine: wall measures others
    (0.40, 0.20, 0.5, True, "wall OVER (0.400 s > 0.25 s)"),  # idle machine: wall counts
])
def test_budget_verdict(wall, cpu, load, missed, words):
    verdict, miss = run.budget_verdict(wall, cpu, load, cpus=2)
    assert miss is missed
    assert words in verdict


@pytest.fixture
def small_run(monkeypatch):
    """main() on 1-PF trees with timings set by the test: (wall, cpu) per module run."""
    real_generate = sysfs_tree.generate
    monkeypatch.setattr(sysfs_tree, "generate", lambda dest, pfs, vfs_per_pf: real_generate(dest, pfs=1, vfs_per_pf=2))
    timing = {}

    def fake_timed(func, repeat):
        return timing["wall"], timing["wall"], timing["cpu"], func()

    monkeypatch.setattr(run, "timed", fake_timed)
    monkeypatch.setattr(run.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    return timing


def test_a_missed_goal_exits_1_and_says_so(small_run, capsys):
    small_run.update(wall=0.5, cpu=0.5)
    assert run.main(["--repeat", "1", "--no-shell"]) == 1
    out = capsys.readouterr().out
    assert "MISSED: iommu_facts on" in out and "MISSED: sriov_facts on" in out


def test_report_only_prints_the_miss_and_exits_0(small_run, capsys):
    small_run.update(wall=0.5, cpu=0.5)
    assert run.main(["--repeat", "1", "--no-shell", "--report-only"]) == 0
    out = capsys.readouterr().out
    assert "MISSED: iommu_facts on" in out and "2 missed (--report-only: exit 0)" in out


def test_goals_met_exit_0(small_run, capsys):
    small_run.update(wall=0.01, cpu=0.01)
    assert run.main(["--repeat", "1", "--no-shell"]) == 0
    assert "goals: all met" in capsys.readouterr().out
