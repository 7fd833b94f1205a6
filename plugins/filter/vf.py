# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small filters for SR-IOV inventories: VF range selectors and MAC allocation.

Documentation lives in the adjacent vf_range.yml and vf_mac.yml (one file defines both filters).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._rules import parse_int, yaml_type
from ansible_collections.directiron.sriov.plugins.module_utils._vf_selector import parse_vf_selector

try:
    import netaddr
except ImportError:
    netaddr = None

MAC_MAX = (1 << 48) - 1


def vf_range(selectors):
    """``"enp1s0#4-7,9"`` (or a list of such) -> ``[{pf: enp1s0, id: 4}, ...]``."""
    if isinstance(selectors, str):
        selectors = [selectors]
    if not isinstance(selectors, (list, tuple)):
        raise AnsibleFilterError("vf_range expects a selector string like 'enp1s0#4-7' or a list of them, got %s"
                                 % yaml_type(selectors))
    result = []
    seen = set()
    for selector in selectors:
        try:
            pf, ids = parse_vf_selector(selector)
        except SriovError as exc:
            raise AnsibleFilterError("vf_range: %s" % exc.msg)
        for vf_id in ids:
            if (pf, vf_id) not in seen:
                seen.add((pf, vf_id))
                result.append({"pf": pf, "id": vf_id})
    return result


def _mac_flags(value):
    first_octet = value >> 40
    return bool(first_octet & 0x01), bool(first_octet & 0x02)


def vf_mac(base_mac, index=0):
    """The MAC ``index`` addresses after ``base_mac``; both must be unicast and locally administered."""
    if netaddr is None:
        raise AnsibleFilterError("vf_mac needs the Python library netaddr on the controller (pip install netaddr)")
    try:
        # the shared rule: an int or ASCII decimal text; 5.7, True and "٣" are refused, not read as 5, 1, 3
        index = parse_int(index, "index")
    except SriovError:
        raise AnsibleFilterError("vf_mac: index must be a non-negative integer, got %r" % (index,))
    try:
        base = netaddr.EUI(str(base_mac), version=48)
    except (netaddr.AddrFormatError, TypeError, ValueError):
        raise AnsibleFilterError("vf_mac: %r is not a MAC address" % (base_mac,))
    multicast, local = _mac_flags(int(base))
    if multicast:
        raise AnsibleFilterError("vf_mac: base %s is a multicast address (lowest bit of the first octet set); "
                                 "VFs need unicast MACs" % base_mac)
    if not local:
        raise AnsibleFilterError("vf_mac: base %s is not locally administered (second-lowest bit of the first "
                                 "octet clear): allocating from a vendor OUI collides with real NICs; "
                                 "use a base like 02:xx:xx:xx:xx:xx" % base_mac)
    value = int(base) + index
    if value > MAC_MAX or _mac_flags(value) != (False, True) or (value >> 40) != (int(base) >> 40):
        raise AnsibleFilterError("vf_mac: %s + %d leaves the first octet of the base (%02x); choose a base with "
                                 "more room below it" % (base_mac, index, int(base) >> 40))
    return str(netaddr.EUI(value, version=48, dialect=netaddr.mac_unix_expanded))


class FilterModule(object):
    def filters(self):
        return {
            "vf_range": vf_range,
            "vf_mac": vf_mac,
        }
