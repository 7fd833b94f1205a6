# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VF selectors: ``"enp1s0#4-7,9"`` -> ``("enp1s0", [4, 5, 6, 7, 9])``.

The syntax the ``vfs`` option of ``libvirt_vf_network``, the ``vf_range`` filter and the
inventory checks share; pure standard library, no libvirt (controller-side filters import it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def parse_vf_selector(text, field="vfs"):
    """``"PF#a-b,c"`` -> ``(pf, [ids])``: ids sorted, without duplicates.

    The PF part is a netdev name or a PCI address; the ids part is a comma-separated list of
    VF indexes and inclusive ranges.
    """
    if not isinstance(text, str):
        raise SriovError("VF selector must be a string like 'enp1s0#4-7,9', got %r" % (text,), field=field)
    selector = text.strip()
    pf, sep, ids = selector.partition("#")
    if not sep or not pf or not ids:
        raise SriovError("VF selector %r must look like 'PF#a-b,c' (for example 'enp1s0#4-7,9')" % text,
                         field=field)
    try:
        pf = _rules.validate_pf(pf, field)
    except SriovError as exc:
        raise SriovError("VF selector %r: %s" % (text, exc.msg), field=field)
    ids = ids.replace(" ", "")
    if not _rules.SELECTOR_IDS_RE.match(ids):
        raise SriovError("VF selector %r: ids %r must be indexes or ranges like 4-7,9" % (text, ids), field=field)
    result = set()
    for part in ids.split(","):
        first, dash, last = part.partition("-")
        low = int(first)
        high = int(last) if dash else low
        if high < low:
            raise SriovError("VF selector %r: range %s runs backwards" % (text, part), field=field)
        if high > _rules.MAX_VF_ID:
            raise SriovError("VF selector %r: VF index %d is above %d" % (text, high, _rules.MAX_VF_ID), field=field)
        result.update(range(low, high + 1))
    return pf, sorted(result)


def is_vf_selector(text):
    return isinstance(text, str) and "#" in text


def rejoin_vf_items(items):
    """Undo Ansible's comma split of a ``list`` option given as one string.

    ``vfs: "enp1s0#4-7,9"`` reaches the module as ``["enp1s0#4-7", "9"]``: a bare id or range
    right after a selector belongs to it.
    """
    result = []
    for item in items or []:
        text = item.strip() if isinstance(item, str) else item
        if result and isinstance(text, str) and _rules.BARE_IDS_RE.match(text) and is_vf_selector(result[-1]):
            result[-1] = result[-1] + "," + text
        else:
            result.append(text)
    return result
