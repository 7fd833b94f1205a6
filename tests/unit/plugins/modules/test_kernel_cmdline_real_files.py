# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Odd but real GRUB defaults files: kernel_cmdline edits the value that boots and keeps every
other byte (line endings, encodings, links, comments)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.module_utils import basic

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_shell
from ansible_collections.directiron.sriov.plugins.modules import kernel_cmdline
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import module_harness


def make_root(tmp_path, grub, dropins=None):
    root = tmp_path / "root"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_bytes(b"# generated\n")
    (root / "etc" / "default" / "grub").write_bytes(grub)
    # The target's /bin/sh is bash (as on RHEL and openSUSE): bash forms are valid here.
    (root / "bin").mkdir()
    (root / "bin" / "bash").write_bytes(b"")
    os.symlink("bash", str(root / "bin" / "sh"))
    for name, data in (dropins or {}).items():
        (root / "etc" / "default" / "grub.d").mkdir(exist_ok=True)
        (root / "etc" / "default" / "grub.d" / name).write_bytes(data)
    return str(root)


def read(root, relative="etc/default/grub"):
    with open(os.path.join(root, relative), "rb") as handle:
        return handle.read()


def run(monkeypatch, root, warnings=None, **args):
    args.setdefault("args", ["intel_iommu=on"])
    args["root"] = root
    if warnings is not None:
        monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, msg: warnings.append(msg))
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, args)
    assert not out.failed, out.result
    return out.result


def booted(root):
    """The normal entry's arguments as grub-mkconfig would compute them from the files now."""
    files = [("/etc/default/grub", read(root).decode("utf-8", "surrogateescape"))]
    directory = os.path.join(root, "etc/default/grub.d")
    if os.path.isdir(directory):
        for name in sorted(n for n in os.listdir(directory) if n.endswith(".cfg") and not n.startswith(".")):
            files.append((name, read(root, "etc/default/grub.d/" + name).decode("utf-8", "surrogateescape")))
    return " ".join(_cmdline_shell.GrubDefaults(files).joined())


def test_crlf_file_keeps_its_line_endings_and_says_so(monkeypatch, tmp_path):
    original = b'# DOS editor\r\nGRUB_DEFAULT=0\r\nGRUB_CMDLINE_LINUX="quiet"\r\nGRUB_TIMEOUT=5\r\n'
    root = make_root(tmp_path, original)
    warnings = []
    result = run(monkeypatch, root, warnings)
    assert read(root) == original.replace(b'"quiet"', b'"quiet intel_iommu=on"')
    assert any("CRLF" in w and "/etc/default/grub" in w for w in warnings)
    assert result["args_after"] == "quiet intel_iommu=on"


def test_symlink_is_followed_and_kept(monkeypatch, tmp_path):
    root = make_root(tmp_path, b"")
    os.unlink(os.path.join(root, "etc/default/grub"))
    os.makedirs(os.path.join(root, "etc/grub-managed"))
    with open(os.path.join(root, "etc/grub-managed/grub"), "wb") as handle:
        handle.write(b'GRUB_CMDLINE_LINUX="quiet"\n')
    # An absolute target means the image's /etc, not the host's.
    os.symlink("/etc/grub-managed/grub", os.path.join(root, "etc/default/grub"))
    result = run(monkeypatch, root)
    assert os.readlink(os.path.join(root, "etc/default/grub")) == "/etc/grub-managed/grub"
    assert read(root, "etc/grub-managed/grub") == b'GRUB_CMDLINE_LINUX="quiet intel_iommu=on"\n'
    assert result["actions"][0] == "edit /etc/default/grub (-> /etc/grub-managed/grub)"


def test_plus_equals_line_is_edited_where_the_argument_is(monkeypatch, tmp_path):
    original = (b'GRUB_CMDLINE_LINUX="quiet"\n'
                b'GRUB_CMDLINE_LINUX+=" iommu=off splash"  # appended by a vendor\n')
    root = make_root(tmp_path, original)
    result = run(monkeypatch, root, args=["iommu=pt"], remove=["quiet"])
    assert read(root) == (b'GRUB_CMDLINE_LINUX=""\n'
                          b'GRUB_CMDLINE_LINUX+=" iommu=pt splash"  # appended by a vendor\n')
    assert result["args_before"] == "quiet iommu=off splash"
    assert booted(root) == result["args_after"] == "iommu=pt splash"


