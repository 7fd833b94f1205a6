# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apply_pf on a fake host: counts through 0, per-VF settings, driver binding, check mode,
idempotence, guards and kernel error mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import re
import shutil

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.plugins.module_utils import _vf
from ansible_collections.directiron.sriov.plugins.module_utils import _vf_links
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures.fake_vf_host import FakeHost, install

PF = "0000:01:00.0"


@pytest.fixture
def host(tmp_path, monkeypatch):
    return install(monkeypatch, FakeHost(tmp_path))


def guards_for(host, **kwargs):
    kwargs.setdefault("environ", {"SSH_CONNECTION": "10.0.2.2 50000 10.0.2.15 22", "PATH": "/nonexistent"})
    return _guards.HostGuards(host.runner, host.root, host.proc, **kwargs)


def apply(host, check_mode=False, guards=None, **params):
    params.setdefault("pf", "enp1s0")
    params.setdefault("sysfs_root", host.root)
    return _vf.apply_pf(params, host.runner, sysfs_root=host.root, check_mode=check_mode,
                        guards=guards if guards is not None else guards_for(host))


def vf_state(result, index):
    return [vf for vf in result["diff"]["after"]["vfs"] if vf["id"] == index][0]


def test_creates_vfs_and_second_run_changes_nothing(host):
    first = apply(host, num_vfs=4)
    assert first["changed"] is True
    assert first["pf"] == PF
    assert first["actions"] == ["set sriov_numvfs of 0000:01:00.0 to 4"]
    assert len(host.vf_addresses()) == 4
    assert first["diff"]["before"]["num_vfs"] == 0 and first["diff"]["after"]["num_vfs"] == 4
    second = apply(host, num_vfs=4)
    assert second["changed"] is False and second["actions"] == []


def test_count_change_goes_through_zero(host):
    apply(host, num_vfs=4)
    host.writes[:] = []
    result = apply(host, num_vfs=6)
    assert [w for w in host.writes if w[0].endswith("sriov_numvfs")] == [
        ("bus/pci/devices/0000:01:00.0/sriov_numvfs", "0"), ("bus/pci/devices/0000:01:00.0/sriov_numvfs", "6")]
    assert result["actions"] == ["set sriov_numvfs of 0000:01:00.0 from 4 to 0",
                                 "set sriov_numvfs of 0000:01:00.0 to 6"]
    assert len(host.vf_addresses()) == 6


def test_per_vf_settings_applied_then_idempotent(host):
    vfs = [{"id": 0, "mac": "02:AA:00:00:00:01", "vlan": 100, "qos": 3, "trust": True, "spoofchk": False},
           {"id": 2, "max_tx_rate": 500, "link_state": "disable"}]
    first = apply(host, num_vfs=4, vfs=vfs)
    link = host.links["enp1s0"]
    assert link[0]["mac"] == "02:aa:00:00:00:01" and link[0]["vlan"] == 100 and link[0]["qos"] == 3
    assert link[0]["trust"] is True and link[0]["spoofchk"] is False
    assert link[2]["max_tx"] == 500 and link[2]["link_state"] == "disable"
    assert vf_state(first, 0)["vlan"] == 100
    assert first["warnings"] == []
    calls = len(host.calls)
    second = apply(host, num_vfs=4, vfs=vfs)
    assert second["changed"] is False, second["actions"]
    assert not [c for c in host.calls[calls:] if c[:3] == ["ip", "link", "set"]]


def test_vlan_change_keeps_current_qos(host):
    apply(host, num_vfs=2, vfs=[{"id": 1, "vlan": 100, "qos": 5}])
    apply(host, vfs=[{"id": 1, "vlan": 200}])
    assert host.links["enp1s0"][1]["vlan"] == 200 and host.links["enp1s0"][1]["qos"] == 5


def test_binds_to_vfio_and_back_to_default(host):
    apply(host, num_vfs=4)
    vfio = apply(host, vf_driver="vfio-pci", vfs=[{"id": 3, "driver": "default"}])
    addresses = host.vf_addresses()
    assert [host.driver_of(addresses[i]) for i in range(4)] == ["vfio-pci", "vfio-pci", "vfio-pci", "igbvf"]
    assert host.read("bus/pci/devices/%s/driver_override" % addresses[0]) == "vfio-pci"
    assert vfio["actions"][0] == "bind VF 0 (%s) to vfio-pci" % addresses[0]
    assert len(vfio["actions"]) == 3
    assert apply(host, vf_driver="vfio-pci", vfs=[{"id": 3, "driver": "default"}])["changed"] is False
    back = apply(host, vf_driver="default")
    assert back["changed"] is True
    assert [host.driver_of(addresses[i]) for i in range(4)] == ["igbvf"] * 4
    assert host.read("bus/pci/devices/%s/driver_override" % addresses[0]) == "(null)"
    assert apply(host, vf_driver="default")["changed"] is False


