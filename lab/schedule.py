# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run molecule scenarios on LAB_JOBS lanes: never more lab VMs at once than the lanes.

    python -m lab.schedule --jobs 2 facts vf lifecycle ...

A scenario's weight is its number of platforms (one lab VM each) in
extensions/molecule/<name>/molecule.yml; a scenario heavier than the lanes runs alone.
The order is by measured VM-seconds (weight x seconds in lab/scenario-times.json), largest
first; a scenario that does not fit yet is waited for, and only a scenario expected to end
before the running ones may start beside it (backfill), so the big one is not starved.
Each scenario writes its own log; when it ends its log (whole on failure, tail on success)
and the summary line are printed. On Ctrl-C or SIGTERM the running molecule processes are
stopped (their process groups, by pid) and every VM of theirs is stopped by pid.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from lab.common import LAB_DIR, REPO_DIR, tail

TIMES_FILE = os.path.join(LAB_DIR, "scenario-times.json")
SCENARIO_DIR = os.path.join(REPO_DIR, "extensions", "molecule")
UNKNOWN_SECONDS = 600  # a scenario without a measured time: assume a long one
PASS_TAIL_LINES = 25
HEARTBEAT_S = 300
# A scenario running longer than TIMEOUT_FACTOR x its measured seconds (at least TIMEOUT_MIN_S)
# is stopped and run once more (Runner.time_out).
TIMEOUT_FACTOR = 3
TIMEOUT_MIN_S = 900


def load_times(path=TIMES_FILE):
    with open(path) as handle:
        data = json.load(handle)
    return {name: float(value) for name, value in data.items() if not name.startswith("_")}


def platform_count(scenario, root=SCENARIO_DIR):
    """Lab VMs a scenario runs at once: its platforms (at least 1)."""
    import yaml
    with open(os.path.join(root, scenario, "molecule.yml")) as handle:
        config = yaml.safe_load(handle) or {}
    return max(1, len(config.get("platforms") or []))


class Job:
    def __init__(self, name, weight, seconds):
        self.name = name
        self.weight = weight
        self.seconds = seconds
        self.started = None
        self.proc = None
        self.log_path = None
        self.retried = False

    @property
    def cost(self):
        return self.weight * self.seconds


def order(jobs):
    """Largest VM-seconds first; ties by name so the order is stable."""
    return sorted(jobs, key=lambda job: (-job.cost, job.name))


def pick(pending, running, lanes, now):
    """The next pending job to start now, or None.

    The head (largest) starts if its weight fits the free lanes. If it does not fit, a later
    job may start in the free lanes only if it is expected to end before enough running
    jobs end for the head to fit (so backfill never delays the head).
    """
    if not pending:
        return None
    used = sum(min(job.weight, lanes) for job in running)
    free = lanes - used
    head = pending[0]
    if min(head.weight, lanes) <= free:
        return head
    # When could the head start? Release running jobs in order of their expected end.
    ends = sorted((job.started + job.seconds, min(job.weight, lanes)) for job in running)
    need = min(head.weight, lanes) - free
    head_start = now
    for end, weight in ends:
        need -= weight
        head_start = end
        if need <= 0:
            break
    for job in pending[1:]:
        if min(job.weight, lanes) <= free and now + job.seconds <= head_start:
            return job
    return None


def plan(jobs, lanes):
    """Simulate the schedule with the expected times: [(name, start, end)], for tests and
    for the plan line printed before the run."""
    pending = order(jobs)
    running = []
    now = 0.0
    result = []
    while pending or running:
        job = pick(pending, running, lanes, now)
        if job is not None:
            pending.remove(job)
            job.started = now
            running.append(job)
            result.append((job.name, now, now + job.seconds))
            continue
        first = min(running, key=lambda item: item.started + item.seconds)
        now = first.started + first.seconds
        running.remove(first)
    return result


