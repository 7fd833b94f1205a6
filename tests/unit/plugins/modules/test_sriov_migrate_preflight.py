# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of sriov_migrate_preflight with ``libvirt.open`` reaching two fake hypervisors by URI."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.modules import sriov_migrate_preflight
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.test_migrate import (  # noqa: F401 pylint: disable=unused-import
    GUEST_NICS, pair)
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

DEST = "qemu+ssh://root@b/system"


class TwoHosts(fake_mod.FakeLibvirt):
    """The binding as the source sees it: qemu:///system is the source, DEST the destination."""

    def __init__(self, src, dst):
        super(TwoHosts, self).__init__()
        self.hosts = {"qemu:///system": src, DEST: dst}

    def open(self, uri):
        if uri not in self.hosts:
            raise fake_mod.libvirtError("Cannot recv data: ssh: Could not resolve hostname %s" % uri, code=38)
        return self.hosts[uri].open(uri)


def test_a_migratable_domain_passes_unchanged_in_check_mode(monkeypatch, pair):
    monkeypatch.setattr(sriov_migrate_preflight, "libvirt", TwoHosts(*pair))
    end = run_module(monkeypatch, sriov_migrate_preflight.main,
                     {"domain": "vm1", "dest_uri": DEST, "guest_nics": GUEST_NICS, "_ansible_check_mode": True})
    assert not end.failed and end.result["changed"] is False
    assert end.result["ansible_facts"]["sriov_migration"]["problems"] == []


def test_refusal_names_the_domain_and_every_problem(monkeypatch, pair):
    src, dst = pair
    dst.networks["vf-pool"].destroy()
    monkeypatch.setattr(sriov_migrate_preflight, "libvirt", TwoHosts(src, dst))
    end = run_module(monkeypatch, sriov_migrate_preflight.main, {"domain": "vm1", "dest_uri": DEST})
    assert end.failed and end.result["field"] == "domain"
    assert end.result["msg"].startswith("domain vm1 cannot live-migrate to %s: " % DEST)
    assert "the network vf-pool is not running on the destination" in end.result["msg"]
    assert "the guest's NICs are unknown" in end.result["msg"]
    assert len(end.result["details"]["sriov_migration"]["problems"]) == 2
    report = run_module(monkeypatch, sriov_migrate_preflight.main,
                        {"domain": "vm1", "dest_uri": DEST, "refuse": False})
    assert not report.failed and len(report.result["ansible_facts"]["sriov_migration"]["problems"]) == 2


def test_an_unreachable_destination_fails_naming_the_domain_and_dest_uri(monkeypatch, pair):
    monkeypatch.setattr(sriov_migrate_preflight, "libvirt", TwoHosts(*pair))
    end = run_module(monkeypatch, sriov_migrate_preflight.main, {"domain": "vm1", "dest_uri": "qemu+ssh://c/system"})
    assert end.failed and end.result["field"] == "dest_uri"
    assert end.result["msg"].startswith("domain vm1: cannot connect to libvirt at qemu+ssh://c/system")


def test_missing_binding_fails_naming_the_package(monkeypatch):
    monkeypatch.setattr(sriov_migrate_preflight, "libvirt", None)
    end = run_module(monkeypatch, sriov_migrate_preflight.main, {"domain": "vm1", "dest_uri": DEST})
    assert end.failed and "python3-libvirt" in end.result["msg"]
