#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: iommu_facts
short_description: IOMMU state, groups, and whether each PCI function can be given to a guest
version_added: 0.1.0
description:
  - Reads sysfs and the kernel command line (never C(lspci) or C(dmesg)) and returns C(ansible_facts.iommu).
  - Says whether an IOMMU is active and whose (Intel VT-d, AMD-Vi, other), whether DMA passthrough
    (C(iommu=pt)) and interrupt remapping are in effect, which IOMMU-related kernel arguments are set,
    the IOMMU groups with their PCI functions, and for every function an C(assignable) verdict with
    a reason a person can act on.
  - The verdict follows vfio's rules for a viable group. A function is assignable when every other
    function in its group is a PCI bridge, is bound to vfio-pci or pci-stub, or has no driver.
    A function that shares its group with devices still bound to host drivers is not assignable,
    and the reason names those devices. Without an active IOMMU nothing is assignable.
  - Missing or unreadable sources (a C(sysfs_root) that does not exist, a vanished device) do not
    fail the module. The facts say what is missing in RV(ansible_facts.iommu.missing).
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
  - directiron.sriov.attributes.platform_linux
notes:
  - Interrupt remapping is read from the Intel DMAR units' extended capability register (bit 3 of
    C(/sys/class/iommu/dmar*/intel-iommu/ecap)) and the C(intremap=) argument; for AMD-Vi sysfs does not
    show it and the fact is null.
seealso:
  - module: directiron.sriov.sriov_facts
"""

EXAMPLES = r"""
- name: Read IOMMU facts
  directiron.sriov.iommu_facts:

- name: Refuse to go on when the IOMMU is off
  ansible.builtin.assert:
    that: ansible_facts.iommu.enabled
    fail_msg: "{{ ansible_facts.iommu.missing | join('; ') }}"

- name: Show which functions cannot be handed to a guest, and why
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.value.reason }}"
  loop: "{{ ansible_facts.iommu.devices | dict2items | rejectattr('value.assignable') }}"

- name: Read facts from a captured tree (a support bundle unpacked in /tmp/bundle)
  directiron.sriov.iommu_facts:
    sysfs_root: /tmp/bundle/sys
    proc_root: /tmp/bundle/proc
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: dict
  sample: {"iommu": {"enabled": true, "vendor": "intel", "passthrough": true, "groups": [], "devices": {}}}
  contains:
    iommu:
      description: IOMMU state of the host.
      returned: always
      type: dict
      sample: {"enabled": true, "vendor": "intel", "cpu_vendor": "intel", "units": ["dmar0"], "passthrough": true,
               "default_domain_type": "identity", "interrupt_remapping": true,
               "interrupt_remapping_source": "ecap bit 3 of dmar0", "allow_unsafe_interrupts": false,
               "cmdline": {"intel_iommu": "on", "iommu": "pt"}, "groups": [], "devices": {}, "missing": []}
      contains:
        enabled:
          description: Whether an IOMMU is active, that is the kernel created IOMMU groups.
          type: bool
          returned: always
          sample: true
        vendor:
          description: Which IOMMU is active; C(none) without one.
          type: str
          returned: always
          choices: [intel, amd, other, none]
          sample: intel
        cpu_vendor:
          description: CPU vendor from C(/proc/cpuinfo), to pick C(intel_iommu) or C(amd_iommu) arguments.
          type: str
          returned: always
          choices: [intel, amd, other, unknown]
          sample: intel
        units:
          description: IOMMU hardware units the kernel registered (C(/sys/class/iommu)).
          type: list
          elements: str
          returned: always
          sample: [dmar0]
        passthrough:
          description:
            - Whether host DMA bypasses translation (C(iommu=pt), C(iommu.passthrough=1), or identity
              default domains). Devices given to guests are translated either way.
          type: bool
          returned: always
          sample: true
        default_domain_type:
          description: The most common IOMMU group type (C(DMA), C(DMA-FQ), C(identity)), or null.
          type: str
          returned: always
          sample: identity
        interrupt_remapping:
          description: Whether interrupt remapping is in effect; null when sysfs does not tell.
          type: bool
          returned: always
          sample: true
        interrupt_remapping_source:
          description: Where RV(ansible_facts.iommu.interrupt_remapping) was read from.
          type: str
          returned: always
          sample: "ecap bit 3 of dmar0"
        allow_unsafe_interrupts:
          description: The vfio_iommu_type1 C(allow_unsafe_interrupts) parameter; null when vfio_iommu_type1 is not loaded.
          type: bool
          returned: always
          sample: false
        cmdline:
          description:
            - IOMMU and vfio related kernel arguments from C(/proc/cmdline) (C(intel_iommu), C(amd_iommu),
              C(iommu), C(iommu.passthrough), C(iommu.strict), C(intremap), C(pcie_acs_override),
              C(vfio-pci.ids), C(vfio_iommu_type1.allow_unsafe_interrupts), C(modprobe.blacklist) and
              similar). A flag without a value reads as an empty string.
          type: dict
          returned: always
          sample: {"intel_iommu": "on", "iommu": "pt"}
        groups:
          description: IOMMU groups sorted by id.
          type: list
          elements: dict
          returned: always
          contains:
            id:
              description: Group number.
              type: int
              returned: always
              sample: 12
            type:
              description: Group default domain type as the kernel shows it.
              type: str
              returned: always
              sample: DMA
            devices:
              description: PCI functions in the group, sorted by address.
              type: list
              elements: dict
              returned: always
              sample: [{"address": "0000:01:10.0", "vendor": "0x8086", "device": "0x10ca", "class": "0x020000",
                        "driver": "vfio-pci", "netdevs": [], "is_bridge": false, "is_vf": true,
                        "physfn": "0000:01:00.0", "assignable": true, "reason": "assignable: alone in IOMMU group 12"}]
              contains:
                address:
                  description: PCI address.
                  type: str
                  returned: always
                  sample: "0000:01:10.0"
                vendor:
                  description: PCI vendor id.
                  type: str
                  returned: always
                  sample: "0x8086"
                device:
                  description: PCI device id.
                  type: str
                  returned: always
                  sample: "0x10ca"
                class:
                  description: PCI class code.
                  type: str
                  returned: always
                  sample: "0x020000"
                driver:
                  description: Bound driver, null when none.
                  type: str
                  returned: always
                  sample: vfio-pci
                netdevs:
                  description: Network interfaces of the function.
                  type: list
                  elements: str
                  returned: always
                  sample: []
                is_bridge:
                  description: Whether the function is a PCI-to-PCI (or CardBus) bridge.
                  type: bool
                  returned: always
                  sample: false
                is_vf:
                  description: Whether the function is an SR-IOV virtual function.
                  type: bool
                  returned: always
                  sample: true
                physfn:
                  description: The PF of a VF, null otherwise.
                  type: str
                  returned: always
                  sample: "0000:01:00.0"
                assignable:
                  description: Whether the function can be given to a guest.
                  type: bool
                  returned: always
                  sample: true
                reason:
                  description: Why, in words a person can act on.
                  type: str
                  returned: always
                  sample: "assignable: alone in IOMMU group 12"
          sample: [{"id": 12, "type": "DMA", "devices": [{"address": "0000:01:10.0", "vendor": "0x8086",
                    "device": "0x10ca", "class": "0x020000", "driver": "vfio-pci", "netdevs": [],
                    "is_bridge": false, "is_vf": true, "physfn": "0000:01:00.0", "assignable": true,
                    "reason": "assignable: alone in IOMMU group 12"}]}]
        devices:
          description: Every PCI function by address (also without an IOMMU), with its group and verdict.
          type: dict
          returned: always
          contains:
            iommu_group:
              description: Group number, null without one.
              type: int
              returned: always
              sample: 12
            assignable:
              description: Whether the function can be given to a guest.
              type: bool
              returned: always
              sample: false
            reason:
              description: Why, in words a person can act on.
              type: str
              returned: always
              sample: "not assignable: IOMMU group 7 is shared with 0000:30:01.0 (e1000) still bound to host drivers; ..."
            blocked_by:
              description: Functions in the same group that are bound to host drivers.
              type: list
              elements: str
              returned: always
              sample: ["0000:30:01.0"]
          sample: {"0000:01:10.0": {"iommu_group": 12, "assignable": true, "reason": "assignable: alone in IOMMU group 12",
                   "blocked_by": []}}
        missing:
          description: What could not be read and what that means; empty when everything was there.
          type: list
          elements: str
          returned: always
          sample: ["no IOMMU groups under /sys/kernel/iommu_groups: no IOMMU is active"]
