# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift join (hypervisor VF -> PF, MAC -> guest NIC) and its verdicts, on facts shaped like the modules'."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.filter.drift import sriov_drift_rows
from ansible_collections.directiron.sriov.plugins.module_utils import _drift

KERNEL = "6.1.0-27-amd64"
MAC1 = "52:54:00:aa:00:01"
MAC2 = "52:54:00:aa:00:02"


def host_facts(pf_driver="igb", pf_version=KERNEL, vf_macs=(MAC1, MAC2)):
    # sriov_facts' shape: the position is the VF index, null for a VF that vanished during the scan
    vfs = [{"address": "0000:01:10.%d" % (2 * i), "mac": mac} for i, mac in enumerate(vf_macs)] + [None]
    return {
        "sriov": {"pfs": [{"address": "0000:01:00.0", "netdev": "enp1s0", "driver": pf_driver, "driver_module": pf_driver,
                           "driver_version": pf_version, "firmware_version": "1.2.3", "vfs": vfs}]},
        "domains": {"vfs": {
            "0000:01:10.0": {"domain": "web", "active": True, "mac": MAC1, "alias": "hostdev0", "kind": "interface"},
            "0000:01:10.2": {"domain": "db", "active": True, "mac": MAC2, "alias": "hostdev0", "kind": "interface"},
            "0000:05:00.0": {"domain": "gpu", "active": True, "mac": None, "alias": "hostdev1", "kind": "hostdev"},
        }},
    }


def guest_nics(mac, driver="igbvf", version=KERNEL, failover=False):
    nics = [{"name": "enp7s0", "mac": mac, "driver": driver, "driver_module": driver, "driver_version": version,
             "virtio": False, "lowers": [], "master": "eth0" if failover else None}]
    if failover:  # the master and the standby carry the same MAC: the join must pick the VF
        nics += [{"name": "eth0", "mac": mac, "driver": "virtio_net", "virtio": True, "lowers": ["enp7s0", "eth0nsby"]},
                 {"name": "eth0nsby", "mac": mac, "driver": "virtio_net", "virtio": True, "lowers": []}]
    return {"nics": nics}


def hosts(pins=None, **kwargs):
    item = dict(host_facts(**kwargs), name="kvm1", pins=pins or {})
    return [item]


def by_guest(rows):
    return dict((row["guest"], row) for row in rows)


def test_plain_hostdev_vf_joins_by_the_mac_set_on_the_vf():
    facts = host_facts(vf_macs=(MAC1, MAC2, "02:1a:00:00:00:77", "00:00:00:00:00:00"))
    facts["domains"]["vfs"]["0000:01:10.4"] = {"domain": "nested", "active": True, "mac": None, "alias": "hostdev2",
                                               "kind": "hostdev"}
    facts["domains"]["vfs"]["0000:01:10.6"] = {"domain": "nested", "active": True, "mac": None, "alias": "hostdev3",
                                               "kind": "hostdev"}
    guests = [{"name": "inner", "nics": guest_nics("02:1a:00:00:00:77")}]
    rows = _drift.drift_rows([dict(facts, name="kvm1", pins={})], guests)
    by_vf = dict((row["vf"], row) for row in rows)
    assert (by_vf["0000:01:10.4"]["guest"], by_vf["0000:01:10.4"]["verdict"]) == ("inner", "ok")
    assert by_vf["0000:01:10.6"]["mac"] is None and by_vf["0000:01:10.6"]["verdict"] == "unknown"
    assert "no MAC" in by_vf["0000:01:10.6"]["reasons"][0]


def test_join_names_pf_domain_and_guest_driver_for_each_vf():
    guests = [{"name": "web.example", "nics": guest_nics(MAC1, failover=True)},
              {"name": "db.example", "nics": guest_nics(MAC2)}]
    rows = _drift.drift_rows(hosts(), guests)
    assert len(rows) == 2  # 0000:05:00.0 is no VF of the host's PFs
    web = by_guest(rows)["web.example"]
    assert (web["host"], web["pf"], web["pf_driver"], web["pf_firmware"]) == ("kvm1", "enp1s0", "igb", "1.2.3")
    assert (web["vf"], web["domain"], web["guest_nic"], web["vf_driver"]) == ("0000:01:10.0", "web", "enp7s0", "igbvf")
    assert web["verdict"] == "ok" and web["reasons"] == []


def test_made_up_guest_pin_mismatch_is_drift_naming_both_versions():
    pins = {"host": [{"package": "linux-image-amd64", "version": KERNEL, "module": "igb"}],
            "guest": [{"package": "igbvf-dkms", "version": "9.9.9", "module": "igbvf"}]}
    rows = _drift.drift_rows(hosts(pins=pins), [{"name": "web", "nics": guest_nics(MAC1)}])
    web = by_guest(rows)["web"]
    assert web["verdict"] == "drift"
    assert web["host_pin"] == "linux-image-amd64=%s" % KERNEL and web["guest_pin"] == "igbvf-dkms=9.9.9"
    assert web["reasons"] == ["guest pin igbvf-dkms=9.9.9, but the guest runs igbvf %s" % KERNEL]


