# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell decides: GRUB defaults whose meaning the lexer gets wrong are refused (or edited
right), judged by sourcing them as grub-mkconfig does; a write the shell disagrees with is undone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_grub
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import KernelCmdline
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import source_grub, problems
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.modules import kernel_cmdline
from ansible_collections.directiron.sriov.tests.fixtures.sysfs_tree import tree_snapshot
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import module_harness

WANT = [("intel_iommu", "on")]


def make_root(tmp_path, grub, dropins=(), links=()):
    root = tmp_path / "root"
    (root / "etc" / "default" / "grub.d").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_bytes(b"# generated\n")
    (root / "bin").mkdir()
    os.symlink("/usr/bin/dash", str(root / "bin" / "sh"))
    (root / "etc" / "default" / "grub").write_bytes(grub)
    for name, data in dropins:
        (root / "etc" / "default" / "grub.d" / name).write_bytes(data)
    for name, target in links:
        os.symlink(target, str(root / "etc" / "default" / "grub.d" / name))
    return str(root)


def sourced(root):
    base = os.path.join(root, "etc", "default")
    with open(os.path.join(base, "grub"), "rb") as handle:
        main = handle.read()
    dropins = []
    for name in sorted(os.listdir(os.path.join(base, "grub.d"))):
        path = os.path.join(base, "grub.d", name)
        if name.endswith(".cfg") and os.path.exists(path):
            with open(path, "rb") as handle:
                dropins.append((name, handle.read()))
    return source_grub(main, dropins, shell="/usr/bin/dash").joined()


def run(monkeypatch, root):
    before = tree_snapshot(root)
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    if out.failed:
        assert tree_snapshot(root) == before, "a refusal changes nothing"
        assert "line" in out.result["msg"] or "grub-mkconfig's shell" in out.result["msg"], out.result["msg"]
    else:
        assert problems(sourced(root), WANT, []) == [], "a success must be true for the shell"
    return out


# The wrong-success kinds of issue 24 (each gave ok/changed with a wrong boot line before).
WRONG_SUCCESS_KINDS = {
    "heredoc-body": dict(grub=b'GRUB_CMDLINE_LINUX="quiet"\ncat >/dev/null <<EOF\nGRUB_CMDLINE_LINUX="x"\nEOF\n'),
    "one-line-subshell": dict(grub=b'GRUB_CMDLINE_LINUX="quiet"\n( GRUB_CMDLINE_LINUX="quiet splash" )\n'),
    "dropin-sourced-twice": dict(grub=b'GRUB_CMDLINE_LINUX="quiet"\n',
                                 dropins=[("50-a.cfg", b'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX splash"\n')],
                                 links=[("60-b.cfg", "50-a.cfg")]),
    "after-return": dict(grub=b'GRUB_CMDLINE_LINUX="quiet"\n',
                         dropins=[("50-a.cfg", b'return 0 2>/dev/null || exit 0\nGRUB_CMDLINE_LINUX="splash"\n')]),
}


@pytest.mark.parametrize("kind", sorted(WRONG_SUCCESS_KINDS))
def test_wrong_success_kinds_are_refused_or_right(monkeypatch, tmp_path, kind):
    run(monkeypatch, make_root(tmp_path, **WRONG_SUCCESS_KINDS[kind]))


