# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What iommu_facts reports: IOMMU state, groups and an assignable verdict per device.

Pure standard library, like every module_utils file: the module is a thin AnsibleModule wrapper.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import os

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline, _sysfs

# kernel arguments an operator of SR-IOV/vfio hosts wants to see side by side
CMDLINE_KEYS = (
    "intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", "iommu.strict", "intremap", "amd_iommu_intr",
    "pcie_acs_override", "vfio-pci.ids", "vfio_pci.ids", "vfio-pci.disable_vga", "vfio_pci.disable_vga",
    "vfio_iommu_type1.allow_unsafe_interrupts", "modprobe.blacklist", "rd.driver.blacklist", "rd.driver.pre",
    "pci",
)
TRUE_WORDS = ("1", "y", "yes", "on", "true")


def relevant_cmdline(text):
    """The IOMMU/vfio arguments; the last occurrence wins, as for the kernel's early params."""
    result = {}
    for token in _cmdline.split_cmdline(text):
        key, value = _cmdline.parse_token(token)
        if key in CMDLINE_KEYS:
            result[key] = "" if value is None else value
    return result


def read_cpu_vendor(proc_root):
    try:
        with open(os.path.join(proc_root, "cpuinfo")) as handle:
            for line in handle:
                if line.startswith("vendor_id"):
                    value = line.partition(":")[2].strip()
                    if value == "GenuineIntel":
                        return "intel"
                    if value in ("AuthenticAMD", "HygonGenuine"):
                        return "amd"
                    return "other"
    except (IOError, OSError):
        return "unknown"
    return "unknown"


# The ACPI table that describes the platform's IOMMU: in a VM the CPU vendor can differ from the
# emulated IOMMU, so the firmware's table decides which kernel argument turns it on.
ACPI_IOMMU_TABLES = (("DMAR", "intel"), ("IVRS", "amd"))


def read_firmware_vendor(sysfs_root):
    """intel (DMAR table), amd (IVRS table), or None when the firmware publishes neither or both."""
    present = _sysfs.acpi_tables_present(sysfs_root, [table for table, _vendor in ACPI_IOMMU_TABLES])
    found = [vendor for table, vendor in ACPI_IOMMU_TABLES if table in present]
    return found[0] if len(found) == 1 else None


def read_platform_vendor(sysfs_root, proc_root):
    """(cpu_vendor, firmware_vendor, platform_vendor): whose IOMMU the platform has is the firmware's
    table, else the CPU vendor; platform_vendor is None when neither tells intel or amd."""
    cpu_vendor = read_cpu_vendor(proc_root)
    firmware_vendor = read_firmware_vendor(sysfs_root)
    return cpu_vendor, firmware_vendor, firmware_vendor or (cpu_vendor if cpu_vendor in ("intel", "amd") else None)


def _interrupt_remapping(units, cmdline):
    intremap = cmdline.get("intremap", "")
    if intremap == "off":
        return False, "intremap=off on the kernel command line"
    intel = [u for u in units if u["kind"] == "intel"]
    if intel:
        flags = []
        for unit in intel:
            try:
                flags.append(bool((int(unit["ecap"], 16) >> 3) & 1))
            except (TypeError, ValueError):
                return None, "ecap of %s unreadable" % unit["name"]
        return all(flags), "ecap bit 3 of %s" % ", ".join(u["name"] for u in intel)
    if any(u["kind"] == "amd" for u in units):
        return None, "AMD-Vi: sysfs does not show interrupt remapping (see the kernel log)"
    return None, "no IOMMU unit in sysfs"


def _no_iommu_reason(vendor_hint, cmdline, sysfs_root):
    where = _sysfs.iommu_groups_dir(sysfs_root)
    if vendor_hint == "amd":
        arg, fw = "amd_iommu", "AMD-Vi (IOMMU)"
    else:
        arg, fw = "intel_iommu", "VT-d"
    if cmdline.get(arg) == "off" or cmdline.get("iommu") == "off":
        return "no IOMMU is active: the kernel command line turns it off (%s=%s); remove that and reboot" % (
            arg if cmdline.get(arg) == "off" else "iommu", "off")
    if cmdline.get(arg) == "on" or cmdline.get("amd_iommu") == "on":
        return ("no IOMMU is active although %s=on is set: %s is off in the firmware setup or missing on this "
                "machine (no groups under %s)" % (arg, fw, where))
    return ("no IOMMU is active (no groups under %s): enable %s in the firmware setup, add %s=on to the kernel "
            "command line and reboot" % (where, fw, arg))


