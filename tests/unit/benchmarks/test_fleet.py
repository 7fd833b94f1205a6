# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""benchmarks/fleet.py and bench.py: the pieces that decide a verdict or feed the modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

from ansible_collections.directiron.sriov.benchmarks import bench, fleet
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink

RECAP = """
PLAY RECAP *********************************************************************
h000                       : ok=4    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
h001                       : ok=3    changed=1    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
"""


def test_recap_counts_every_host():
    rows = fleet.RECAP_RE.findall(RECAP)
    assert [(r[0], r[2], r[4]) for r in rows] == [("h000", "0", "0"), ("h001", "1", "1")]


def test_inventory_gives_each_host_its_own_tree(tmp_path, monkeypatch):
    monkeypatch.setattr(fleet, "FLEET_VFS", 2)
    path = fleet.fleet_inventory(str(tmp_path), 2)
    with open(path) as handle:
        inventory = json.load(handle)["all"]
    roots = [v["sysfs_root"] for v in inventory["hosts"].values()]
    assert sorted(inventory["hosts"]) == ["h000", "h001"] and len(set(roots)) == 2
    assert all(os.path.isdir(os.path.join(r, "bus", "pci", "devices", "0000:01:00.0")) for r in roots)
    assert [pf["pf"] for pf in inventory["vars"]["sriov_pfs"]] == ["enp1s0", "enp2s0"]
    assert inventory["vars"]["ansible_connection"] == "local"


def test_stand_in_ip_answers_what_the_inventory_wants(tmp_path):
    script = tmp_path / "ip"
    script.write_text(fleet.FAKE_IP)
    out = subprocess.check_output(["sh", str(script), "-d", "-j", "link", "show", "dev", "enp2s0"],
                                  universal_newlines=True)
    link = _iplink.parse_link_show(out)["enp2s0"]
    assert sorted(link["vfs"]) == list(range(8)) and link["vfs"][1]["vlan"] == 100 and link["vfs"][0]["vlan"] == 0


def test_machine_line_names_cpu_python_and_ansible():
    line = bench.machine()
    assert "Python" in line and "ansible-core" in line and "Linux" in line


def test_growth_is_the_ratio_of_marginal_costs():
    # fixed 0.1 s plus 40 us per function: linear, whatever the fixed cost
    growth, per_function = fleet.marginal_growth([(1000, 0.14), (2000, 0.18), (4000, 0.26)])
    assert round(growth, 6) == 1.0 and round(per_function * 1e6, 6) == 40.0
    assert fleet.marginal_growth([(1000, 0.14), (2000, 0.18), (4000, 0.34)])[0] > 1.9  # quadratic creep


def test_results_keep_what_was_there_under_before(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nintro\n\n## Latest: first\n\n- a\n\n### `run.py`\n\n```text\n# x\n```\n")
    monkeypatch.setattr(bench, "stream", lambda argv, env=None, log=None: (0, "figures of %s\n" % argv[1]))
    for _run in range(2):
        assert bench.main(["--results", str(results), "--fleet-only", "--keep", str(tmp_path / "work")]) == 0
    text = results.read_text()
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings[1].startswith("## Latest: `python benchmarks/bench.py --results") and "--keep" not in headings[1]
    assert headings[3:] == ["## Before", "### `python benchmarks/bench.py --results %s --fleet-only`" % results,
                            "#### `python benchmarks/fleet.py --skip-process` (exit 0)", "### first", "#### `run.py`",
                            "# x"]  # a line in a code block keeps its level
    assert "```text\n# x\n```" in text and text.count("figures of benchmarks/fleet.py") == 2
