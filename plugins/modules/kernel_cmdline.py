#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kernel_cmdline
short_description: Add, replace or remove kernel command line arguments across bootloaders
version_added: 0.1.0
description:
  - Edits the kernel command line the bootloader passes at the next boot, as an ordered list of
    arguments. Arguments not named in the request keep their text and their place.
  - A C(key=value) in O(args) replaces every old value of C(key) (and a bare C(key)) by that one
    argument, at the place of the first old one; a bare flag is added once, at the end (before a
    C(--) separator, whose following arguments belong to init).
  - An entry of O(remove) given as C(key) drops every C(key) and C(key=...); given as
    C(key=value) it drops only that exact argument.
  - The request is refused, naming the field, when an argument holds a NUL byte, a control
    character or a line break, or when the resulting line would be longer than the kernel keeps
    (2048 bytes with its terminating NUL, C(COMMAND_LINE_SIZE) on x86; for grub the arguments the
    bootloader adds, such as C(BOOT_IMAGE=) and C(root=), are counted when the running kernel's
    command line is read).
  - Works with C(/etc/default/grub) and update-grub or grub2-mkconfig (Debian, Ubuntu, SUSE),
    grubby (RHEL and Fedora boot loader spec entries), C(/etc/kernel/cmdline) (systemd-boot and
    kernel-install) and C(rpm-ostree kargs).
  - Compares the wanted arguments with the running kernel's C(/proc/cmdline) and returns
    RV(reboot_required). It never reboots; the C(directiron.sriov.iommu) role does that when
    allowed.
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
attributes:
  diff_mode:
    details:
      - For file back-ends the diff is the file; for grubby and rpm-ostree it is the argument line.
