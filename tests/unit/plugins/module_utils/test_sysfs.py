# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_sysfs readers and writers on generated fixture trees (no mocks of open)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import shutil

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.fixtures import sysfs_tree


@pytest.fixture
def host(tmp_path):
    """2 PFs x 4 VFs: VF0 vfio-pci, VF1 driverless, VF2/3 igbvf; plus a bridge group."""
    return sysfs_tree.generate(str(tmp_path / "host"), pfs=2, vfs_per_pf=4)


def test_read_attr_missing_dir_and_present(tmp_path):
    path = tmp_path / "attr"
    path.write_text("  7\n")
    assert _sysfs.read_attr(str(path)) == "7"
    assert _sysfs.read_attr(str(tmp_path / "nope"), default="x") == "x"
    assert _sysfs.read_attr(str(tmp_path)) is None  # a directory: EISDIR is soft
    assert _sysfs.read_attr(str(path / "below-a-file")) is None  # ENOTDIR


def test_read_attr_unreadable_is_default(tmp_path, monkeypatch):
    path = tmp_path / "attr"
    path.write_text("1\n")
    real_read = os.read

    def failing_read(fd, size):
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(os, "read", failing_read)
    assert _sysfs.read_attr(str(path), default="gone") == "gone"
    monkeypatch.setattr(os, "read", real_read)


def test_read_attr_propagates_unexpected_errors(tmp_path, monkeypatch):
    def failing_open(path, flags, *args, **kwargs):
        raise OSError(errno.EMFILE, "Too many open files")
    monkeypatch.setattr(os, "open", failing_open)
    with pytest.raises(OSError):
        _sysfs.read_attr(str(tmp_path / "x"))


def test_write_attr_replaces_content_and_raises_with_errno(tmp_path):
    path = tmp_path / "sriov_numvfs"
    path.write_text("128\n")
    _sysfs.write_attr(str(path), 0)
    assert path.read_text() == "0"
    with pytest.raises(OSError) as info:
        _sysfs.write_attr(str(tmp_path / "missing"), 1)
    assert info.value.errno == errno.ENOENT
    assert not (tmp_path / "missing").exists()  # never creates attributes


def test_read_function_pf(host):
    pf = _sysfs.read_function(host["sysfs_root"], "0000:01:00.0")
    assert pf["vendor"] == "0x8086" and pf["device"] == "0x10c9" and pf["class"] == "0x020000"
    assert pf["driver"] == "igb" and pf["netdevs"] == ["enp1s0"]
    assert pf["sriov_totalvfs"] == 4 and pf["sriov_numvfs"] == 4 and pf["sriov_drivers_autoprobe"] is True
    assert pf["virtfns"] == {0: "0000:01:00.1", 1: "0000:01:00.2", 2: "0000:01:00.3", 3: "0000:01:00.4"}
    assert pf["physfn"] is None and pf["vf_index"] is None
    assert pf["numa_node"] == 0 and pf["iommu_group"] == 2 and pf["is_bridge"] is False


def test_read_function_vfs(host):
    vfio = _sysfs.read_function(host["sysfs_root"], "0000:01:00.1")
    assert vfio["driver"] == "vfio-pci" and vfio["driver_override"] == "vfio-pci"
    assert vfio["physfn"] == "0000:01:00.0" and vfio["vf_index"] == 0 and vfio["netdevs"] == []
    assert vfio["sriov_totalvfs"] is None and vfio["virtfns"] == {}
    bare = _sysfs.read_function(host["sysfs_root"], "0000:01:00.2")
    assert bare["driver"] is None and bare["driver_override"] is None and bare["vf_index"] == 1
    netvf = _sysfs.read_function(host["sysfs_root"], "0000:02:00.4")
    assert netvf["driver"] == "igbvf" and netvf["netdevs"] == ["enp2s0f4"] and netvf["vf_index"] == 3


def test_read_function_absent_is_none_and_bad_address_refused(host):
    assert _sysfs.read_function(host["sysfs_root"], "0000:07:00.0") is None
    with pytest.raises(SriovError) as info:
        _sysfs.read_function(host["sysfs_root"], "../../etc")
    assert info.value.field == "address"


