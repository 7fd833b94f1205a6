# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""All or nothing (SAFETY-2): faults injected into sriov_host's writes on the fake host.

The boot-time replay files are written only after every PF converged and are restored when a
later write or ``systemctl enable`` fails: the next boot replays the old state or the new one,
never a mix. What was put back and what stays changed is in the message and in ``rollback``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _files, _host
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.test_sriov_host import (  # noqa: F401 (fixture)
    TWO_PFS, files, host, run)

BOOT_FILES = (_host.CONFIG_PATH, _host.LAUNCHER_PATH, _host.UNIT_PATH)


def _contents(host):
    found = {}
    for path in BOOT_FILES:
        real = os.path.join(host.etc, path.lstrip("/"))
        if os.path.exists(real):
            with open(real) as handle:
                found[path] = handle.read()
    return found


def _fail_writing(monkeypatch, path):
    write = _files.PersistedFile.write

    def failing(self):
        if self.path == path:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(self)

    monkeypatch.setattr(_files.PersistedFile, "write", failing)


def test_a_failed_unit_write_restores_the_config_and_launcher_of_the_last_run(host, monkeypatch):
    ok, _first = run(host, sriov_pfs=TWO_PFS)
    assert ok
    before = _contents(host)
    _fail_writing(monkeypatch, _host.UNIT_PATH)
    ok, result = run(host, sriov_pfs=[TWO_PFS[0]], boot_wait=90)
    assert not ok
    assert _contents(host) == before  # the old boot-time state, whole
    assert result["rollback"]["restored"] == [_host.CONFIG_PATH]
    assert "rolled back: restored %s" % _host.CONFIG_PATH in result["msg"]


def test_a_failed_first_install_removes_the_files_it_wrote(host, monkeypatch):
    _fail_writing(monkeypatch, _host.UNIT_PATH)
    ok, result = run(host, sriov_pfs=TWO_PFS)
    assert not ok
    assert _contents(host) == {}
    assert result["rollback"]["restored"] == [_host.LAUNCHER_PATH, _host.CONFIG_PATH]
    # the VFs were created before: they stay, and the message says so
    assert result["rollback"]["left_changed"][:2] == ["sriov_pfs[0] 0000:01:00.0", "sriov_pfs[1] 0000:02:00.0"]
    assert "left changed: sriov_pfs[0] 0000:01:00.0" in result["msg"]


def test_a_failed_enable_restores_every_boot_file(host, monkeypatch):
    from ansible.module_utils import basic
    run_command = basic.AnsibleModule.run_command

    def failing_enable(self, argv, **kwargs):
        if argv[0] == "systemctl":
            return 1, "", "Failed to enable unit: Access denied"
        return run_command(self, argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", failing_enable)
    ok, result = run(host, sriov_pfs=TWO_PFS)
    assert not ok and "enabling" in result["msg"]
    assert _contents(host) == {}
    assert sorted(result["rollback"]["restored"]) == sorted(BOOT_FILES)


def test_a_pf_that_fails_leaves_the_boot_files_of_the_last_run_whole(host):
    ok, _first = run(host, sriov_pfs=[TWO_PFS[0]])
    assert ok
    before = _contents(host)
    host.errors["sriov_drivers_autoprobe"] = errno.EIO  # the second PF's first write fails
    ok, result = run(host, sriov_pfs=TWO_PFS)
    assert not ok
    assert _contents(host) == before
    assert result["rollback"]["restored"] == [] and "nothing to roll back" in result["msg"]


def test_a_refusal_before_any_write_says_nothing_of_a_rollback(host):
    ok, result = run(host, sriov_pfs=[{"pf": "enp1s0", "num_vfs": -1}])
    assert not ok and "roll" not in result["msg"] and "rollback" not in result
    assert files(host) == {}