def test_binding_order_is_override_unbind_probe(host):
    apply(host, num_vfs=1)
    address = host.vf_addresses()[0]
    host.writes[:] = []
    apply(host, vf_driver="vfio-pci")
    assert host.writes == [("bus/pci/devices/%s/driver_override" % address, "vfio-pci"),
                           ("bus/pci/drivers/igbvf/unbind", address),
                           ("bus/pci/drivers_probe", address)]


def test_new_vfs_get_vfio_in_one_run(host):
    result = apply(host, num_vfs=3, vf_driver="vfio-pci")
    assert [host.driver_of(a) for a in host.vf_addresses().values()] == ["vfio-pci"] * 3
    # made without a driver, then bound to vfio-pci: never through igbvf first
    assert result["actions"][:3] == ["set sriov_drivers_autoprobe of 0000:01:00.0 to 0 until its new VFs are configured",
                                     "set sriov_numvfs of 0000:01:00.0 to 3",
                                     "set sriov_drivers_autoprobe of 0000:01:00.0 back to 1, then probe its VFs"]
    assert ("bus/pci/drivers/igbvf/unbind" not in [w[0] for w in host.writes]
            and host.read(host.pf_rel(PF) + "/sriov_drivers_autoprobe") == "1")
    assert apply(host, num_vfs=3, vf_driver="vfio-pci")["changed"] is False


def test_autoprobe_off_leaves_new_vfs_unbound_and_default_does_not_probe(host):
    result = apply(host, num_vfs=2, drivers_autoprobe=False, vf_driver="default")
    assert result["actions"][0] == "set sriov_drivers_autoprobe of 0000:01:00.0 to 0"
    assert [host.driver_of(a) for a in host.vf_addresses().values()] == [None, None]
    assert apply(host, num_vfs=2, drivers_autoprobe=False, vf_driver="default")["changed"] is False


def test_modprobes_a_driver_not_loaded_yet(host):
    shutil.rmtree(host.root + "/bus/pci/drivers/vfio-pci")
    apply(host, num_vfs=1, vf_driver="vfio-pci")
    assert ["modprobe", "vfio-pci"] in host.calls


def test_check_mode_changes_nothing_but_reports(host):
    apply(host, num_vfs=2)
    before = host.snapshot()
    links = repr(host.links)
    host.writes[:] = []
    result = apply(host, check_mode=True, num_vfs=4, vf_driver="vfio-pci",
                   vfs=[{"id": 1, "mac": "02:00:00:00:00:09", "vlan": 7}], drivers_autoprobe=False)
    assert result["changed"] is True
    assert host.snapshot() == before and repr(host.links) == links and host.writes == []
    assert result["actions"][:3] == ["set sriov_drivers_autoprobe of 0000:01:00.0 to 0",
                                     "set sriov_numvfs of 0000:01:00.0 from 2 to 0",
                                     "set sriov_numvfs of 0000:01:00.0 to 4"]
    after = result["diff"]["after"]
    assert after["num_vfs"] == 4 and len(after["vfs"]) == 4
    assert vf_state(result, 1)["mac"] == "02:00:00:00:00:09" and vf_state(result, 1)["driver"] == "vfio-pci"
    assert not [c for c in host.calls if c[:3] == ["ip", "link", "set"] or c[0] == "modprobe"]


def test_check_mode_on_converged_host_reports_no_change(host):
    params = {"num_vfs": 2, "vfs": [{"id": 0, "vlan": 10}], "vf_driver": "vfio-pci"}
    apply(host, **params)
    assert apply(host, check_mode=True, **params)["changed"] is False


def test_validation_failure_touches_nothing(host):
    apply(host, num_vfs=2)
    before = host.snapshot()
    host.writes[:] = []
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=4, vfs=[{"id": 0, "vlan": 100}, {"id": 1, "mac": "01:00:5e:00:00:01"}])
    assert info.value.field == "vfs[1].mac"
    assert host.writes == [] and host.snapshot() == before


def test_num_vfs_above_totalvfs_is_refused(host):
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=8)
    assert info.value.field == "num_vfs" and host.writes == []


def test_unknown_driver_is_refused_before_any_write(host):
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vf_driver="nosuchdrv")
    assert info.value.field == "vf_driver" and "nosuchdrv" in info.value.msg
    assert host.writes == []


def test_pf_by_address_and_by_selector(host):
    assert apply(host, pf=PF, num_vfs=1)["pf"] == PF
    assert apply(host, pf={"vendor": "0x8086", "device": "0x10c9", "index": 1}, num_vfs=1)["pf"] == "0000:02:00.0"


