# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_migrate between two fake hypervisors: preflight first, the live migration, the VF back on the destination."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible.module_utils import basic

from ansible_collections.directiron.sriov.plugins.module_utils import _domain_read
from ansible_collections.directiron.sriov.plugins.modules import sriov_migrate
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.test_migrate import (  # noqa: F401 pylint: disable=unused-import
    ALIAS, GUEST_NICS, MAC, VFS_B, pair)
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.test_sriov_migrate_preflight import DEST, TwoHosts

FLAGS = 1 | 8 | 16  # live, persist on the destination, undefine on the source


def live_interfaces(host, name="vm1"):
    root = _domain_read.parse_domain_xml(host.domains[name].XMLDesc(0))
    return [_domain_read.interface_record(e) for e in root.findall("devices/interface")]


def migrate(monkeypatch, src, dst, **args):
    del src.calls[:], dst.calls[:]  # the fixture's own set-up
    monkeypatch.setattr(sriov_migrate, "libvirt", TwoHosts(src, dst))
    return run_module(monkeypatch, sriov_migrate.main, dict({"domain": "vm1", "dest_uri": DEST}, **args))


def test_the_domain_moves_and_holds_a_vf_of_the_destination_pool_with_its_mac(monkeypatch, pair):
    src, dst = pair
    dst.replug_transient = False  # libvirt there starts it on its virtio standby only
    end = migrate(monkeypatch, src, dst, guest_nics=GUEST_NICS)
    assert not end.failed, end.result
    result = end.result
    assert result["changed"] and result["domain"] == "vm1"
    assert result["source"] == "qemu:///system" and result["destination"] == DEST
    assert isinstance(result["seconds"], float) and result["seconds"] >= 0
    assert result["vfs"] == [{"mac": MAC, "network": "vf-pool", "vf": VFS_B[0], "attached_by": "module"}]
    assert "vm1" not in src.domains and ("migrate", "vm1", FLAGS) in src.calls
    live = live_interfaces(dst)
    vf = [i for i in live if i["type"] == "hostdev"]
    assert [(i["mac"], i["vf"], i["teaming"]) for i in vf] == [(MAC, VFS_B[0], {"type": "transient", "persistent": ALIAS})]
    backup = [i for i in live if i["alias"] == ALIAS]
    assert backup and backup[0]["mac"] == MAC and backup[0]["model"] == "virtio"
    # the definition there is the source's, attached live only (not a second VF interface)
    attach = [c for c in dst.calls if c[0] == "attach"]
    assert len(attach) == 1 and attach[0][2] == 1
    config = _domain_read.parse_domain_xml(dst.domains["vm1"].XMLDesc(2))
    assert len([e for e in config.findall("devices/interface") if e.get("type") == "network"]) == 2


def test_when_libvirt_replugs_the_vf_nothing_more_is_attached(monkeypatch, pair):
    src, dst = pair
    end = migrate(monkeypatch, src, dst, guest_nics=GUEST_NICS)
    assert not end.failed, end.result
    assert end.result["vfs"] == [{"mac": MAC, "network": "vf-pool", "vf": VFS_B[0], "attached_by": "libvirt"}]
    assert not [c for c in dst.calls if c[0] == "attach"]


def test_and_back_again(monkeypatch, pair):
    src, dst = pair
    dst.replug_transient = src.replug_transient = False
    assert not migrate(monkeypatch, src, dst, guest_nics=GUEST_NICS).failed
    monkeypatch.setattr(sriov_migrate, "libvirt", TwoHosts(dst, src))  # pylint: disable=arguments-out-of-order
    back = run_module(monkeypatch, sriov_migrate.main, {"domain": "vm1", "dest_uri": DEST, "guest_nics": GUEST_NICS})
    assert not back.failed, back.result
    assert back.result["vfs"][0]["attached_by"] == "module" and "vm1" in src.domains and "vm1" not in dst.domains


