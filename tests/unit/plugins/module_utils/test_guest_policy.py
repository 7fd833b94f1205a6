# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The guest policy: each kind of running domain read from the fake libvirt (a failover pair wired as
sriov_guest_interface wires it, a VF without a pair, a plain hostdev, no VF), and the decision for each policy
across a play's hosts and batches."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _domain, _guest_policy
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

VFS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]
MAC = "52:54:00:5a:00:01"


def domain_xml(name, devices=""):
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os><devices>%s</devices></domain>" % (name, devices))


def new_host(vfs=None):
    vfs = VFS if vfs is None else vfs
    fake = fake_mod.FakeLibvirt()
    fake.add_network(fake_mod.network_xml("vf-pool", vfs=vfs), active=True)
    fake.add_network(fake_mod.network_xml("standby", bridge="br-mig"), active=True)
    return fake


@pytest.fixture
def hv(tmp_path):
    """A host running four domains: paired (failover pair on vf-pool), bare (a pool VF without a pair),
    passthrough (a plain hostdev), plain (no VF); and a shut-off one."""
    fake = new_host()
    fake.add_domain("paired", domain_xml("paired"), running=True)
    sysfs = fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS)
    params = {"domain": "paired", "state": "present", "network": "vf-pool", "vf": None, "pf": None, "vf_index": None,
              "mac": MAC, "vlan": None, "alias": None, "live": True, "unplug_timeout": 5,
              "failover": {"network": "standby", "alias": None, "bridge": None},
              "uri": "qemu:///system", "sysfs_root": sysfs}
    _domain.GuestInterfaceManager(fake, params).run()
    fake.add_domain("bare", domain_xml("bare", "<interface type='network'><mac address='52:54:00:00:00:09'/>"
                                               "<source network='vf-pool'/></interface>"), running=True)
    fake.add_domain("passthrough", domain_xml("passthrough", (
        "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
        "<address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source></hostdev>")), running=True)
    fake.add_domain("plain", domain_xml("plain", "<interface type='network'><source network='standby'/></interface>"),
                    running=True)
    fake.add_domain("off", domain_xml("off"))
    return fake


def read(fake):
    return _guest_policy.read_guests(fake, fake.open("qemu:///system"))


def by_name(found):
    return dict((d["name"], d) for d in found["running"])


def test_read_tells_each_running_domain_its_vfs_and_whether_it_can_migrate(hv):
    found = read(hv)
    domains = by_name(found)
    assert sorted(domains) == ["bare", "paired", "passthrough", "plain"]  # the shut-off one is not at risk
    assert domains["paired"]["migratable"] and domains["paired"]["pools"] == {"vf-pool": 1}
    assert domains["paired"]["networks"] == ["standby", "vf-pool"] and len(domains["paired"]["vfs"]) == 1
    assert not domains["bare"]["migratable"]
    assert domains["bare"]["problems"] == ["its VF interface 52:54:00:00:00:09 has no failover pair (a virtio standby "
                                           "with <teaming>); libvirt cannot migrate it"]
    assert domains["passthrough"]["hostdevs"] == ["0000:02:00.0"] and not domains["passthrough"]["migratable"]
    assert "plain <hostdev>" in domains["passthrough"]["problems"][0]
    assert domains["plain"]["migratable"] and domains["plain"]["vfs"] == [] and domains["plain"]["pools"] == {}
    # three pool VFs, two held (paired, bare)
    assert found["free_vfs"] == {"vf-pool": 1}


def test_read_changes_nothing(hv):
    before = list(hv.calls)
    read(hv)
    assert hv.calls == before


def guests(vfs=("0000:01:10.0",), pools=None, name="vm1", migratable=True, problems=(), hostdevs=()):
    return {"name": name, "vfs": list(vfs), "hostdevs": list(hostdevs), "pools": {"vf-pool": len(vfs)} if pools is None else pools,
            "networks": ["vf-pool"], "migratable": migratable, "problems": list(problems), "persistent": True}


