# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""iommu_host: vendor, kernel command line and vfio modules-load file in one run, through AnsibleModule."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _iommu_host
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.modules import iommu_host
from ansible_collections.directiron.sriov.tests.unit.plugins.modules import module_harness

MODULES_LOAD = "etc/modules-load.d/directiron-sriov-vfio.conf"
# what the role's blockinfile task wrote before the module existed
BLOCKINFILE_TEXT = ("# BEGIN Managed by directiron.sriov (role iommu): vfio for VFs handed to guests.\n"
                    "vfio\nvfio_pci\nvfio_iommu_type1\n"
                    "# END Managed by directiron.sriov (role iommu): vfio for VFs handed to guests.\n")


def make_host(tmp_path, cpu="GenuineIntel", table="DMAR", grub='GRUB_CMDLINE_LINUX="quiet"\n',
              running="BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet"):
    root, sysfs, proc = tmp_path / "root", tmp_path / "sys", tmp_path / "proc"
    (root / "etc" / "default").mkdir(parents=True)
    (root / "boot" / "grub").mkdir(parents=True)
    (root / "boot" / "grub" / "grub.cfg").write_text("# generated\n")
    (root / "etc" / "default" / "grub").write_text(grub)
    (sysfs / "firmware" / "acpi" / "tables").mkdir(parents=True)
    if table:
        (sysfs / "firmware" / "acpi" / "tables" / table).write_text("")
    proc.mkdir()
    (proc / "cpuinfo").write_text("processor\t: 0\nvendor_id\t: %s\n" % cpu)
    (proc / "cmdline").write_text(running + "\n")
    return {"root": str(root), "sysfs_root": str(sysfs), "proc_root": str(proc)}


def run(monkeypatch, host, check_mode=False, diff=False, **args):
    args.update(host)
    if check_mode:
        args["_ansible_check_mode"] = True
    if diff:
        args["_ansible_diff"] = True
    return module_harness.run_module(monkeypatch, iommu_host.main, args)


def read(host, relative):
    with open(os.path.join(host["root"], relative)) as handle:
        return handle.read()


def test_first_run_writes_both_and_asks_for_a_reboot(monkeypatch, tmp_path):
    host = make_host(tmp_path)
    out = run(monkeypatch, host)
    assert not out.failed, out.result
    result = out.result
    assert result["changed"] is True and result["vendor"] == "intel"
    assert result["args"] == ["intel_iommu=on", "iommu=pt"] and result["remove"] == []
    assert 'GRUB_CMDLINE_LINUX="quiet intel_iommu=on iommu=pt"' in read(host, "etc/default/grub")
    assert read(host, MODULES_LOAD) == BLOCKINFILE_TEXT
    assert oct(os.stat(os.path.join(host["root"], MODULES_LOAD)).st_mode & 0o777) == oct(0o644)
    assert result["modules_load"] == {"path": "/" + MODULES_LOAD, "changed": True}
    assert result["reboot_required"] is True
    # below a root other than / no bootloader command runs (kernel_cmdline's rule), and says so
    # the modules-load file first: it is what a failed command line puts back
    assert result["actions"][0] == "write /%s (mode 0644)" % MODULES_LOAD
    assert result["actions"][1] == "edit /etc/default/grub"


def test_second_run_changes_nothing_and_a_blockinfile_host_is_unchanged(monkeypatch, tmp_path):
    host = make_host(tmp_path, grub='GRUB_CMDLINE_LINUX="quiet intel_iommu=on iommu=pt"\n',
                     running="ro quiet intel_iommu=on iommu=pt")
    os.makedirs(os.path.join(host["root"], "etc", "modules-load.d"))
    with open(os.path.join(host["root"], MODULES_LOAD), "w") as handle:
        handle.write(BLOCKINFILE_TEXT)
    os.chmod(os.path.join(host["root"], MODULES_LOAD), 0o644)
    result = run(monkeypatch, host).result
    assert result["changed"] is False and result["actions"] == []
    assert result["reboot_required"] is False and result["modules_load"]["changed"] is False


def test_check_mode_writes_nothing_and_says_what_it_would_do(monkeypatch, tmp_path):
    host = make_host(tmp_path)
    before = read(host, "etc/default/grub")
    result = run(monkeypatch, host, check_mode=True, diff=True).result
    assert result["changed"] is True
    assert read(host, "etc/default/grub") == before
    assert not os.path.exists(os.path.join(host["root"], MODULES_LOAD))
    # below a root other than / no bootloader command runs (kernel_cmdline's rule), and says so
    # the modules-load file first: it is what a failed command line puts back
    assert result["actions"][0] == "write /%s (mode 0644)" % MODULES_LOAD
    assert result["actions"][1] == "edit /etc/default/grub"
    headers = [entry["after_header"] for entry in result["diff"]]
    assert headers == ["/etc/default/grub", "/" + MODULES_LOAD]
    assert result["diff"][1]["before"] == "" and result["diff"][1]["after"] == BLOCKINFILE_TEXT


@pytest.mark.parametrize("cpu, table, vendor", [
    ("GenuineIntel", "IVRS", "amd"),  # the firmware's table wins over the CPU vendor (a VM)
    ("AuthenticAMD", None, "amd"),
    ("GenuineIntel", None, "intel"),
])
def test_auto_takes_the_platform_vendor(monkeypatch, tmp_path, cpu, table, vendor):
    result = run(monkeypatch, make_host(tmp_path, cpu=cpu, table=table), check_mode=True).result
    assert result["vendor"] == vendor and result["args"][0] == "%s_iommu=on" % vendor


