# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A second process that holds the host lock, for tests of contention."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import textwrap

# Takes the lock, says "locked", keeps it until its stdin closes, then says "released".
HOLDER = textwrap.dedent("""
    import sys
    from ansible_collections.directiron.sriov.plugins.module_utils import _lock
    with _lock.HostLock("holder-under-test", path=sys.argv[1], timeout=0):
        sys.stdout.write("locked\\n")
        sys.stdout.flush()
        sys.stdin.read()
    sys.stdout.write("released\\n")
    sys.stdout.flush()
""")


def child_env():
    """This process's environment, with its import path (the collection) for a child Python."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def start_holder(path):
    return subprocess.Popen([sys.executable, "-c", HOLDER, path],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_env(),
                            universal_newlines=True)


def wait_line(proc):
    return proc.stdout.readline().strip()
