# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iommu_facts on generated and recorded trees, and through AnsibleModule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import shutil

import pytest

from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import module_args as patch_module_args

from ansible_collections.directiron.sriov.plugins.module_utils import _iommu_facts
from ansible_collections.directiron.sriov.plugins.modules import iommu_facts
from ansible_collections.directiron.sriov.tests.fixtures import sysfs_tree

RECORDED = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "recorded",
                                         "*.json")))


def gather(host):
    return iommu_facts.gather_iommu_facts(host["sysfs_root"], host["proc_root"])


@pytest.fixture
def host(tmp_path):
    return sysfs_tree.generate(str(tmp_path / "host"), pfs=2, vfs_per_pf=4)


def test_intel_host_with_passthrough(host):
    facts = gather(host)
    assert facts["enabled"] is True and facts["vendor"] == "intel" and facts["cpu_vendor"] == "intel"
    assert facts["units"] == ["dmar0"]
    assert facts["passthrough"] is True
    assert facts["cmdline"] == {"intel_iommu": "on", "iommu": "pt"}
    assert facts["interrupt_remapping"] is True and "dmar0" in facts["interrupt_remapping_source"]
    assert facts["allow_unsafe_interrupts"] is False
    assert facts["default_domain_type"] == "DMA-FQ"
    assert facts["missing"] == []


def test_groups_list_every_function_once_with_verdicts(host):
    facts = gather(host)
    addresses = [a for members in facts["groups"].values() for a in members]
    assert sorted(addresses) == sorted(facts["devices"]) and len(addresses) == host["functions"]
    assert facts["group_count"] == len(facts["groups"]) and facts["group_types"] == {}
    shared = [m for m in facts["groups"].values() if len(m) == 3][0]
    assert shared == ["0000:00:1f.0", "0000:30:01.0", "0000:30:02.0"]
    devices = facts["devices"]
    assert devices["0000:00:1f.0"]["assignable"] is False and "bridge" in devices["0000:00:1f.0"]["reason"]
    assert devices["0000:30:01.0"]["assignable"] is True and devices["0000:30:01.0"]["driver"] == "e1000"
    assert devices["0000:30:02.0"]["assignable"] is False
    assert devices["0000:30:02.0"]["blocked_by"] == ["0000:30:01.0"]
    assert "blocked_by" not in devices["0000:30:01.0"]
    vf = devices["0000:02:00.2"]
    assert vf["assignable"] is True and vf["iommu_group"] is not None and vf["driver"] is None
    assert vf["ids"] == "8086:10ca" and facts["groups"]["%d" % vf["iommu_group"]] == ["0000:02:00.2"]


def test_group_with_another_type_is_listed(host):
    with open(os.path.join(host["sysfs_root"], "kernel/iommu_groups/3/type"), "w") as handle:
        handle.write("identity\n")
    facts = gather(host)
    assert facts["default_domain_type"] == "DMA-FQ" and facts["group_types"] == {"3": "identity"}


@pytest.mark.parametrize("subset, keys", [
    (["devices", "groups"], ("devices", "groups", "group_types")),
    (["devices"], ("devices",)),
    (["groups"], ("groups", "group_types")),
    ([], ()),
])
def test_subsets_return_only_what_was_asked(host, subset, keys):
    facts = _iommu_facts.gather_iommu_facts(host["sysfs_root"], host["proc_root"], subset)
    assert [k for k in ("devices", "groups", "group_types") if k in facts] == list(keys)
    assert facts["gather_subset"] == sorted(subset) and facts["enabled"] is True and facts["group_count"] == 14


def test_kernel_without_iommu_says_why(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=2, iommu=None,
                               cmdline="BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet")
    facts = gather(host)
    assert facts["enabled"] is False and facts["vendor"] == "none" and facts["groups"] == {}
    assert facts["passthrough"] is False and facts["interrupt_remapping"] is None
    assert all(not d["assignable"] for d in facts["devices"].values())
    reason = facts["devices"]["0000:01:00.1"]["reason"]
    assert "no IOMMU is active" in reason and "intel_iommu=on" in reason
    assert any("no IOMMU" in m for m in facts["missing"])


def test_iommu_requested_but_absent_blames_firmware(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1, iommu=None,
                               cmdline="root=/dev/vda1 intel_iommu=on")
    assert "firmware" in gather(host)["devices"]["0000:01:00.1"]["reason"]


def test_iommu_turned_off_on_cmdline(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1, iommu=None,
                               cmdline="root=/dev/vda1 intel_iommu=off")
    assert "intel_iommu=off" in gather(host)["devices"]["0000:01:00.1"]["reason"]


def test_amd_host_without_pt_and_identity_groups(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1, iommu="amd", group_type="identity",
                               cmdline='root=/dev/vda1 amd_iommu=on "vfio-pci.ids=8086:10ca,8086:1520" iommu.strict=1')
    facts = gather(host)
    assert facts["vendor"] == "amd" and facts["cpu_vendor"] == "amd" and facts["units"] == ["ivhd0"]
    assert facts["interrupt_remapping"] is None and "AMD" in facts["interrupt_remapping_source"]
    assert facts["cmdline"] == {"amd_iommu": "on", "vfio-pci.ids": "8086:10ca,8086:1520", "iommu.strict": "1"}
    assert facts["passthrough"] is True  # identity default domains
    assert facts["default_domain_type"] == "identity"