options:
  args:
    description:
      - Arguments that must be on the command line, as C(key=value) or a bare flag.
      - A value holding spaces is written with double quotes, for example C(foo="a b").
    type: list
    elements: str
    default: []
  remove:
    description:
      - Arguments that must not be on the command line, as C(key) (any value) or C(key=value).
      - An argument may not be in both O(args) and O(remove).
    type: list
    elements: str
    default: []
  backend:
    description:
      - Where the command line is stored.
      - V(auto) picks rpm-ostree on an ostree-booted host, grubby when it is installed, grub
        when C(/etc/default/grub) and a C(grub.cfg) exist, kernel-install when
        C(/etc/kernel/cmdline) exists, then grub when C(/etc/default/grub) exists.
    type: str
    choices: [auto, grub, grubby, kernel-install, rpm-ostree]
    default: auto
  grub_variable:
    description:
      - The GRUB variable that receives O(args).
      - C(GRUB_CMDLINE_LINUX) also applies to recovery entries, C(GRUB_CMDLINE_LINUX_DEFAULT)
        only to normal ones. The other variable loses arguments that would contradict the
        request (removed ones and other values of a wanted key).
      - The value is the one grub-mkconfig computes, reading C(/etc/default/grub) and then every
        C(/etc/default/grub.d/*.cfg) in sorted order as a shell would (the last assignment wins;
        C(VAR+=" x") and C(VAR="$VAR x") append; backslash continuations, quotes, comments,
        C(export), C(readonly), C(declare -x) and C(typeset) are understood). The files whose
        assignments hold the arguments to change are edited, for example the
        C(50-cloudimg-settings.cfg) drop-in of Ubuntu cloud images.
      - When the value cannot be known or edited without running the files (command
        substitution, an assignment inside C(if)/C(case)/a function/a pipeline, a sourced file,
        C(eval), C(unset), an assignment to a read-only variable, a bash array, or C(+=) and
        C(declare) where C(/bin/sh) is dash and update-grub would fail on them), the module fails
        naming the file and line, and changes nothing.
    type: str
    choices: [GRUB_CMDLINE_LINUX, GRUB_CMDLINE_LINUX_DEFAULT]
    default: GRUB_CMDLINE_LINUX
  root:
    description:
      - Directory below which the files are edited, for example a mounted offline image.
      - With a root other than C(/) no command runs (no update-grub, no kernel-install), the
        grubby and rpm-ostree back-ends are refused, and RV(reboot_required) is not computed
        unless O(proc_root) is given.
    type: path
    default: /
  proc_root:
    description:
      - Where the running kernel's C(cmdline) is read. Defaults to C(/proc) when O(root) is C(/).
    type: path
  update_bootloader:
    description:
      - Regenerate the bootloader configuration after a change (update-grub or
        grub2-mkconfig/grub-mkconfig for grub, kernel-install for the running kernel with
        kernel-install). grubby and rpm-ostree always apply the change themselves.
    type: bool
    default: true
notes:
  - Files are edited through symbolic links (the target is replaced, the link stays; below
    O(root), absolute link targets are taken inside O(root)). Every byte other than the edited
    values is kept, including CRLF line endings and bytes that are not UTF-8 (both are
    reported as warnings). Files holding a NUL byte are refused.
  - Every file to change is checked for writability first (an immutable file, a read-only
    file system or missing permissions fail naming the file, before anything is written); when
    writing a later file fails anyway, the files written before it are put back.
  - Outside check mode the module holds the collection's per-host lock
    (C(/run/directiron-sriov.lock)) while it reads and writes, so it runs after, not during,
    another writer of this collection on the same host; it waits up to 300 seconds, then fails
    naming the holder.
  - Files are replaced atomically (a temporary file in the same directory, then a rename).
  - With grubby every boot entry is edited (C(--update-kernel=ALL)); RV(args_before) and
    RV(args_after) show the first entry.
  - With rpm-ostree a changed argument moves to the end of the line.
  - With kernel-install only the running kernel's boot entry is regenerated
    (C(kernel-install add RELEASE IMAGE)); other installed kernels get the new line when they are
    next installed.
  - grubby takes C(--args) as a space-separated list, so a value holding spaces cannot be passed
    through the grubby back-end.
seealso:
  - name: Kernel parameters
    description: The kernel's documentation of command line parsing.
    link: https://docs.kernel.org/admin-guide/kernel-parameters.html
"""

EXAMPLES = r"""
- name: Turn on the Intel IOMMU in passthrough mode
  directiron.sriov.kernel_cmdline:
    args:
      - intel_iommu=on
      - iommu=pt
  register: cmdline

- name: Reserve two NIC functions for vfio-pci and drop an old argument
  directiron.sriov.kernel_cmdline:
    args:
      - vfio-pci.ids=8086:10ca,8086:1520
    remove:
      - nomodeset

- name: Prepare an offline image mounted at /mnt/image
  directiron.sriov.kernel_cmdline:
    root: /mnt/image
    backend: grub
    args:
      - intel_iommu=on

- name: Tell whether a reboot is pending, changing nothing
  directiron.sriov.kernel_cmdline:
    args:
      - intel_iommu=on
  check_mode: true
  register: pending
"""

RETURN = r"""
backend:
  description: The back-end that stores the command line.
  returned: always
  type: str
  sample: grub
args_before:
  description:
    - The stored command line before the change (for grub, C(GRUB_CMDLINE_LINUX) followed by
      C(GRUB_CMDLINE_LINUX_DEFAULT), as the normal boot entry gets them).
  returned: always
  type: str
  sample: quiet
args_after:
  description: The stored command line after the change (what it would be, in check mode).
  returned: always
  type: str
  sample: quiet intel_iommu=on iommu=pt
running_args:
  description: The running kernel's command line, or null when it was not read.
  returned: always
  type: str
  sample: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/vda1 ro quiet
reboot_required:
  description:
    - True when the running kernel's command line does not satisfy the request (a wanted
      argument is missing or a removed one is present). False when it was not read.
  returned: always
  type: bool
  sample: true
actions:
  description: What was done (or would be done, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["edit /etc/default/grub", "run update-grub"]
diff:
  description:
    - Before and after of the edited file or argument line; a list of such dicts when several
      files change (for example C(/etc/default/grub) and a drop-in).
    - Non-UTF-8 bytes are shown as U+FFFD here; the file keeps them.
  returned: when diff mode is on
  type: raw
  sample:
    before: "GRUB_CMDLINE_LINUX=\"\"\n"
    after: "GRUB_CMDLINE_LINUX=\"intel_iommu=on iommu=pt\"\n"
    before_header: /etc/default/grub
    after_header: /etc/default/grub
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import (
    BACKENDS, KernelCmdline, replace_file)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_shell import GRUB_VARIABLES
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, run_module


def _atomic_writer(module):
    def write(path, data):
        # atomic_move keeps mode, owner and the SELinux context of the file it replaces.
        replace_file(path, data, move=module.atomic_move)
    return write


def main():
    module = AnsibleModule(
        argument_spec=dict(
            args=dict(type="list", elements="str", default=[]),
            remove=dict(type="list", elements="str", default=[]),
            backend=dict(type="str", default="auto", choices=["auto"] + list(BACKENDS)),
            grub_variable=dict(type="str", default="GRUB_CMDLINE_LINUX", choices=list(GRUB_VARIABLES)),
            root=dict(type="path", default="/"),
            proc_root=dict(type="path"),
            update_bootloader=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    proc_root = params["proc_root"]
    if proc_root is None and os.path.realpath(params["root"]) == "/":
        proc_root = "/proc"
    manager = KernelCmdline(
        runner=command_runner(module),
        ensure=params["args"],
        remove=params["remove"],
        backend=params["backend"],
        grub_variable=params["grub_variable"],
        root=params["root"],
        proc_root=proc_root,
        update_bootloader=params["update_bootloader"],
        check_mode=module.check_mode,
        which=module.get_bin_path,
        write_file=_atomic_writer(module),
    )

    def call():
        # Outside check mode the read and the write happen under the host lock.
        with host_lock("kernel_cmdline", enabled=not module.check_mode):
            return manager.run()

    run_module(module, call, manager.actions)


if __name__ == "__main__":
    main()
