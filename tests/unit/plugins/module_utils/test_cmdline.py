# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel cmdline tokens: split, validate a request, edit, check the length."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline as cm
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.cmdline_fixtures import fixture, read


def edit(line, ensure=(), remove=()):
    e, r = cm.validate_request(list(ensure), list(remove))
    return cm.join_cmdline(cm.edit_tokens(cm.split_cmdline(line), e, r))


# --------------------------------------------------------------------------- tokens

class TestTokens(object):
    def test_split_keeps_quoted_spaces_and_quotes(self):
        assert cm.split_cmdline('ro  foo="a b" "bar=c d" quiet\n') == ["ro", 'foo="a b"', '"bar=c d"', "quiet"]

    def test_parse_token_ignores_quotes(self):
        assert cm.parse_token('foo="a b"') == ("foo", "a b")
        assert cm.parse_token('"foo=a b"') == ("foo", "a b")
        assert cm.parse_token("quiet") == ("quiet", None)
        assert cm.parse_token("root=UUID=abc") == ("root", "UUID=abc")

    def test_key_value_replaces_old_value_in_place(self):
        assert edit("ro iommu=off quiet", ["iommu=pt"]) == "ro iommu=pt quiet"

    def test_key_value_collapses_duplicates_and_bare_key(self):
        assert edit("a iommu iommu=off b iommu=soft", ["iommu=pt"]) == "a iommu=pt b"

    def test_bare_flag_added_once(self):
        assert edit("ro quiet", ["quiet", "splash"]) == "ro quiet splash"
        assert edit("ro quiet splash", ["splash"]) == "ro quiet splash"

    def test_new_args_go_before_init_separator(self):
        assert edit("ro quiet -- single", ["intel_iommu=on"]) == "ro quiet intel_iommu=on -- single"

    def test_remove_key_drops_all_values(self):
        assert edit("console=tty0 ro console=ttyS0 console", remove=["console"]) == "ro"

    def test_remove_key_value_drops_only_that(self):
        assert edit("console=tty0 ro console=ttyS0", remove=["console=tty0"]) == "ro console=ttyS0"

    def test_untouched_args_keep_text_and_order(self):
        line = 'BOOT_IMAGE=/vmlinuz x="1  2" ro -- init'
        assert edit(line, ["ro"]) == 'BOOT_IMAGE=/vmlinuz x="1  2" ro -- init'

    def test_value_with_space_is_quoted_and_matches_existing_quoting(self):
        assert edit("ro", ['acpi_osi=Windows 2015']) == 'ro acpi_osi="Windows 2015"'
        assert edit('ro "acpi_osi=Windows 2015"', ['acpi_osi=Windows 2015']) == 'ro "acpi_osi=Windows 2015"'

    def test_satisfied(self):
        e, r = cm.validate_request(["intel_iommu=on", "iommu=pt"], ["nomodeset"])
        assert cm.satisfied(cm.split_cmdline(read(fixture("proc-cmdline-iommu"))), e, r)
        assert not cm.satisfied(cm.split_cmdline(read(fixture("proc-cmdline-base"))), e, r)
        assert not cm.satisfied(cm.split_cmdline("intel_iommu=on iommu=pt nomodeset"), e, r)

    @pytest.mark.parametrize("ensure,remove,field", [
        (["iommu=pt"], ["iommu"], "remove[0]"),
        (["iommu=pt"], ["iommu=pt"], "remove[0]"),
        (["iommu=pt", "iommu=off"], [], "args[1]"),
        ([""], [], "args[0]"),
        (["a\nb"], [], "args[0]"),
        (['foo="bar'], [], "args[0]"),
        (["--"], [], "args[0]"),
        ([], ["=x"], "remove[0]"),
    ])
    def test_bad_requests_are_refused_with_field(self, ensure, remove, field):
        with pytest.raises(SriovError) as info:
            cm.validate_request(ensure, remove)
        assert info.value.field == field

    def test_remove_other_value_of_wanted_key_is_allowed(self):
        assert edit("iommu=off", ["iommu=pt"], ["iommu=off"]) == "iommu=pt"

    def test_edit_pair_clears_contradictions_from_other_variable(self):
        e, r = cm.validate_request(["iommu=pt", "quiet", "intel_iommu=on"], ["nomodeset"])
        target, other = cm.edit_pair(["ro"], ["quiet", "iommu=off", "nomodeset", "splash"], e, r)
        assert target == ["ro", "iommu=pt", "intel_iommu=on"]
        assert other == ["quiet", "splash"]


class TestLocatedEdits(object):
    def test_kept_and_replaced_arguments_keep_their_origin_added_have_none(self):
        e, r = cm.validate_request(["iommu=pt", "new"], ["quiet"])
        entries = [("quiet", "a"), ("iommu=off", "a"), ("splash", "b"), ("--", "b"), ("single", "b")]
        assert cm.edit_located(entries, e, r) == [
            ("iommu=pt", "a"), ("splash", "b"), ("new", None), ("--", "b"), ("single", "b")]

    def test_edit_pair_located_matches_edit_pair(self):
        e, r = cm.validate_request(["iommu=pt"], ["nomodeset"])
        target, other = cm.edit_pair_located(cm.locate(["ro"], 0), cm.locate(["iommu=off", "nomodeset"], 1), e, r)
        assert target == [("ro", 0), ("iommu=pt", None)] and other == []


class TestLimits(object):
    def test_limit_is_x86_command_line_size(self):
        assert cm.KERNEL_CMDLINE_LIMIT == 2048

    def test_line_at_the_limit_passes_one_byte_more_is_refused(self):
        cm.check_length(["x" * (cm.KERNEL_CMDLINE_LIMIT - 1)], "here")
        with pytest.raises(SriovError) as info:
            cm.check_length(["x" * cm.KERNEL_CMDLINE_LIMIT], "here")
        assert "2049 bytes" in info.value.msg and "here" in info.value.msg

    def test_bootloader_arguments_count(self):
        with pytest.raises(SriovError) as info:
            cm.check_length(["x" * 2000], "the grub boot entry", extra=["BOOT_IMAGE=/vmlinuz-" + "6" * 60])
        assert "bootloader adds" in info.value.msg

    @pytest.mark.parametrize("raw", ["a\x00b", "a=\x01", "x\x7f"])
    def test_nul_and_control_characters_refused(self, raw):
        with pytest.raises(SriovError) as info:
            cm.validate_request([raw], [])
        assert info.value.field == "args[0]"