class Runner:
    """Starts molecule per scenario, watches them, stops them on interruption."""

    def __init__(self, jobs, lanes, log_dir, command, out=sys.stdout, min_timeout=TIMEOUT_MIN_S):
        self.min_timeout = min_timeout
        self.pending = order(jobs)
        self.running = []
        self.lanes = lanes
        self.log_dir = log_dir
        self.command = command  # argv prefix; the scenario name is appended
        self.out = out
        self.results = []

    def say(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def start(self, job):
        job.log_path = os.path.join(self.log_dir, "%s.log" % job.name)
        handle = open(job.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("NO_COLOR", "1")  # plain text in the log files (molecule and ansible)
        env.setdefault("ANSIBLE_NOCOLOR", "1")
        try:
            # Own process group: a terminal's Ctrl-C reaches only this runner, which then
            # stops each scenario deliberately (molecule's destroy, then the VMs by pid).
            job.proc = subprocess.Popen(self.command + [job.name], stdin=subprocess.DEVNULL,
                                        stdout=handle, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        finally:
            handle.close()
        job.started = time.monotonic()
        self.running.append(job)
        self.say("lab-test: scenario %s started (%d VM%s, ~%d s; log %s)" % (
            job.name, job.weight, "" if job.weight == 1 else "s", job.seconds, job.log_path))

    def finish(self, job, rc):
        seconds = int(round(time.monotonic() - job.started))
        result = "passed" if rc == 0 else "FAILED"
        self.running.remove(job)
        if rc == 0:
            self.say("lab-test: --- %s: last %d lines of %s ---" % (
                job.name, PASS_TAIL_LINES, job.log_path))
            self.say(tail(job.log_path, PASS_TAIL_LINES))
        else:
            self.say("lab-test: --- %s: log %s ---" % (job.name, job.log_path))
            with open(job.log_path, "rb") as handle:
                self.say(handle.read().decode("utf-8", "replace").rstrip())
        stop_vms(job.name)
        line = "lab-test: scenario %s %s in %d s" % (job.name, result, seconds)
        self.say(line)
        self.results.append((job.name, rc == 0, line))

    def run(self, poll=1.0):
        last_beat = time.monotonic()
        while self.pending or self.running:
            job = pick(self.pending, self.running, self.lanes, time.monotonic())
            if job is not None:
                self.pending.remove(job)
                self.start(job)
                continue
            for running in list(self.running):
                rc = running.proc.poll()
                if rc is not None:
                    self.finish(running, rc)
                elif time.monotonic() - running.started > self.limit(running):
                    self.time_out(running)
            if time.monotonic() - last_beat >= HEARTBEAT_S:
                last_beat = time.monotonic()
                self.say("lab-test: running %s; load %.1f" % (", ".join(
                    "%s (%d s)" % (item.name, time.monotonic() - item.started)
                    for item in self.running), os.getloadavg()[0]))
            time.sleep(poll)
        return self.results

    def limit(self, job):
        """Seconds after which a scenario counts as hung: a lab VM under TCG can stall for good
        (an RCU stall with a CPU's timer never firing, lab/README.md) and its SSH command waits forever."""
        return max(TIMEOUT_FACTOR * job.seconds, self.min_timeout)

    def time_out(self, job):
        """Stop a hung scenario (and its VMs, by pid); run it once more, from a fresh VM."""
        self.stop([job], grace=60)
        stop_vms(job.name)
        self.running.remove(job)
        kept = job.log_path + ".timed-out"
        os.replace(job.log_path, kept)
        if job.retried:
            self.say("lab-test: scenario %s timed out again after %d s (log %s)" % (
                job.name, self.limit(job), kept))
            job.log_path = kept
            self.running.append(job)
            self.finish(job, 124)
            return
        job.retried = True
        self.pending.insert(0, job)
        self.say("lab-test: scenario %s timed out after %d s (a stalled VM? its serial log is under "
                 "lab/run/); its log is %s; running it once more" % (job.name, self.limit(job), kept))

    def stop(self, jobs, grace=60):
        """SIGINT each job's process group (molecule then destroys), wait, SIGTERM then SIGKILL."""
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            alive = [job for job in jobs if job.proc.poll() is None]
            if not alive:
                break
            for job in alive:
                try:
                    os.killpg(job.proc.pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and any(job.proc.poll() is None for job in alive):
                time.sleep(0.5)

    def stop_all(self, grace=60):
        """Stop every running scenario (see stop), then its VMs by pid."""
        self.stop(self.running, grace=grace)
        for job in list(self.running):
            stop_vms(job.name)
            self.say("lab-test: scenario %s interrupted after %d s (log %s)" % (
                job.name, time.monotonic() - job.started, job.log_path))
            self.running.remove(job)


def vm_names(scenario, root=SCENARIO_DIR):
    import yaml
    with open(os.path.join(root, scenario, "molecule.yml")) as handle:
        config = yaml.safe_load(handle) or {}
    return ["%s-%s" % (scenario.replace("/", "-"), platform["name"])
            for platform in config.get("platforms") or []]


def stop_vms(scenario):
    """Stop a scenario's lab VMs by pid (a no-op once molecule's destroy has run)."""
    from lab.vm import Vm
    for name in vm_names(scenario):
        try:
            Vm(name).down(sync=False)
        except Exception as exc:  # keep stopping the others
            sys.stderr.write("lab-test: could not stop %s: %s\n" % (name, exc))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lab.schedule", description=__doc__.split(
        "\n\n", maxsplit=1)[0])
    parser.add_argument("--jobs", type=int, default=2, help="lanes: lab VMs at once (default 2)")
    parser.add_argument("--log-dir", default=os.path.join(REPO_DIR, ".cache", "lab-logs"))
    parser.add_argument("--molecule", default="molecule", help="molecule executable")
    parser.add_argument("--dry-run", action="store_true", help="print the expected plan only")
    parser.add_argument("scenarios", nargs="+")
    args = parser.parse_args(argv)
    lanes = max(1, args.jobs)
    times = load_times()
    jobs = [Job(name, platform_count(name), times.get(name, UNKNOWN_SECONDS))
            for name in args.scenarios]
    expected = plan([Job(job.name, job.weight, job.seconds) for job in jobs], lanes)
    print("lab-test: %d lane%s; plan (expected s): %s; ~%d s (one lane: %d s)" % (
        lanes, "" if lanes == 1 else "s",
        ", ".join("%s %d-%d" % (name, start, end) for name, start, end in expected),
        max(end for _n, _s, end in expected), sum(job.seconds for job in jobs)))
    sys.stdout.flush()
    if args.dry_run:
        return 0
    os.makedirs(args.log_dir, exist_ok=True)
    runner = Runner(jobs, lanes, args.log_dir, [args.molecule, "test", "-s"])

    def _terminate(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    # Also SIGINT: a shell's background job inherits it ignored, and so would the molecule
    # children (exec keeps an ignored signal ignored); with a handler here they get the default.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    started = time.monotonic()
    try:
        results = runner.run()
    except KeyboardInterrupt:
        print("lab-test: interrupted; stopping the running scenarios and their VMs")
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip cleanup
        runner.stop_all()
        return 130
    for _name, _ok, line in results:
        print(line)
    failed = [name for name, ok, _line in results if not ok]
    print("lab-test: %d scenario%s on %d lane%s in %d s" % (
        len(results), "" if len(results) == 1 else "s", lanes, "" if lanes == 1 else "s",
        time.monotonic() - started))
    if failed:
        print("lab-test: failed: %s" % " ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