def test_an_unknown_platform_fails_naming_the_field_and_changes_nothing(monkeypatch, tmp_path):
    host = make_host(tmp_path, cpu="CentaurHauls", table=None)
    out = run(monkeypatch, host)
    assert out.failed and out.result["field"] == "vendor"
    assert "CPU vendor other" in out.result["msg"] and "set it to intel or amd" in out.result["msg"]
    assert read(host, "etc/default/grub") == 'GRUB_CMDLINE_LINUX="quiet"\n'
    # a forced vendor needs no platform
    assert run(monkeypatch, host, check_mode=True, vendor="amd").result["vendor"] == "amd"


def test_a_bad_module_name_fails_naming_its_index_before_any_write(monkeypatch, tmp_path):
    host = make_host(tmp_path)
    out = run(monkeypatch, host, vfio_modules=["vfio", "vfio pci"])
    assert out.failed and out.result["field"] == "vfio_modules[1]"
    assert read(host, "etc/default/grub") == 'GRUB_CMDLINE_LINUX="quiet"\n'


def test_a_bad_kernel_argument_fails_naming_the_field_before_any_write(monkeypatch, tmp_path):
    host = make_host(tmp_path)
    out = run(monkeypatch, host, extra_args=["bad\nline"])
    assert out.failed and out.result.get("field"), out.result
    assert not os.path.exists(os.path.join(host["root"], MODULES_LOAD))


def test_passthrough_false_removes_iommu_pt(monkeypatch, tmp_path):
    host = make_host(tmp_path, grub='GRUB_CMDLINE_LINUX="quiet iommu=pt"\n')
    result = run(monkeypatch, host, passthrough=False, remove_args=["quiet"]).result
    assert result["args"] == ["intel_iommu=on"] and result["remove"] == ["quiet", "iommu=pt"]
    assert 'GRUB_CMDLINE_LINUX="intel_iommu=on"' in read(host, "etc/default/grub")


def test_the_request_is_the_documented_one():
    assert _iommu_host.iommu_request("amd", True, ["vfio-pci.ids=8086:10ca"], []) == (
        ["amd_iommu=on", "iommu=pt", "vfio-pci.ids=8086:10ca"], [])
    assert _iommu_host.iommu_request("intel", False, [], ["x"]) == (["intel_iommu=on"], ["x", "iommu=pt"])


@pytest.mark.parametrize("extra, remove, field", [
    (["quiet", ""], [], "extra_args[1]"),
    (["a=1", "a=2"], [], "extra_args[1]"),
    ([], ["x", "--"], "remove_args[1]"),
    ([], ["intel_iommu"], "remove_args[0]"),
])
def test_errors_name_iommu_host_options(monkeypatch, tmp_path, extra, remove, field):
    host = make_host(tmp_path)
    out = run(monkeypatch, host, extra_args=extra, remove_args=remove)
    assert out.failed and out.result["field"] == field, out.result
    assert "args[" not in out.result["msg"].replace(field, "")
    assert not os.path.exists(os.path.join(host["root"], MODULES_LOAD))


def test_a_failed_command_line_puts_the_modules_file_back(monkeypatch, tmp_path):
    # a file that stops the shell (false under set -e): the command line is refused after the
    # modules-load file was written, which is then put back (all or nothing)
    host = make_host(tmp_path, grub='GRUB_CMDLINE_LINUX="quiet"\nfalse\n')
    before = read(host, "etc/default/grub")
    out = run(monkeypatch, host)
    assert out.failed, out.result
    assert out.result["rollback"]["restored"] == ["/" + MODULES_LOAD]
    assert "rolled back" in out.result["msg"] and "command line is unchanged" in out.result["msg"]
    assert not os.path.exists(os.path.join(host["root"], MODULES_LOAD))
    assert read(host, "etc/default/grub") == before


def test_a_failed_command_line_restores_an_older_modules_file(monkeypatch, tmp_path):
    host = make_host(tmp_path, grub='GRUB_CMDLINE_LINUX="quiet"\nfalse\n')
    os.makedirs(os.path.join(host["root"], "etc", "modules-load.d"))
    with open(os.path.join(host["root"], MODULES_LOAD), "w") as handle:
        handle.write("vfio\n")
    out = run(monkeypatch, host)
    assert out.failed and out.result["rollback"]["restored"] == ["/" + MODULES_LOAD]
    assert read(host, MODULES_LOAD) == "vfio\n"


def test_the_rollback_never_calls_a_command_line_unchanged_that_was_not_put_back():
    # kernel_cmdline could not put its files back (a restore that failed): iommu_host must not
    # say "the kernel command line is unchanged".
    err = SriovError("the GRUB defaults as written give ...; NOT put back: /etc/default/grub", field="grub_variable",
                     details={"restored": [], "not_restored": ["/etc/default/grub"]})
    out = _iommu_host.rolled_back(err, None, "extra_args")
    assert "unchanged" not in out.msg and "NOT put back: /etc/default/grub" in out.msg.split("(")[-1]
    assert out.details["rollback"]["left_changed"] == ["/etc/default/grub"]
    fine = _iommu_host.rolled_back(SriovError("refused", details={"restored": ["/etc/default/grub"], "not_restored": []}),
                                   None, "extra_args")
    assert fine.msg.endswith("(nothing was changed)")