def test_pf_name_walking_out_of_sysfs_is_refused(host):
    with pytest.raises(SriovError) as info:
        apply(host, pf="../../../etc", num_vfs=1)
    assert info.value.field == "pf" and host.writes == []


def test_not_sriov_capable_pf_is_refused(host):
    with pytest.raises(SriovError) as info:
        apply(host, pf="mgmt0", num_vfs=1)
    assert info.value.field == "pf" and "SR-IOV" in info.value.msg


def test_setting_the_driver_ignores_is_reported(host):
    host.ignore_trust = True
    result = apply(host, num_vfs=1, vfs=[{"id": 0, "trust": True}])
    assert any("trust on" in w for w in result["warnings"])


# -- guards --------------------------------------------------------------------------------------------
def test_refuses_pf_carrying_default_route_unless_forced(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev="enp1s0"))
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2)
    assert "enp1s0 carries the host's default route" in info.value.msg and "force" in info.value.msg
    assert host.writes == []
    forced = apply(host, num_vfs=2, force=True)
    assert forced["changed"] is True and any("default route" in w for w in forced["warnings"])


def test_refuses_pf_carrying_the_ansible_connection(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev=None, ssh_server_ip="192.0.2.7",
                                         ssh_dev="enp1s0"))
    guards = guards_for(host, environ={"SSH_CONNECTION": "192.0.2.1 50000 192.0.2.7 22"})
    with pytest.raises(SriovError) as info:
        apply(host, guards=guards, num_vfs=2)
    assert "enp1s0 carries 192.0.2.7, the address of the Ansible connection" in info.value.msg
    # the other PF is free to change
    assert apply(host, guards=guards, pf="enp2s0", num_vfs=2)["changed"] is True


def test_boot_guards_skip_the_management_check(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, default_route_dev="enp1s0"))
    assert apply(host, guards=guards_for(host, management=False), num_vfs=2)["changed"] is True


def test_refuses_removing_vfs_whose_vfio_group_is_open(host):
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    group = os.path.basename(os.readlink(host.root + "/bus/pci/devices/%s/iommu_group" % host.vf_addresses()[1]))
    host.hold_vfio_group(4242, group)
    host.writes[:] = []
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=4, vf_driver="vfio-pci")
    assert "/dev/vfio/%s is held open by process(es) 4242" % group in info.value.msg
    assert host.writes == []
    forced = apply(host, num_vfs=4, vf_driver="vfio-pci", force=True)
    assert len(host.vf_addresses()) == 4 and forced["changed"]


def test_refuses_rebinding_a_vf_in_use_but_not_other_vfs(host):
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    group = os.path.basename(os.readlink(host.root + "/bus/pci/devices/%s/iommu_group" % host.vf_addresses()[0]))
    host.hold_vfio_group(77, group)
    with pytest.raises(SriovError):
        apply(host, vf_driver="default")
    # VF 1 is free: giving only it back is fine.
    assert apply(host, vf_driver="vfio-pci", vfs=[{"id": 1, "driver": "default"}])["changed"] is True


def test_refuses_vfio_when_group_shared_with_host_driver(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, shared_group_vf=True))
    apply(host, num_vfs=2)
    with pytest.raises(SriovError) as info:
        apply(host, vf_driver="vfio-pci")
    assert "shares IOMMU group 90 with 0000:30:01.0, still bound to host driver e1000" in info.value.msg
    assert host.driver_of(host.vf_addresses()[0]) == "igbvf"
    assert apply(host, vf_driver="vfio-pci", vfs=[{"id": 0, "driver": "default"}])["changed"] is True


def test_vfio_group_guard_on_new_vfs_after_creation(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, shared_group_vf=True))
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vf_driver="vfio-pci")
    assert "IOMMU group 90" in info.value.msg
    assert info.value.details["actions_done"] == [
        "set sriov_drivers_autoprobe of 0000:01:00.0 to 0 until its new VFs are configured",
        "set sriov_numvfs of 0000:01:00.0 to 2",
        "set sriov_drivers_autoprobe of 0000:01:00.0 back to 1 (the run failed)"]
    assert host.read(host.pf_rel(PF) + "/sriov_drivers_autoprobe") == "1"


def test_libvirt_domain_using_a_vf_blocks_removal(host, tmp_path):
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    vf1 = host.vf_addresses()[1]
    xml = ("<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
           "<address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/></source></hostdev>"
           "</devices></domain>" % (vf1[5:7], vf1[8:10], vf1[11]))

    def runner(argv):
        if argv[0] == "/usr/bin/virsh":
            if "list" in argv:
                return 0, "guest1\n", ""
            return 0, xml, ""
        return host.runner(argv)

    guards = _guards.HostGuards(runner, host.root, host.proc, environ={}, virsh="/usr/bin/virsh")
    with pytest.raises(SriovError) as info:
        _vf.apply_pf({"pf": "enp1s0", "num_vfs": 0, "sysfs_root": host.root}, runner, guards=guards)
    assert "VF %s is attached to the running libvirt domain guest1" % vf1 in info.value.msg