"""

import os

from ansible.module_utils.basic import AnsibleModule

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
    where = os.path.join(sysfs_root, "kernel", "iommu_groups")
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


def gather_iommu_facts(sysfs_root="/sys", proc_root="/proc"):
    """Everything iommu_facts returns, as a dict (pure: reads files only)."""
    missing = []
    cmdline_text = _sysfs.read_attr(os.path.join(proc_root, "cmdline"))
    if cmdline_text is None:
        missing.append("kernel command line %s unreadable: cmdline facts are empty"
                       % os.path.join(proc_root, "cmdline"))
    cmdline = relevant_cmdline(cmdline_text or "")
    cpu_vendor = read_cpu_vendor(proc_root)
    if not os.path.isdir(sysfs_root):
        missing.append("sysfs_root %s is not a readable directory: no device facts" % sysfs_root)
    functions = _sysfs.scan_functions(sysfs_root, brief=True)
    if not functions and os.path.isdir(sysfs_root):
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
    unsafe = _sysfs.read_attr(os.path.join(sysfs_root, "module", "vfio_iommu_type1", "parameters",
                                           "allow_unsafe_interrupts"))
    devices = {}
    for address in sorted(functions):
        verdict = _sysfs.assignment_verdict(functions, groups_by_id, address, no_iommu)
        verdict["iommu_group"] = functions[address]["iommu_group"]
        devices[address] = verdict
    groups = []
    for group in sorted(set(group_ids) | set(groups_by_id)):
        members = []
        for address in groups_by_id.get(group, []):
            function = functions[address]
            members.append({
                "address": address,
                "vendor": function["vendor"],
                "device": function["device"],
                "class": function["class"],
                "driver": function["driver"],
                "netdevs": function["netdevs"],
                "is_bridge": function["is_bridge"],
                "is_vf": function["physfn"] is not None,
                "physfn": function["physfn"],
                "assignable": devices[address]["assignable"],
                "reason": devices[address]["reason"],
            })
        groups.append({"id": group, "type": types.get(group), "devices": members})
    return {
        "enabled": enabled,
        "vendor": vendor,
        "cpu_vendor": cpu_vendor,
        "units": [u["name"] for u in units],
        "passthrough": bool(passthrough),
        "default_domain_type": default_type,
        "interrupt_remapping": remap,
        "interrupt_remapping_source": remap_source,
        "allow_unsafe_interrupts": None if unsafe is None else unsafe.upper() in ("Y", "1"),
        "cmdline": cmdline,
        "groups": groups,
        "devices": devices,
        "missing": missing,
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/sys"),
            proc_root=dict(type="path", default="/proc"),
        ),
        supports_check_mode=True,
    )
    facts = gather_iommu_facts(module.params["sysfs_root"], module.params["proc_root"])
    module.exit_json(changed=False, ansible_facts={"iommu": facts})


if __name__ == "__main__":
    main()
