# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB defaults files evaluated as grub-mkconfig sources them, and the edit plans."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline as cm
from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_shell as sh
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.cmdline_fixtures import fixture, read

GRUB = "/etc/default/grub"


def value(text, name="GRUB_CMDLINE_LINUX"):
    return sh.GrubDefaults([(GRUB, text)]).evaluation.value(name)


def plan(files, ensure=(), remove=(), target="GRUB_CMDLINE_LINUX", dash=False):
    e, r = cm.validate_request(list(ensure), list(remove))
    return sh.GrubDefaults(files, dash=dash).plan(target, e, r)


class TestValues(object):
    @pytest.mark.parametrize("text,expected", [
        ('GRUB_CMDLINE_LINUX="quiet splash"\n', "quiet splash"),
        ("GRUB_CMDLINE_LINUX='a \"b c\"'\n", 'a "b c"'),
        ('GRUB_CMDLINE_LINUX="x=\\"1 2\\" y"\n', 'x="1 2" y'),
        ("GRUB_CMDLINE_LINUX=plain\n", "plain"),
        ('GRUB_CMDLINE_LINUX=""\n', ""),
        ("GRUB_CMDLINE_LINUX=\n", ""),
        ('GRUB_CMDLINE_LINUX="a"\'b\'c\n', "abc"),
        ("GRUB_CMDLINE_LINUX='$x'\n", "$x"),
        ('GRUB_CMDLINE_LINUX="quiet" # "a comment with quotes\n', "quiet"),
        ('GRUB_TIMEOUT=5 GRUB_CMDLINE_LINUX="a"; GRUB_CMDLINE_LINUX+=" b"\n', "a b"),
        ('EXTRA=x\nGRUB_CMDLINE_LINUX="${EXTRA}y $EXTRA"\n', "xy x"),
        ('GRUB_CMDLINE_LINUX="a"\nGRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} b"\n', "a b"),
        ('GRUB_CMDLINE_LINUX="a \\\nb"\n', "a b"),
        ('GRUB_CMDLINE_LINUX="a\nb"\n', "a\nb"),
        ('GRUB_CMDLINE_LINUX="one"\r\nGRUB_CMDLINE_LINUX="two"\r\n', "two"),
        ('f() { GRUB_TIMEOUT=x; }\nGRUB_CMDLINE_LINUX="kept"\n', "kept"),
        ('if [ -x /usr/bin/foo ]; then\n  GRUB_TIMEOUT=1\nfi\nGRUB_CMDLINE_LINUX="after"\n', "after"),
        ("GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX=q\n", "q"),
        ('GRUB_CMDLINE_LINUX=q\necho "args: $GRUB_CMDLINE_LINUX" >&2\n', "q"),
    ])
    def test_value_as_the_shell_assigns_it(self, text, expected):
        assert value(text) == expected

    def test_unknown_value_is_none(self):
        assert value('GRUB_CMDLINE_LINUX="$(cat /x)"\n') is None

    def test_shell_quote_round_trip(self):
        for raw in ['a "b c" $x `y` \\z', "plain", "", "it's"]:
            for style in ('"', "'"):
                assert value("GRUB_CMDLINE_LINUX=%s\n" % sh.shell_quote(raw, style)) == raw


class TestPlans(object):
    def test_only_the_value_changes_comment_and_quote_style_kept(self):
        texts, before, after = plan([(GRUB, "GRUB_CMDLINE_LINUX='quiet' # keep\n")], ["iommu=pt"])
        assert texts == {GRUB: "GRUB_CMDLINE_LINUX='quiet iommu=pt' # keep\n"}
        assert (before, after) == (["quiet"], ["quiet", "iommu=pt"])

    def test_nothing_to_do_plans_nothing(self):
        texts, before, after = plan([(GRUB, 'GRUB_CMDLINE_LINUX="iommu=pt"\n')], ["iommu=pt"])
        assert texts == {} and before == after

    def test_missing_variable_added_to_the_main_file_with_its_line_ending(self):
        texts, _b, _a = plan([(GRUB, "GRUB_TIMEOUT=5\r\n"), ("/etc/default/grub.d/x.cfg", "")], ["a"])
        assert texts == {GRUB: 'GRUB_TIMEOUT=5\r\nGRUB_CMDLINE_LINUX="a"\r\n'}

    def test_new_argument_goes_to_the_last_piece_removed_one_where_it_is(self):
        files = [(GRUB, 'GRUB_CMDLINE_LINUX="a nomodeset"\n'), ("/d/1.cfg", 'GRUB_CMDLINE_LINUX+=" b"\n')]
        texts, _b, after = plan(files, ["c"], ["nomodeset"])
        assert texts == {GRUB: 'GRUB_CMDLINE_LINUX="a"\n', "/d/1.cfg": 'GRUB_CMDLINE_LINUX+=" b c"\n'}
        assert after == ["a", "b", "c"]

    def test_other_variable_loses_contradicting_values(self):
        files = [(GRUB, 'GRUB_CMDLINE_LINUX=""\nGRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=off"\n')]
        texts, _b, after = plan(files, ["iommu=pt"])
        assert texts[GRUB] == 'GRUB_CMDLINE_LINUX="iommu=pt"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
        assert after == ["iommu=pt", "quiet"]

    def test_dead_assignment_before_the_deciding_one_is_untouched(self):
        text = 'GRUB_CMDLINE_LINUX="dead"\nGRUB_CMDLINE_LINUX="live"\n'
        texts, _b, _a = plan([(GRUB, text)], ["x"], ["dead"])
        assert texts == {GRUB: 'GRUB_CMDLINE_LINUX="dead"\nGRUB_CMDLINE_LINUX="live x"\n'}

    def test_plus_equals_refused_only_where_sh_is_dash(self):
        files = [(GRUB, 'GRUB_CMDLINE_LINUX="a"\nGRUB_CMDLINE_LINUX+=" b"\n')]
        assert plan(files, ["c"])[2] == ["a", "b", "c"]
        with pytest.raises(SriovError) as info:
            plan(files, ["c"], dash=True)
        assert "line 2" in info.value.msg and "dash" in info.value.msg


class TestDistributionFiles(object):
    @pytest.mark.parametrize("name,linux,default", [
        ("grub-debian12", "", "quiet"),
        ("grub-rhel9", "crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap "
                       "rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet", ""),
        ("grub-opensuse", "", "splash=silent resume=/dev/disk/by-uuid/5b1f0e0c-8d3a-4f2e-9d57-0d1c2b3a4f5e "
                              "preempt=full mitigations=auto quiet security=apparmor"),
        ("ubuntu-cloudimg/grub", "", "quiet splash"),
    ])
    def test_shipped_files_evaluate_and_take_an_edit_in_place(self, name, linux, default):
        text = read(fixture(name))
        assert value(text) == linux and value(text, "GRUB_CMDLINE_LINUX_DEFAULT") == default
        texts, _b, after = plan([(GRUB, text)], ["intel_iommu=on"])
        assert after == linux.split() + ["intel_iommu=on"] + default.split()
        changed = [(a, b) for a, b in zip(text.splitlines(), texts[GRUB].splitlines()) if a != b]
        assert len(changed) == 1 and changed[0][0].startswith("GRUB_CMDLINE_LINUX=")

    def test_ansi_c_quoting_is_not_guessed(self):
        assert value("GRUB_CMDLINE_LINUX=$'a\\tb'\n") is None