def test_vf_a_running_domain_holds_stays_with_libvirt_and_the_rerun_is_unchanged(host, tmp_path):
    # A pool network (managed hostdev) bound VF 1 to vfio-pci for a running guest, while the
    # inventory asks VFs back to their default driver: the re-run must neither fail nor pull it
    # out of the guest; it warns and changes nothing. A VF no domain holds is still given back.
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    vf0, vf1 = host.vf_addresses()[0], host.vf_addresses()[1]
    xml = ("<domain><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
           "<address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/></source></hostdev>"
           "</devices></domain>" % (vf1[5:7], vf1[8:10], vf1[11]))

    def runner(argv):
        if argv[0] == "/usr/bin/virsh":
            return (0, "guest1\n", "") if "list" in argv else (0, xml, "")
        return host.runner(argv)

    def run(check_mode=False):
        guards = _guards.HostGuards(runner, host.root, host.proc, environ={}, virsh="/usr/bin/virsh")
        return _vf.apply_pf({"pf": "enp1s0", "num_vfs": 2, "vf_driver": "default", "sysfs_root": host.root},
                            runner, guards=guards, check_mode=check_mode)

    predicted = run(check_mode=True)
    result = run()
    assert result["actions"] == predicted["actions"] == ["bind VF 0 (%s) to its default driver" % vf0]
    assert host.driver_of(vf1) == "vfio-pci" and host.driver_of(vf0) == "igbvf"
    assert any("running domain guest1 holds it" in warning for warning in result["warnings"])
    again = run()
    assert again["changed"] is False and again["actions"] == []
    # asked for by name, the same VF is refused with the domain named (force is the way through)
    guards = _guards.HostGuards(runner, host.root, host.proc, environ={}, virsh="/usr/bin/virsh")
    with pytest.raises(SriovError) as info:
        _vf.apply_pf({"pf": "enp1s0", "vfs": [{"id": 1, "driver": "default"}], "sysfs_root": host.root},
                     runner, guards=guards)
    assert "VF %s is attached to the running libvirt domain guest1" % vf1 in info.value.msg
    assert host.driver_of(vf1) == "vfio-pci"


# -- kernel errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("err_no, words", [
    (errno.EBUSY, "in use"),
    (errno.ENOMEM, "pci=realloc"),
    (errno.ENOSPC, "MSI-X"),
    (errno.EINVAL, "rejected the value"),
    (errno.EPERM, "root"),
    (errno.EIO, "firmware"),
])
def test_numvfs_write_errors_carry_advice(host, err_no, words):
    host.errors["sriov_numvfs"] = err_no
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=4)
    assert errno.errorcode[err_no] in info.value.msg and words in info.value.msg
    assert info.value.details["errno"] == errno.errorcode[err_no]


def test_ip_errors_are_mapped_from_their_text(host):
    apply(host, num_vfs=1)
    host.errors["ip"] = errno.EINVAL
    with pytest.raises(SriovError) as info:
        apply(host, vfs=[{"id": 0, "min_tx_rate": 10}])
    assert "EINVAL" in info.value.msg
    assert "setting min_tx_rate 10 max_tx_rate 0 for VF 0 of PF enp1s0 (0000:01:00.0, driver igb)" in info.value.msg
    assert "(RTNETLINK answers: Invalid argument)" in info.value.msg  # the kernel's answer
    assert info.value.field == "vfs[0].min_tx_rate"


def test_timeout_waiting_for_vfs(host, monkeypatch):
    now = [0.0]
    monkeypatch.setattr(host, "set_numvfs", lambda pf, count: None)  # the driver never creates them
    manager = _vf.VfManager({"pf": "enp1s0", "num_vfs": 3, "timeout": 2, "sysfs_root": host.root}, host.runner,
                            guards=_guards.NoGuards(), clock=lambda: now[0],
                            sleep=lambda s: now.__setitem__(0, now[0] + s))
    with pytest.raises(SriovError) as info:
        manager.run()
    assert "timed out after 2 s waiting for 3 VFs" in info.value.msg
    assert info.value.details["actions_done"] == ["set sriov_numvfs of 0000:01:00.0 to 3"]


