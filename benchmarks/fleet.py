# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a user pays per host and across a fleet, as ratios to a baseline measured in the same run.

    python benchmarks/fleet.py [--hosts 100,500] [--forks 10,50] [--report-only] [--keep DIR]
                               [--skip-process] [--skip-fleet]

1. Facts as a user pays them: each facts module run as its own process, the way Ansible runs a
   module (``python -m <module> <args file>``: imports, argument parsing, gathering, result
   handling by exit_json and the JSON on stdout), on a synthetic 4,132-function tree (32 PFs x 127
   VFs), minus a trivial module's floor (ansible.builtin.ping run the same way). Best wall and
   best CPU time (user + system of the child) of --repeat runs, peak RSS, result size; the same
   at 1,036 and 2,068 functions for the growth; and the summary subset (``gather_subset: [min]``).
   Goal: <= 0.25 s above the floor at 4,132 functions with ``gather_subset: [all]``.

2. A fleet: --hosts simulated hosts on the local connection, each with its own generated sysfs
   tree (2 PFs x 8 VFs, given to the modules as sysfs_root/proc_root). One playbook does what a
   fleet report plus a dry run does in one module run per host: the check-mode converge of the
   host's whole VF state (sriov_host, all PFs) with ``facts: [min]`` (the iommu_facts and
   sriov_facts summaries from the same collectors). A stand-in ``ip`` on PATH answers for the
   simulated PFs. Timed against ``ansible all -m ping`` over the same inventory and forks, in the
   same run; the check-mode converge must report changed=0. Goal: <= 3x ping. Up to
   --reference-hosts it also times the same report read by the facts modules (iommu_facts,
   sriov_facts, then sriov_host: 3 module runs per host) for the ratio between the two shapes.

Exit status: 1 when a goal is missed (every miss is printed as "MISSED: ..."), 0 otherwise;
--report-only always exits 0 after printing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    from run import _ensure_ansible, budget_verdict  # run as a script: the benchmarks directory is sys.path[0]
except ImportError:
    from ansible_collections.directiron.sriov.benchmarks.run import _ensure_ansible, budget_verdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FACTS_BUDGET_S = 0.25
FLEET_GOAL = 3.0
FLEET_PFS, FLEET_VFS = 2, 8

# answers `ip -d -j link show dev <PF>` for the simulated PFs: up, 8 VFs, VF 1 on VLAN 100
FAKE_IP = r'''#!/bin/sh
dev=""
while [ $# -gt 0 ]; do [ "$1" = dev ] && dev=$2; shift; done
printf '[{"ifindex": 2, "ifname": "%s", "flags": ["BROADCAST", "MULTICAST", "UP"], "operstate": "UP", "num_vf": 8, "vfinfo_list": [' "$dev"
for i in 0 1 2 3 4 5 6 7; do
  vlan='{}'; [ $i = 1 ] && vlan='{"vlan": 100, "qos": 0}'
  [ $i = 0 ] || printf ', '
  printf '{"vf": %d, "address": "02:00:00:00:00:0%d", "vlan_list": [%s], "rate": {"max_tx": 0, "min_tx": 0},' $i $i "$vlan"
  printf ' "spoofchk": true, "link_state": "auto", "trust": false}'
done
printf ']}]\n'
'''

# a fleet report plus a dry run, one module run per host: the plan and both facts summaries
PLAYBOOK = r'''---
- name: Fleet report and dry run
  hosts: all
  gather_facts: false
  tasks:
    - name: VF state of the whole host, check mode, with the IOMMU and SR-IOV summaries
      directiron.sriov.sriov_host:
        sysfs_root: "{{ sysfs_root }}"
        proc_root: "{{ proc_root }}"
        sriov_pfs: "{{ sriov_pfs }}"
        persist: false
        facts: [min]
      check_mode: true
'''

