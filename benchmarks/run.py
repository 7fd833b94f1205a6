# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print every benchmark figure of directiron.sriov in one run.

    python benchmarks/run.py [--repeat 7] [--keep DIR] [--report-only]

Fact gathering on synthetic sysfs trees (tests/fixtures/sysfs_tree.py) of 1,024, 2,048 and
4,096 SR-IOV functions (8/16/32 PFs x 127 VFs, each PF behind a PCIe root port, plus a host
bridge and a PCI bridge group): the modules' own work (gather_iommu_facts, gather_sriov_facts
without host commands), best and median of --repeat runs, per function, and growth against
the smallest tree. Then the classic shell loop over /sys/kernel/iommu_groups on the
4,096-function tree, the check that it gives the same answer as iommu_facts, and the ratio.
Budget: <= 0.25 s per module on the 4,096-function tree.

Exit status: 1 when a goal is missed, 0 otherwise (--report-only: always 0 after printing).
Goals: each module's CPU time on the 4,096-function tree within the budget; its wall time too,
unless the machine was busier than its CPUs (load average >= CPU count), where wall time
measures the neighbours and only the CPU time is judged; the shell loop's answer the same as
iommu_facts'. Every missed goal is printed as "MISSED: ..." before the exit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BUDGET_S = 0.25

# The classic loop: for every group, for every device in it, read ids and class and the driver.
# One `cat` for the three attributes and one `readlink` per device (lspci cannot read a fake tree).
SHELL_LOOP = r'''
root=$1
for g in "$root"/kernel/iommu_groups/*; do
  for d in "$g"/devices/*; do
    drv=$(readlink "$d/driver")
    echo "${g##*/} ${d##*/} $(cat "$d/vendor" "$d/device" "$d/class" | tr '\n' ' ')${drv##*/}"
  done
done
'''


def _ensure_ansible():
    """The modules import ansible-core: rerun under the project's .venv when this Python lacks it."""
    try:
        import ansible  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        venv = os.path.join(REPO, ".venv")
        venv_python = os.path.join(venv, "bin", "python")
        if os.path.exists(venv_python) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
            os.execv(venv_python, [venv_python] + sys.argv)
        raise


def _import_collection():
    """Make ansible_collections.directiron.sriov importable from this checkout or an installed copy."""
    try:
        import ansible_collections.directiron.sriov  # noqa: F401 pylint: disable=unused-import
        return
    except ImportError:
        pass
    link_root = os.path.join(tempfile.mkdtemp(prefix="sriov-bench-ac-"), "ansible_collections", "directiron")
    os.makedirs(link_root)
    os.symlink(REPO, os.path.join(link_root, "sriov"))
    sys.path.insert(0, os.path.dirname(os.path.dirname(link_root)))


def timed(func, repeat):
    """(best wall s, median wall s, best CPU s of this process, result)."""
    times = []
    cpu = []
    result = None
    for _run in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(times), statistics.median(times), min(cpu), result