def test_host_pin_mismatch_is_drift():
    pins = {"host": [{"package": "i40e-dkms", "version": "2.25.7", "module": "i40e"}]}
    rows = _drift.drift_rows(hosts(pins=pins, pf_driver="i40e", pf_version="2.24.6"),
                             [{"name": "web", "nics": guest_nics(MAC1, driver="iavf", version="4.11.1")}])
    web = by_guest(rows)["web"]
    assert web["verdict"] == "drift" and web["reasons"] == ["host pin i40e-dkms=2.25.7, but the PF runs i40e 2.24.6"]


def test_guest_own_pins_win_over_the_hypervisors():
    pins = {"guest": [{"package": "iavf-dkms", "version": "4.11.1", "module": "iavf"}]}
    guest = {"name": "web", "nics": guest_nics(MAC1, driver="iavf", version="4.9.5"),
             "pins": [{"package": "iavf-dkms", "version": "4.9.5", "module": "iavf"}]}
    rows = _drift.drift_rows(hosts(pins=pins, pf_driver="ice", pf_version="1.12"), [guest])
    assert by_guest(rows)["web"]["verdict"] == "ok"


@pytest.mark.parametrize("pf_driver, vf_driver, verdict", [
    ("igb", "igbvf", "ok"),
    ("i40e", "iavf", "ok"),
    ("ice", "iavf", "ok"),
    ("mlx5_core", "mlx5_core", "ok"),
    ("igb", "ixgbevf", "drift"),
    ("ice", "i40evf", "drift"),
    ("mystery", "mysteryvf", "unknown"),
])
def test_vf_driver_family_must_match_the_pf_driver(pf_driver, vf_driver, verdict):
    rows = _drift.drift_rows(hosts(pf_driver=pf_driver), [{"name": "web", "nics": guest_nics(MAC1, driver=vf_driver)}])
    assert by_guest(rows)["web"]["verdict"] == verdict


def test_missing_guest_and_missing_host_are_unknown_not_ok():
    rows = _drift.drift_rows(hosts(), [{"name": "orphan", "nics": guest_nics("52:54:00:ff:00:09")}])
    verdicts = dict(((row["domain"], row["guest"]), row["verdict"]) for row in rows)
    assert verdicts == {("web", None): "unknown", ("db", None): "unknown", (None, "orphan"): "unknown"}
    orphan = [row for row in rows if row["guest"] == "orphan"][0]
    assert "no hypervisor" in orphan["reasons"][0]


def test_hypervisor_without_facts_is_a_row_saying_so():
    rows = _drift.drift_rows([{"name": "kvm9", "sriov": None, "domains": None}], [])
    assert rows[0]["host"] == "kvm9" and rows[0]["verdict"] == "unknown"
    assert "no sriov and domains facts" in rows[0]["reasons"][0]


def test_pin_without_a_version_to_compare_is_unknown():
    pins = {"host": [{"package": "igb-dkms", "version": "5.0", "module": "igb"}]}
    rows = _drift.drift_rows(hosts(pins=pins, pf_version=None), [{"name": "web", "nics": guest_nics(MAC1)}])
    assert by_guest(rows)["web"]["verdict"] == "unknown"


def test_text_and_markdown_show_every_row_and_the_counts():
    pins = {"guest": [{"package": "igbvf-dkms", "version": "9.9.9", "module": "igbvf"}]}
    rows = _drift.drift_rows(hosts(pins=pins), [{"name": "web", "nics": guest_nics(MAC1)},
                                                {"name": "db", "nics": guest_nics(MAC2)}])
    text = _drift.render_text(rows)
    assert text.splitlines()[0].split()[:3] == ["host", "PF", "PF"]
    assert "    - guest pin igbvf-dkms=9.9.9" in text
    assert text.rstrip().endswith("2 VF(s): 0 ok, 2 drift, 0 unknown")
    markdown = _drift.render_markdown(rows)
    assert markdown.count("\n| kvm1 |") == 2 and "| drift |" in markdown


def test_filter_reads_facts_and_pins_from_hostvars():
    hostvars = {
        "kvm1": {"ansible_facts": {"sriov": host_facts()["sriov"], "sriov_domains": host_facts()["domains"]},
                 "sriov_driver_pins": {"guest": [{"package": "igbvf-dkms", "version": "1", "module": "igbvf"}]}},
        "web": {"ansible_facts": {"guest_nics": guest_nics(MAC1)}},
    }
    extra = [{"name": "db", "guest_nics": guest_nics(MAC2)}]
    rows = sriov_drift_rows(hostvars, ["kvm1"], ["web"], extra)
    assert sorted(row["guest"] for row in rows) == ["db", "web"]
    assert all(row["verdict"] == "drift" for row in rows)


def test_pin_without_a_package_names_its_module_not_none():
    guest = {"name": "web", "nics": guest_nics(MAC1), "pins": [{"version": "0.0.0-made-up", "module": "igbvf"}]}
    rows = _drift.drift_rows(hosts(), [guest])
    web = [r for r in rows if r["guest"] == "web"][0]
    assert web["guest_pin"] == "module igbvf=0.0.0-made-up"
    assert web["reasons"] == ["guest pin module igbvf=0.0.0-made-up, but the guest runs igbvf %s" % KERNEL]
    assert "None" not in _drift.render_text(rows)
