# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recorder and the materializer round-trip a tree: facts from the copy equal facts from the source."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os

from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs
from ansible_collections.directiron.sriov.plugins.modules import iommu_facts, sriov_facts
from ansible_collections.directiron.sriov.tests.fixtures import record_tree, sysfs_tree


def test_record_then_materialize_gives_the_same_facts(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "src"), pfs=2, vfs_per_pf=3)
    spec = record_tree.Recorder(host["sysfs_root"], host["proc_root"]).record(commands=False)
    spec = json.loads(json.dumps(spec))  # what a file on disk holds
    assert spec["links"]["sys/bus/pci/devices/0000:01:00.1"].startswith("../../../devices/")
    copy = sysfs_tree.materialize(spec, str(tmp_path / "copy"))
    copy_sys, copy_proc = os.path.join(copy, "sys"), os.path.join(copy, "proc")
    assert _sysfs.scan_functions(copy_sys) == _sysfs.scan_functions(host["sysfs_root"])
    original = iommu_facts.gather_iommu_facts(host["sysfs_root"], host["proc_root"])
    copied = iommu_facts.gather_iommu_facts(copy_sys, copy_proc)
    for key in ("enabled", "vendor", "cpu_vendor", "passthrough", "interrupt_remapping", "cmdline", "units"):
        assert copied[key] == original[key], key
    assert copied["groups"] == original["groups"] and copied["devices"] == original["devices"]
    pfs = sriov_facts.gather_sriov_facts(copy_sys, copy_proc, netlink="never")["pfs"]
    assert pfs == sriov_facts.gather_sriov_facts(host["sysfs_root"], host["proc_root"], netlink="never")["pfs"]


def test_unreadable_bus_directory_is_no_functions(tmp_path, monkeypatch):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1)
    real_listdir = os.listdir

    def denied(path):
        if isinstance(path, str) and path.endswith("bus/pci/devices"):
            raise OSError(errno.EACCES, "Permission denied")
        return real_listdir(path)
    monkeypatch.setattr(os, "listdir", denied)
    facts = iommu_facts.gather_iommu_facts(host["sysfs_root"], host["proc_root"])
    assert facts["devices"] == {} and any("no PCI functions" in m for m in facts["missing"])


def test_sysfs_root_that_is_a_file(tmp_path):
    path = tmp_path / "not-a-dir"
    path.write_text("x")
    facts = iommu_facts.gather_iommu_facts(str(path), str(path))
    assert facts["enabled"] is False and facts["groups"] == {}
    assert any("not a readable directory" in m for m in facts["missing"])
    assert sriov_facts.gather_sriov_facts(str(path), str(path))["pfs"] == []
