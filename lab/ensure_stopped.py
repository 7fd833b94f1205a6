# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start lab VMs for a test and stop them whatever happens (by pid, never by name).

    from lab.ensure_stopped import running_vm

    with running_vm("t-reboot", variant="iommu") as machine:
        subprocess.run(machine.ssh_argv(["cat", "/proc/cmdline"]), check=True)
    # stopped here, also after an exception or Ctrl-C

Shell scripts get the same guarantee from a trap:
    trap '.venv/bin/python -m lab down NAME --no-sync' EXIT
    .venv/bin/python -m lab up NAME ...
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import signal

from lab.common import log
from lab.vm import Vm


@contextlib.contextmanager
def ensure_stopped(*names):
    """Stop the named VMs on leaving the block, also on failure or SIGTERM."""
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum, frame):
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, _terminate)
    try:
        yield [Vm(name) for name in names]
    finally:
        signal.signal(signal.SIGTERM, previous)
        for name in names:
            try:
                Vm(name).down(sync=False)
            except Exception as exc:  # keep stopping the others; report, do not mask
                log("could not stop %s: %s", name, exc)


@contextlib.contextmanager
def running_vm(name, **up_args):
    """`up` a VM (keyword arguments as Vm.up) for the block; always stopped afterwards."""
    with ensure_stopped(name) as machines:
        machines[0].up(**up_args)
        yield machines[0]
