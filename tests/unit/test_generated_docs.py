# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The documentation copies of the option table are what ``make generate`` writes from it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import sys

import yaml

from ansible_collections.directiron.sriov.plugins.module_utils import _spec

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "utils"))
import generate_option_docs  # noqa: E402  pylint: disable=wrong-import-position


def test_every_checked_in_copy_is_what_the_generator_writes():
    assert generate_option_docs.stale_files() == [], "run make generate"


def test_the_generator_writes_a_changed_table(monkeypatch):
    """A table change shows in both copies (so the test above fails until they are written again)."""
    options = copy.deepcopy(_spec.VF_OPTIONS) + ({"name": "colour", "type": "str", "choices": ["red", "blue"],
                                                  "version_added": "9.9.0", "description": ["A: colour."]},)
    monkeypatch.setattr(_spec, "VF_OPTIONS", options)
    assert sorted(generate_option_docs.stale_files()) == [generate_option_docs.FRAGMENT, generate_option_docs.ROLE_SPEC]
    wanted = generate_option_docs.wanted_files()
    fragment = {}
    exec(compile(wanted[generate_option_docs.FRAGMENT], "fragment", "exec"), fragment)  # pylint: disable=exec-used
    vf_docs = yaml.safe_load(fragment["ModuleDocFragment"].DOCUMENTATION)["options"]["vfs"]["suboptions"]
    assert vf_docs["colour"] == {"description": ["A: colour."], "type": "str", "choices": ["red", "blue"],
                                 "version_added": "9.9.0"}
    role = yaml.safe_load(wanted[generate_option_docs.ROLE_SPEC])
    role_vfs = role["argument_specs"]["main"]["options"]["sriov_vfs_pfs"]["options"]["vfs"]["options"]
    assert role_vfs["colour"] == vf_docs["colour"]


def test_the_role_spec_outside_the_generated_block_is_left_as_written():
    path = os.path.join(generate_option_docs.ROOT, generate_option_docs.ROLE_SPEC)
    with open(path) as handle:
        current = yaml.safe_load(handle)
    written = yaml.safe_load(generate_option_docs.wanted_files()[generate_option_docs.ROLE_SPEC])
    for spec in (current, written):
        del spec["argument_specs"]["main"]["options"]["sriov_vfs_pfs"]["options"]
    assert written == current