def test_dropin_symlink_loop_is_skipped_like_the_shell(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\n', links=[("50-loop.cfg", "50-loop.cfg")])
    out = run(monkeypatch, root)
    assert not out.failed, out.result
    assert sourced(root) == ["quiet", "intel_iommu=on"]


def test_a_file_that_stops_the_shell_is_refused(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\nfalse\n')
    out = run(monkeypatch, root)
    assert out.failed and "grub-mkconfig" in out.result["msg"]


def test_shell_disagreeing_after_the_write_restores(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\n')
    before = tree_snapshot(root)
    real = _cmdline_grub.GrubBackend._grub_files
    calls = []

    def files_then_lie(self):
        files = real(self)
        calls.append(1)
        if len(calls) == 2:  # the read-back after the write: the disk now says something else
            files[0].raw = b'GRUB_CMDLINE_LINUX="quiet"\n'
        return files

    monkeypatch.setattr(_cmdline_grub.GrubBackend, "_grub_files", files_then_lie)
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    assert out.failed and "put back" in out.result["msg"], out.result
    assert tree_snapshot(root) == before


def test_wanted_flag_twice_is_left_once(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n')
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["quiet"], "root": root})
    assert not out.failed, out.result
    assert sourced(root).count("quiet") == 1


def test_problems_name_each_wrong_result():
    want = [("intel_iommu", "on"), ("quiet", None)]
    assert problems(["quiet", "intel_iommu=on"], want, []) == []
    assert problems(["quiet"], want, []) == ["lacks intel_iommu=on"]
    assert problems(["quiet", "intel_iommu=on", "intel_iommu=on"], want, []) == ["holds intel_iommu 2 times"]
    assert problems(["quiet", "quiet", "intel_iommu=on"], want, []) == ["holds quiet 2 times"]
    assert problems(["quiet", "intel_iommu=off"], want, []) == ["holds intel_iommu with another value"]
    assert problems(["quiet", "intel_iommu=on", "splash"], want, [("splash", None)]) == ["still holds splash"]


def test_lexer_and_shell_disagreeing_on_the_current_line_is_refused(monkeypatch, tmp_path):
    # Should the lexer ever read another line than the shell, nothing is edited from its plan,
    # even where the edit would come out right.
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\n')
    before = tree_snapshot(root)
    real = _cmdline_grub.GrubDefaults.plan

    def misread(self, variable, ensure, remove):
        texts, old, new = real(self, variable, ensure, remove)
        return texts, old + ["splash"], new

    monkeypatch.setattr(_cmdline_grub.GrubDefaults, "plan", misread)
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    assert out.failed and "grub-mkconfig's shell reads the arguments" in out.result["msg"], out.result
    assert "not edited" in out.result["msg"] and tree_snapshot(root) == before


def test_an_exit_trap_that_fails_update_grub_is_refused(monkeypatch, tmp_path):
    # The values are all set when the trap runs, but grub-mkconfig (and so update-grub) fails.
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\n', dropins=[("50-trap.cfg", b"trap 'exit 3' EXIT\n")])
    out = run(monkeypatch, root)
    assert out.failed and "rc=3" in out.result["msg"], out.result


def test_update_grub_failing_after_the_write_puts_the_defaults_back(monkeypatch, tmp_path):
    # Edited defaults with the old grub.cfg would make the next run say ok while the boot line
    # lacks the argument: they go back, and the next run edits and regenerates again.
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\n')
    before = tree_snapshot(root)
    manager = _cmdline_grub_manager(root, runner=lambda argv: (1, "", "grub-probe: error: failed to get canonical path"))
    with pytest.raises(SriovError) as info:
        manager.run()
    assert "canonical path" in info.value.msg and "/etc/default/grub put back as they were" in info.value.msg
    assert info.value.details["restored"] == ["/etc/default/grub"] and info.value.details["argv"] == ["update-grub"]
    assert tree_snapshot(root) == before


def _cmdline_grub_manager(root, runner):
    return KernelCmdline(runner=runner, ensure=["intel_iommu=on"], backend="grub", root=root, proc_root=None,
                         live=True, which=lambda name: "/usr/sbin/" + name if name == "update-grub" else None)


def test_a_root_whose_shell_cannot_be_told_is_judged_by_dash_and_bash(monkeypatch, tmp_path):
    # No /bin/sh below the root (a partial image): it may be dash, which stops on +=, or bash.
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX+=" splash"\n')
    os.unlink(os.path.join(root, "bin", "sh"))
    before = tree_snapshot(root)
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    assert out.failed and "cannot be told" in out.result["msg"] and "dash" in out.result["msg"], out.result
    assert tree_snapshot(root) == before
    # Where the root says bash, the same file is edited.
    open(os.path.join(root, "bin", "bash"), "w").close()
    os.symlink("bash", os.path.join(root, "bin", "sh"))
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    assert not out.failed and out.result["args_after"] == "quiet splash intel_iommu=on", out.result


@pytest.mark.parametrize("options, refused", [
    (b"options root=/dev/vda1 ro quiet\n", True),    # RHEL 9, Fedora: the entry's own options
    (b"options $kernelopts\n", False),                # RHEL 8: grub2-mkconfig writes kernelopts
])
def test_grub_with_boot_loader_spec_entries_of_their_own_is_refused(monkeypatch, tmp_path, options, refused):
    # GRUB_ENABLE_BLSCFG=true: grub.cfg loads /boot/loader/entries; an edit of GRUB_CMDLINE_LINUX
    # (or an ok for it) would not be the line that boots.
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_ENABLE_BLSCFG=true\n')
    entries = os.path.join(root, "boot", "loader", "entries")
    os.makedirs(entries)
    with open(os.path.join(entries, "abc-5.14.0.conf"), "wb") as handle:
        handle.write(b"title Linux\nlinux /vmlinuz-5.14.0\n" + options)
    before = tree_snapshot(root)
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["intel_iommu=on"], "root": root})
    if refused:
        assert out.failed and "abc-5.14.0.conf" in out.result["msg"] and "grubby" in out.result["msg"], out.result
        assert tree_snapshot(root) == before
        ok = module_harness.run_module(monkeypatch, kernel_cmdline.main, {"args": ["quiet"], "root": root})
        assert ok.failed, "an ok would be a wrong success too"
    else:
        assert not out.failed and sourced(root) == ["quiet", "intel_iommu=on"], out.result