def shell_answer(sysfs_root):
    start = time.perf_counter()
    out = subprocess.run(["bash", "-c", SHELL_LOOP, "loop", sysfs_root], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    elapsed = time.perf_counter() - start
    answer = {}
    for line in out.splitlines():
        parts = line.split()
        group, address, vendor, device = parts[:4]
        driver = parts[5] if len(parts) > 5 else None
        answer.setdefault(int(group), []).append((address, "%s:%s" % (vendor[2:], device[2:]), driver))
    return elapsed, answer


def facts_answer(iommu):
    devices = iommu["devices"]
    return dict((int(group), [(a, devices[a]["ids"], devices[a]["driver"]) for a in members])
                for group, members in iommu["groups"].items())


def budget_verdict(wall, cpu, load, cpus, budget=BUDGET_S):
    """(verdict text, missed?) for one module's best wall and CPU time against the budget."""
    if cpu > budget:
        return "OVER (CPU %.3f s > %.2f s)" % (cpu, budget), True
    if wall <= budget:
        return "within", False
    if load >= cpus:
        return "CPU within, wall OVER on a busy machine (load %.1f, %d CPUs): judged on CPU" % (load, cpus), False
    return "wall OVER (%.3f s > %.2f s) at load %.1f" % (wall, budget, load), True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", help="generate trees here and keep them (default: a temporary directory)")
    parser.add_argument("--no-shell", action="store_true", help="skip the (slow) shell loop")
    parser.add_argument("--report-only", action="store_true",
                        help="print every figure and verdict but exit 0 even when a goal is missed")
    args = parser.parse_args(argv)
    _ensure_ansible()
    _import_collection()
    from ansible_collections.directiron.sriov.plugins.modules import iommu_facts, sriov_facts
    from ansible_collections.directiron.sriov.tests.fixtures import sysfs_tree

    work = args.keep or tempfile.mkdtemp(prefix="sriov-bench-")
    rows = []
    missed = []
    try:
        print("directiron.sriov benchmarks (python %s, %d CPUs, load %.2f)" % (
            sys.version.split()[0], os.cpu_count() or 0, os.getloadavg()[0]))
        print("fact gathering, the modules' own work; best / median of %d runs" % args.repeat)
        header = ("functions", "groups", "module", "best s", "median s", "cpu s", "us/function", "growth")
        print("%-10s %-8s %-14s %10s %10s %10s %12s %8s" % header)
        largest = None
        for pfs in (8, 16, 32):
            dest = os.path.join(work, "tree-%d" % pfs)
            if not os.path.isdir(dest):
                tree = sysfs_tree.generate(dest, pfs=pfs, vfs_per_pf=127)
            else:
                tree = {"sysfs_root": os.path.join(dest, "sys"), "proc_root": os.path.join(dest, "proc")}
                tree["functions"] = len(os.listdir(os.path.join(tree["sysfs_root"], "bus/pci/devices")))
                tree["groups"] = len(os.listdir(os.path.join(tree["sysfs_root"], "kernel/iommu_groups")))
            for name, func in (
                    ("iommu_facts", lambda t=tree: iommu_facts.gather_iommu_facts(t["sysfs_root"], t["proc_root"])),
                    ("sriov_facts", lambda t=tree: sriov_facts.gather_sriov_facts(t["sysfs_root"], t["proc_root"],
                                                                                  netlink="never"))):
                best, median, cpu, result = timed(func, args.repeat)
                rows.append((pfs, name, tree["functions"], best, cpu))
                base = [r for r in rows if r[0] == 8 and r[1] == name][0]
                # growth on CPU time: wall time on a shared machine measures the neighbours too
                growth = (cpu / base[4]) / (float(tree["functions"]) / base[2])
                print("%-10d %-8d %-14s %10.3f %10.3f %10.3f %12.1f %8.2f" % (
                    tree["functions"], tree["groups"], name, best, median, cpu, best / tree["functions"] * 1e6,
                    growth))
                if pfs == 32 and name == "iommu_facts":
                    largest = (tree, best, result)
        print("growth = (CPU time / CPU time at the 1,036-function tree) / (functions ratio); 1.00 is linear")
        for pfs, name, functions, best, cpu in rows:
            if pfs == 32:
                verdict, miss = budget_verdict(best, cpu, os.getloadavg()[0], os.cpu_count() or 1)
                if miss:
                    missed.append("%s on %d functions: %s" % (name, functions, verdict))
                print("budget %-12s %d functions: best %.3f s wall, %.3f s CPU, budget %.2f s -> %s" % (
                    name, functions, best, cpu, BUDGET_S, verdict))
        print("load average after the runs: %.2f (wall times grow with other work on this machine;"
              " the CPU column is this process alone)" % os.getloadavg()[0])
        if not args.no_shell:
            tree, best, iommu = largest
            elapsed, answer = shell_answer(tree["sysfs_root"])
            same = answer == facts_answer(iommu)
            print("classic shell loop over kernel/iommu_groups (%d functions): %.2f s" % (
                sum(len(v) for v in answer.values()), elapsed))
            print("same answer as iommu_facts (group, address, vendor:device, driver): %s"
                  % ("yes" if same else "NO"))
            print("ratio shell / iommu_facts: %.0fx faster" % (elapsed / best))
            if not same:
                missed.append("the shell loop and iommu_facts disagree")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for line in missed:
        print("MISSED: %s" % line)
    if missed and not args.report_only:
        return 1
    print("goals: %s" % ("%d missed (--report-only: exit 0)" % len(missed) if missed else "all met"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