def test_link_changes_resend_the_whole_vlan_triple():
    current = {"vlan": 100, "qos": 4, "vlan_proto": "802.1ad", "spoofchk": True}
    assert _vf_links.link_changes({"vlan": 200}, current) == {"vlan": 200, "qos": 4, "vlan_proto": "802.1ad"}
    assert _vf_links.link_changes({"vlan": 0}, current) == {"vlan": 0}
    assert _vf_links.link_changes({"vlan": 100, "vlan_proto": "802.1Q"}, current) == {
        "vlan": 100, "qos": 4, "vlan_proto": "802.1Q"}
    assert _vf_links.link_changes({"spoofchk": True, "vlan": 100, "qos": 4, "vlan_proto": "802.1ad"}, current) == {}


def test_refuses_settings_on_a_vf_that_carries_the_default_route_only(tmp_path, monkeypatch):
    host = install(monkeypatch, FakeHost(tmp_path, numvfs=2, default_route_dev="enp1s0v1"))
    vf1 = host.vf_addresses()[1]
    path = host.dev_path(vf1)
    host._file(path + "/net/enp1s0v1/address", "02:00:00:00:00:11")
    os.symlink("../../../" + vf1, os.path.join(host.root, path, "net/enp1s0v1/device"))
    host._link("class/net/enp1s0v1", path + "/net/enp1s0v1")
    with pytest.raises(SriovError) as info:
        apply(host, vfs=[{"id": 1, "mac": "02:00:00:00:00:21"}])
    assert "enp1s0v1 carries the host's default route" in info.value.msg
    assert not [c for c in host.calls if c[:3] == ["ip", "link", "set"]]
    # VF 0 carries nothing: its settings go through; the PF itself is not touched by them
    assert apply(host, vfs=[{"id": 0, "mac": "02:00:00:00:00:20"}])["changed"] is True
    # removing all VFs would take enp1s0v1 down with them
    with pytest.raises(SriovError):
        apply(host, num_vfs=0)


# -- validation against the host's current state, before any write ---------------------------------

def test_mac_of_a_vf_on_another_pf_is_refused_before_any_write(host):
    apply(host, pf="enp2s0", num_vfs=2, vfs=[{"id": 1, "mac": "02:00:00:00:00:42"}])
    host.writes[:] = []
    host.calls[:] = []
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vfs=[{"id": 0, "mac": "02:00:00:00:00:01"}, {"id": 1, "mac": "02:00:00:00:00:42"}])
    assert info.value.field == "vfs[1].mac" and "VF 1 of enp2s0" in info.value.msg
    assert host.writes == [] and not [c for c in host.calls if c[:3] == ["ip", "link", "set"]]


def test_mac_of_a_network_interface_is_refused(host):
    host.extra_links = [{"ifname": "br0", "address": "02:00:00:00:00:07"}]
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=1, vfs=[{"id": 0, "mac": "02:00:00:00:00:07"}])
    assert info.value.field == "vfs[0].mac" and "br0" in info.value.msg and host.writes == []


def test_mac_moving_between_vfs_of_the_same_request_is_accepted(host):
    apply(host, num_vfs=2, vfs=[{"id": 0, "mac": "02:00:00:00:00:01"}])
    apply(host, num_vfs=2, vfs=[{"id": 0, "mac": "02:00:00:00:00:02"}, {"id": 1, "mac": "02:00:00:00:00:01"}])
    assert host.links["enp1s0"][1]["mac"] == "02:00:00:00:00:01"
    # its own MAC again is no conflict either (idempotent)
    assert apply(host, num_vfs=2, vfs=[{"id": 1, "mac": "02:00:00:00:00:01"}])["changed"] is False


def _link_speed(host, mbits):
    with open(os.path.join(host.root, host.dev_path(PF), "net", "enp1s0", "speed"), "w") as handle:
        handle.write(str(mbits))


def test_rate_above_the_link_speed_is_refused(host):
    apply(host, num_vfs=2)
    _link_speed(host, 1000)
    host.writes[:] = []
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vfs=[{"id": 0, "max_tx_rate": 500}, {"id": 1, "max_tx_rate": 1001}])
    assert info.value.field == "vfs[1].max_tx_rate" and "1000 Mbit/s" in info.value.msg
    assert not [c for c in host.calls if c[:3] == ["ip", "link", "set"]]


def test_minimum_rates_together_above_the_link_speed_are_refused_counting_current_ones(host):
    _link_speed(host, 1000)
    apply(host, num_vfs=2, vfs=[{"id": 0, "min_tx_rate": 600}])
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vfs=[{"id": 1, "min_tx_rate": 600}])
    assert info.value.field == "vfs[0].min_tx_rate" and "1200 Mbit/s" in info.value.msg
    # lowering VF 0 in the same request makes room
    apply(host, num_vfs=2, vfs=[{"id": 0, "min_tx_rate": 300}, {"id": 1, "min_tx_rate": 600}])
    assert host.links["enp1s0"][1]["min_tx"] == 600


