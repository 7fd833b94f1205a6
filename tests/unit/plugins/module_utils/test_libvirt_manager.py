# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _libvirt, _network_xml, _vf_selector
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod


PF1 = "0000:01:00.0"
PF2 = "0000:02:00.0"
PF1_VFS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4", "0000:01:10.6", "0000:01:11.0", "0000:01:11.2",
           "0000:01:11.4"]
PF2_VFS = ["0000:02:10.0", "0000:02:10.2"]


@pytest.fixture
def sysfs_root(tmp_path):
    pfs = {"enp1s0": (PF1, PF1_VFS), "enp2s0": (PF2, PF2_VFS), "enp3s0": ("0000:03:00.0", [])}
    return fake_mod.make_sysfs(tmp_path / "sys", pfs)


@pytest.fixture
def fake():
    return fake_mod.FakeLibvirt(pf_vfs={"enp1s0": PF1_VFS, "enp2s0": PF2_VFS})


def params(sysfs_root, **overrides):
    result = {"name": "fast-net", "state": "present", "pfs": None, "vfs": None, "vlan": None, "autostart": True,
              "active": True, "force": False, "restart": None, "uri": "qemu:///system", "sysfs_root": sysfs_root}
    result.update(overrides)
    return result


def run(fake, check_mode=False, **kwargs):
    return _libvirt.VfNetworkManager(fake, params(**kwargs), check_mode=check_mode).run()


def persistent_root(fake, name="fast-net"):
    return ET.fromstring(fake.networks[name].XMLDesc(1))


def writes(fake):
    return [call[0] for call in fake.calls]


# --- selectors and XML -------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("enp1s0#4-7", ("enp1s0", [4, 5, 6, 7])),
    ("enp1s0#4-7,9,5", ("enp1s0", [4, 5, 6, 7, 9])),
    ("0000:01:00.0#0", ("0000:01:00.0", [0])),
    (" enp1s0#1 - 2 ", ("enp1s0", [1, 2])),
])
def test_parse_vf_selector_expands_ranges(text, expected):
    assert _vf_selector.parse_vf_selector(text) == expected


@pytest.mark.parametrize("text", ["enp1s0", "#1", "enp1s0#", "enp1s0#7-4", "en/p1#1", "enp1s0#a", "enp1s0#1,,2",
                                  "enp1s0#5000", "../x#1"])
def test_parse_vf_selector_rejects_malformed(text):
    with pytest.raises(SriovError) as err:
        _vf_selector.parse_vf_selector(text)
    assert err.value.field == "vfs"


def test_canonical_ignores_uuid_and_attribute_spelling():
    ours = ET.fromstring('<network><name>n</name><forward mode="hostdev" managed="yes">'
                         '<address type="pci" domain="0x0000" bus="0x01" slot="0x10" function="0x2"/>'
                         '</forward><vlan><tag id="7"/></vlan></network>')
    libvirts = ET.fromstring("<network><name>n</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                             "<forward mode='hostdev' managed='yes'><address type='pci' domain='0' bus='1' "
                             "slot='16' function='2'/></forward><vlan><tag id='7'/></vlan></network>")
    assert _network_xml.canonical_network(ours) == _network_xml.canonical_network(libvirts)
    assert _network_xml.canonical_network(ours)["addresses"] == ["0000:01:10.2"]
    assert _network_xml.canonical_network(ours)["vlan"] == 7


def test_apply_wanted_keeps_unmanaged_elements_and_replaces_pool():
    root = ET.fromstring("<network><name>n</name><uuid>u</uuid><forward mode='hostdev' managed='yes'>"
                         "<driver name='vfio'/><pf dev='old0'/></forward><vlan><tag id='3'/></vlan>"
                         "<portgroup name='pg'/></network>")
    _network_xml.apply_wanted(root, {"pf": None, "addresses": ["0000:01:10.0"], "vlan": None})
    assert root.findtext("uuid") == "u"
    assert root.find("forward/driver").get("name") == "vfio"
    assert root.find("forward/pf") is None
    assert root.find("forward/address").get("slot") == "0x10"
    assert root.find("vlan") is None
    assert root.find("portgroup") is not None