def settings(policy, hosts=("a", "b", "c"), reboot=("a",), **extra):
    return dict((h, dict({"policy": policy, "reboot": ["iommu: intel_iommu=on"] if h in reboot else [],
                          "uri": "qemu+ssh://%s/system" % h}, **extra.get(h, {}))) for h in hosts)


FLEET = {"a": {"running": [guests()], "free_vfs": {"vf-pool": 0}},
         "b": {"running": [], "free_vfs": {"vf-pool": 2}},
         "c": {"running": [], "free_vfs": {"vf-pool": 1}}}


def test_no_reboot_leaves_every_domain_running_whatever_the_policy():
    for policy in _guest_policy.POLICIES:
        plans = _guest_policy.decide(["a", "b"], settings(policy, reboot=()), FLEET, serial=1)
        assert plans["a"]["refused"] == [] and [d["action"] for d in plans["a"]["domains"]] == ["stays"]


def test_refuse_names_the_running_domains_and_their_vfs():
    fleet = dict(FLEET, a={"running": [guests(), guests(vfs=(), name="vm2", hostdevs=["0000:02:00.0"])]})
    plan = _guest_policy.decide(["a", "b"], settings("refuse"), fleet, serial=1)["a"]
    assert [d["action"] for d in plan["domains"]] == ["refused", "refused"]
    assert plan["refused"] == [
        "a must reboot (iommu: intel_iommu=on) and sriov_guest_policy is refuse: it runs vm1 (VF 0000:01:10.0), "
        "vm2 (hostdev 0000:02:00.0). Stop or move them, or set sriov_guest_policy to shutdown or migrate."]


def test_refuse_lets_a_host_without_running_domains_reboot():
    plan = _guest_policy.decide(["a", "b"], settings("refuse", reboot=("b",)), FLEET, serial=1)["b"]
    assert plan["refused"] == [] and plan["domains"] == []


def test_shutdown_shuts_down_every_running_domain_whatever_it_holds():
    fleet = {"a": {"running": [guests(), guests(name="vm2", migratable=False, problems=["x"])]}}
    plan = _guest_policy.decide(["a"], settings("shutdown", hosts=("a",)), fleet)["a"]
    assert plan["refused"] == [] and [d["action"] for d in plan["domains"]] == ["shutdown", "shutdown"]
    assert _guest_policy.plan_lines("a", plan)[0] == (
        "a: vm1 (VF 0000:01:10.0) is shut down before the reboot and started again after it")


def test_migrate_picks_a_peer_outside_the_batch_with_free_vfs_in_the_same_pool():
    plan = _guest_policy.decide(["a", "b", "c"], settings("migrate"), FLEET, serial=1)["a"]
    assert plan["refused"] == []
    assert plan["domains"][0]["action"] == "migrate"
    assert (plan["domains"][0]["destination"], plan["domains"][0]["dest_uri"]) == ("b", "qemu+ssh://b/system")
    # b's pool is full: c has one free VF
    fleet = dict(FLEET, b={"running": [], "free_vfs": {"vf-pool": 0}})
    assert _guest_policy.decide(["a", "b", "c"], settings("migrate"), fleet, serial=1)["a"]["domains"][0][
        "destination"] == "c"
    # b has the VFs under another pool name only
    fleet = dict(FLEET, b={"running": [], "free_vfs": {"other-pool": 4}}, c={"running": [], "free_vfs": {}})
    plan = _guest_policy.decide(["a", "b", "c"], settings("migrate"), fleet, serial=1)["a"]
    assert plan["refused"] == ["a must reboot (iommu: intel_iommu=on) and sriov_guest_policy is migrate, but domain vm1: "
                               "no peer outside a's batch has 1 VF(s) in pool vf-pool free (peers: b, c)"]


def test_migrate_never_picks_a_host_of_the_same_batch():
    plan = _guest_policy.decide(["a", "b", "c"], settings("migrate"), FLEET, serial="100%")["a"]
    assert plan["domains"][0]["action"] == "refused"
    assert plan["refused"][0].endswith("no host of the play is outside a's batch (sriov_serial) to take it")
    # batches [a, b], [c]: c takes it
    plan = _guest_policy.decide(["a", "b", "c"], settings("migrate"), FLEET, serial=2)["a"]
    assert plan["domains"][0]["destination"] == "c"


