# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsing of `ip -d -j link show` / `ethtool -i`, and ip link set argv building."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _iplink, _spec
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures")


def fixture_text(*parts):
    with open(os.path.join(FIXTURES, *parts)) as handle:
        return handle.read()


class TestParseLinkShow(object):
    def test_vfinfo_list_with_defaults_vlan_qos_rates_and_flags(self):
        links = _iplink.parse_link_show(fixture_text("iplink", "synthetic-vfinfo.json"))
        assert links["lo"]["vfs"] == {}
        vfs = links["enp1s0"]["vfs"]
        assert links["enp1s0"]["num_vf"] == 3 and links["enp1s0"]["operstate"] == "UP"
        assert vfs[0] == {"mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0, "vlan_proto": "802.1Q", "spoofchk": True,
                          "trust": False, "link_state": "auto", "min_tx_rate": 0, "max_tx_rate": 0, "query_rss": None}
        assert vfs[1] == {"mac": "02:aa:00:00:00:02", "vlan": 200, "qos": 3, "vlan_proto": "802.1Q",
                          "spoofchk": False, "trust": True, "link_state": "enable", "min_tx_rate": 10,
                          "max_tx_rate": 1000, "query_rss": None}
        # a driver that reports neither spoofchk nor trust: unknown, not False
        assert vfs[2]["vlan_proto"] == "802.1ad" and vfs[2]["spoofchk"] is None and vfs[2]["trust"] is None
        assert vfs[2]["link_state"] == "disable"

    def test_old_iproute2_flat_vlan_and_tx_rate(self):
        vf = _iplink.parse_link_show(fixture_text("iplink", "synthetic-vfinfo.json"))["oldstyle0"]["vfs"][0]
        assert (vf["mac"], vf["vlan"], vf["qos"], vf["max_tx_rate"], vf["min_tx_rate"]) == (
            "02:00:00:00:00:09", 5, 1, 500, 0)
        assert vf["link_state"] is None

    @pytest.mark.parametrize("text", ["", "  \n", "[]"])
    def test_empty_output_is_no_links(self, text):
        assert _iplink.parse_link_show(text) == {}

    @pytest.mark.parametrize("text", ["1: lo: <LOOPBACK>", "{\"ifname\": \"x\"}"])
    def test_non_json_or_non_list_raises_valueerror(self, text):
        with pytest.raises(ValueError):
            _iplink.parse_link_show(text)

    def test_recorded_lab_outputs_parse(self):
        # every ip output recorded from a lab VM parses, and VFs with settings show them
        recorded = glob.glob(os.path.join(FIXTURES, "recorded", "*.json"))
        for path in recorded:
            with open(path) as handle:
                tree = json.load(handle)
            text = tree["files"].get("commands/ip-d-j-link-show.json")
            if text:
                links = _iplink.parse_link_show(text)
                assert any(link["vfs"] for link in links.values()), path


def test_parse_ethtool_info():
    text = ("driver: igb\nversion: 6.1.0-28-amd64\nfirmware-version: 1.63, 0x800009fa\nexpansion-rom-version: \n"
            "bus-info: 0000:01:00.0\nsupports-statistics: yes\n")
    assert _iplink.parse_ethtool_info(text) == {"driver": "igb", "version": "6.1.0-28-amd64",
                                                "firmware_version": "1.63, 0x800009fa", "bus_info": "0000:01:00.0"}
    assert _iplink.parse_ethtool_info("firmware-version: \n")["firmware_version"] is None
    assert _iplink.parse_ethtool_info(None)["driver"] is None


class TestVfSetArgv(object):
    def test_each_setting_in_its_command_vlan_and_rates_grouped(self):
        argvs = _iplink.vf_set_argv("enp1s0", 1, {
            "mac": "02:aa:00:00:00:02", "vlan": 200, "qos": 3, "vlan_proto": "802.1ad", "spoofchk": False,
            "trust": True, "link_state": "enable", "min_tx_rate": 10, "max_tx_rate": 1000})
        base = ["ip", "link", "set", "dev", "enp1s0", "vf", "1"]
        assert argvs == [
            base + ["mac", "02:aa:00:00:00:02"],
            base + ["vlan", "200", "qos", "3", "proto", "802.1ad"],
            base + ["spoofchk", "off"],
            base + ["trust", "on"],
            base + ["state", "enable"],
            base + ["min_tx_rate", "10", "max_tx_rate", "1000"],
        ]

    def test_only_changed_settings(self):
        assert _iplink.vf_set_argv("enp1s0", 0, {"max_tx_rate": 0}, ip_bin="/sbin/ip") == [
            ["/sbin/ip", "link", "set", "dev", "enp1s0", "vf", "0", "max_tx_rate", "0"]]
        assert _iplink.vf_set_argv("enp1s0", 0, {}) == []

    @pytest.mark.parametrize("ifname,index,changes,field", [
        ("enp1s0;reboot", 0, {"trust": True}, "pf"),
        ("enp1s0", 0, {"qos": 3}, "vlan"),
        ("enp1s0", 0, {"vlan_proto": "802.1ad"}, "vlan"),
        ("enp1s0", 0, {"colour": "blue"}, "vfs"),
    ])
    def test_a_command_the_kernel_cannot_take_fails_before_any_command(self, ifname, index, changes, field):
        with pytest.raises(SriovError) as info:
            _iplink.vf_set_argv(ifname, index, changes)
        assert info.value.field == field

    @pytest.mark.parametrize("entry,field", [
        ({"id": -1, "trust": True}, "vfs[0].id"),
        ({"id": True, "trust": True}, "vfs[0].id"),
        ({"id": 0, "mac": "02:aa:00:00:00"}, "vfs[0].mac"),
        ({"id": 0, "mac": "02:aa:00:00:00:02\n"}, "vfs[0].mac"),
        ({"id": 0, "vlan": 4095}, "vfs[0].vlan"),
        ({"id": 0, "qos": 3}, "vfs[0].qos"),
        ({"id": 0, "vlan": 5, "qos": 8}, "vfs[0].qos"),
        ({"id": 0, "vlan": 5, "vlan_proto": "802.1x"}, "vfs[0].vlan_proto"),
        ({"id": 0, "spoofchk": "maybe"}, "vfs[0].spoofchk"),
        ({"id": 0, "link_state": "up"}, "vfs[0].link_state"),
        ({"id": 0, "max_tx_rate": "fast"}, "vfs[0].max_tx_rate"),
        ({"id": 0, "max_tx_rate": 1000001}, "vfs[0].max_tx_rate"),
    ])
    def test_bad_values_are_refused_by_the_table_before_any_argv_is_built(self, entry, field):
        # the builder formats validated values; the one check of each value is the table's
        with pytest.raises(SriovError) as info:
            _spec.validate_params({"pf": "enp1s0", "vfs": [entry]})
        assert info.value.field == field