def test_unknown_link_speed_leaves_rates_to_the_driver(host):
    _link_speed(host, -1)
    assert apply(host, num_vfs=1, vfs=[{"id": 0, "max_tx_rate": 5000}])["changed"] is True


@pytest.mark.parametrize("driver", ["vfio_pci", "vfio"])
def test_module_spelling_of_vfio_is_refused_before_any_write(host, driver):
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=2, vf_driver=driver)
    assert "did you mean vfio-pci?" in info.value.msg and info.value.field == "vf_driver"
    assert host.writes == []


def test_driver_spelled_like_its_module_is_refused_with_the_pci_name(host):
    os.makedirs(os.path.join(host.root, "bus", "pci", "drivers", "my-vf"))
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=1, vfs=[{"id": 0, "driver": "my_vf"}])
    assert info.value.field == "vfs[0].driver" and "did you mean my-vf?" in info.value.msg
    assert host.writes == []


def test_a_bad_later_entry_fails_before_an_earlier_one_is_written(host):
    apply(host, num_vfs=3)
    _link_speed(host, 100)
    host.writes[:] = []
    with pytest.raises(SriovError) as info:
        apply(host, num_vfs=3, vf_driver="vfio-pci",
              vfs=[{"id": 0, "vlan": 5}, {"id": 1, "mac": "02:00:00:00:00:01"}, {"id": 2, "max_tx_rate": 101}])
    assert info.value.field == "vfs[2].max_tx_rate"
    assert host.writes == [] and not [c for c in host.calls if c[:3] == ["ip", "link", "set"]]


def test_check_mode_reports_exactly_the_plan_that_a_real_run_applies(host):
    apply(host, num_vfs=2)
    params = {"num_vfs": 2, "vf_driver": "vfio-pci", "drivers_autoprobe": False,
              "vfs": [{"id": 0, "vlan": 9}, {"id": 1, "mac": "02:00:00:00:00:05", "trust": True}]}
    predicted = apply(host, check_mode=True, **params)
    applied = apply(host, **params)
    assert predicted["actions"] == applied["actions"]
    assert predicted["diff"]["after"] == applied["diff"]["after"]


# -- MTU of the PF and of host-side VF netdevs -------------------------------------------------------
def test_pf_and_vf_mtu_applied_in_one_run_then_idempotent(host):
    host.vf_netdevs = True
    first = apply(host, num_vfs=2, mtu=9000, vfs=[{"id": 1, "mtu": 8000}])
    assert host.mtu_of("enp1s0") == 9000 and host.mtu_of("vf1n1") == 8000 and host.mtu_of("vf1n0") == 1500
    assert "set mtu of enp1s0 to 9000" in first["actions"] and "set mtu of VF 1 of enp1s0 to 8000" in first["actions"]
    # the PF's MTU first: a VF's frames never exceed what the PF carries
    assert first["actions"].index("set mtu of enp1s0 to 9000") < first["actions"].index(
        "set mtu of VF 1 of enp1s0 to 8000")
    assert first["diff"]["before"]["mtu"] == 1500 and first["diff"]["after"]["mtu"] == 9000
    assert vf_state(first, 1)["mtu"] == 8000 and first["warnings"] == []
    calls = len(host.calls)
    second = apply(host, num_vfs=2, mtu=9000, vfs=[{"id": 1, "mtu": 8000}])
    assert second["changed"] is False and second["actions"] == []
    assert not [c for c in host.calls[calls:] if c[:3] == ["ip", "link", "set"]]


def test_mtu_check_mode_predicts_and_writes_nothing(host):
    host.vf_netdevs = True
    apply(host, num_vfs=2)
    before = host.snapshot()
    result = apply(host, check_mode=True, mtu=9000, vfs=[{"id": 0, "mtu": 9000}])
    assert host.snapshot() == before
    assert result["changed"] is True
    assert result["diff"]["before"]["mtu"] == 1500 and result["diff"]["after"]["mtu"] == 9000
    assert vf_state(result, 0)["mtu"] == 9000
    assert [vf["mtu"] for vf in result["diff"]["before"]["vfs"]] == [1500, 1500]


@pytest.mark.parametrize("params, field, words", [
    ({"mtu": 9300}, "mtu", "max_mtu 9216"),
    ({"vfs": [{"id": 0, "mtu": 9000}]}, "vfs[0].mtu", "above the MTU 1500 of the PF"),
    ({"mtu": 4000, "vfs": [{"id": 1, "mtu": 1500}, {"id": 0, "mtu": 5000}]}, "vfs[1].mtu", "above the PF's mtu 4000"),
    ({"vf_driver": "vfio-pci", "vfs": [{"id": 0, "mtu": 1500}]}, "vfs[0].mtu", "vfio-pci"),
])
def test_bad_mtus_are_refused_naming_the_field_before_anything_changes(host, params, field, words):
    host.vf_netdevs = True
    apply(host, num_vfs=2)
    before = host.snapshot()
    with pytest.raises(SriovError) as info:
        apply(host, **params)
    assert info.value.field == field and words in info.value.msg
    assert host.snapshot() == before


