# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mutation check: break each claimed behaviour in a copy of the collection and show a test fails.

    python tests/mutations/run.py [--only ID ...]

Prints one line per mutation (killed: a test failed, as it must; SURVIVED: every test passed;
STALE: the text to mutate is gone) and exits 1 unless every mutation was killed.
"""

from __future__ import absolute_import, division, print_function

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from mutations import MUTATIONS  # noqa: E402  pylint: disable=wrong-import-position


def tracked_files():
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    return [path for path in out.split("\0") if path and os.path.isfile(os.path.join(ROOT, path))]


def copy_tree(files, dest):
    for path in files:
        target = os.path.join(dest, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), target)


def run_one(mutation, files, workdir):
    collections = os.path.join(workdir, mutation["id"])
    tree = os.path.join(collections, "ansible_collections", "directiron", "sriov")
    copy_tree(files, tree)
    path = os.path.join(tree, mutation["file"])
    with open(path) as handle:
        text = handle.read()
    if text.count(mutation["old"]) != 1:
        return "STALE", "text found %d times in %s" % (text.count(mutation["old"]), mutation["file"]), 0.0
    with open(path, "w") as handle:
        handle.write(text.replace(mutation["old"], mutation["new"]))
    env = dict(os.environ, PYTHONPATH=collections, ANSIBLE_COLLECTIONS_PATH=collections)
    start = time.time()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
                          + mutation["tests"], cwd=tree, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    took = time.time() - start
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    if proc.returncode == 1 and failed:
        return "killed", failed[0][len("FAILED "):][:150], took
    if proc.returncode == 0:
        return "SURVIVED", "every test passed", took
    return "ERROR", "pytest exit %d: %s" % (proc.returncode, proc.stdout.strip().splitlines()[-1:]), took


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="mutation ids to run")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m["id"] in args.only]
    files = tracked_files()
    workdir = tempfile.mkdtemp(prefix="directiron-sriov-mutations-")
    bad = 0
    try:
        for mutation in chosen:
            status, detail, took = run_one(mutation, files, workdir)
            bad += status != "killed"
            print("%-9s %-28s %5.1fs  %s\n          claim: %s" % (status, mutation["id"], took, detail, mutation["claim"]))
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("mutations: %d killed, %d not killed" % (len(chosen) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
