# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dnf_versionlock_plan on the ``versionlock list`` output of dnf4 and of dnf5 (tests/fixtures/dnf)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.directiron.sriov.plugins.filter.versionlock import FilterModule, dnf_versionlock_plan, parse_versionlock_list

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "dnf")


def recorded(name):
    with open(os.path.join(FIXTURES, "%s-versionlock-list.txt" % name)) as handle:
        return handle.read()


def test_the_filter_is_registered_under_its_documented_name():
    assert set(FilterModule().filters()) == {"dnf_versionlock_plan"}


def test_dnf4_list_reads_the_locks_and_not_the_exclude():
    assert parse_versionlock_list(recorded("dnf4")) == ("dnf4", {
        "i40e-dkms": ["2.25.7-1"], "kernel-core": ["5.14.0-427.13.1.el9_4"], "iavf-dkms": ["1:4.11.1-1"]})


def test_dnf5_list_reads_the_locks_and_not_the_exclude():
    assert parse_versionlock_list(recorded("dnf5")) == ("dnf5", {
        "i40e-dkms": ["2.25.7-1"], "kernel-core": ["6.13.5-200.fc41"], "iavf-dkms": ["1:4.11.1-1"]})


@pytest.mark.parametrize("output", ["", "\n", "# nothing locked yet\n"])
def test_an_empty_list_locks_nothing(output):
    assert parse_versionlock_list(output) == ("empty", {})


def test_dnf5_blocks_with_several_conditions_and_invalid_entries():
    output = ("Package name: a\narch = x86_64\nevr = 1.0-1\nevr = 0:1.1-1\n\n"
              "Package name: b # entry is invalid: missing package conditions\n\n"
              "Package name: c\nevr > 2.0-1\n")
    assert parse_versionlock_list(output) == ("dnf5", {"a": ["1.0-1", "1.1-1"]})


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_pins_already_locked_plan_nothing(fmt):
    pins = [{"package": "i40e-dkms", "version": "2.25.7-1"}, {"package": "iavf-dkms", "version": "1:4.11.1-1"},
            {"package": "iavf-dkms", "version": "4.11.1-1"}]
    plan = dnf_versionlock_plan(recorded(fmt), pins)
    assert (plan["format"], plan["add"], plan["delete"]) == (fmt, [], [])


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_a_pin_at_another_version_deletes_the_old_lock_then_adds(fmt):
    pins = [{"package": "i40e-dkms", "version": "2.26.1-1"}, {"package": "i40e-dkms", "version": "0:2.25.7-1"}]
    plan = dnf_versionlock_plan(recorded(fmt), pins)
    assert plan["delete"] == ["i40e-dkms"] and plan["add"] == [pins[0]]


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_a_new_package_and_an_excluded_one_are_added_without_delete(fmt):
    pins = [{"package": "ixgbe-dkms", "version": "5.21.5-1"}, {"package": "ice-dkms", "version": "1.14.9-1"}]
    plan = dnf_versionlock_plan(recorded(fmt), pins)
    assert plan["delete"] == [] and plan["add"] == pins


@pytest.mark.parametrize("fmt", ["dnf4", "dnf5"])
def test_a_pinned_epoch_must_match_the_lock_epoch(fmt):
    plan = dnf_versionlock_plan(recorded(fmt), [{"package": "iavf-dkms", "version": "2:4.11.1-1"}])
    assert plan["delete"] == ["iavf-dkms"] and len(plan["add"]) == 1


def test_dnf4_names_with_dashes_and_lines_of_another_shape():
    output = "intel-ice-dkms-0:1.2.3-4.el9.*\nkernel-6*\n"
    assert parse_versionlock_list(output) == ("dnf4", {"intel-ice-dkms": ["1.2.3-4.el9"]})
    plan = dnf_versionlock_plan(output, [{"package": "kernel", "version": "6.1-1"}])
    assert plan["delete"] == [] and len(plan["add"]) == 1


@pytest.mark.parametrize("pins", [None, "i40e", [{"package": "x"}], ["x-1"]])
def test_pins_without_package_and_version_are_refused(pins):
    with pytest.raises(AnsibleFilterError, match="pins must be a list"):
        dnf_versionlock_plan("", pins)