def test_vf_mtu_needs_a_host_netdev(host):
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    with pytest.raises(SriovError) as info:
        apply(host, vfs=[{"id": 1, "mtu": 1400}])
    assert info.value.field == "vfs[0].mtu" and "no host netdev" in info.value.msg


def test_vf_mtu_on_a_vf_given_back_to_its_host_driver_in_the_same_run(host):
    host.vf_netdevs = True
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    result = apply(host, vf_driver="default", vfs=[{"id": 1, "mtu": 1400}])
    assert host.mtu_of("vf1n1") == 1400 and result["actions"][-1] == "set mtu of VF 1 of enp1s0 to 1400"


SITE_VF0 = {"id": 0, "mac": "02:1a:00:00:05:00", "vlan": 100, "trust": True, "spoofchk": True, "mtu": 4000}


def test_new_trusted_vf_keeps_the_mac_set_through_the_pf_after_udev_handles_its_netdev(host):
    """Debian 13 (igbvf, systemd 257): a VF probed before its MAC is set picks a random MAC, udev's
    99-default.link (MACAddressPolicy=persistent) then gives its netdev a MAC of its own, and the PF takes
    it from the trusted VF. New VFs are therefore made without a driver, given their settings through the
    PF, and probed after: the driver starts from the MAC set, which udev leaves alone."""
    host.vf_netdevs = True
    first = apply(host, num_vfs=4, mtu=9000, vf_driver="default", vfs=[dict(SITE_VF0)])
    host.settle_udev()  # udev may handle the netdev only after the run: nothing may be left to change then
    vf0 = host.links["enp1s0"][0]
    assert (vf0["mac"], vf0["vlan"], vf0["trust"]) == ("02:1a:00:00:05:00", 100, True)
    assert host.read("class/net/vf1n0/address") == "02:1a:00:00:05:00"
    assert host.mtu_of("vf1n0") == 4000 and host.mtu_of("enp1s0") == 9000
    actions = first["actions"]
    assert actions[:4] == ["set mtu of enp1s0 to 9000",
                           "set sriov_drivers_autoprobe of 0000:01:00.0 to 0 until its new VFs are configured",
                           "set sriov_numvfs of 0000:01:00.0 to 4",
                           "set VF 0 of enp1s0: mac 02:1a:00:00:05:00, trust on, vlan 100"]
    assert actions[4:] == ["set sriov_drivers_autoprobe of 0000:01:00.0 back to 1, then probe its VFs"] + [
        "bind VF %d (%s) to its default driver" % (index, host.vf_addresses()[index]) for index in range(4)] + [
        "set mtu of VF 0 of enp1s0 to 4000"]
    assert [host.driver_of(a) for a in host.vf_addresses().values()] == ["igbvf"] * 4
    assert host.read(host.pf_rel(PF) + "/sriov_drivers_autoprobe") == "1"
    assert vf_state(first, 0)["mac"] == "02:1a:00:00:05:00" and first["warnings"] == []
    assert first["diff"]["after"]["drivers_autoprobe"] is True
    second = apply(host, num_vfs=4, mtu=9000, vf_driver="default", vfs=[dict(SITE_VF0)])
    assert second["changed"] is False, second["actions"]


def test_check_mode_predicts_the_held_probe_exactly(host):
    params = {"num_vfs": 3, "vfs": [{"id": 0, "mac": "02:1a:00:00:05:00", "vlan": 100, "trust": True},
                                    {"id": 2, "driver": "vfio-pci"}]}
    predicted = apply(host, check_mode=True, **params)
    applied = apply(host, **params)
    # new VFs have no address before they exist: check mode names them "new"
    assert predicted["actions"] == [re.sub(r"\(0000:[0-9a-f:.]+\)", "(new)", a) for a in applied["actions"]]
    assert "bind VF 2 (new) to vfio-pci" in predicted["actions"]
    assert [vf["driver"] for vf in predicted["diff"]["after"]["vfs"]] == ["(default)", "(default)", "vfio-pci"]
    assert predicted["diff"]["after"]["drivers_autoprobe"] is applied["diff"]["after"]["drivers_autoprobe"] is True
    assert [host.driver_of(host.vf_addresses()[i]) for i in range(3)] == ["igbvf", "igbvf", "vfio-pci"]


