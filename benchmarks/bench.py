# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every benchmark of directiron.sriov in one command, written to benchmarks/RESULTS.md.

    python benchmarks/bench.py [--results PATH] [--report-only] [--quick]
                               [--fleet-only | --site-only | --no-site] [-- extra fleet.py arguments]

Runs benchmarks/run.py (the modules' own gathering work), benchmarks/fleet.py (facts as a
process against ansible.builtin.ping's floor, and the fleet playbook against ``ansible -m ping``)
and benchmarks/site.py on a fresh lab VM (the site playbook's first run and idempotent re-run
against a ping of that VM; the VM is the ``site`` scenario's, started with molecule create and
prepare and always destroyed after), prints their output as it comes and writes it, with the
date, the machine and the command, to --results (default benchmarks/RESULTS.md). Exits 1 when
any missed a goal (unless --report-only). --quick: fewer repeats and a 100-host fleet only, for
a smoke run. --fleet-only: the simulated fleet alone (fleet.py --skip-process). --site-only: the
lab VM alone; --no-site: everything but it (no lab VM, no root). The new results go on top of
--results under "Latest"; what it held before stays below, under "Before".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile

try:
    from ansible_collections.directiron.sriov.benchmarks.fleet import collections_root
except ImportError:  # run as a script: this directory is on sys.path
    from fleet import collections_root

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def machine():
    """One line: CPU model and count, memory, kernel, Python and ansible-core versions."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.partition(":")[2].strip()
                    break
    except (IOError, OSError):
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as handle:
            memory = ", %.1f GiB RAM" % (int(handle.readline().split()[1]) / 1048576.0)
    except (IOError, OSError, ValueError, IndexError):
        pass
    try:
        from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        ansible_version = "not installed"
    return "%s x %d%s, Linux %s, Python %s, ansible-core %s" % (
        model, os.cpu_count() or 0, memory, platform.release(), platform.python_version(), ansible_version)


def stream(argv, env=None, log=None):
    """Run argv, echo its output line by line (or into the file ``log``); (exit status, output)."""
    print("$ %s" % " ".join(argv) + (" > %s" % log if log else ""))
    sys.stdout.flush()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                            cwd=REPO, env=env)
    lines = []
    with open(log or os.devnull, "w") as out:
        for line in proc.stdout:
            if log:
                out.write(line)
            else:
                sys.stdout.write(line)
                sys.stdout.flush()
            lines.append(line)
    return proc.wait(), "".join(lines)


def site_on_lab_vm(python, report_only, work):
    """benchmarks/site.py --first on a fresh lab VM (the site scenario's); (exit status, output).

    The logs (molecule's, the runs' -vvv) stay in .cache/bench-logs/site. molecule create and
    prepare start the VM (prepare also runs the site playbook in check mode, which changes nothing);
    molecule destroy stops it by pid, also when anything here fails.
    """
    molecule = os.path.join(os.path.dirname(python), "molecule")
    ephemeral = os.path.join(work, "molecule-site")
    # run.py and fleet.py find the collection themselves; molecule needs it on the path
    env = dict(os.environ, MOLECULE_EPHEMERAL_DIRECTORY=ephemeral)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", collections_root(work))
    logs = os.path.join(REPO, ".cache", "bench-logs", "site")
    if not os.path.isdir(logs):
        os.makedirs(logs)
    try:
        for step in ("create", "prepare"):
            rc, out = stream([molecule, step, "-s", "site"], env=env, log=os.path.join(logs, "molecule-%s.log" % step))
            if rc:
                return 2, "molecule %s -s site failed (exit %d):\n%s" % (step, rc, "".join(out.splitlines(True)[-40:]))
        env.update(ANSIBLE_CONFIG=os.path.join(ephemeral, "ansible.cfg"))
        return stream([python, "benchmarks/site.py", "--first", "--log-dir", logs,
                       "--inventory", os.path.join(ephemeral, "inventory", "ansible_inventory.yml"),
                       "--playbook", os.path.join(REPO, "extensions", "molecule", "site", "converge.yml")]
                      + (["--report-only"] if report_only else []), env=env)
    finally:
        stream([molecule, "destroy", "-s", "site"], env=env, log=os.path.join(logs, "molecule-destroy-after.log"))


def demote(text):
    """Markdown headings one level down, outside code blocks; "Latest: " dropped from a title."""
    lines, in_code = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            line = "#" + line
            if line.startswith("### Latest: "):
                line = "### " + line[len("### Latest: "):]
        lines.append(line)
    return "\n".join(lines).strip("\n")


def earlier_results(path):
    """What ``path`` held below its title, as the "Before" part of the new results ("" if none).

    Its latest results move one heading level down, first under "## Before"; what was already
    under "## Before" stays as it is, after them.
    """
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError):
        return ""
    parts = text.split("\n## ", 1)
    if len(parts) < 2:
        return ""
    latest, _sep, before = ("## " + parts[1]).partition("\n## Before\n")
    return "\n## Before\n\n%s\n%s" % (demote(latest), ("\n" + before.strip("\n") + "\n") if before.strip() else "")


def goals_line(results):
    """What the results say of the goals: each "MISSED: ..." line they printed, and any failed script."""
    missed = [line[len("MISSED: "):] for _rc, out in results for line in out.splitlines() if line.startswith("MISSED: ")]
    faults = [str(rc) for rc, _out in results if rc]
    text = "missed: " + "; ".join(missed) if missed else "all met"
    return text + (" (exit status %s)" % ", ".join(faults) if faults else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a goal is missed")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, 100 hosts only (a smoke run)")
    parser.add_argument("--keep", help="build the synthetic hosts here and keep them (default: a temporary directory)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--fleet-only", action="store_true", help="only the simulated fleet (no run.py, no processes)")
    only.add_argument("--site-only", action="store_true", help="only the site playbook on a fresh lab VM")
    only.add_argument("--no-site", action="store_true", help="everything but the site playbook on a lab VM")
    parser.add_argument("fleet_args", nargs="*", help="more arguments for fleet.py (after --)")
    args = parser.parse_args(argv)
    python = sys.executable
    venv_python = os.path.join(REPO, ".venv", "bin", "python")
    if os.path.exists(venv_python):
        python = venv_python
    started = datetime.datetime.now()
    load = os.getloadavg()[0]
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python benchmarks/bench.py"] + [a for a in given if a != args.keep and a != "--keep"])
    # one tree directory for both: run.py's trees are fleet.py's too
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="sriov-bench-")
    extra = ["--report-only", "--keep", work] if args.report_only else ["--keep", work]
    run_args = [python, "benchmarks/run.py"] + extra + (["--repeat", "3"] if args.quick else [])
    fleet_args = [python, "benchmarks/fleet.py"] + extra + (["--hosts", "100", "--repeat", "3"] if args.quick else [])
    site_args = [python, "benchmarks/site.py", "--first", "(on a fresh lab VM: the site scenario's)"]
    if args.fleet_only:
        commands = [fleet_args + ["--skip-process"] + args.fleet_args]
    elif args.site_only:
        commands = [site_args]
    else:
        commands = [run_args, fleet_args + args.fleet_args] + ([] if args.no_site else [site_args])
    results = []
    try:
        for cmd in commands:
            if cmd is site_args:
                results.append(site_on_lab_vm(python, args.report_only, work))
            else:
                results.append(stream(cmd))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    minutes = (datetime.datetime.now() - started).total_seconds() / 60.0
    failed = [rc for rc, _out in results if rc]
    load_end = os.getloadavg()[0]
    lines = ["# Benchmark results", "",
             "Written by `python benchmarks/bench.py` (see [docs/benchmarks.md](../docs/benchmarks.md)).", "",
             "## Latest: `%s`" % command, "",
             "- date: %s (%.1f minutes)" % (started.strftime("%Y-%m-%d %H:%M"), minutes),
             "- machine: %s" % machine(),
             "- load average at the start / end: %.2f / %.2f (other work on the machine inflates wall times; "
             "the ratios compare runs made under the same load)" % (load, load_end),
             "- goals: %s" % goals_line(results)]
    for (rc, out), cmd in zip(results, commands):
        shown = [arg for arg in cmd[1:] if arg != work]
        lines += ["", "### `%s` (exit %d)" % (" ".join(["python"] + [a for a in shown if a != "--keep"]), rc), "",
                  "```text", out.rstrip("\n"), "```"]
    before = earlier_results(args.results)  # read before the file is truncated
    with open(args.results, "w") as handle:
        handle.write("\n".join(lines) + "\n" + before)
    print("wrote %s" % os.path.relpath(args.results, os.getcwd()))
    return 1 if failed and not args.report_only else 0


if __name__ == "__main__":
    sys.exit(main())