def test_backslash_continuation_is_read_as_one_value(monkeypatch, tmp_path):
    original = b'GRUB_CMDLINE_LINUX="console=tty0 \\\n    console=ttyS0,115200"\nGRUB_TIMEOUT=5\n'
    root = make_root(tmp_path, original)
    result = run(monkeypatch, root, remove=["console=tty0"])
    assert result["args_before"] == "console=tty0 console=ttyS0,115200"
    assert read(root) == b'GRUB_CMDLINE_LINUX="console=ttyS0,115200 intel_iommu=on"\nGRUB_TIMEOUT=5\n'


def test_unquoted_continuation_outside_quotes(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX=quiet\\\nsplash\n')
    result = run(monkeypatch, root, args=["quietsplash"])
    assert result["args_before"] == "quietsplash" and result["changed"] is False


@pytest.mark.parametrize("line", [
    b'declare -x GRUB_CMDLINE_LINUX="quiet"',
    b'readonly GRUB_CMDLINE_LINUX="quiet"',
    b'export GRUB_CMDLINE_LINUX="quiet"',
    b'typeset -gx GRUB_CMDLINE_LINUX="quiet"',
])
def test_declaring_forms_are_edited_in_place(monkeypatch, tmp_path, line):
    root = make_root(tmp_path, b"# header\n" + line + b"\nexport GRUB_CMDLINE_LINUX\n")
    run(monkeypatch, root)
    assert read(root) == b"# header\n" + line.replace(b'"quiet"', b'"quiet intel_iommu=on"') + \
        b"\nexport GRUB_CMDLINE_LINUX\n"


def test_latin1_byte_elsewhere_is_kept_and_reported(monkeypatch, tmp_path):
    original = b'# Ma\xefs configuration\nGRUB_CMDLINE_LINUX="quiet"\n'
    root = make_root(tmp_path, original)
    warnings = []
    result = run(monkeypatch, root, warnings, _ansible_diff=True)
    assert read(root) == b'# Ma\xefs configuration\nGRUB_CMDLINE_LINUX="quiet intel_iommu=on"\n'
    assert any("not UTF-8" in w and "line 1" in w for w in warnings)
    assert u"\ufffd" in result["diff"]["before"]


def test_latin1_byte_in_the_value_is_kept(monkeypatch, tmp_path):
    original = b'GRUB_CMDLINE_LINUX="quiet label=caf\xe9"\n'
    root = make_root(tmp_path, original)
    result = run(monkeypatch, root)
    assert read(root) == b'GRUB_CMDLINE_LINUX="quiet label=caf\xe9 intel_iommu=on"\n'
    assert result["args_after"] == u"quiet label=caf\ufffd intel_iommu=on"


def test_main_file_value_overridden_by_a_drop_in_is_not_edited(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX="main"\n', {
        "10-first.cfg": b'GRUB_CMDLINE_LINUX="first"\n',
        "90-last.cfg": b'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX last"\n',
        ".hidden.cfg": b'GRUB_CMDLINE_LINUX="never sourced"\n',
        "notes.txt": b'GRUB_CMDLINE_LINUX="not a .cfg"\n',
    })
    result = run(monkeypatch, root, remove=["first"])
    assert result["args_before"] == "first last"
    assert read(root) == b'GRUB_CMDLINE_LINUX="main"\n'
    assert read(root, "etc/default/grub.d/10-first.cfg") == b'GRUB_CMDLINE_LINUX=""\n'
    assert read(root, "etc/default/grub.d/90-last.cfg") == b'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX last intel_iommu=on"\n'
    assert sorted(result["actions"][:2]) == ["edit /etc/default/grub.d/10-first.cfg",
                                             "edit /etc/default/grub.d/90-last.cfg"]
    assert booted(root) == result["args_after"] == "last intel_iommu=on"


def test_check_mode_reports_the_drop_in_and_changes_nothing(monkeypatch, tmp_path):
    root = make_root(tmp_path, b'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n', {
        "50-cloudimg-settings.cfg": b'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"\n'})
    before = read(root, "etc/default/grub.d/50-cloudimg-settings.cfg")
    result = run(monkeypatch, root, grub_variable="GRUB_CMDLINE_LINUX_DEFAULT",
                 _ansible_check_mode=True, _ansible_diff=True)
    assert result["changed"] is True
    assert read(root, "etc/default/grub.d/50-cloudimg-settings.cfg") == before
    assert result["diff"]["before_header"] == "/etc/default/grub.d/50-cloudimg-settings.cfg"
    assert "console=ttyS0 intel_iommu=on" in result["diff"]["after"]