def test_new_vfs_without_macs_or_other_drivers_are_probed_at_once(host):
    result = apply(host, num_vfs=2, vfs=[{"id": 0, "vlan": 7}])
    assert result["actions"] == ["set sriov_numvfs of 0000:01:00.0 to 2", "set VF 0 of enp1s0: vlan 7"]


def test_a_mac_that_udev_changes_after_the_driver_bound_is_set_again(host):
    """A link policy that changes even a driver's permanent MAC: the run reads the PF's vfinfo after
    udev settled and writes the MAC again through the PF."""
    host.vf_netdevs = True
    host.udev_sets_mac = True
    result = apply(host, num_vfs=2, vfs=[dict(SITE_VF0, mtu=None)])
    assert host.links["enp1s0"][0]["mac"] == "02:1a:00:00:05:00"
    assert result["actions"][-1] == "set VF 0 of enp1s0 again after its driver bound: mac 02:1a:00:00:05:00"
    assert ["udevadm", "settle", "--timeout=60"] in host.calls


def test_a_mac_that_will_not_hold_fails_the_run(host):
    """Never ok while the PF reports another MAC for the VF: something keeps setting its own."""
    host.vf_netdevs = True

    def runner(argv):
        out = host.runner(argv)
        if argv[:2] == ["udevadm", "settle"] and 0 in host.links["enp1s0"]:
            host.links["enp1s0"][0]["mac"] = "9a:6d:96:89:31:f4"
        return out

    params = {"pf": "enp1s0", "sysfs_root": host.root, "num_vfs": 2, "vfs": [dict(SITE_VF0, mtu=None)]}
    guards = _guards.HostGuards(runner, host.root, host.proc, environ={"PATH": "/nonexistent"})
    with pytest.raises(SriovError) as info:
        _vf.apply_pf(params, runner, sysfs_root=host.root, guards=guards)
    assert "VF 0 of enp1s0 has MAC 9a:6d:96:89:31:f4, not 02:1a:00:00:05:00" in info.value.msg
    assert info.value.details["actions_done"][-1] == (
        "set VF 0 of enp1s0 again after its driver bound: mac 02:1a:00:00:05:00")


def test_vf_mtu_change_alone_on_a_trusted_vf_keeps_its_mac(host):
    """igbvf resets the VF for a new MTU and sends its netdev's own MAC to the PF, which igb takes from a
    trusted VF: a VF that was bound before its MAC was set (its netdev has udev's MAC) gets the MAC set
    through the PF written again after the MTU, in the same run."""
    host.vf_netdevs = True
    apply(host, num_vfs=2, mtu=9000)
    assert host.read("class/net/vf1n0/address") != "02:1a:00:00:05:00"
    calls = len(host.calls)
    result = apply(host, mtu=9000, vfs=[dict(SITE_VF0, mtu=3000)])
    assert host.links["enp1s0"][0]["mac"] == "02:1a:00:00:05:00" and host.mtu_of("vf1n0") == 3000
    assert [c[4:] for c in host.calls[calls:] if c[:3] == ["ip", "link", "set"]][-2:] == [
        ["vf1n0", "mtu", "3000"], ["enp1s0", "vf", "0", "mac", "02:1a:00:00:05:00"]]
    assert result["actions"][-1] == "set VF 0 of enp1s0 again after its MTU change: mac 02:1a:00:00:05:00"
    assert apply(host, mtu=9000, vfs=[dict(SITE_VF0, mtu=3000)])["changed"] is False


def test_vf_mtu_on_an_untrusted_vf_keeps_the_mac_set_through_the_pf(host):
    host.vf_netdevs = True
    vfs = [{"id": 1, "mac": "02:1a:00:00:05:01", "mtu": 4000}]
    result = apply(host, num_vfs=2, mtu=9000, vfs=vfs)
    assert host.links["enp1s0"][1]["mac"] == "02:1a:00:00:05:01"
    assert not [a for a in result["actions"] if "again" in a]


def test_state_absent_removes_the_vfs_through_the_guards(host):
    apply(host, num_vfs=3)
    result = apply(host, state="absent")
    assert result["actions"] == ["set sriov_numvfs of 0000:01:00.0 from 3 to 0"] and host.vf_addresses() == {}
    assert apply(host, state="absent")["changed"] is False


def test_state_absent_refuses_a_vf_held_open_unless_forced(host):
    apply(host, num_vfs=2, vf_driver="vfio-pci")
    group = os.path.basename(os.readlink(os.path.join(host.root, host.dev_path(host.vf_addresses()[0]), "iommu_group")))
    host.hold_vfio_group(4242, group)
    with pytest.raises(SriovError) as info:
        apply(host, state="absent")
    assert "force" in info.value.msg and len(host.vf_addresses()) == 2
    assert apply(host, state="absent", force=True)["warnings"]
    assert host.vf_addresses() == {}
