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
options:
  gather_subset:
    description:
      - What to gather besides the summary (enabled, vendor, passthrough, interrupt remapping, cmdline,
        group count), which is always returned.
      - V(devices) is RV(ansible_facts.iommu.devices), every PCI function with its verdict;
        V(groups) is RV(ansible_facts.iommu.groups) and RV(ansible_facts.iommu.group_types).
      - V(all) asks for both, a name prefixed with V(!) leaves that subset out (V(!all) leaves out all
        not named), as for M(ansible.builtin.setup). V(min) is the summary alone.
      - Without V(devices) and V(groups) the module reads no PCI function, which keeps a fleet-wide
        report cheap.
    type: list
    elements: str
    default: [all]
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
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

- name: Only the summary, for a fleet-wide report (no PCI function is read)
  directiron.sriov.iommu_facts:
    gather_subset: [min]

- name: The groups, without the per-device verdicts
  directiron.sriov.iommu_facts:
    gather_subset: ["!devices"]

- name: The members of the IOMMU group of 0000:01:10.0
  ansible.builtin.debug:
    msg: "{{ ansible_facts.iommu.groups[ansible_facts.iommu.devices['0000:01:10.0'].iommu_group | string] }}"

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
  sample: {"iommu": {"enabled": true, "vendor": "intel", "passthrough": true, "groups": {}, "devices": {}}}
  contains:
    iommu:
      description: IOMMU state of the host.
      returned: always
      type: dict
      sample: {"enabled": true, "vendor": "intel", "cpu_vendor": "intel", "firmware_vendor": "intel",
               "platform_vendor": "intel", "units": ["dmar0"], "passthrough": true,
               "default_domain_type": "identity", "interrupt_remapping": true,
               "interrupt_remapping_source": "ecap bit 3 of dmar0", "allow_unsafe_interrupts": false,
               "cmdline": {"intel_iommu": "on", "iommu": "pt"}, "group_count": 1, "gather_subset": ["devices", "groups"],
               "groups": {"12": ["0000:01:10.0"]}, "group_types": {},
               "devices": {"0000:01:10.0": {"iommu_group": 12, "ids": "8086:10ca", "driver": "vfio-pci", "assignable": true,
                                            "reason": "assignable: alone in IOMMU group 12"}},
               "missing": []}
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
        firmware_vendor:
          description:
            - The IOMMU the firmware describes in an ACPI table (C(/sys/firmware/acpi/tables/DMAR) for Intel VT-d,
              C(IVRS) for AMD-Vi); null when it publishes neither (IOMMU off in the firmware setup) or both.
          type: str
          returned: always
          choices: [intel, amd]
          sample: intel
        platform_vendor:
          description:
            - Whose IOMMU kernel argument turns the IOMMU on (C(intel_iommu=on) or C(amd_iommu=on)).
            - RV(ansible_facts.iommu.firmware_vendor) when set (in a VM the CPU vendor can differ from the
              emulated IOMMU), else RV(ansible_facts.iommu.cpu_vendor) when it is intel or amd, else null.
          type: str
          returned: always
          choices: [intel, amd]
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
        group_count:
          description: How many IOMMU groups the kernel made (0 without an active IOMMU).
          type: int
          returned: always
          sample: 42
        gather_subset:
          description: The subsets gathered, after O(gather_subset) was resolved.
          type: list
          elements: str
          returned: always
          sample: [devices, groups]
        groups:
          description:
            - IOMMU groups by group number (as a string key), each the sorted list of the PCI addresses in it.
          type: dict
          returned: when O(gather_subset) includes V(groups)
          sample: {"7": ["0000:00:1f.0", "0000:30:01.0", "0000:30:02.0"], "12": ["0000:01:10.0"]}
        group_types:
          description:
            - The domain type of every group whose type differs from RV(ansible_facts.iommu.default_domain_type),
              by group number; empty when all groups have the default type.
          type: dict
          returned: when O(gather_subset) includes V(groups)
          sample: {"12": "identity"}
        devices:
          description: Every PCI function by address (also without an IOMMU), with its group and verdict.
          type: dict
          returned: when O(gather_subset) includes V(devices)
          contains:
            iommu_group:
              description: IOMMU group number, null without one.
              type: int
              returned: always
              sample: 12
            ids:
              description: PCI vendor and device id as C(lspci -n) prints them, null when unreadable.
              type: str
              returned: always
              sample: "8086:10ca"
            driver:
              description: Bound driver, null when none.
              type: str
              returned: always
              sample: vfio-pci
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
              returned: when such functions keep this one from being assignable
              sample: ["0000:30:01.0"]
          sample: {"0000:01:10.0": {"iommu_group": 12, "ids": "8086:10ca", "driver": "vfio-pci", "assignable": true,
                                    "reason": "assignable: alone in IOMMU group 12"}}
        missing:
          description: What could not be read and what that means; empty when everything was there.
          type: list
          elements: str
          returned: always
          sample: ["no IOMMU groups under /sys/kernel/iommu_groups: no IOMMU is active"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._iommu_facts import SUBSETS, gather_iommu_facts
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, run_module
from ansible_collections.directiron.sriov.plugins.module_utils._subset import resolve_subset


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host_options("sysfs_root", "proc_root"),
            gather_subset=dict(type="list", elements="str", default=["all"]),
        ),
        supports_check_mode=True,
    )

    def call():
        subset = resolve_subset(module.params["gather_subset"], SUBSETS)
        facts = gather_iommu_facts(module.params["sysfs_root"], module.params["proc_root"], subset)
        return {"changed": False, "ansible_facts": {"iommu": facts}}

    run_module(module, call)


if __name__ == "__main__":
    main()
