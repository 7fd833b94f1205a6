# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and numbers that used to pass, through every entry point that takes them.

Each case here was a wrong success before the rules moved to _rules: a name with a trailing
newline (patterns ending in ``$``), Unicode digits read as numbers (``\\d``, ``isdigit``), a float
index truncated. The rules themselves are tested in module_utils/test_rules_one_place.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.filter import vf
from ansible_collections.directiron.sriov.plugins.filter.vf import vf_mac, vf_range
from ansible_collections.directiron.sriov.plugins.module_utils import _inventory, _libvirt, _spec
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

ARABIC_3 = u"\u0663"


def _fleet(**variables):
    return _inventory.validate_fleet({"h1": variables}).get("h1", [])


@pytest.mark.parametrize("name", ["pool0\n", "pool0\n\n", "\npool0"])
def test_a_pool_name_with_a_newline_is_refused(name):
    errors = _fleet(sriov_pfs=[{"pf": "enp1s0", "num_vfs": 2}],
                    sriov_pools=[{"name": name, "pfs": ["enp1s0"]}])
    assert [line.split(":")[0] for line in errors] == ["sriov_pools[0].name"]


@pytest.mark.parametrize("field, pin", [
    ("package", {"package": "mlnx-ofed\n", "version": "5.8"}),
    ("version", {"package": "mlnx-ofed", "version": "5.8\n"}),
    ("module_version", {"package": "mlnx-ofed", "version": "5.8", "module_version": "5.8\n"}),
    ("module", {"package": "mlnx-ofed", "version": "5.8", "module": "mlx5_core\n"}),
])
def test_a_driver_pin_with_a_newline_is_refused(field, pin):
    errors = _fleet(sriov_driver_pins={"host": [pin]})
    assert [line.split(":")[0] for line in errors] == ["sriov_driver_pins.host[0].%s" % field]


def test_the_network_name_of_libvirt_vf_network_refuses_a_trailing_newline():
    manager = _libvirt.VfNetworkManager.__new__(_libvirt.VfNetworkManager)
    manager.params = {"name": "fast-net\n", "state": "absent"}
    with pytest.raises(SriovError) as info:
        manager.validate()
    assert info.value.field == "name"


@pytest.mark.parametrize("value", [ARABIC_3, u"\uff13", u"\u00b2", "3.0"])
def test_num_vfs_in_unicode_digits_is_refused_not_read_as_3(value):
    with pytest.raises(SriovError) as info:
        _spec.validate_params({"pf": "enp1s0", "num_vfs": value})
    assert info.value.field == "num_vfs"
    errors = _fleet(sriov_pfs=[{"pf": "enp1s0", "num_vfs": value}])
    assert [line.split(":")[0] for line in errors] == ["sriov_pfs[0].num_vfs"]


@pytest.mark.parametrize("key", ["id", "vlan", "qos", "min_tx_rate", "max_tx_rate", "mtu"])
def test_every_vf_number_refuses_unicode_digits(key):
    entry = {"id": 0, "vlan": 5}
    entry[key] = ARABIC_3 if key != "mtu" else ARABIC_3 * 4
    with pytest.raises(SriovError) as info:
        _spec.validate_params({"pf": "enp1s0", "num_vfs": 4, "vfs": [entry]})
    assert info.value.field == "vfs[0].%s" % key


@pytest.mark.parametrize("selector", [u"enp1s0#" + ARABIC_3, u"enp1s0#1-" + ARABIC_3, u"enp1s0#\uff11"])
def test_vf_range_refuses_unicode_digits(selector):
    with pytest.raises(AnsibleFilterError):
        vf_range(selector)


def test_a_pool_selector_in_unicode_digits_is_refused():
    errors = _fleet(sriov_pfs=[{"pf": "enp1s0", "num_vfs": 4}],
                    sriov_pools=[{"name": "p", "vfs": u"enp1s0#" + ARABIC_3}])
    assert [line.split(":")[0] for line in errors] == ["sriov_pools[0].vfs"]


@pytest.mark.skipif(vf.netaddr is None, reason="netaddr is not installed")
@pytest.mark.parametrize("index", [5.7, 5.0, ARABIC_3, True, "5.7", -1, None, [5]])
def test_vf_mac_refuses_an_index_that_is_not_an_integer(index):
    with pytest.raises(AnsibleFilterError) as info:
        vf_mac("02:00:00:00:00:00", index)
    assert "index" in str(info.value)


@pytest.mark.skipif(vf.netaddr is None, reason="netaddr is not installed")
def test_vf_mac_takes_an_int_and_ascii_decimal_text():
    assert vf_mac("02:00:00:00:00:00", 5) == vf_mac("02:00:00:00:00:00", "5") == "02:00:00:00:00:05"
