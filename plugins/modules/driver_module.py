#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: driver_module
short_description: Options, initramfs copy and loaded build of a NIC or vfio kernel module
version_added: 2.0.0
description:
  - Writes the module's options to one collection-owned file, C(/etc/modprobe.d/directiron-sriov-MODULE.conf)
    (C(options MODULE name=value ...)), or removes it with O(state=absent).
  - When that file changed and the running kernel's initramfs holds the module (C(lsinitramfs) on Debian,
    C(lsinitrd) on RHEL-likes), regenerates the initramfs (C(update-initramfs -u -k all) or
    C(dracut -f --regenerate-all)) so the options apply when the module loads from it at boot.
  - Compares the loaded module with the build on disk. The GNU build-id of the loaded module
    (C(/sys/module/MODULE/notes/.note.gnu.build-id)) with that of the file C(modinfo -n MODULE) names,
    else C(srcversion), else C(version) (in-tree drivers of distribution kernels have neither). After a
    driver package moved, the loaded module is stale.
  - On every run the options of the file are compared with the loaded module's C(/sys/module/MODULE/parameters/NAME)
    (booleans as C(Y)/C(N), integers in any base, arrays element by element). A value that differs means a
    reload or reboot an earlier run asked for has not happened, so it is pending again and this run reports it too
    (RV(pending_options)). A parameter the module does not show there (registered with permission 0, like igb's
    C(max_vfs) or vfio-pci's C(ids)) cannot be compared and is listed in RV(unverified_options).
  - A stale module, or a loaded module whose options file changed or whose running options differ, is reloaded (C(modprobe -r) then
    C(modprobe)) when O(reload=true) and nothing uses it. Otherwise, or when something uses it (another
    module, a device carrying the host's default route or the Ansible connection, a VF attached to a
    running libvirt domain or whose C(/dev/vfio) group is open), RV(reboot_required) is true and
    RV(blockers) says why. The module never reboots; the C(driver_options) and C(driver_pins) roles do
    when C(sriov_reboot_ok) allows it.
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
options:
  module:
    description:
      - Kernel module name (V(igb), V(vfio-pci) or V(vfio_pci)); the file uses the kernel spelling with C(_).
    type: str
    required: true
  options:
    description:
      - Module parameters, name to value. A list value is written comma-separated
        (C(ids=8086:10ca,8086:1520)), a boolean as C(1) or C(0).
      - Names are C([A-Za-z_][A-Za-z0-9_]*); values one word of letters, digits and C(_.:,+/@=-).
      - Omit it (with O(state=present)) to leave the options file alone and only compare the loaded build.
    type: dict
  state:
    description: V(absent) removes the options file.
    type: str
    choices: [present, absent]
    default: present
  reload:
    description:
      - Reload a stale module, or a loaded module whose options changed, when nothing uses it.
      - Reloading a PF driver removes its VFs (warned); the C(sriov_vfs) role or the boot replay creates them again.
    type: bool
    default: false
  initramfs:
    description: Regenerate the initramfs when the options file changed and the initramfs holds the module.
    type: bool
    default: true
  modprobe_dir:
    description: Directory of the options file.
    type: path
    default: /etc/modprobe.d
notes:
  - Refuses a bad module name, option name or value with a one-line error naming the field, before
    anything changes.
  - In check mode the module reads the file, the initramfs listing and the loaded module; it writes,
    regenerates and reloads nothing. The diff shows the options file before and after.
seealso:
  - module: directiron.sriov.sriov_vf
"""

EXAMPLES = r"""
- name: Claim the 82576 VFs for vfio-pci as soon as vfio-pci loads
  directiron.sriov.driver_module:
    module: vfio-pci
    options:
      ids: ["8086:10ca"]
      disable_idle_d3: true

- name: Older igb drivers create VFs from a module option
  directiron.sriov.driver_module:
    module: igb
    options: {max_vfs: 7}

- name: After a driver package moved, reload its module when nothing uses it
  directiron.sriov.driver_module:
    module: i40e
    reload: true
  register: i40e_state

- name: Remove the options file
  directiron.sriov.driver_module:
    module: igb
    state: absent
"""

RETURN = r"""
module:
  description: The module name as the kernel spells it.
  returned: always
  type: str
  sample: vfio_pci
path:
  description: The options file.
  returned: when O(options) is given or O(state=absent)
  type: str
  sample: /etc/modprobe.d/directiron-sriov-vfio_pci.conf
file_changed:
  description: Whether the options file was (or in check mode would be) written or removed.
  returned: always
  type: bool
in_initramfs:
  description: Whether the running kernel's initramfs holds the module; null when not looked at or no tool.
  returned: always
  type: bool
initramfs_updated:
  description: Whether the initramfs was (or would be) regenerated.
  returned: always
  type: bool
action:
  description: V(none), V(reload) (done, or would be in check mode) or V(reboot) (needed, not done).
  returned: always
  type: str
  sample: reload
reloaded:
  description: Whether the module was (or would be) reloaded.
  returned: always
  type: bool
reboot_required:
  description:
    - The loaded module is stale or runs old options and was not reloaded. Old options are seen by the run that
      wrote the file and, through RV(pending_options), by every later run until a reload or reboot.
  returned: always
  type: bool
pending_options:
  description:
    - Options of the file the loaded module does not run, C(name=value (running X)); after a reload, those it
      still does not run.
  returned: always
  type: list
  elements: str
  sample: ["num_request_queues=1 (running 0)"]
unverified_options:
  description: Option names the loaded module does not show in C(/sys/module/MODULE/parameters) (not compared).
  returned: always
  type: list
  elements: str
  sample: ["max_vfs"]
blockers:
  description: Why the module was not reloaded (users of it), when O(reload=true).
  returned: always
  type: list
  elements: str
  sample: ["VF 0000:01:10.0 is attached to the running libvirt domain web1"]
loaded_build:
  description: The identity of the loaded module that was compared (build-id, srcversion or version).
  returned: always
  type: str
  sample: build-id 5d1c0a9e8f7b6a5d4c3b2a1908f7e6d5c4b3a291
disk_build:
  description: The same for the module file on disk.
  returned: always
  type: str
  sample: build-id 192a3b4c5d6e7f8091a2b3c4d5e6f708a9b0c1d5
before:
  description: The loaded and on-disk builds before any reload.
  returned: always
  type: dict
  sample: {"loaded": true, "builtin": false, "file": "/lib/modules/6.1.0-28-amd64/kernel/drivers/net/ethernet/intel/igb/igb.ko",
           "loaded_build_id": "5d1c", "disk_build_id": "192a", "loaded_srcversion": null, "disk_srcversion": null,
           "loaded_version": null, "disk_version": null, "stale": true}
after:
  description: The same after a reload (equal to RV(before) otherwise).
  returned: always
  type: dict
actions:
  description: What was done, in order.
  returned: always
  type: list
  elements: str
  sample: ["wrote /etc/modprobe.d/directiron-sriov-igb.conf", "reloaded module igb"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import replace_file
from ansible_collections.directiron.sriov.plugins.module_utils._guards import HostGuards
from ansible_collections.directiron.sriov.plugins.module_utils._kmod import KernelModuleManager
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module


def main():
    spec = dict(
        module=dict(type="str", required=True),
        options=dict(type="dict"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        reload=dict(type="bool", default=False),
        initramfs=dict(type="bool", default=True),
        modprobe_dir=dict(type="path", default="/etc/modprobe.d"),
    )
    spec.update(host_options("sysfs_root", "proc_root"))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    runner = command_runner(module)
    manage_file = params["options"] is not None or params["state"] == "absent"

    def write(path, data):
        replace_file(path, data.encode("utf-8"), move=module.atomic_move)

    def call():
        manager = KernelModuleManager(
            {"module": params["module"], "options": params["options"], "state": params["state"]},
            runner=runner, which=module.get_bin_path, write_file=write,
            guards=HostGuards(runner, params["sysfs_root"], params["proc_root"]),
            reload_ok=params["reload"], manage_file=manage_file, initramfs=params["initramfs"],
            modprobe_dir=params["modprobe_dir"], sysfs_root=params["sysfs_root"], check_mode=module.check_mode)
        with host_lock("driver_module", enabled=not module.check_mode):
            return manager.run()

    run_module(module, call)


if __name__ == "__main__":
    main()