# the same report and dry run the way the site preflight reads it: the two facts modules, then
# sriov_host; 3 module runs per host, timed in the same run as the reference
REFERENCE_PLAYBOOK = r'''---
- name: Fleet report and dry run, 3 module runs per host
  hosts: all
  gather_facts: false
  tasks:
    - name: IOMMU summary
      directiron.sriov.iommu_facts:
        sysfs_root: "{{ sysfs_root }}"
        proc_root: "{{ proc_root }}"
        gather_subset: [min]

    - name: SR-IOV summary
      directiron.sriov.sriov_facts:
        sysfs_root: "{{ sysfs_root }}"
        proc_root: "{{ proc_root }}"
        gather_subset: [min]

    - name: VF state of the whole host, check mode
      directiron.sriov.sriov_host:
        sysfs_root: "{{ sysfs_root }}"
        proc_root: "{{ proc_root }}"
        sriov_pfs: "{{ sriov_pfs }}"
        persist: false
      check_mode: true
'''
MODULE_RUNS, REFERENCE_RUNS = 1, 3  # module runs per host in PLAYBOOK and REFERENCE_PLAYBOOK

# A PLAY RECAP row: host, ok, changed, unreachable, failed, skipped (site.py reads it too).
RECAP_RE = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def collections_root(work):
    """A directory holding ansible_collections/directiron/sriov -> this checkout."""
    root = os.path.join(work, "collections")
    link = os.path.join(root, "ansible_collections", "directiron", "sriov")
    if not os.path.lexists(link):
        os.makedirs(os.path.dirname(link))
        os.symlink(REPO, link)
    return root


def _generate(dest, **kwargs):
    sys.path.insert(0, REPO)
    try:
        from tests.fixtures import sysfs_tree  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    # generate() writes proc/ last: a tree with proc/cpuinfo is complete (also one run.py left in --keep)
    if not os.path.exists(os.path.join(dest, "proc", "cpuinfo")):
        shutil.rmtree(dest, ignore_errors=True)
        sysfs_tree.generate(dest, **kwargs)
    return {"sysfs_root": os.path.join(dest, "sys"), "proc_root": os.path.join(dest, "proc"),
            "functions": len(os.listdir(os.path.join(dest, "sys", "bus", "pci", "devices")))}


def run_process(env, module, args, argfile, repeat):
    """(best wall s, best CPU s, peak RSS KiB, result bytes, result) of a module run as a process."""
    with open(argfile, "w") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    walls, cpus, rss, out = [], [], 0, b""
    for _run in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", module, argfile], stdout=subprocess.PIPE, env=env)
        out = proc.stdout.read()
        proc.stdout.close()
        _pid, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss = max(rss, usage.ru_maxrss)
        if status != 0:
            raise RuntimeError("%s exited with %s: %s" % (module, status, out[-2000:]))
    return min(walls), min(cpus), rss, len(out), json.loads(out)


def marginal_growth(points):
    """(growth, s per function) from (functions, CPU s) at three sizes: the cost per added function
    from the middle to the largest size over that from the smallest to the middle (1.00 is linear;
    the fixed cost of a process, imports and the floor, cancels out)."""
    (f1, c1), (f2, c2), (f3, c3) = points
    low = (c2 - c1) / float(f2 - f1)
    high = (c3 - c2) / float(f3 - f2)
    return (high / low if low > 0 else float("inf")), high


