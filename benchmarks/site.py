# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the site playbook costs on one host, against a ping of the same host in the same run.

    python benchmarks/site.py --inventory INVENTORY [--playbook PLAYBOOK] [--first] [--report-only]

Times ``ansible all -m ping`` (best of three), then, with --first, the first run of the playbook
(a fresh host: packages, IOMMU reboot, VFs, pools), then its idempotent re-run (--reruns times,
default 2: the best is judged, as the ping's best of three is its figure), each with -vvv to
count the remote executions (SSH commands: with pipelining, one per module run). Prints each wall
time as a ratio to the ping, the recap and the remote executions per task. Uses the ansible
binaries next to this Python and the environment as given (ANSIBLE_CONFIG, ANSIBLE_COLLECTIONS_PATH).

The one implementation of this measurement: the ``site`` lab scenario runs it for the re-run
(its timing.yml, --report-only), ``benchmarks/bench.py`` for both runs on a fresh lab VM.

Exit status: 2 when a run failed or the re-run changed something (always, a fault, not a figure);
1 when a goal is missed (the re-run at most 8 remote executions and at most 5x the ping), unless
--report-only; else 0.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import sys
import tempfile

try:
    from ansible_collections.directiron.sriov.benchmarks.fleet import RECAP_RE, timed_run
except ImportError:  # run as a script: this directory is on sys.path
    from fleet import RECAP_RE, timed_run

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MAX_EXECUTIONS = 8
MAX_RATIO = 5.0


def _env():
    return dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")


def _tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def ping(inventory, times=3):
    """Best wall time of ``ansible all -m ping`` over ``times`` runs (a cold first connection included)."""
    best = None
    for _attempt in range(times):
        took, _cpu, rc, out = timed_run([_tool("ansible"), "all", "--inventory", inventory, "-m", "ansible.builtin.ping"],
                                        _env())
        if rc:
            raise SystemExit("ping failed (exit %d):\n%s" % (rc, out[-4000:]))
        best = took if best is None else min(best, took)
    return best


def executions_per_task(log):
    """[(count, task name)] of the SSH commands in a -vvv log, in the order the tasks ran."""
    counts, order, task = {}, [], "(before the first task)"
    for line in log.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK ["):].rstrip("*").rstrip().rstrip("]")
        elif "SSH: EXEC" in line:
            if task not in counts:
                order.append(task)
                counts[task] = 0
            counts[task] += 1
    return [(counts[name], name) for name in order]


def run_playbook(inventory, playbook, log_path):
    """(wall s, recap rows {host: (ok, changed, unreachable, failed, skipped)}, SSH commands, per task, rc, log)."""
    took, _cpu, rc, text = timed_run([_tool("ansible-playbook"), "--inventory", inventory, "-vvv", playbook], _env())
    with open(log_path, "w") as log:
        log.write(text)
    recap = {row[0]: tuple(int(n) for n in row[1:]) for row in RECAP_RE.findall(text)}
    per_task = executions_per_task(text)
    return took, recap, sum(n for n, _name in per_task), per_task, rc, text


def describe(label, took, base, recap, executions, per_task):
    lines = ["%s: %.1f s = %.2fx ping, %d remote executions (SSH commands)" % (label, took, took / base, executions)]
    for host, (ok, changed, unreachable, failed, skipped) in sorted(recap.items()):
        lines.append("  %s: ok=%d changed=%d unreachable=%d failed=%d skipped=%d"
                     % (host, ok, changed, unreachable, failed, skipped))
    lines.append("  remote executions per task: " + "; ".join("%d x %s" % row for row in per_task))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", required=True)
    parser.add_argument("--playbook", default=os.path.join(REPO, "playbooks", "site.yml"))
    parser.add_argument("--first", action="store_true", help="also time the first run (a host not yet converged)")
    parser.add_argument("--log-dir", help="keep the -vvv logs here (default: a temporary directory)")
    parser.add_argument("--reruns", type=int, default=2,
                        help="idempotent re-runs; the best is judged, as the ping's best of 3 is its figure (default 2)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 when a goal is missed (not on a fault)")
    args = parser.parse_args(argv)
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="sriov-site-bench-")
    if not os.path.isdir(log_dir):
        os.makedirs(log_dir)
    base = ping(args.inventory)
    print("ping (best of 3): %.2f s" % base)
    sys.stdout.flush()
    reruns = max(1, args.reruns)
    runs = [("first run", "site-first.log")] if args.first else []
    runs += [("idempotent re-run %d" % n, "site-rerun-%d.log" % n) for n in range(1, reruns + 1)]
    fault = None
    rerun = None
    for label, name in runs:
        log_path = os.path.join(log_dir, name)
        took, recap, executions, per_task, rc, text = run_playbook(args.inventory, args.playbook, log_path)
        print("\n".join(describe(label, took, base, recap, executions, per_task)))
        sys.stdout.flush()
        if rc or not recap or any(row[3] or row[2] for row in recap.values()):
            fault = "%s failed (exit %d); the end of %s:\n%s" % (label, rc, name, "\n".join(text.splitlines()[-40:]))
            break
        if label.startswith("idempotent re-run"):
            if rerun is None or took < rerun[0]:
                rerun = (took, recap, executions)
            changed = [host for host, row in recap.items() if row[1]]
            if changed:
                fault = "the %s changed %s (see %s)" % (label, ", ".join(changed), name)
                break
        else:
            # the first run may have rebooted the host: the re-run is judged against a ping of it now
            base = ping(args.inventory)
            print("ping after the first run (best of 3): %.2f s" % base)
    if fault:
        print("FAULT: " + fault)
        return 2
    took, recap, executions = rerun
    ratio = took / base
    allowed = MAX_EXECUTIONS * len(recap)
    missed = []
    if executions > allowed:
        missed.append("the idempotent re-run: %d remote executions for %d host(s) (goal <= %d per host)"
                      % (executions, len(recap), MAX_EXECUTIONS))
    if ratio > MAX_RATIO:
        missed.append("the idempotent re-run: %.2fx ping (goal <= %.0fx)" % (ratio, MAX_RATIO))
    print("idempotent re-run, best of %d: %.1f s = %.2fx ping" % (reruns, took, ratio))
    print("goals: re-run <= %d remote executions per host (%d for %d host(s)), <= %.0fx ping (%.2fx): %s"
          % (MAX_EXECUTIONS, executions, len(recap), MAX_RATIO, ratio, "missed" if missed else "met"))
    for line in missed:
        print("MISSED: " + line)
    return 1 if missed and not args.report_only else 0


if __name__ == "__main__":
    sys.exit(main())
