# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_rules: the one spelling of PCI addresses, netdev names, PF selectors, MACs, booleans and drivers."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def test_pci_address_syntax():
    assert _rules.is_pci_address("0000:01:10.0")
    assert _rules.is_pci_address("10000:e1:00.7")
    for bad in ("0000:01:10.8", "01:10.0", "0000:01:10.0/..", "0000:1:10.0", "", None, "0000:01:10.0\n",
                "0000:01:20.0", "0000:0A:00.0"):
        assert not _rules.is_pci_address(bad)


def test_pci_address_parse_and_format_round_trip_to_the_sysfs_spelling():
    assert _rules.parse_pci_address("0000:0A:1f.7") == (0, 10, 31, 7)
    assert _rules.format_pci_address(_rules.parse_pci_address("0000:0A:1f.7")) == "0000:0a:1f.7"
    with pytest.raises(SriovError) as info:
        _rules.parse_pci_address("0000:01:10", field="vfs[3]")
    assert info.value.field == "vfs[3]"


@pytest.mark.parametrize("name, ok", [
    ("enp65s0f0", True), ("a" * 15, True), ("a" * 16, False), ("eth0.100", True), ("br@x", True),
    ("..", False), (".", False), ("a/b", False), ("en p1", False), ("", False), (None, False), ("x\n", False),
])
def test_netdev_names_follow_ifnamsiz(name, ok):
    assert _rules.is_netdev_name(name) is ok


@pytest.mark.parametrize("pf, expected", [
    ("enp1s0", "enp1s0"),
    ("0000:0A:00.0", "0000:0a:00.0"),
    ({"vendor": "8086", "device": "0x10C9"}, {"vendor": "0x8086", "device": "0x10c9", "index": 0}),
    ({"vendor": "0x15b", "device": 4297, "index": "1"}, {"vendor": "0x015b", "device": "0x10c9", "index": 1}),
])
def test_pf_references_are_normalised(pf, expected):
    assert _rules.validate_pf(pf) == expected


@pytest.mark.parametrize("pf, field", [
    ("a" * 16, "pf"), ("../etc", "pf"), ({"vendor": "0x18086", "device": "1"}, "pf.vendor"),
    ({"vendor": "intel", "device": "1"}, "pf.vendor"), ({"vendor": "1", "device": True}, "pf.device"),
    ({"vendor": "1", "device": "2", "slot": 1}, "pf.slot"), ({"vendor": "1", "device": "2", "index": -1}, "pf.index"),
])
def test_bad_pf_references_name_their_field(pf, field):
    with pytest.raises(SriovError) as info:
        _rules.validate_pf(pf)
    assert info.value.field == field


@pytest.mark.parametrize("driver", ["vfio_pci", "vfio", "pci_stub"])
def test_module_spellings_of_a_driver_are_refused_with_the_name_to_use(driver):
    with pytest.raises(SriovError) as info:
        _rules.validate_driver(driver, "vf_driver")
    assert "did you mean %s?" % _rules.DRIVER_MISSPELLINGS[driver] in info.value.msg
    assert info.value.field == "vf_driver"


def test_driver_names_pass_unchanged():
    for driver in ("vfio-pci", "default", "igbvf", "mlx5_core"):
        assert _rules.validate_driver(driver, "vf_driver") == driver


@pytest.mark.parametrize("value", [2, "maybe", None, [], {}, 0.5])
def test_non_booleans_are_refused(value):
    with pytest.raises(SriovError):
        _rules.parse_bool(value, "trust")


def test_libvirt_xml_pci_addresses_are_read_and_written_by_one_rule():
    import xml.etree.ElementTree as ET
    elem = ET.Element("address", _rules.xml_pci_attributes("0000:41:10.2"))
    assert elem.attrib == {"type": "pci", "domain": "0x0000", "bus": "0x41", "slot": "0x10", "function": "0x2"}
    assert _rules.xml_pci_address(elem) == "0000:41:10.2"
    # no type means pci; users may write decimal parts
    assert _rules.xml_pci_address(ET.Element("address", {"bus": "65", "slot": "16", "function": "2"})) == \
        "0000:41:10.2"
    for attrs in ({"type": "drive", "bus": "0"}, {"type": "pci", "slot": "0x10"},
                  {"type": "pci", "bus": "0xzz", "slot": "0x10"}):
        assert _rules.xml_pci_address(ET.Element("address", attrs)) is None
    assert _rules.xml_pci_address(None) is None


def test_a_pf_is_labelled_as_written_and_a_selector_as_yaml():
    from ansible_collections.directiron.sriov.plugins.module_utils import _inventory, _replay
    assert _rules.pf_label("enp1s0") == "enp1s0"
    assert _rules.pf_label({"vendor": "0x8086", "device": "0x10c9", "index": 2}) == \
        "{vendor: 0x8086, device: 0x10c9, index: 2}"
    # one label: the inventory check and the boot-time replay name PFs through it
    assert _inventory.pf_label is _rules.pf_label and _replay.pf_label is _rules.pf_label
