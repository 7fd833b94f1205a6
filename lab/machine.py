# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The qemu machine every lab boot shares (image builds and lab VMs): accelerator, machine, IOMMU."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def tcg_args():
    return ["-accel", "tcg,thread=multi", "-cpu", "max"]


def kvm_args():
    return ["-accel", "kvm", "-cpu", "max"]


def base_machine_args(memory_mib, iommu="intel"):
    """Machine, CPU count, memory and IOMMU: what every lab boot shares."""
    # No VGA and no NIC option ROMs: SeaBIOS initialising them under TCG costs many seconds.
    args = ["-machine", "q35,kernel-irqchip=split", "-m", str(memory_mib), "-smp", "2",
            "-vga", "none", "-boot", "strict=on"]
    if iommu == "intel":
        args += ["-device", "intel-iommu,intremap=on,caching-mode=on"]
    return args
