# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smoke verify of a lab VM, from the guest's own tools (lspci, sysfs, /proc, dmesg)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

IGB_PFS = ("0000:01:00.0", "0000:02:00.0")
BRIDGED_E1000 = ("0000:03:01.0", "0000:03:02.0")


def _platform(host):
    """This host's platform entry in the scenario's molecule.yml (lab_variant etc.)."""
    with open(os.environ["MOLECULE_FILE"]) as handle:
        config = yaml.safe_load(handle) or {}
    name = host.backend.get_hostname()
    for platform in config.get("platforms", []):
        if platform.get("name") == name:
            return platform
    raise AssertionError("no platform %s in %s" % (name, os.environ["MOLECULE_FILE"]))


def _expected_pfs(host):
    missing = _platform(host).get("lab_without_pf", [])
    return [addr for index, addr in enumerate(IGB_PFS, 1) if index not in missing]


def test_igb_pfs_are_sriov_capable_with_7_vfs(host):
    lspci = host.check_output("lspci -D -n -d 8086:10c9")
    found = sorted(line.split()[0] for line in lspci.splitlines())
    assert found == _expected_pfs(host)
    for addr in found:
        device = "/sys/bus/pci/devices/%s" % addr
        assert host.check_output("cat %s/sriov_totalvfs" % device) == "7"
        assert os.path.basename(host.check_output("readlink %s/driver" % device)) == "igb"
        assert "Single Root I/O Virtualization" in host.check_output("lspci -vv -s %s" % addr)


def _kernel_enables_vtd_by_default(host):
    """Debian's 6.1 kernels since 6.1.1xx build with INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y: VT-d
    comes up without any argument (older ones had it off). Read it from the guest's config."""
    config = host.check_output("cat /boot/config-$(uname -r)").splitlines()
    return any(line in ("CONFIG_INTEL_IOMMU_DEFAULT_ON=y", "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF=y")
               for line in config)


def _group_types(host):
    out = host.check_output("cat /sys/kernel/iommu_groups/*/type 2>/dev/null || true")
    return set(out.split())


def test_iommu_state_matches_image_variant(host):
    variant = _platform(host).get("lab_variant", "base")
    cmdline = host.check_output("cat /proc/cmdline").split()
    groups = host.check_output("ls /sys/kernel/iommu_groups").split()
    if variant == "iommu":
        assert "intel_iommu=on" in cmdline and "iommu=pt" in cmdline
        assert groups, "iommu variant but no IOMMU groups"
        assert host.check_output("cat /sys/class/iommu/*/intel-iommu/version")
        assert _group_types(host) == {"identity"}, "iommu=pt: every default domain is identity"
    else:
        assert not [arg for arg in cmdline if arg.startswith(("intel_iommu", "amd_iommu", "iommu"))]
        if _kernel_enables_vtd_by_default(host):
            assert groups and _group_types(host) <= {"DMA", "DMA-FQ"}, "default: translated"
        else:
            assert groups == [], "no IOMMU arguments and a default-off kernel: no groups"


def test_bridged_e1000_share_one_iommu_group(host):
    if not host.check_output("ls /sys/kernel/iommu_groups"):
        pytest.skip("IOMMU off: no groups (test_iommu_state_matches_image_variant)")
    group_of = {}
    for addr in BRIDGED_E1000:
        link = host.check_output("readlink /sys/bus/pci/devices/%s/iommu_group" % addr)
        group_of[addr] = os.path.basename(link)
    assert len(set(group_of.values())) == 1, group_of
    members = host.check_output("ls /sys/kernel/iommu_groups/%s/devices" % group_of[BRIDGED_E1000[0]])
    assert set(BRIDGED_E1000) <= set(members.split())
    for addr in _expected_pfs(host):
        own = host.check_output("readlink /sys/bus/pci/devices/%s/iommu_group" % addr)
        assert os.path.basename(own) not in group_of.values()


def test_management_nic_is_stable_and_pfs_are_left_to_the_code_under_test(host):
    assert host.interface("enp0s2").exists
    assert any(addr.startswith("10.0.2.") for addr in host.interface("enp0s2").addresses)
    interfaces = host.file("/etc/network/interfaces").content_string
    assert "enp1s0" not in interfaces and "enp2s0" not in interfaces
