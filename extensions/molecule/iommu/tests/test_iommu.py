# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify of scenario iommu, from the guest's own files and tools.

State expected: prepare booted the base image with intel_iommu=off (no groups); converge
rebooted it through GRUB with intel_iommu=on iommu=pt;
side_effect then added vfio_pci.disable_vga=1 without a reboot, and a check-mode AMD run
changed nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import shlex


def _grub_cmdline_linux(host):
    value = None
    for line in host.file("/etc/default/grub").content_string.splitlines():
        if line.startswith("GRUB_CMDLINE_LINUX="):
            value = shlex.split(line.split("=", 1)[1])[0]
    return value.split()


def test_running_kernel_booted_through_grub_with_iommu_args(host):
    cmdline = host.file("/proc/cmdline").content_string.split()
    assert any(arg.startswith("BOOT_IMAGE=") for arg in cmdline)  # GRUB, not -kernel
    assert "intel_iommu=on" in cmdline
    assert "intel_iommu=off" not in cmdline  # prepare's value, replaced by the role
    assert "iommu=pt" in cmdline


def test_iommu_groups_exist_and_igb_pf_is_in_one(host):
    groups = host.check_output("ls /sys/kernel/iommu_groups").split()
    assert len(groups) > 0
    assert host.file("/sys/bus/pci/devices/0000:01:00.0/iommu_group").is_symlink
    dmesg = host.check_output("dmesg")
    assert "DMAR: IOMMU enabled" in dmesg
    assert "iommu: Default domain type: Passthrough" in dmesg  # iommu=pt took effect


def test_side_effect_argument_stored_but_not_booted(host):
    stored = _grub_cmdline_linux(host)
    assert stored == ["intel_iommu=on", "iommu=pt", "vfio_pci.disable_vga=1"]
    assert "vfio_pci.disable_vga=1" not in host.file("/proc/cmdline").content_string.split()


def test_amd_check_mode_changed_nothing(host):
    assert "amd_iommu" not in host.file("/etc/default/grub").content_string
    assert "amd_iommu" not in host.file("/boot/grub/grub.cfg").content_string


def test_grub_cfg_regenerated(host):
    grub_cfg = host.file("/boot/grub/grub.cfg").content_string
    assert "vfio_pci.disable_vga=1" in grub_cfg  # update-grub ran after the side-effect edit
    linux_lines = [line for line in grub_cfg.splitlines() if line.strip().startswith("linux")]
    assert linux_lines and all("intel_iommu=on iommu=pt" in line for line in linux_lines)


def test_vfio_modules_loaded_at_boot(host):
    conf = host.file("/etc/modules-load.d/directiron-sriov-vfio.conf")
    assert conf.mode == 0o644
    listed = [line for line in conf.content_string.splitlines() if line and not line.startswith("#")]
    assert listed == ["vfio", "vfio_pci", "vfio_iommu_type1"]
    for module in listed:
        assert host.file("/sys/module/%s" % module).is_directory