def test_numa_minus_one_reads_as_none(host):
    bridge = _sysfs.read_function(host["sysfs_root"], "0000:00:1f.0")
    assert bridge["numa_node"] is None and bridge["is_bridge"] is True


def test_scan_finds_every_function_with_vf_indexes(host):
    functions = _sysfs.scan_functions(host["sysfs_root"])
    assert len(functions) == host["functions"] == 16
    assert functions["0000:02:00.3"]["vf_index"] == 2
    assert functions["0000:02:00.3"]["physfn"] == "0000:02:00.0"


def test_brief_scan_agrees_with_full_scan_on_what_it_reads(host):
    full = _sysfs.scan_functions(host["sysfs_root"])
    brief = _sysfs.scan_functions(host["sysfs_root"], brief=True)
    keys = ("vendor", "device", "class", "driver", "netdevs", "iommu_group", "physfn", "vf_index", "is_bridge",
            "virtfns", "sriov_totalvfs", "sriov_numvfs", "numa_node")
    for address in full:
        if full[address]["sriov_totalvfs"] is not None:
            assert full[address] == brief[address]  # PFs are always read in full
        for key in keys[:10]:
            assert full[address][key] == brief[address][key], (address, key)
    assert brief["0000:01:00.3"]["subsystem_vendor"] is None  # skipped for VFs


def test_scan_skips_a_function_that_vanished(host):
    root = host["sysfs_root"]
    # listed in bus/pci/devices but its directory is gone (hot-unplug during the scan)
    os.symlink("../../../devices/pci0000:00/0000:00:09.0", os.path.join(root, "bus/pci/devices/0000:00:09.0"))
    real = os.path.realpath(os.path.join(root, "bus/pci/devices/0000:02:00.4"))
    shutil.rmtree(real)
    functions = _sysfs.scan_functions(root)
    assert "0000:00:09.0" not in functions and "0000:02:00.4" not in functions
    assert "0000:02:00.3" in functions


def test_scan_of_missing_root_is_empty(tmp_path):
    assert _sysfs.scan_functions(str(tmp_path / "nothing")) == {}


def test_list_vfs_and_groups(host):
    root = host["sysfs_root"]
    assert _sysfs.list_vfs(root, "0000:02:00.0")[3] == "0000:02:00.4"
    assert _sysfs.list_vfs(root, "0000:00:1f.0") == {}
    shared = _sysfs.functions_group = _sysfs.read_function(root, "0000:30:01.0")["iommu_group"]
    assert _sysfs.iommu_group_devices(root, shared) == ["0000:00:1f.0", "0000:30:01.0", "0000:30:02.0"]
    assert _sysfs.iommu_group_devices(root, 9999) == []
    with pytest.raises(SriovError):
        _sysfs.iommu_group_devices(root, "../1")
    assert _sysfs.iommu_group_types(root, [0, shared]) == {0: "DMA-FQ", shared: "DMA-FQ"}


def test_netdevs_by_function(host):
    netdevs = _sysfs.netdevs_by_function(host["sysfs_root"])
    assert netdevs["0000:01:00.0"] == ["enp1s0"] and netdevs["0000:30:01.0"] == ["ens1"]
    assert "0000:01:00.1" not in netdevs


def test_module_version_and_name(host):
    root = host["sysfs_root"]
    assert _sysfs.module_version(root, "e1000") == "7.3.21-k8-NAPI"
    assert _sysfs.module_version(root, "igb") is None
    assert _sysfs.module_name(root, "vfio-pci") == "vfio_pci"
    assert _sysfs.module_name(root, "pcieport") is None
    assert _sysfs.module_version(root, "../igb") is None