def test_render_is_stable_and_indented():
    root = _network_xml.apply_wanted(_network_xml.network_skeleton("n"), {"pf": "enp1s0", "vlan": 5})
    text = _network_xml.render_network_xml(root)
    assert text == ('<network>\n  <name>n</name>\n  <forward mode="hostdev" managed="yes">\n'
                    '    <pf dev="enp1s0" />\n  </forward>\n  <vlan>\n    <tag id="5" />\n  </vlan>\n</network>\n')
    assert _network_xml.render_network_xml(ET.fromstring(text)) == text


# --- converge ----------------------------------------------------------------------------------


def test_creates_pf_pool_started_and_autostarted(fake, sysfs_root):
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert result["changed"] is True
    assert result["actions"] == ["defined network fast-net", "started network fast-net",
                                 "enabled autostart of network fast-net"]
    root = persistent_root(fake)
    assert root.find("forward").get("mode") == "hostdev"
    assert root.find("forward").get("managed") == "yes"
    assert root.find("forward/pf").get("dev") == "enp1s0"
    assert fake.networks["fast-net"].isActive() and fake.networks["fast-net"].autostart()
    assert result["network"]["vf_count"] == 7
    assert result["diff"]["before"] == ""
    assert '<pf dev="enp1s0" />' in result["diff"]["after"]