def test_migrate_reserves_the_vfs_it_hands_out():
    fleet = {"a": {"running": [guests(name="vm1"), guests(name="vm2"), guests(name="vm3")], "free_vfs": {}},
             "b": {"running": [], "free_vfs": {"vf-pool": 1}},
             "c": {"running": [], "free_vfs": {"vf-pool": 1}}}
    plan = _guest_policy.decide(["a", "b", "c"], settings("migrate"), fleet, serial=1)["a"]
    assert [(d["domain"], d["destination"]) for d in plan["domains"]] == [("vm1", "b"), ("vm2", "c"), ("vm3", None)]
    assert len(plan["refused"]) == 1 and "domain vm3" in plan["refused"][0]


def test_migrate_refuses_a_domain_that_cannot_migrate_naming_it_and_why(hv):
    fleet = {"a": read(hv), "b": {"running": [], "free_vfs": {"vf-pool": 9}}}
    plan = _guest_policy.decide(["a", "b"], settings("migrate", hosts=("a", "b")), fleet, serial=1)["a"]
    actions = dict((d["domain"], d["action"]) for d in plan["domains"])
    assert actions == {"bare": "refused", "paired": "migrate", "passthrough": "refused", "plain": "migrate"}
    assert [line.split(" but ")[1].split(":")[0] for line in plan["refused"]] == [
        "domain bare cannot live-migrate", "domain passthrough cannot live-migrate"]
    assert "no failover pair" in plan["refused"][0] and "0000:02:00.0 as a plain <hostdev>" in plan["refused"][1]


def test_migrate_to_a_named_peer_or_uri():
    named = settings("migrate", a={"migrate_to": "c"})
    plan = _guest_policy.decide(["a", "b", "c"], named, FLEET, serial=1)["a"]
    assert plan["domains"][0]["destination"] == "c"
    full = dict(FLEET, c={"running": [], "free_vfs": {"vf-pool": 0}})
    plan = _guest_policy.decide(["a", "b", "c"], named, full, serial=1)["a"]
    assert plan["refused"][0].endswith("its named peer c has not 1 VF(s) in pool vf-pool free")
    plan = _guest_policy.decide(["a", "b", "c"], named, FLEET, serial="100%")["a"]
    assert plan["refused"][0].endswith("its named peer c is in the same batch (sriov_serial) and reboots with it")
    uri = settings("migrate", a={"migrate_to": "qemu+tcp://hv9/system"})
    plan = _guest_policy.decide(["a", "b", "c"], uri, FLEET, serial="100%")["a"]
    assert (plan["domains"][0]["destination"], plan["domains"][0]["dest_uri"]) == ("qemu+tcp://hv9/system",) * 2
    for bad, why in (("a", "names the host itself"), ("hv9", "neither a host of the play nor a libvirt URI")):
        plan = _guest_policy.decide(["a", "b"], settings("migrate", a={"migrate_to": bad}), FLEET, serial=1)["a"]
        assert plan["refused"][0].endswith(why)


def test_an_unknown_policy_is_refused():
    plan = _guest_policy.decide(["a"], settings("evict", hosts=("a",)), FLEET)["a"]
    assert plan["refused"] == ["a: sriov_guest_policy must be one of refuse, shutdown, migrate, got 'evict'"]