class TestResolvePf(object):
    def test_by_netdev_address_and_ids(self, host):
        root = host["sysfs_root"]
        assert _sysfs.resolve_pf(root, "enp2s0") == "0000:02:00.0"
        assert _sysfs.resolve_pf(root, "0000:01:00.0") == "0000:01:00.0"
        assert _sysfs.resolve_pf(root, {"vendor": "8086", "device": "0x10C9"}) == "0000:01:00.0"
        assert _sysfs.resolve_pf(root, {"vendor": "0x8086", "device": "0x10c9", "index": 1}) == "0000:02:00.0"

    @pytest.mark.parametrize("name", ["../etc", "a/b", "en p1", "x\x00y", "..", "enp1s0\n", "a*b", ""])
    def test_rejects_unsafe_names_before_touching_the_filesystem(self, tmp_path, name):
        # the root does not exist: a "not found" message would mean the name reached the filesystem
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(str(tmp_path / "absent"), name)
        assert info.value.field == "pf"
        assert "characters" in info.value.msg or (name == "" and "required" in info.value.msg)

    def test_not_found_names_what_was_looked_for(self, host):
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(host["sysfs_root"], "enp9s0")
        assert "enp9s0" in info.value.msg and info.value.field == "pf"

    def test_vf_and_non_sriov_functions_are_refused(self, host):
        root = host["sysfs_root"]
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, "0000:01:00.3")
        assert "virtual function of 0000:01:00.0" in info.value.msg
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, "ens1")
        assert "not SR-IOV capable" in info.value.msg
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, "0000:05:00.0")
        assert "no PCI function" in info.value.msg

    def test_id_selector_errors(self, host):
        root = host["sysfs_root"]
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, {"vendor": "0x8086", "device": "0x10c9", "index": 2})
        assert info.value.details["matches"] == ["0000:01:00.0", "0000:02:00.0"]
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, {"vendor": "intel", "device": "0x10c9"})
        assert info.value.field == "pf.vendor"
        with pytest.raises(SriovError) as info:
            _sysfs.resolve_pf(root, {"vendor": "0x8086", "device": "0x10c9", "slot": 1})
        assert "unknown key(s) slot" in info.value.msg


class TestVerdict(object):
    def verdicts(self, root, no_iommu=None):
        functions = _sysfs.scan_functions(root, brief=True)
        groups = _sysfs.group_index(functions)
        return dict((a, _sysfs.assignment_verdict(functions, groups, a, no_iommu)) for a in functions)

    def test_alone_in_group(self, host):
        verdict = self.verdicts(host["sysfs_root"])["0000:01:00.1"]
        assert verdict["assignable"] is True and "alone in IOMMU group" in verdict["reason"]
        assert "bind it" not in verdict["reason"]  # already on vfio-pci
        igbvf = self.verdicts(host["sysfs_root"])["0000:01:00.3"]
        assert igbvf["assignable"] and "now on igbvf" in igbvf["reason"]

    def test_group_shared_with_bridge_and_vfio_is_assignable(self, host):
        verdict = self.verdicts(host["sysfs_root"])["0000:30:01.0"]
        assert verdict["assignable"] is True
        assert "0000:00:1f.0 (bridge)" in verdict["reason"] and "0000:30:02.0 (vfio-pci)" in verdict["reason"]

    def test_group_shared_with_host_driver_is_not(self, host):
        verdict = self.verdicts(host["sysfs_root"])["0000:30:02.0"]
        assert verdict["assignable"] is False
        assert verdict["blocked_by"] == ["0000:30:01.0"]
        assert "0000:30:01.0 (e1000)" in verdict["reason"]

    def test_bridges_are_not_assignable(self, host):
        verdicts = self.verdicts(host["sysfs_root"])
        assert verdicts["0000:00:1f.0"]["assignable"] is False
        assert verdicts["0000:00:00.0"]["assignable"] is False  # host bridge, class 0x0600

    def test_without_iommu_nothing_is(self, tmp_path):
        host = sysfs_tree.generate(str(tmp_path / "noiommu"), pfs=1, vfs_per_pf=2, iommu=None)
        verdicts = self.verdicts(host["sysfs_root"], no_iommu="no IOMMU is active")
        assert verdicts and all(not v["assignable"] for v in verdicts.values())
        assert verdicts["0000:01:00.1"]["reason"] == "not assignable: no IOMMU is active"