def process_costs(work, collections, repeat, missed):
    env = dict(os.environ, PYTHONPATH=collections)
    prefix = "ansible_collections.directiron.sriov.plugins.modules."
    argfile = os.path.join(work, "args.json")
    floor = run_process(env, "ansible.modules.ping", {}, argfile, repeat)
    print("facts as a user pays them: the module as a process (python -m, args file, exit_json), best of %d"
          % repeat)
    print("floor: ansible.builtin.ping the same way: %.3f s wall, %.3f s CPU, peak RSS %d KiB"
          % (floor[0], floor[1], floor[2]))
    print("%-10s %-12s %-8s %9s %9s %10s %10s %9s %9s" % (
        "functions", "module", "subset", "wall s", "CPU s", "+wall s", "+CPU s", "RSS KiB", "KiB out"))
    base = {}
    for pfs in (8, 16, 32):
        tree = _generate(os.path.join(work, "tree-%d" % pfs), pfs=pfs, vfs_per_pf=127)
        for name, extra in (("iommu_facts", {}), ("sriov_facts", {"netlink": "never"})):
            for subset in (["all"], ["min"]) if pfs == 32 else (["all"],):
                args = dict(extra, sysfs_root=tree["sysfs_root"], proc_root=tree["proc_root"], gather_subset=subset)
                wall, cpu, rss, size, _result = run_process(env, prefix + name, args, argfile, repeat)
                above_wall, above_cpu = wall - floor[0], cpu - floor[1]
                print("%-10d %-12s %-8s %9.3f %9.3f %10.3f %10.3f %9d %9d" % (
                    tree["functions"], name, subset[0], wall, cpu, above_wall, above_cpu, rss, size // 1024))
                if subset == ["all"]:
                    points = base.setdefault(name, [])
                    points.append((tree["functions"], cpu))
                    if pfs == 32:
                        growth = marginal_growth(points)
                        verdict, miss = budget_verdict(above_wall, above_cpu, os.getloadavg()[0],
                                                       os.cpu_count() or 1, FACTS_BUDGET_S)
                        print("goal %s: %.3f s CPU / %.3f s wall above the floor at %d functions, budget %.2f s: %s; "
                              "%.1f us CPU per added function, growth %.2f (1.00 is linear)" % (
                                  name, above_cpu, above_wall, tree["functions"], FACTS_BUDGET_S, verdict,
                                  growth[1] * 1e6, growth[0]))
                        if miss:
                            missed.append("%s above the floor at %d functions: %s"
                                          % (name, tree["functions"], verdict))


def fleet_inventory(work, hosts):
    """Write the hosts' trees and an inventory; returns its path."""
    host_vars = {}
    for index in range(hosts):
        name = "h%03d" % index
        tree = _generate(os.path.join(work, "hosts", name), pfs=FLEET_PFS, vfs_per_pf=FLEET_VFS,
                         bridge_group=False)
        host_vars[name] = {"sysfs_root": tree["sysfs_root"], "proc_root": tree["proc_root"]}
    pfs = [{"pf": "enp%ds0" % (index + 1), "num_vfs": FLEET_VFS,
            "vfs": [{"id": 0, "driver": "vfio-pci"}, {"id": 1, "vlan": 100}]} for index in range(FLEET_PFS)]
    inventory = {"all": {"hosts": host_vars, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable, "sriov_pfs": pfs}}}
    path = os.path.join(work, "inventory-%d.json" % hosts)
    with open(path, "w") as handle:
        json.dump(inventory, handle)
    return path


def timed_run(argv, env):
    """(wall s, CPU s of the command and every process it waited for, exit status, output)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            universal_newlines=True)
    out = proc.stdout.read()
    proc.stdout.close()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, proc.returncode, out


def run_playbook(venv_bin, inventory, playbook, forks, env):
    """(wall s, CPU s, exit status, output, hosts in the recap, changed, failed + unreachable)."""
    wall, cpu, rc, out = timed_run(
        [os.path.join(venv_bin, "ansible-playbook"), "-i", inventory, playbook, "-f", str(forks)], env)
    recap = RECAP_RE.findall(out)
    return (wall, cpu, rc, out, len(recap), sum(int(r[2]) for r in recap),
            sum(int(r[3]) + int(r[4]) for r in recap))


def fleet(work, collections, host_counts, forks_list, reference_hosts, missed):
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir, exist_ok=True)
    with open(os.path.join(bindir, "ip"), "w") as handle:
        handle.write(FAKE_IP)
    os.chmod(os.path.join(bindir, "ip"), 0o755)
    playbooks = {}
    for name, text in (("fleet", PLAYBOOK), ("reference", REFERENCE_PLAYBOOK)):
        playbooks[name] = os.path.join(work, "%s.yml" % name)
        with open(playbooks[name], "w") as handle:
            handle.write(text)
    venv_bin = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_PIPELINING="1",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_NOCOLOR="1",
               PATH=bindir + os.pathsep + venv_bin + os.pathsep + os.environ.get("PATH", ""))
    env.pop("ANSIBLE_CONFIG", None)
    print("fleet: local connection, pipelining on, each host its own %d PF x %d VF tree; playbook = sriov_host "
          "check mode (all PFs) with facts: [min] (the IOMMU and SR-IOV summaries) = %d module run per host, "
          "ping = 1; reference = iommu_facts + sriov_facts (gather_subset: [min]) + sriov_host check mode = %d"
          % (FLEET_PFS, FLEET_VFS, MODULE_RUNS, REFERENCE_RUNS))
    print("%-6s %-6s %9s %9s %11s %11s %7s %7s %s" % (
        "hosts", "forks", "ping s", "ping CPU", "playbook s", "play CPU", "ratio", "CPU x", "recap"))
    for hosts in host_counts:
        start = time.perf_counter()
        inventory = fleet_inventory(work, hosts)
        setup = time.perf_counter() - start
        for forks in forks_list:
            ping_s, ping_cpu, ping_rc, ping_out = timed_run(
                [os.path.join(venv_bin, "ansible"), "all", "-i", inventory, "-m", "ansible.builtin.ping",
                 "-f", str(forks)], env)
            play_s, play_cpu, play_rc, play_out, seen, changed, bad = run_playbook(
                venv_bin, inventory, playbooks["fleet"], forks, env)
            ok = ping_rc == 0 and play_rc == 0 and seen == hosts and bad == 0 and changed == 0
            ratio = play_s / ping_s
            print("%-6d %-6d %9.1f %9.1f %11.1f %11.1f %6.2fx %6.2fx %d hosts, changed=%d, failed/unreachable=%d%s" % (
                hosts, forks, ping_s, ping_cpu, play_s, play_cpu, ratio, play_cpu / ping_cpu, seen, changed,
                bad, "" if ok else " (NOT OK)"))
            sys.stdout.flush()
            if not ok:
                tail = (play_out if play_rc else ping_out)[-3000:]
                print(tail)
                missed.append("fleet %d hosts forks %d: ping rc %d, playbook rc %d, changed=%d, failed=%d"
                              % (hosts, forks, ping_rc, play_rc, changed, bad))
            elif ratio > FLEET_GOAL:
                missed.append("fleet %d hosts forks %d: %.2fx ping > %.1fx" % (hosts, forks, ratio, FLEET_GOAL))
            if hosts <= reference_hosts:
                ref_s, ref_cpu, ref_rc, _out, seen, changed, bad = run_playbook(
                    venv_bin, inventory, playbooks["reference"], forks, env)
                print("%-6d %-6d reference, %d module runs per host: %.1f s, %.1f s CPU = %.2fx ping; playbook / "
                      "reference = %.2fx wall, %.2fx CPU%s" % (
                          hosts, forks, REFERENCE_RUNS, ref_s, ref_cpu, ref_s / ping_s, play_s / ref_s,
                          play_cpu / ref_cpu,
                          "" if ref_rc == 0 and seen == hosts and changed == bad == 0 else
                          " (NOT OK: exit %d, changed=%d, failed/unreachable=%d)" % (ref_rc, changed, bad)))
            sys.stdout.flush()
        print("(%d host trees ready in %.1f s; load average %.2f)" % (hosts, setup, os.getloadavg()[0]))
    print("goal: the playbook <= %.1fx ping at every size and forks" % FLEET_GOAL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", default="100,500", help="comma-separated fleet sizes (default 100,500)")
    parser.add_argument("--forks", default="10,50", help="comma-separated forks (default 10,50)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per facts module process (best is kept)")
    parser.add_argument("--keep", help="generate trees here and keep them (default: a temporary directory)")
    parser.add_argument("--reference-hosts", type=int, default=100,
                        help="also time the reference playbook (3 module runs per host) at fleet sizes up to this")
    parser.add_argument("--skip-process", action="store_true", help="skip the facts-as-a-process part")
    parser.add_argument("--skip-fleet", action="store_true", help="skip the fleet part")
    parser.add_argument("--report-only", action="store_true",
                        help="print every figure and verdict but exit 0 even when a goal is missed")
    args = parser.parse_args(argv)
    _ensure_ansible()
    work = os.path.abspath(args.keep) if args.keep else tempfile.mkdtemp(prefix="sriov-fleet-")
    os.makedirs(work, exist_ok=True)
    missed = []
    try:
        print("directiron.sriov per-host and fleet costs (python %s, %d CPUs, load %.2f)" % (
            sys.version.split()[0], os.cpu_count() or 0, os.getloadavg()[0]))
        collections = collections_root(work)
        if not args.skip_process:
            process_costs(work, collections, args.repeat, missed)
        if not args.skip_fleet:
            fleet(work, collections, [int(h) for h in args.hosts.split(",") if h],
                  [int(f) for f in args.forks.split(",") if f], args.reference_hosts, missed)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for line in missed:
        print("MISSED: %s" % line)
    print("goals: %s" % ("%d missed%s" % (len(missed), " (--report-only: exit 0)" if args.report_only else "")
                         if missed else "all met"))
    return 1 if missed and not args.report_only else 0


if __name__ == "__main__":
    sys.exit(main())
