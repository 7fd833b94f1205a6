# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad inputs to kernel_cmdline: each is refused with one message naming the field or the file
and line at fault, and no file below the root changes (every byte and link compared)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_backends
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import KERNEL_CMDLINE_LIMIT
from ansible_collections.directiron.sriov.plugins.modules import kernel_cmdline
from ansible_collections.directiron.sriov.tests.fixtures.sysfs_tree import tree_snapshot
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import module_harness

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "cmdline")
GRUB = "/etc/default/grub"
DROPIN = "/etc/default/grub.d/50-cloudimg-settings.cfg"


def make_root(tmp_path, grub=None, dropin=None, kernel_cmdline_text=None):
    """A root with /etc/default/grub (the Debian 12 file unless grub is given as bytes)."""
    root = tmp_path / "root"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_bytes(b"# generated\n")
    if grub is None:
        shutil.copy(os.path.join(FIXTURES, "grub-debian12"), str(root / "etc" / "default" / "grub"))
    else:
        (root / "etc" / "default" / "grub").write_bytes(grub)
    if dropin is not None:
        (root / "etc" / "default" / "grub.d").mkdir()
        (root / "etc" / "default" / "grub.d" / "50-cloudimg-settings.cfg").write_bytes(dropin)
    if kernel_cmdline_text is not None:
        (root / "etc" / "kernel").mkdir(parents=True)
        (root / "etc" / "kernel" / "cmdline").write_bytes(kernel_cmdline_text)
    return str(root)


def refused(monkeypatch, root, **args):
    """Run the module; assert it failed and changed nothing; return its result."""
    before = tree_snapshot(root)
    args.setdefault("args", ["intel_iommu=on"])
    args["root"] = root
    out = module_harness.run_module(monkeypatch, kernel_cmdline.main, args)
    assert out.failed, out.result
    assert "Traceback" not in out.result["msg"]
    assert "\n" not in out.result["msg"], "one line"
    assert tree_snapshot(root) == before
    return out.result


# --------------------------------------------------------------------------- the request

@pytest.mark.parametrize("args,remove,field,words", [
    (["intel_iommu=on\x00evil"], [], "args[0]", "NUL"),
    (["quiet", "foo=a\x1bb"], [], "args[1]", "control character"),
    ([], ["x\x00"], "remove[0]", "NUL"),
    (["a\nb"], [], "args[0]", "line break"),
    (['foo="bar'], [], "args[0]", "unbalanced double quote"),
    (["--"], [], "args[0]", "separator"),
    ([""], [], "args[0]", "empty"),
    (["=on"], [], "args[0]", "no usable key"),
    (["iommu=pt", "iommu=off"], [], "args[1]", "twice"),
    (["iommu=pt"], ["iommu"], "remove[0]", "both wanted"),
])
def test_bad_request_names_its_field(monkeypatch, tmp_path, args, remove, field, words):
    result = refused(monkeypatch, make_root(tmp_path), args=args, remove=remove)
    assert result["field"] == field and words in result["msg"]


def test_arguments_past_the_kernel_limit(monkeypatch, tmp_path):
    long_value = "x" * (KERNEL_CMDLINE_LIMIT - 10)
    result = refused(monkeypatch, make_root(tmp_path), args=["dyndbg=" + long_value])
    assert result["field"] == "args"
    assert "2048" in result["msg"] and "grub boot entry" in result["msg"]


def test_arguments_past_the_kernel_limit_with_kernel_install(monkeypatch, tmp_path):
    root = make_root(tmp_path, kernel_cmdline_text=b"root=UUID=0b1c rw\n")
    result = refused(monkeypatch, root, backend="kernel-install",
                     args=["a%d=%s" % (i, "y" * 60) for i in range(40)])
    assert "/etc/kernel/cmdline" in result["msg"] and "2048" in result["msg"]


# --------------------------------------------------------------------------- the GRUB files

