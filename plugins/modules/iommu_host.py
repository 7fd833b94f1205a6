#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: iommu_host
short_description: Turn the IOMMU on at the next boot and load the vfio modules at boot, in one run
version_added: 2.0.0
description:
  - Puts C(<vendor>_iommu=on), C(iommu=pt) (unless O(passthrough) is false, then it is removed) and
    O(extra_args) on the kernel command line the bootloader passes at the next boot, and writes
    C(/etc/modules-load.d/directiron-sriov-vfio.conf) so systemd-modules-load loads O(vfio_modules)
    at boot. The C(directiron.sriov.iommu) role runs it; the role reboots when allowed.
  - With O(vendor=auto) the vendor is the platform's, as M(directiron.sriov.iommu_facts) reports it
    (C(platform_vendor)) - the firmware's ACPI table (DMAR Intel VT-d, IVRS AMD-Vi), else the CPU vendor.
    A host that tells neither fails, naming O(vendor), before anything changes.
  - The command line is edited exactly as M(directiron.sriov.kernel_cmdline) does (same back-ends,
    same refusals naming the field, same RV(reboot_required) against the running kernel).
  - Every input is checked before anything is written; a module name that is not one fails naming
    C(vfio_modules[N]).
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
attributes:
  diff_mode:
    details:
      - A list of before and after pairs, one per edited file (or argument line for grubby and rpm-ostree).
options:
  vendor:
    description:
      - Whose IOMMU is turned on. V(auto) asks the platform (see above).
    type: str
    choices: [auto, intel, amd]
    default: auto
  passthrough:
    description:
      - Add C(iommu=pt) (DMA passthrough for host devices); false removes an C(iommu=pt) left on the command line.
    type: bool
    default: true
  extra_args:
    description:
      - More arguments that must be on the command line, as for O(directiron.sriov.kernel_cmdline#module:args).
    type: list
    elements: str
    default: []
  remove_args:
    description:
      - Arguments that must not be on the command line, as for O(directiron.sriov.kernel_cmdline#module:remove).
    type: list
    elements: str
    default: []
  backend:
    description:
      - Where the command line is stored, as for O(directiron.sriov.kernel_cmdline#module:backend).
    type: str
    choices: [auto, grub, grubby, kernel-install, rpm-ostree]
    default: auto
  vfio_modules:
    description:
      - Kernel modules systemd-modules-load loads at boot.
    type: list
    elements: str
    default: [vfio, vfio_pci, vfio_iommu_type1]
  root:
    description:
      - Directory below which the files are edited, for example a mounted offline image. With a root other
        than C(/) no command runs (as for M(directiron.sriov.kernel_cmdline)).
    type: path
    default: /
notes:
  - Outside check mode the module holds the collection's per-host lock (C(/run/directiron-sriov.lock)).
  - The modules-load file keeps the marker lines the role wrote before this module existed, so a host
    converged by an older release is unchanged.
seealso:
  - module: directiron.sriov.kernel_cmdline
  - module: directiron.sriov.iommu_facts
"""

EXAMPLES = r"""
- name: Turn the IOMMU on at the next boot (whose, the platform says) and load vfio at boot
  directiron.sriov.iommu_host:
  register: iommu

- name: Tell whether the host must reboot
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} must reboot into {{ iommu.args | join(' ') }}"
  when: iommu.reboot_required

- name: Plan only (what would change, nothing written)
  directiron.sriov.iommu_host:
    vendor: intel
    passthrough: false
  check_mode: true
"""

RETURN = r"""
vendor:
  description: Whose IOMMU the arguments turn on (O(vendor), or the platform's for V(auto)).
  returned: success
  type: str
  sample: intel
args:
  description: The arguments that must be on the command line.
  returned: success
  type: list
  elements: str
  sample: ["intel_iommu=on", "iommu=pt"]
remove:
  description: The arguments that must not be on the command line.
  returned: success
  type: list
  elements: str
  sample: []
backend:
  description: The back-end that stores the command line.
  returned: success
  type: str
  sample: grub
args_before:
  description: The stored command line before the change.
  returned: success
  type: str
  sample: quiet
args_after:
  description: The stored command line after the change (what it would be, in check mode).
  returned: success
  type: str
  sample: quiet intel_iommu=on iommu=pt
running_args:
  description: The running kernel's command line, or null when it was not read.
  returned: success
  type: str
  sample: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/vda1 ro quiet
reboot_required:
  description: True when the running kernel's command line does not satisfy RV(args) and RV(remove).
  returned: success
  type: bool
  sample: true
modules_load:
  description: The modules-load file and whether it was (or would be, in check mode) written.
  returned: success
  type: dict
  sample: {"path": "/etc/modules-load.d/directiron-sriov-vfio.conf", "changed": false}
actions:
  description: What was done (or would be done, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["edit /etc/default/grub", "run update-grub"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import (
    BACKENDS, KernelCmdline, replace_file)
from ansible_collections.directiron.sriov.plugins.module_utils._iommu_host import VENDORS, converge_iommu
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host_options("sysfs_root", "proc_root"),
            vendor=dict(type="str", default="auto", choices=list(VENDORS)),
            passthrough=dict(type="bool", default=True),
            extra_args=dict(type="list", elements="str", default=[]),
            remove_args=dict(type="list", elements="str", default=[]),
            backend=dict(type="str", default="auto", choices=["auto"] + list(BACKENDS)),
            vfio_modules=dict(type="list", elements="str", default=["vfio", "vfio_pci", "vfio_iommu_type1"]),
            root=dict(type="path", default="/"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    actions = []

    def cmdline(args, remove):
        manager = KernelCmdline(
            runner=command_runner(module), ensure=args, remove=remove, backend=params["backend"],
            root=params["root"], proc_root=params["proc_root"], check_mode=module.check_mode,
            which=module.get_bin_path,
            # atomic_move keeps mode, owner and the SELinux context of the file it replaces.
            write_file=lambda path, data: replace_file(path, data, move=module.atomic_move))
        manager.actions = actions  # a failure returns what was done before it
        return manager

    def call():
        with host_lock("iommu_host", enabled=not module.check_mode):
            return converge_iommu(params, cmdline, module.check_mode)

    run_module(module, call, actions)


if __name__ == "__main__":
    main()
