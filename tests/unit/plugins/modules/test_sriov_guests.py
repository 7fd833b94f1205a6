# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of sriov_guests over the fake libvirt: read, a graceful shutdown with its timeout, the start again."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.modules import sriov_guests
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.test_guest_policy import hv  # noqa: F401 pylint: disable=unused-import
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module


def test_read_is_unchanged_and_returns_the_facts(monkeypatch, hv):
    monkeypatch.setattr(sriov_guests, "libvirt", hv)
    end = run_module(monkeypatch, sriov_guests.main, {})
    assert not end.failed and end.result["changed"] is False
    found = end.result["ansible_facts"]["sriov_guests"]
    assert [d["name"] for d in found["running"]] == ["bare", "paired", "passthrough", "plain"]
    assert found["free_vfs"] == {"vf-pool": 1}


def test_stopped_shuts_down_every_running_domain_and_started_brings_them_back(monkeypatch, hv):
    monkeypatch.setattr(sriov_guests, "libvirt", hv)
    check = run_module(monkeypatch, sriov_guests.main, {"state": "stopped", "_ansible_check_mode": True})
    assert check.result["changed"] and check.result["domains"] == ["bare", "paired", "passthrough", "plain"]
    assert not [call for call in hv.calls if call[0] == "shutdown"]
    end = run_module(monkeypatch, sriov_guests.main, {"state": "stopped", "timeout": 5})
    assert end.result["domains"] == ["bare", "paired", "passthrough", "plain"]
    assert not any(dom.isActive() for dom in hv.domains.values())
    again = run_module(monkeypatch, sriov_guests.main, {"state": "stopped"})
    assert again.result == dict(again.result, changed=False, domains=[])
    back = run_module(monkeypatch, sriov_guests.main, {"state": "started", "domains": ["paired", "plain"]})
    assert back.result["changed"] and back.result["domains"] == ["paired", "plain"]
    assert hv.domains["paired"].isActive() and not hv.domains["bare"].isActive()


def test_a_guest_ignoring_the_shutdown_fails_the_task_naming_it(monkeypatch, hv):
    monkeypatch.setattr(sriov_guests, "libvirt", hv)
    monkeypatch.setattr(sriov_guests._guest_policy.time, "sleep", lambda seconds: None)
    hv.domains["plain"].ack_shutdown = False
    end = run_module(monkeypatch, sriov_guests.main, {"state": "stopped", "domains": ["plain"], "timeout": 0})
    assert end.failed and "plain did not shut down within 0 s" in end.result["msg"]


def test_read_without_a_reachable_libvirt_knows_no_guest_and_warns(monkeypatch, hv):
    hv.refuse = "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"
    monkeypatch.setattr(sriov_guests, "libvirt", hv)
    end = run_module(monkeypatch, sriov_guests.main, {})
    assert not end.failed and end.result["ansible_facts"]["sriov_guests"] == {"running": [], "free_vfs": {}}
    stopped = run_module(monkeypatch, sriov_guests.main, {"state": "stopped"})
    assert stopped.failed and "cannot connect to libvirt" in stopped.result["msg"]