@pytest.mark.parametrize("text,line,words", [
    (b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX="a\x00b"\n', 2, "NUL byte"),
    (b'if [ -e /x ]; then\n  GRUB_CMDLINE_LINUX="quiet"\nfi\n', 2, "inside a condition"),
    (b'GRUB_CMDLINE_LINUX="quiet"\ncase $x in y) GRUB_CMDLINE_LINUX="";; esac\n', 2, "inside a condition"),
    (b'set_args() {\n  GRUB_CMDLINE_LINUX="quiet"\n}\n', 2, "inside a condition"),
    (b'test -e /x && GRUB_CMDLINE_LINUX="quiet"\n', 1, "pipeline"),
    (b'GRUB_CMDLINE_LINUX="$(cat /etc/extra)"\n', 1, "shell expansion"),
    (b'GRUB_CMDLINE_LINUX=`cat /etc/extra`\n', 1, "shell expansion"),
    (b'GRUB_CMDLINE_LINUX="$UNKNOWN_FROM_ENV ${1}"\n', 1, "shell expansion"),
    (b'# site settings\n. /etc/default/grub.local\n', 2, "runs '.'"),
    (b'eval "GRUB_CMDLINE_LINUX=quiet"\n', 1, "runs 'eval'"),
    (b'readonly GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX="splash"\n', 2, "read-only since /etc/default/grub line 1"),
    (b'declare -r GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX+=" splash"\n', 2, "read-only"),
    (b'declare -a GRUB_CMDLINE_LINUX=(quiet)\n', 1, "declare -a"),
    (b'declare -i GRUB_CMDLINE_LINUX=1\n', 1, "declare -i"),
    (b'GRUB_CMDLINE_LINUX="quiet\n', 1, "unterminated double quote"),
    (b"GRUB_CMDLINE_LINUX='quiet\n", 1, "unterminated single quote"),
    (b'GRUB_CMDLINE_LINUX=quiet printenv\n', 1, "a command may set GRUB_CMDLINE_LINUX"),
    (b'read GRUB_CMDLINE_LINUX < /etc/args\n', 1, "a command may set GRUB_CMDLINE_LINUX"),
    (b': "${GRUB_CMDLINE_LINUX:=quiet}"\n', 1, "a command may set GRUB_CMDLINE_LINUX"),
    (b'GRUB_CMDLINE_LINUX="quiet"\nunset GRUB_CMDLINE_LINUX\n', 2, "unset"),
    (b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX+="splash"\n', 2, "without a space"),
    (b'EXTRA="splash"\nGRUB_CMDLINE_LINUX="quiet $EXTRA"\n', 2, "shell expansion in the part to change"),
    (b'GRUB_CMDLINE_LINUX=(quiet splash)\n', 1, "bash array"),
])
def test_grub_defaults_that_cannot_be_edited_are_named(monkeypatch, tmp_path, text, line, words):
    result = refused(monkeypatch, make_root(tmp_path, grub=text))
    assert "%s line %d" % (GRUB, line) in result["msg"], result["msg"]
    assert words in result["msg"], result["msg"]
    assert result["field"] in ("grub_variable", "backend")


def test_drop_in_with_nul_byte_is_named(monkeypatch, tmp_path):
    root = make_root(tmp_path, dropin=b'GRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX_DEFAULT="console=tty1\x00"\n')
    result = refused(monkeypatch, root)
    assert "%s line 2" % DROPIN in result["msg"] and "NUL" in result["msg"]


def test_drop_in_that_assigns_in_a_condition_is_named(monkeypatch, tmp_path):
    root = make_root(tmp_path, dropin=b'if true; then GRUB_CMDLINE_LINUX="x"; fi\n')
    result = refused(monkeypatch, root)
    assert "%s line 1" % DROPIN in result["msg"]


def test_plus_equals_under_dash_breaks_update_grub(monkeypatch, tmp_path):
    root = make_root(tmp_path, grub=b'GRUB_CMDLINE_LINUX="quiet"\nGRUB_CMDLINE_LINUX+=" splash"\n')
    os.makedirs(os.path.join(root, "bin"))
    open(os.path.join(root, "bin", "dash"), "w").close()
    os.symlink("dash", os.path.join(root, "bin", "sh"))
    result = refused(monkeypatch, root)
    assert "%s line 2" % GRUB in result["msg"] and "dash" in result["msg"]


def test_dangling_symlink_is_named(monkeypatch, tmp_path):
    root = make_root(tmp_path)
    os.unlink(os.path.join(root, "etc/default/grub"))
    os.symlink("/etc/grub-real", os.path.join(root, "etc/default/grub"))
    open(os.path.join(root, "boot/grub/grub.cfg"), "a").close()
    result = refused(monkeypatch, root, backend="grub")
    assert "/etc/default/grub (-> /etc/grub-real)" in result["msg"]


def test_symlink_loop_is_named(monkeypatch, tmp_path):
    root = make_root(tmp_path)
    os.unlink(os.path.join(root, "etc/default/grub"))
    os.symlink("grub", os.path.join(root, "etc/default/grub"))
    result = refused(monkeypatch, root, backend="grub")
    assert "/etc/default/grub" in result["msg"] and "symbolic links" in result["msg"]


def test_kernel_cmdline_file_with_nul_byte(monkeypatch, tmp_path):
    root = make_root(tmp_path, kernel_cmdline_text=b"root=UUID=0b1c\x00 rw\n")
    result = refused(monkeypatch, root, backend="kernel-install")
    assert "/etc/kernel/cmdline line 1" in result["msg"] and "NUL" in result["msg"]


# --------------------------------------------------------------------------- unwritable files

@pytest.mark.parametrize("code,words", [
    (errno.EPERM, "immutable"),
    (errno.EROFS, "read-only"),
    (errno.EACCES, "run as root"),
])
def test_unwritable_file_is_refused_before_writing(monkeypatch, tmp_path, code, words):
    def probe(path):
        raise OSError(code, os.strerror(code), path)

    monkeypatch.setattr(_cmdline_backends, "probe_writable", probe)
    result = refused(monkeypatch, make_root(tmp_path))
    assert result["msg"].startswith("cannot write /etc/default/grub: ")
    assert words in result["msg"] and "nothing was changed" in result["msg"]


def test_unwritable_file_fails_check_mode_too(monkeypatch, tmp_path):
    def probe(path):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM), path)

    monkeypatch.setattr(_cmdline_backends, "probe_writable", probe)
    result = refused(monkeypatch, make_root(tmp_path), _ansible_check_mode=True)
    assert "immutable" in result["msg"]


def test_second_file_failing_puts_the_first_back(monkeypatch, tmp_path):
    # The target goes into /etc/default/grub; the drop-in's DEFAULT line loses "iommu=off".
    root = make_root(tmp_path, dropin=b'GRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0 iommu=off"\n')
    written = []

    def writer(module):
        def write(path, data):
            if path.endswith(".cfg"):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
            _cmdline_backends.replace_file(path, data)
            written.append(path)
        return write

    monkeypatch.setattr(kernel_cmdline, "_atomic_writer", writer)
    result = refused(monkeypatch, root, args=["iommu=pt"])
    assert written, "the first file was written, then put back"
    assert result["msg"].startswith("cannot write %s: " % DROPIN)
    assert "full" in result["msg"] and "/etc/default/grub put back as it was" in result["msg"]


def test_write_refused_by_the_file_system(monkeypatch, tmp_path):
    def writer(module):
        def write(path, data):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return write

    monkeypatch.setattr(kernel_cmdline, "_atomic_writer", writer)
    result = refused(monkeypatch, make_root(tmp_path))
    assert "cannot write /etc/default/grub" in result["msg"] and "read-only" in result["msg"]
