# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated inventories through the validator, judged by a small reference model (SAFETY-2).

Each generated ``sriov_pfs`` entry or ``sriov_pools`` entry mixes good and bad values (names
with a trailing newline, Unicode digits, out-of-range numbers, floats, bools, unknown keys). The
model below says, independently of the validator's code, which fields must be reported; the
validator must report exactly those: no wrong success (a bad value passed) and no false alarm.
About 4,500 cases per run (``max_examples`` below), a few seconds of CPU each property.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ansible_collections.directiron.sriov.plugins.module_utils import _inventory  # noqa: E402

CASES = settings(max_examples=1500, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])

# (value, good?) pairs the model knows the answer for.
PF_NAMES = [("enp1s0", True), ("0000:01:00.0", True), ("eth0.100", True), ("", False), ("../x", False),
            ("enp1s0\n", False), ("a" * 16, False), ("en p1", False), (5, False), ("\u0663", False)]
NUM_VFS = [(0, True), (3, True), (8, True), ("4", True), (" 2 ", True), (-1, False), ("\u0663", False),
           ("3.5", False), (2.5, False), (True, False), ("many", False), ("4\n\n", False)]
VLANS = [(0, True), (100, True), (4094, True), ("7", True), (4095, False), (-1, False), ("\u0667", False),
         (1.5, False), (False, False)]
BAD_MACS = ["01:00:5e:00:00:01", "00:00:00:00:00:00", "02:00:00:00:00:0g", "02:00:00:00:00:01\n", 5]
UNKNOWN = ["num_vf", "colour", "sysfs_root", "proc_root", "vlan"]
POOL_NAMES = [("pool0", True), ("a.b+c_d-e", True), ("x" * 64, True), ("pool0\n", False), ("x" * 65, False),
              ("", False), ("p<1>", False), ("p\u0663", False), (None, False), (7, False)]


@st.composite
def vf_entries(draw, position):
    entry, bad = {"id": position}, set()
    if draw(st.booleans()):
        vlan, good = draw(st.sampled_from(VLANS))
        entry["vlan"] = vlan
        if not good:
            bad.add("vlan")
    if draw(st.booleans()):
        if draw(st.booleans()):
            entry["mac"] = "02:00:00:00:%02x:%02x" % (position, draw(st.integers(0, 255)))
        else:
            entry["mac"] = draw(st.sampled_from(BAD_MACS))
            bad.add("mac")
    return entry, bad


@st.composite
def pf_entries(draw):
    """(entry, the fields the model says are wrong)."""
    pf, pf_good = draw(st.sampled_from(PF_NAMES))
    entry, wrong = {"pf": pf}, set()
    if not pf_good:
        wrong.add("pf")
    num_vfs = None
    if draw(st.booleans()):
        num_vfs, good = draw(st.sampled_from(NUM_VFS))
        entry["num_vfs"] = num_vfs
        if not good:
            wrong.add("num_vfs")
    vfs = []
    for position in range(draw(st.integers(0, 4))):
        vf, bad = draw(vf_entries(position))
        vfs.append(vf)
        wrong.update("vfs[%d].%s" % (position, key) for key in bad)
    if vfs or draw(st.booleans()):
        entry["vfs"] = vfs
    for key in draw(st.lists(st.sampled_from(UNKNOWN), unique=True, max_size=2)):
        if key not in entry:
            entry[key] = 1
            wrong.add(key)
    # the one rule across options, reported once every part is valid on its own: a VF index past num_vfs
    if not wrong and num_vfs is not None and vfs and int(num_vfs) < len(vfs):
        wrong.add("vfs[%d].id" % int(num_vfs))
    return entry, wrong


def _reported(lines, prefix):
    return set(line.split(":")[0][len(prefix):] for line in lines)


@CASES
@given(pf_entries())
def test_pf_entries_are_judged_as_the_model_says(case):
    entry, wrong = case
    lines = _inventory.pfs_errors([entry])
    assert _reported(lines, "sriov_pfs[0].") == wrong, lines


@CASES
@given(st.lists(pf_entries(), min_size=1, max_size=3))
def test_several_entries_each_get_all_their_errors(cases):
    pfs = [entry for entry, _wrong in cases]
    names = [entry["pf"] for entry in pfs]
    lines = _inventory.pfs_errors(pfs)
    for position, (entry, wrong) in enumerate(cases):
        prefix = "sriov_pfs[%d]." % position
        got = set(line.split(":")[0][len(prefix):] for line in lines if line.startswith(prefix))
        if entry["pf"] in names[:position]:
            continue  # the same PF twice: its own rule, tested in test_sriov_inventory
        assert got == wrong, (position, lines)


@st.composite
def pools(draw):
    name, good = draw(st.sampled_from(POOL_NAMES))
    pool, wrong = {"name": name}, set()
    if not good:
        wrong.add("name")
    vlan, vlan_good = draw(st.sampled_from(VLANS + [(None, True)]))
    if vlan is not None:
        pool["vlan"] = vlan
        # a pool's vlan is an int as YAML wrote it: the text "7" is not taken there
        if not vlan_good or isinstance(vlan, str):
            wrong.add("vlan")
    pool["pfs"] = ["enp1s0"]
    return pool, wrong


@CASES
@given(pools())
def test_pools_are_judged_as_the_model_says(case):
    pool, wrong = case
    lines = _inventory.validate_fleet({"h": {"sriov_pfs": [{"pf": "enp1s0", "num_vfs": 2}],
                                             "sriov_pools": [pool]}}).get("h", [])
    assert _reported(lines, "sriov_pools[0].") == wrong, lines