def test_intremap_off_wins_over_capability(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1, cmdline="intel_iommu=on intremap=off")
    facts = gather(host)
    assert facts["interrupt_remapping"] is False and facts["passthrough"] is False


def test_ecap_without_ir_bit(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1)
    with open(os.path.join(host["sysfs_root"], "class/iommu/dmar0/intel-iommu/ecap"), "w") as handle:
        handle.write("f00f56\n")  # bit 3 clear
    assert gather(host)["interrupt_remapping"] is False


def test_split_cmdline_quotes_and_last_wins():
    line = 'iommu=off a="b c" iommu=pt "pcie_acs_override=downstream,multifunction" intel_iommu'
    assert _iommu_facts.relevant_cmdline(line) == {"iommu": "pt", "intel_iommu": "",
                                                   "pcie_acs_override": "downstream,multifunction"}


def test_missing_sysfs_root_no_traceback(tmp_path):
    facts = iommu_facts.gather_iommu_facts(str(tmp_path / "absent"), str(tmp_path / "absent-proc"))
    assert facts["enabled"] is False and facts["devices"] == {} and facts["cpu_vendor"] == "unknown"
    assert any("sysfs_root" in m for m in facts["missing"])
    assert any("command line" in m for m in facts["missing"])


def test_unreadable_cpuinfo_is_unknown(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1)
    os.remove(os.path.join(host["proc_root"], "cpuinfo"))
    assert gather(host)["cpu_vendor"] == "unknown"


def test_device_vanishing_during_the_scan(host):
    # its bus link still lists it, its directory is gone
    shutil.rmtree(os.path.realpath(os.path.join(host["sysfs_root"], "bus/pci/devices/0000:01:00.3")))
    facts = gather(host)
    assert "0000:01:00.3" not in facts["devices"]
    assert "0000:01:00.4" in facts["devices"]


@pytest.mark.parametrize("path", RECORDED, ids=[os.path.basename(p) for p in RECORDED])
def test_recorded_lab_trees(tmp_path, path):
    with open(path) as handle:
        spec = json.load(handle)
    root = sysfs_tree.materialize(spec, str(tmp_path / "rec"))
    facts = iommu_facts.gather_iommu_facts(os.path.join(root, "sys"), os.path.join(root, "proc"))
    # no defaults: a recording without an expectation fails instead of passing on assumptions
    expect = spec["meta"].get("expect", {})
    missing = [key for key in ("enabled", "vendor", "assignable") if key not in expect]
    assert not missing, "%s: meta.expect has no %s" % (os.path.basename(path), missing)
    assert facts["enabled"] is expect["enabled"]
    assert facts["vendor"] == expect["vendor"]
    # the kernel's own group listing and the per-device links agree
    for group, members in facts["groups"].items():
        listed = sorted(a for a in spec["links"] if a.startswith("sys/kernel/iommu_groups/%s/devices/" % group))
        assert members == [a.rsplit("/", 1)[1] for a in listed]
    for address, verdict in expect["assignable"].items():
        assert facts["devices"][address]["assignable"] is verdict, facts["devices"][address]["reason"]


def test_module_main_returns_facts(host, capsys):
    with patch_module_args({"sysfs_root": host["sysfs_root"], "proc_root": host["proc_root"], "_ansible_check_mode": True}):
        with pytest.raises(SystemExit):
            iommu_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False
    assert result["ansible_facts"]["iommu"]["enabled"] is True


def _acpi_table(host, name):
    base = os.path.join(host["sysfs_root"], "firmware", "acpi", "tables")
    if not os.path.isdir(base):
        os.makedirs(base)
    with open(os.path.join(base, name), "w") as handle:
        handle.write("table")


def test_platform_vendor_is_the_firmware_table_before_the_cpu_vendor(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1)
    facts = gather(host)
    assert facts["firmware_vendor"] is None and facts["platform_vendor"] == facts["cpu_vendor"] == "intel"
    _acpi_table(host, "IVRS")  # an AMD-Vi table under an Intel CPU (an emulated IOMMU in a VM)
    facts = gather(host)
    assert facts["firmware_vendor"] == "amd" and facts["platform_vendor"] == "amd"
    _acpi_table(host, "DMAR")  # both tables: the firmware does not decide, the CPU does
    facts = gather(host)
    assert facts["firmware_vendor"] is None and facts["platform_vendor"] == "intel"


def test_platform_vendor_is_null_when_nothing_tells(tmp_path):
    host = sysfs_tree.generate(str(tmp_path / "h"), pfs=1, vfs_per_pf=1)
    os.remove(os.path.join(host["proc_root"], "cpuinfo"))
    assert gather(host)["platform_vendor"] is None


def test_module_gather_subset_and_unknown_names(host, capsys):
    args = {"sysfs_root": host["sysfs_root"], "proc_root": host["proc_root"], "gather_subset": ["!all", "groups"]}
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            iommu_facts.main()
    iommu = json.loads(capsys.readouterr().out)["ansible_facts"]["iommu"]
    assert iommu["gather_subset"] == ["groups"] and "devices" not in iommu and "groups" in iommu
    with patch_module_args(dict(args, gather_subset=["vfs"])):
        with pytest.raises(SystemExit):
            iommu_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True and result["field"] == "gather_subset" and "vfs" in result["msg"]