SUBSETS = ("devices", "groups")


def _device_entry(functions, groups_by_id, address, no_iommu):
    """One device of RV(devices): IOMMU group, vendor:device ids, driver and the verdict.

    ``blocked_by`` only when neighbours bound to host drivers block the function (a short entry
    per function keeps the result cheap to return for thousands of VFs).
    """
    function = functions[address]
    verdict = _sysfs.assignment_verdict(functions, groups_by_id, address, no_iommu)
    vendor, device = function["vendor"], function["device"]
    entry = {
        "iommu_group": function["iommu_group"],
        "ids": "%s:%s" % (vendor[2:], device[2:]) if vendor and device else None,
        "driver": function["driver"],
        "assignable": verdict["assignable"],
        "reason": verdict["reason"],
    }
    if verdict["blocked_by"]:
        entry["blocked_by"] = verdict["blocked_by"]
    return entry


def gather_iommu_facts(sysfs_root="/sys", proc_root="/proc", subset=SUBSETS):
    """Everything iommu_facts returns, as a dict (pure: reads files only).

    ``subset``: which of SUBSETS to gather besides the summary; without ``devices`` and
    ``groups`` no PCI function is read.
    """
    missing = []
    cmdline_text = _sysfs.read_attr(os.path.join(proc_root, "cmdline"))
    if cmdline_text is None:
        missing.append("kernel command line %s unreadable: cmdline facts are empty"
                       % os.path.join(proc_root, "cmdline"))
    cmdline = relevant_cmdline(cmdline_text or "")
    cpu_vendor, firmware_vendor, platform_vendor = read_platform_vendor(sysfs_root, proc_root)
    if not _sysfs.root_present(sysfs_root):
        missing.append("sysfs_root %s is not a readable directory: no device facts" % sysfs_root)
    functions = {}
    if "devices" in subset or "groups" in subset:
        functions = _sysfs.scan_functions(sysfs_root, brief=True, netdevs=False)
        if not functions and _sysfs.root_present(sysfs_root):
            missing.append("no PCI functions under %s" % _sysfs.pci_devices_dir(sysfs_root))
    units = _sysfs.iommu_units(sysfs_root)
    group_ids = _sysfs.iommu_group_ids(sysfs_root)
    enabled = bool(group_ids)
    kinds = set(u["kind"] for u in units)
    if not enabled:
        vendor = "none"
    elif "intel" in kinds:
        vendor = "intel"
    elif "amd" in kinds:
        vendor = "amd"
    else:
        vendor = "other"
    groups_by_id = _sysfs.group_index(functions)
    types = _sysfs.iommu_group_types(sysfs_root, group_ids)
    type_counts = {}
    for value in types.values():
        if value:
            type_counts[value] = type_counts.get(value, 0) + 1
    default_type = max(sorted(type_counts), key=type_counts.get) if type_counts else None
    no_iommu = None
    if not enabled:
        no_iommu = _no_iommu_reason(vendor if vendor != "none" else cpu_vendor, cmdline, sysfs_root)
        missing.append(no_iommu)
    passthrough = (cmdline.get("iommu") == "pt" or cmdline.get("iommu.passthrough", "").lower() in TRUE_WORDS
                   or (enabled and default_type == "identity"))
    remap, remap_source = _interrupt_remapping(units, cmdline)
    unsafe = _sysfs.module_parameter(sysfs_root, "vfio_iommu_type1", "allow_unsafe_interrupts")
    facts = {
        "enabled": enabled,
        "vendor": vendor,
        "cpu_vendor": cpu_vendor,
        "firmware_vendor": firmware_vendor,
        "platform_vendor": platform_vendor,
        "units": [u["name"] for u in units],
        "passthrough": bool(passthrough),
        "default_domain_type": default_type,
        "interrupt_remapping": remap,
        "interrupt_remapping_source": remap_source,
        "allow_unsafe_interrupts": None if unsafe is None else unsafe.upper() in ("Y", "1"),
        "cmdline": cmdline,
        "group_count": len(group_ids),
        "gather_subset": sorted(subset),
        "missing": missing,
    }
    if "devices" in subset:
        facts["devices"] = dict((address, _device_entry(functions, groups_by_id, address, no_iommu))
                                for address in sorted(functions))
    if "groups" in subset:
        facts["groups"] = dict(("%d" % group, groups_by_id.get(group, []))
                               for group in sorted(set(group_ids) | set(groups_by_id)))
        facts["group_types"] = dict(("%d" % group, value) for group, value in sorted(types.items())
                                    if value != default_type)
    return facts
