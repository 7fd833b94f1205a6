# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel_cmdline module end to end through main(), on a fixture root."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _lock
from ansible_collections.directiron.sriov.plugins.modules import kernel_cmdline
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.lock_holder import (
    start_holder, wait_line)
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import module_harness

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "cmdline")


def run_module(monkeypatch, args):
    return module_harness.run_module(monkeypatch, kernel_cmdline.main, args)


@pytest.fixture
def image(tmp_path):
    root = tmp_path / "image"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_text(u"# generated\n")
    shutil.copy(os.path.join(FIXTURES, "grub-debian12"), str(root / "etc" / "default" / "grub"))
    proc = tmp_path / "proc"
    proc.mkdir()
    shutil.copy(os.path.join(FIXTURES, "proc-cmdline-base"), str(proc / "cmdline"))
    return str(root), str(proc)


def grub_text(root):
    with open(os.path.join(root, "etc", "default", "grub")) as handle:
        return handle.read()


def test_offline_image_edited_then_idempotent(monkeypatch, image):
    root, proc = image
    args = {"args": ["intel_iommu=on", "iommu=pt"], "root": root, "proc_root": proc}
    first = run_module(monkeypatch, args)
    assert not first.failed
    assert first.result["changed"] is True
    assert first.result["backend"] == "grub"
    assert first.result["reboot_required"] is True
    assert first.result["args_after"] == "intel_iommu=on iommu=pt quiet"
    assert 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n' in grub_text(root)
    assert "warnings" not in first.result or not first.result["warnings"]
    assert not [f for f in os.listdir(os.path.join(root, "etc", "default")) if f.startswith(".")]
    second = run_module(monkeypatch, args)
    assert second.result["changed"] is False and second.result["actions"] == []


def test_check_mode_leaves_file(monkeypatch, image):
    root, proc = image
    before = grub_text(root)
    out = run_module(monkeypatch, {"args": ["amd_iommu=on"], "root": root, "proc_root": proc,
                                   "_ansible_check_mode": True, "_ansible_diff": True})
    assert out.result["changed"] is True
    assert grub_text(root) == before
    assert 'amd_iommu=on' in out.result["diff"]["after"]
    quiet = run_module(monkeypatch, {"args": ["amd_iommu=on"], "root": root, "proc_root": proc,
                                     "_ansible_check_mode": True})
    assert "diff" not in quiet.result, "a diff only in diff mode"


def test_no_proc_root_for_offline_root_means_no_reboot_verdict(monkeypatch, image):
    root, _proc = image
    out = run_module(monkeypatch, {"args": ["intel_iommu=on"], "root": root})
    assert out.result["reboot_required"] is False and out.result["running_args"] is None


def test_conflict_fails_with_field(monkeypatch, image):
    root, proc = image
    out = run_module(monkeypatch, {"args": ["iommu=pt"], "remove": ["iommu"], "root": root, "proc_root": proc})
    assert out.failed and out.result["field"] == "remove[0]"
    assert "both wanted" in out.result["msg"]


def test_ubuntu_cloud_image_drop_in_decides_the_default_line(monkeypatch, tmp_path):
    """Ubuntu cloud images set GRUB_CMDLINE_LINUX_DEFAULT again in grub.d/50-cloudimg-settings.cfg."""
    root = tmp_path / "image"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_text(u"# generated\n")
    source = os.path.join(FIXTURES, "ubuntu-cloudimg")
    shutil.copy(os.path.join(source, "grub"), str(root / "etc" / "default" / "grub"))
    shutil.copytree(source, str(root / "etc" / "default" / "grub.d"))
    os.unlink(str(root / "etc" / "default" / "grub.d" / "grub"))
    dropin = str(root / "etc" / "default" / "grub.d" / "50-cloudimg-settings.cfg")
    main_before = grub_text(str(root))
    out = run_module(monkeypatch, {"args": ["intel_iommu=on"], "remove": ["splash"], "root": str(root),
                                   "grub_variable": "GRUB_CMDLINE_LINUX_DEFAULT"})
    assert not out.failed, out.result
    # "quiet splash" in /etc/default/grub is dead: the drop-in assigns the variable after it.
    assert out.result["args_before"] == "console=tty1 console=ttyS0"
    assert out.result["args_after"] == "console=tty1 console=ttyS0 intel_iommu=on"
    assert grub_text(str(root)) == main_before
    with open(dropin) as handle:
        assert 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0 intel_iommu=on"\n' in handle.read()
    assert out.result["actions"] == ["edit /etc/default/grub.d/50-cloudimg-settings.cfg",
                                     "grub configuration not regenerated: root is %s" % root]
    again = run_module(monkeypatch, {"args": ["intel_iommu=on"], "remove": ["splash"], "root": str(root),
                                     "grub_variable": "GRUB_CMDLINE_LINUX_DEFAULT"})
    assert again.result["changed"] is False


def test_edit_waits_for_the_host_lock_and_names_its_holder(monkeypatch, image, private_host_lock):
    root, proc = image
    before = grub_text(root)
    monkeypatch.setattr(_lock, "DEFAULT_TIMEOUT", 0.2)
    holder = start_holder(private_host_lock)
    try:
        assert wait_line(holder) == "locked"
        out = run_module(monkeypatch, {"args": ["intel_iommu=on"], "root": root, "proc_root": proc})
        assert out.failed and out.result["field"] == "lock"
        assert "pid %d (holder-under-test)" % holder.pid in out.result["msg"]
        assert grub_text(root) == before
        # Check mode changes nothing and does not wait.
        checked = run_module(monkeypatch, {"args": ["intel_iommu=on"], "root": root, "proc_root": proc,
                                           "_ansible_check_mode": True})
        assert not checked.failed and checked.result["changed"] is True
    finally:
        holder.stdin.close()
        holder.wait()
    done = run_module(monkeypatch, {"args": ["intel_iommu=on"], "root": root, "proc_root": proc})
    assert not done.failed and done.result["changed"] is True