def test_check_mode_runs_the_preflight_and_says_what_would_happen(monkeypatch, pair):
    src, dst = pair
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    end = migrate(monkeypatch, src, dst, _ansible_check_mode=True)
    assert not end.failed and end.result["changed"] is True and end.result["seconds"] is None
    assert end.result["actions"][0].startswith("live-migrated domain vm1 from qemu:///system to %s" % DEST)
    assert "from the pool vf-pool with MAC %s" % MAC in end.result["actions"][1]
    assert end.result["vfs"] == [{"mac": MAC, "network": "vf-pool", "vf": None, "attached_by": None}]
    assert not [c for c in src.calls + dst.calls if c[0] in ("migrate", "attach")]
    assert src.domains["vm1"].isActive() and "vm1" not in dst.domains
    assert any("failover master was not confirmed" in w for w in warnings)


def test_a_refusal_names_the_domain_and_every_problem_before_any_change(monkeypatch, pair):
    src, dst = pair
    dst.networks["vf-pool"].destroy()
    dst.add_domain("other")
    dst.domains["vm1"] = dst.domains.pop("other")
    end = migrate(monkeypatch, src, dst, guest_nics=GUEST_NICS)
    assert end.failed and end.result["field"] == "domain"
    assert end.result["msg"].startswith("domain vm1 cannot live-migrate to %s: " % DEST)
    assert "the network vf-pool is not running on the destination" in end.result["msg"]
    assert "a domain named vm1 already exists on the destination" in end.result["msg"]
    assert not [c for c in src.calls if c[0] == "migrate"] and src.domains["vm1"].isActive()


def test_no_failover_master_in_the_guest_is_refused(monkeypatch, pair):
    single = {"nics": [{"name": "eth0", "mac": MAC, "master": None, "master_kind": None}]}
    end = migrate(monkeypatch, *pair, guest_nics=single)
    assert end.failed and "no failover master over %s" % MAC in end.result["msg"]


def test_a_migration_past_the_timeout_is_aborted_and_the_domain_stays(monkeypatch, pair):
    src, dst = pair
    src.migration_hold = threading.Event()
    end = migrate(monkeypatch, src, dst, timeout=1, guest_nics=GUEST_NICS)
    assert end.failed and end.result["field"] == "timeout"
    assert "did not finish within 1s and was aborted; the domain runs on the source" in end.result["msg"]
    assert ("abort", "vm1") in src.calls
    assert src.domains["vm1"].isActive() and "vm1" not in dst.domains
    assert [i["mac"] for i in live_interfaces(src) if i["type"] == "hostdev"] == [MAC]


def test_a_failed_migration_names_the_domain_and_libvirts_error(monkeypatch, pair):
    src, dst = pair
    dst.add_domain("vm1-ghost")

    def refuse(self, dconn, params, flags):
        raise src.libvirtError("unable to connect to server at 'b:49152': Connection refused")
    monkeypatch.setattr(type(src.domains["vm1"]), "migrate3", refuse)
    end = migrate(monkeypatch, src, dst, guest_nics=GUEST_NICS)
    assert end.failed
    assert end.result["msg"] == ("domain vm1: the live migration to %s failed: unable to connect to server at "
                                 "'b:49152': Connection refused" % DEST)


def test_bad_inputs_fail_naming_the_field(monkeypatch, pair):
    assert migrate(monkeypatch, *pair, timeout=0).result["field"] == "timeout"
    assert migrate(monkeypatch, *pair, dest_uri="qemu:///system").result["field"] == "dest_uri"
    assert migrate(monkeypatch, *pair, domain="a/b").result["field"] == "domain"
    end = migrate(monkeypatch, *pair, dest_uri="qemu+ssh://c/system")
    assert end.failed and end.result["field"] == "dest_uri" and end.result["msg"].startswith("domain vm1: cannot connect")


def test_reattach_false_leaves_the_domain_on_its_standby(monkeypatch, pair):
    src, dst = pair
    dst.replug_transient = False
    end = migrate(monkeypatch, src, dst, reattach=False, guest_nics=GUEST_NICS)
    assert not end.failed and end.result["vfs"] == []
    assert not [i for i in live_interfaces(dst) if i["type"] == "hostdev"]


def test_missing_binding_fails_naming_the_package(monkeypatch):
    monkeypatch.setattr(sriov_migrate, "libvirt", None)
    end = run_module(monkeypatch, sriov_migrate.main, {"domain": "vm1", "dest_uri": DEST})
    assert end.failed and "python3-libvirt" in end.result["msg"]