@pytest.mark.parametrize("serial, batches", [
    (1, [["h1"], ["h2"], ["h3"], ["h4"]]),
    ("50%", [["h1", "h2"], ["h3", "h4"]]),
    ("100%", [["h1", "h2", "h3", "h4"]]),
    ("10%", [["h1"], ["h2"], ["h3"], ["h4"]]),  # rounds down to 0, then at least 1 (Ansible's pct_to_int)
    ([1, "50%"], [["h1"], ["h2", "h3"], ["h4"]]),
    (0, [["h1", "h2", "h3", "h4"]]),
    (None, [["h1", "h2", "h3", "h4"]]),
])
def test_batches_are_ansibles_serial_batches(serial, batches):
    assert _guest_policy.serial_batches(["h1", "h2", "h3", "h4"], serial) == batches


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_shutdown_waits_for_the_guests_and_start_brings_them_back(hv):
    conn = hv.open("qemu:///system")
    clock = Clock()
    assert _guest_policy.shutdown_domains(hv, conn, ["paired", "plain", "off"], 60, check_mode=True) == ["paired", "plain"]
    assert hv.domains["paired"].isActive()
    stopped = _guest_policy.shutdown_domains(hv, conn, ["paired", "plain", "off"], 60, clock=clock, sleep=clock.sleep)
    assert stopped == ["paired", "plain"] and not hv.domains["paired"].isActive()
    assert ("shutdown", "off") not in hv.calls
    # after the reboot the pool network is not up yet: start retries until it is
    hv.networks["vf-pool"].live_xml = None
    attempts = []

    def sleep(seconds):
        attempts.append(seconds)
        clock.sleep(seconds)
        hv.networks["vf-pool"].start()

    assert _guest_policy.start_domains(hv, conn, stopped, 60, clock=clock, sleep=sleep) == ["plain", "paired"]
    assert hv.domains["paired"].isActive() and len(attempts) == 1


def test_a_guest_that_ignores_the_shutdown_stops_the_reboot_naming_it(hv):
    hv.domains["plain"].ack_shutdown = False
    clock = Clock()
    with pytest.raises(SriovError, match=r"domain\(s\) plain did not shut down within 30 s"):
        _guest_policy.shutdown_domains(hv, hv.open("qemu:///system"), ["plain"], 30, clock=clock, sleep=clock.sleep)
    assert clock.now >= 30


def test_a_domain_that_cannot_start_is_named_with_libvirts_error(hv):
    conn = hv.open("qemu:///system")
    _guest_policy.shutdown_domains(hv, conn, ["paired"], 5)
    hv.networks["vf-pool"].live_xml = None
    clock = Clock()
    with pytest.raises(SriovError, match="domain.s. paired did not start within 10 s: paired: .*not active"):
        _guest_policy.start_domains(hv, conn, ["paired"], 10, clock=clock, sleep=clock.sleep)


def test_replan_at_the_reboot_keeps_the_preflight_decisions_and_decides_a_newcomer():
    preflight = _guest_policy.decide(["a", "b"], settings("migrate", hosts=("a", "b")), FLEET, serial=1)["a"]
    setting = settings("migrate", hosts=("a",))["a"]
    now = {"running": [guests(name="vm1"), guests(name="late", vfs=(), pools={})]}
    plan = _guest_policy.replan("a", now, setting, preflight)
    assert [(d["domain"], d["action"], d["destination"]) for d in plan["domains"]] == [
        ("vm1", "migrate", "b"), ("late", "refused", None)]
    assert plan["refused"][0].endswith("no host of the play is outside a's batch (sriov_serial) to take it")
    # a named peer takes the newcomer; a domain that stopped since drops out
    named = dict(setting, migrate_to="b")
    plan = _guest_policy.replan("a", {"running": [guests(name="late", vfs=(), pools={})]}, named, preflight)
    assert [(d["domain"], d["action"], d["destination"]) for d in plan["domains"]] == [("late", "migrate", "b")]
    assert plan["refused"] == []
    shutdown = _guest_policy.replan("a", now, settings("shutdown", hosts=("a",))["a"], None)
    assert [d["action"] for d in shutdown["domains"]] == ["shutdown", "shutdown"] and shutdown["refused"] == []


def test_replan_decides_a_domain_the_preflight_let_stay_when_an_unpredicted_reboot_comes():
    # driver_pins: a package moved in the converge, a reboot the preflight could not predict
    preflight = _guest_policy.decide(["a"], settings("refuse", hosts=("a",), reboot=()), FLEET)["a"]
    assert preflight["domains"][0]["action"] == "stays"
    plan = _guest_policy.replan("a", {"running": [guests()]}, settings("refuse", hosts=("a",))["a"], preflight)
    assert plan["domains"][0]["action"] == "refused" and "sriov_guest_policy is refuse: it runs vm1" in plan["refused"][0]