def test_second_run_changes_nothing(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    fake.calls[:] = []
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert result["changed"] is False
    assert result["actions"] == []
    assert fake.calls == []
    assert result["diff"]["before"] == result["diff"]["after"]


def test_pf_given_by_pci_address_or_ids_writes_its_netdev(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=[PF1])
    assert persistent_root(fake).find("forward/pf").get("dev") == "enp1s0"
    result = run(fake, sysfs_root=sysfs_root, pfs=[{"vendor": "0x8086", "device": "0x10c9", "index": 0}])
    assert result["changed"] is False


def test_check_mode_reports_changes_and_writes_nothing(fake, sysfs_root):
    result = run(fake, check_mode=True, sysfs_root=sysfs_root, pfs=["enp1s0"], vlan=10)
    assert result["changed"] is True
    assert "defined network fast-net" in result["actions"]
    assert fake.networks == {}
    assert "define" not in writes(fake)
    assert '<tag id="10" />' in result["diff"]["after"]


def test_changed_definition_of_idle_running_network_is_redefined_and_restarted(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    uuid = persistent_root(fake).findtext("uuid")
    fake.calls[:] = []
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"], vlan=100)
    assert result["changed"] is True
    assert result["actions"] == ["redefined network fast-net", "restarted network fast-net"]
    assert writes(fake) == ["define", "destroy", "create"]
    assert persistent_root(fake).findtext("uuid") == uuid
    live = ET.fromstring(fake.networks["fast-net"].XMLDesc(0))
    assert live.find("vlan/tag").get("id") == "100"
    assert result["restart_required"] is False
    assert "<!-- active: yes, autostart: yes -->" in result["diff"]["before"]
    assert 'id="100"' in result["diff"]["after"] and 'id="100"' not in result["diff"]["before"]


def live_domain(name, interfaces="", hostdevs=""):
    """A running domain as libvirt's live XML shows it (the shapes of tests/unit/.../libvirt_domain_fake.py)."""
    return fake_mod.RecordedDomain(name, live_xml="<domain type='kvm' id='1'><name>%s</name><devices>%s%s</devices>"
                                                  "</domain>" % (name, interfaces, hostdevs),
                                   config_xml="<domain type='kvm'><name>%s</name><devices/></domain>" % name)


def pool_vf_interface(vf, mac="52:54:00:5a:00:01"):
    """A running domain's interface on a hostdev network: the VF it got, the network name gone."""
    dom, bus, rest = vf.split(":")
    slot, func = rest.split(".")
    return ("<interface type='hostdev' managed='yes'><mac address='%s'/><driver name='vfio'/><source>"
            "<address type='pci' domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source>"
            "<alias name='hostdev0'/></interface>" % (mac, dom, bus, slot, func))


def test_changed_definition_of_network_a_running_domain_uses_is_refused_naming_it(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, vfs=["enp1s0#1-3"])
    fake.domains["nested"] = live_domain("nested", pool_vf_interface(PF1_VFS[2]))
    fake.networks["fast-net"].connections = 1
    before = (fake.networks["fast-net"].XMLDesc(1), fake.networks["fast-net"].XMLDesc(0))
    for check_mode in (True, False):
        fake.calls[:] = []
        with pytest.raises(SriovError) as err:
            run(fake, check_mode=check_mode, sysfs_root=sysfs_root, vfs=["enp1s0#1-3"], vlan=100)
        assert "running domain(s) use it: nested (VF 0000:01:10.4 (MAC 52:54:00:5a:00:01))" in err.value.msg
        assert "refusing to redefine and restart it" in err.value.msg and "force=true" in err.value.msg
        assert err.value.field == "force"
        assert err.value.details == {"domains": ["nested"], "connections": 1}
        assert fake.calls == []
    assert (fake.networks["fast-net"].XMLDesc(1), fake.networks["fast-net"].XMLDesc(0)) == before


def test_restart_true_no_longer_overrides_the_guard_force_does(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    fake.domains["web"] = live_domain("web", pool_vf_interface(PF1_VFS[0]))
    fake.networks["fast-net"].ports = 1
    fake.calls[:] = []
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"], vlan=100, restart=True)
    assert "restart=true no longer overrides this" in err.value.msg and "web" in err.value.msg
    assert fake.calls == []
    manager = _libvirt.VfNetworkManager(fake, params(sysfs_root, pfs=["enp1s0"], vlan=100, force=True))
    result = manager.run()
    assert writes(fake) == ["define", "destroy", "create"]
    assert result["actions"] == ["redefined network fast-net", "restarted network fast-net"]
    assert result["network"]["connections"] == 1 and result["restart_required"] is False
    assert len(manager.warnings) == 1 and manager.warnings[0].startswith("force=true: network fast-net is in use")
    assert "web (VF 0000:01:10.0" in manager.warnings[0]


@pytest.mark.parametrize("interfaces,hostdevs,named", [
    # an ordinary interface keeps its <source network> in the live XML
    ("<interface type='network'><mac address='52:54:00:00:00:09'/><source network='fast-net' portid='x' "
     "bridge='virbr1'/><alias name='net0'/></interface>", "", "interface 52:54:00:00:00:09"),
    # a plain <hostdev> of a VF from the live pool
    ("", "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x01' "
     "slot='0x10' function='0x6'/></source></hostdev>", "hostdev 0000:01:10.6"),
])
def test_every_way_a_running_domain_uses_the_network_counts(fake, sysfs_root, interfaces, hostdevs, named):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    fake.domains["db"] = live_domain("db", interfaces, hostdevs)
    with pytest.raises(SriovError) as err:
        run(fake, check_mode=True, sysfs_root=sysfs_root, pfs=["enp1s0"], vlan=5)
    assert "db (%s)" % named in err.value.msg


def test_domains_that_do_not_use_the_running_network_do_not_block_it(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, vfs=["enp1s0#1-3"])
    # a VF outside the pool, another network, and a shut-off domain defined on this network
    fake.domains["other"] = live_domain("other", pool_vf_interface(PF1_VFS[0]) + "<interface type='network'>"
                                        "<source network='default'/></interface>")
    fake.domains["off"] = fake_mod.RecordedDomain("off", config_xml="<domain><name>off</name><devices>"
                                                  "<interface type='network'><source network='fast-net'/>"
                                                  "</interface></devices></domain>")
    result = run(fake, sysfs_root=sysfs_root, vfs=["enp1s0#1-3"], vlan=5)
    assert result["actions"] == ["redefined network fast-net", "restarted network fast-net"]


def test_a_running_network_that_needs_only_a_restart_is_refused_too(fake, tmp_path):
    # the network started with 7 VFs; the PF has 3 now, and a running domain holds one of them
    root = fake_mod.make_sysfs(tmp_path / "sys", {"enp1s0": (PF1, PF1_VFS[:3])})
    run(fake, sysfs_root=root, pfs=["enp1s0"])
    fake.networks["fast-net"].live_pf_vfs = list(PF1_VFS)
    fake.domains["nested"] = live_domain("nested", pool_vf_interface(PF1_VFS[5]))
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=root, pfs=["enp1s0"])
    assert "refusing to restart it" in err.value.msg and "nested (VF 0000:01:11.2" in err.value.msg


def test_removing_a_network_a_running_domain_uses_is_refused(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    fake.domains["nested"] = live_domain("nested", pool_vf_interface(PF1_VFS[1]))
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, state="absent")
    assert "refusing to stop and remove it" in err.value.msg and "nested" in err.value.msg
    assert fake.networks["fast-net"].isActive()
    result = run(fake, sysfs_root=sysfs_root, state="absent", force=True)
    assert result["actions"] == ["stopped network fast-net", "undefined network fast-net"]


def test_removing_vlan_is_a_change(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"], vlan=100)
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert result["changed"] is True
    assert persistent_root(fake).find("vlan") is None


def test_several_pfs_become_the_list_of_their_vf_addresses(fake, sysfs_root):
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0", "enp2s0"])
    forward = persistent_root(fake).find("forward")
    assert forward.find("pf") is None
    addresses = _network_xml.canonical_network(persistent_root(fake))["addresses"]
    assert addresses == sorted(PF1_VFS + PF2_VFS)
    assert result["network"]["vf_count"] == 9
    assert run(fake, sysfs_root=sysfs_root, pfs=["enp1s0", "enp2s0"])["changed"] is False


def test_vf_selectors_and_addresses_are_resolved(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, vfs=["enp1s0#1-2", "0000:02:10.2"])
    assert _network_xml.canonical_network(persistent_root(fake))["addresses"] == [
        "0000:01:10.2", "0000:01:10.4", "0000:02:10.2"]


def test_selector_naming_missing_vf_fails_with_field(fake, sysfs_root):
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, vfs=["enp2s0#1-3"])
    assert err.value.field == "vfs[0]"
    assert "no VF 2,3" in err.value.msg
    assert fake.calls == []


def test_pf_without_vfs_fails_before_touching_libvirt(fake, sysfs_root):
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp3s0"])
    assert "has no VFs" in err.value.msg
    assert fake.networks == {}
    # defining it inactive is allowed: VFs may be created later
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp3s0"], active=False, autostart=False)
    assert result["actions"] == ["defined network fast-net"]


def test_unknown_pf_fails_naming_the_field(fake, sysfs_root):
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp9s0"])
    assert err.value.field == "pfs[0]"
    assert "enp9s0" in err.value.msg


@pytest.mark.parametrize("overrides,field", [
    ({"name": "a/b", "pfs": ["enp1s0"]}, "name"),
    ({"pfs": ["enp1s0"], "vfs": ["0000:01:10.0"]}, "pfs"),
    ({}, "pfs"),
    ({"pfs": ["../../etc"]}, "pfs[0]"),
    ({"vfs": ["01:10.0"]}, "vfs[0]"),
    ({"pfs": ["enp1s0"], "vlan": 4096}, "vlan"),
])
def test_invalid_requests_are_refused_before_libvirt_is_opened(fake, sysfs_root, overrides, field):
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, **overrides)
    assert err.value.field == field
    assert fake.opened == []


def test_stop_and_disable_autostart(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"], active=False, autostart=False)
    assert result["actions"] == ["stopped network fast-net", "disabled autostart of network fast-net"]
    assert not fake.networks["fast-net"].isActive()
    assert not fake.networks["fast-net"].autostart()


def test_stopping_network_in_use_is_refused(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    fake.networks["fast-net"].connections = 1
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"], active=False)
    assert err.value.details == {"domains": [], "connections": 1}
    assert "1 guest interface(s) use it (libvirt's count" in err.value.msg
    assert fake.networks["fast-net"].isActive()


def test_transient_network_is_made_persistent(fake, sysfs_root):
    net = fake.add_network("<network><name>fast-net</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                           "<forward mode='hostdev' managed='yes'><pf dev='enp1s0'/></forward></network>",
                           active=True)
    net.persistent = False
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert result["actions"][0] == "redefined network fast-net"
    assert net.isPersistent() and net.autostart()


def test_absent_stops_and_undefines_then_is_quiet(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    result = run(fake, sysfs_root=sysfs_root, state="absent")
    assert result["actions"] == ["stopped network fast-net", "undefined network fast-net"]
    assert fake.networks == {}
    assert result["diff"]["after"] == ""
    assert run(fake, sysfs_root=sysfs_root, state="absent")["changed"] is False


def test_absent_in_check_mode_keeps_network(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    result = run(fake, check_mode=True, sysfs_root=sysfs_root, state="absent")
    assert result["changed"] is True
    assert fake.networks["fast-net"].isActive()


def test_libvirt_errors_become_sriov_errors(fake, sysfs_root):
    fake.refuse = "Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert err.value.field == "uri"
    assert "qemu:///system" in err.value.msg


def test_define_rejected_by_libvirt_is_reported(fake, sysfs_root, monkeypatch):
    def refuse(self, xml_text):
        raise fake_mod.libvirtError("XML error: bad forward")
    monkeypatch.setattr(fake_mod.FakeConnection, "networkDefineXML", refuse)
    with pytest.raises(SriovError) as err:
        run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert "define failed for network fast-net: XML error: bad forward" in err.value.msg


def test_live_pf_expansion_is_not_a_difference(fake, sysfs_root):
    run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    live = ET.fromstring(fake.networks["fast-net"].XMLDesc(0))
    assert len(live.findall("forward/address")) == 7
    fake.calls[:] = []
    assert run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])["changed"] is False
    assert writes(fake) == []


def test_running_pf_pool_restarts_when_the_pf_vf_count_changed(fake, tmp_path):
    # the network started with 7 VFs; the PF has 3 now: libvirt hands out stale VFs until restarted
    first = fake_mod.make_sysfs(tmp_path / "seven", {"enp1s0": (PF1, PF1_VFS)})
    run(fake, sysfs_root=first, pfs=["enp1s0"])
    fewer = fake_mod.make_sysfs(tmp_path / "three", {"enp1s0": (PF1, PF1_VFS[:3])})
    fake.pf_vfs["enp1s0"] = PF1_VFS[:3]
    fake.calls[:] = []
    result = run(fake, sysfs_root=fewer, pfs=["enp1s0"])
    assert result["actions"] == ["restarted network fast-net"]
    assert len(ET.fromstring(fake.networks["fast-net"].XMLDesc(0)).findall("forward/address")) == 3
    assert run(fake, sysfs_root=fewer, pfs=["enp1s0"])["changed"] is False


def test_running_network_with_other_vlan_than_defined_restarts_when_idle(fake, sysfs_root):
    fake.add_network("<network><name>fast-net</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
                     "<forward mode='hostdev' managed='yes'><pf dev='enp1s0'/></forward>"
                     "<vlan><tag id='5'/></vlan></network>", active=True, autostart=True)
    # saved definition already without VLAN (edited while the network ran)
    fake.networks["fast-net"].persistent_xml = (
        "<network><name>fast-net</name><uuid>1b4e28ba-2fa1-11d2-883f-0016d3cca427</uuid>"
        "<forward mode='hostdev' managed='yes'><pf dev='enp1s0'/></forward></network>")
    result = run(fake, sysfs_root=sysfs_root, pfs=["enp1s0"])
    assert result["actions"] == ["restarted network fast-net"]


def test_selector_split_on_commas_by_ansible_is_rejoined(fake, sysfs_root):
    # vfs: "enp1s0#0,2-3" arrives as ["enp1s0#0", "2-3"] (list option given as a string)
    assert _vf_selector.rejoin_vf_items(["enp1s0#0", "2-3", "0000:02:10.0", "enp2s0#1"]) == [
        "enp1s0#0,2-3", "0000:02:10.0", "enp2s0#1"]
    run(fake, sysfs_root=sysfs_root, vfs=["enp1s0#0", "2-3"])
    assert _network_xml.canonical_network(persistent_root(fake))["addresses"] == [
        "0000:01:10.0", "0000:01:10.4", "0000:01:10.6"]


def test_fake_keeps_live_definition_until_restart():
    fake = fake_mod.FakeLibvirt(pf_vfs={"enp1s0": ["0000:01:10.0"]})
    conn = fake.open("qemu:///system")
    net = conn.networkDefineXML("<network><name>n</name><forward mode='hostdev' managed='yes'>"
                                "<pf dev='enp1s0'/></forward></network>")
    net.create()
    uuid = ET.fromstring(net.XMLDesc(1)).findtext("uuid")
    conn.networkDefineXML("<network><name>n</name><uuid>%s</uuid><forward mode='hostdev' managed='yes'>"
                          "<pf dev='enp1s0'/></forward><vlan><tag id='5'/></vlan></network>" % uuid)
    assert ET.fromstring(net.XMLDesc(0)).find("vlan") is None
    assert ET.fromstring(net.XMLDesc(1)).find("vlan") is not None
    assert ET.fromstring(net.XMLDesc(0)).find("forward/address").get("slot") == "0x10"
    assert ET.fromstring(net.XMLDesc(0)).find("forward/pf").get("dev") == "enp1s0"


def shape(text):
    """Element paths in document order with their attribute names: the XML's form, not its values."""
    def walk(elem, path):
        here = path + "/" + elem.tag
        yield here, tuple(sorted(elem.attrib))
        for child in elem:
            yield from walk(child, here)
    return list(walk(ET.fromstring(text), ""))


@pytest.mark.parametrize("name, pool, recorded_vfs", [
    ("vfpool", "<pf dev='enp1s0'/>", 7),
    ("vfpool-sel", "<address type='pci' domain='0x0000' bus='0x02' slot='0x10' function='0x0'/>"
                   "<address type='pci' domain='0x0000' bus='0x02' slot='0x10' function='0x2'/>", 0),
])
def test_fake_xml_has_the_shape_libvirt_printed_in_the_lab(name, pool, recorded_vfs):
    vfs = ["0000:01:%02x.%d" % (0x10 + i // 4, (i % 4) * 2) for i in range(7)]
    fake = fake_mod.FakeLibvirt(pf_vfs={"enp1s0": vfs})
    vlan = "<vlan><tag id='42'/></vlan>" if name == "vfpool" else ""
    net = fake.open("qemu:///system").networkDefineXML(
        "<network><name>%s</name><forward mode='hostdev' managed='yes'>%s</forward>%s</network>" % (name, pool, vlan))
    net.create()
    assert shape(net.XMLDesc(1)) == shape(fake_mod.recorded_xml(name + "-inactive.xml"))
    assert shape(net.XMLDesc(0)) == shape(fake_mod.recorded_xml(name + "-live.xml"))
    live = ET.fromstring(fake_mod.recorded_xml(name + "-live.xml"))
    assert len(live.findall("forward/address")) == (recorded_vfs or 2)


@pytest.mark.parametrize("request_", [{"pfs": ["enp3s0"]}, {"vfs": ["enp2s0#1-3"]}, {"pfs": ["enp1s0", "enp3s0"]}])
def test_check_mode_predicts_a_pool_whose_vfs_the_same_run_creates_first(fake, sysfs_root, request_):
    # site.yml --check on a fresh host: sriov_vf (check mode) predicts the VFs, so the pool check
    # must not fail on their absence; it warns, predicts the definition and touches nothing.
    manager = _libvirt.VfNetworkManager(fake, params(sysfs_root, **request_), check_mode=True)
    result = manager.run()
    assert result["changed"] is True
    assert result["actions"][0] == "defined network fast-net"
    assert any(w.startswith("check mode: ") and "predicted without them" in w for w in manager.warnings)
    assert fake.networks == {}
    assert writes(fake) == []
    # the same request for real still refuses before libvirt is touched
    with pytest.raises(SriovError):
        run(fake, sysfs_root=sysfs_root, **request_)
    assert fake.networks == {}
