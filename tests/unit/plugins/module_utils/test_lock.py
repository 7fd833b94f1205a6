# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-host lock: one holder at a time, a clear message naming the holder on timeout."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _lock
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.lock_holder import (
    child_env, start_holder, wait_line)


@pytest.fixture
def lock_file(tmp_path):
    return str(tmp_path / "sriov.lock")


def test_default_path_is_under_run_and_env_overrides_it():
    assert _lock.lock_path({}) == "/run/directiron-sriov.lock"
    assert _lock.lock_path({_lock.LOCK_PATH_ENV: "/tmp/x.lock"}) == "/tmp/x.lock"


def test_holder_record_is_written_and_cleared(lock_file):
    with _lock.HostLock("kernel_cmdline", path=lock_file, argv=["prog", "--flag"]):
        holder = _lock.read_holder(lock_file)
        assert holder["pid"] == os.getpid()
        assert holder["purpose"] == "kernel_cmdline"
        assert holder["argv"] == ["prog", "--flag"]
    assert _lock.read_holder(lock_file) is None
    assert os.path.exists(lock_file), "the lock file stays: unlinking it would split the lock"


def test_second_process_times_out_naming_the_holder(lock_file):
    proc = start_holder(lock_file)
    try:
        assert wait_line(proc) == "locked"
        with pytest.raises(SriovError) as info:
            _lock.HostLock("kernel_cmdline", path=lock_file, timeout=0.3, poll_interval=0.05).acquire()
        message = info.value.msg
        assert lock_file in message
        assert "pid %d" % proc.pid in message
        assert "holder-under-test" in message
        assert "waited 0.3 s" in message
        assert info.value.field == "lock"
        assert info.value.details["holder"]["pid"] == proc.pid
    finally:
        proc.stdin.close()
        proc.wait()


def test_waiter_gets_the_lock_once_the_holder_finishes(lock_file):
    proc = start_holder(lock_file)
    try:
        assert wait_line(proc) == "locked"
        waited = []

        def sleep(seconds):
            # The holder finishes while this process waits.
            if not waited:
                proc.stdin.close()
                assert wait_line(proc) == "released"
            waited.append(seconds)

        with _lock.HostLock("kernel_cmdline", path=lock_file, timeout=30, sleep=sleep) as held:
            assert held.held
            assert _lock.read_holder(lock_file)["pid"] == os.getpid()
        assert waited
    finally:
        if not proc.stdin.closed:
            proc.stdin.close()
        proc.wait()


def test_killed_holder_frees_the_lock(lock_file):
    proc = start_holder(lock_file)
    assert wait_line(proc) == "locked"
    proc.kill()
    proc.wait()
    proc.stdin.close()
    # The stale record of the dead holder does not matter: the kernel dropped its flock.
    with _lock.HostLock("replay", path=lock_file, timeout=0):
        assert _lock.read_holder(lock_file)["purpose"] == "replay"


def test_two_processes_contending_run_one_after_the_other(lock_file, tmp_path):
    log = str(tmp_path / "log")
    worker = textwrap.dedent("""
        import sys, time
        from ansible_collections.directiron.sriov.plugins.module_utils import _lock
        with _lock.HostLock(sys.argv[2], path=sys.argv[1], timeout=30):
            for step in ("start", "end"):
                with open(sys.argv[3], "a") as log:
                    log.write("%s %s\\n" % (sys.argv[2], step))
                time.sleep(0.2)
    """)
    env = child_env()
    procs = [subprocess.Popen([sys.executable, "-c", worker, lock_file, name, log], env=env)
             for name in ("first", "second")]
    assert [p.wait() for p in procs] == [0, 0]
    with open(log) as handle:
        lines = handle.read().splitlines()
    # Each writer's start and end are adjacent: no interleaving.
    assert len(lines) == 4
    first, second = lines[0].split()[0], lines[2].split()[0]
    assert lines == ["%s start" % first, "%s end" % first, "%s start" % second, "%s end" % second]
    assert set([first, second]) == set(["first", "second"])


def test_reentrant_within_one_process(lock_file):
    outer = _lock.HostLock("outer", path=lock_file, timeout=0)
    with outer:
        with _lock.HostLock("inner", path=lock_file, timeout=0):
            pass
        # Still held after the inner release: the record stays the outer one's.
        assert _lock.read_holder(lock_file)["purpose"] == "outer"
    assert _lock.read_holder(lock_file) is None
    assert lock_file not in _lock._HELD


def test_unwritable_location_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "no-such-dir" / "sriov.lock")
    with pytest.raises(SriovError) as info:
        _lock.HostLock("kernel_cmdline", path=missing).acquire()
    assert missing in info.value.msg and _lock.LOCK_PATH_ENV in info.value.msg


def test_disabled_lock_touches_nothing(lock_file):
    with _lock.host_lock("kernel_cmdline", enabled=False, path=lock_file):
        pass
    assert not os.path.exists(lock_file)


def test_describe_holder_without_record():
    assert "unknown" in _lock.describe_holder(None)
    text = _lock.describe_holder({"pid": 7, "purpose": "p", "started": 100.0, "argv": ["a"]}, now=130.0)
    assert text == "pid 7 (p) since 1970-01-01T00:01:40Z (30 s ago) running 'a'"
