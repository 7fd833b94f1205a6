#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_vf
short_description: Declare the VFs of one SR-IOV PF, their settings and drivers
version_added: 0.1.0
description:
  - Brings one Physical Function (PF) to a wanted state. It sets the number of Virtual Functions (VFs)
    and C(sriov_drivers_autoprobe), applies per-VF settings through C(ip link set DEV vf N), and binds VFs
    to a driver such as C(vfio-pci) or gives them back to their default kernel driver.
  - The module reads the current state once and validates the whole request before it writes anything.
    It writes only the differences, and never in check mode. A second identical run reports C(changed=false).
  - The kernel refuses to change a non-zero VF count. The module then goes through 0, which removes every
    VF of the PF, so it first checks the guards. VFs appear asynchronously, so the module waits for them
    (O(timeout)) before it applies per-VF settings.
  - "Each guard refuses unless O(force=true), and the message names what would break:
    the PF or a VF carries a default route or the address of the Ansible connection (also through a
    bridge, bond or VLAN on top of it); a VF to remove or rebind is attached to a running libvirt domain
    or its C(/dev/vfio/<group>) is held open; a VF to bind to vfio-pci shares its IOMMU group with a device
    still bound to a host driver."
  - Kernel errors come back with advice, for example EBUSY (in use), ENOMEM (BAR space, C(pci=realloc)),
    ENOSPC (MSI-X vectors) and EINVAL.
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
  - directiron.sriov.vf_options
options:
  take_over:
    description:
      - Manage the PF although NetworkManager or systemd hold its SR-IOV settings (a connection with an C([sriov])
        section, a C(.link) file with C([SR-IOV]) or C(SR-IOVVirtualFunctions=), a C(.network) file with
        C([SR-IOV]), as RV(directiron.sriov.sriov_facts#module:ansible_facts.sriov.pfs[].owners) reports them).
        Without it such a PF is refused before anything is written, in check mode too, naming the owner's file
        and what to do; V(true) goes ahead with a warning.
      - Not a PF option of M(directiron.sriov.sriov_host), which has its own O(directiron.sriov.sriov_host#module:take_over).
    type: bool
    default: false
notes:
  - The address of the Ansible connection comes from C(SSH_CONNECTION) in the module's environment. With
    C(become) through sudo this variable may be removed. The default route guard still protects the usual
    management interface.
  - Per-VF settings are applied through the PF's netdev, so the PF must be bound to its network driver.
  - Settings a driver accepts but does not report back (for example trust on some drivers) produce a warning.
  - New VFs of a PF that probes them (C(sriov_drivers_autoprobe) on) are made without a driver when a VF has a
    C(mac) or a driver other than its default. Their settings go to the PF first, then C(sriov_drivers_autoprobe)
    is set back to 1 and each VF is probed, so a host VF driver starts from the MAC set through the PF. A driver
    probed first picks a random MAC, which udev's default link policy (C(MACAddressPolicy=persistent)) then
    replaces on its netdev, and the PF takes that MAC from a trusted VF.
  - After VFs were made or bound the module waits for udev (C(udevadm settle)) and reads the MACs back from the
    PF. A MAC that differs is set once more; if it still differs the module fails rather than report success.
seealso:
  - module: directiron.sriov.sriov_facts
  - module: directiron.sriov.iommu_facts
"""

EXAMPLES = r"""
- name: Four VFs on enp1s0 for guests, VF 0 with a fixed MAC and VLAN
  directiron.sriov.sriov_vf:
    pf: enp1s0
    num_vfs: 4
    vf_driver: vfio-pci
    vfs:
      - {id: 0, mac: "02:1a:00:00:00:01", vlan: 100, qos: 3, trust: true, spoofchk: true}
      - {id: 1, max_tx_rate: 1000, driver: default}

- name: Select the first 82576 PF by PCI ids and give all its VFs back to igbvf
  directiron.sriov.sriov_vf:
    pf: {vendor: "0x8086", device: "0x10c9", index: 0}
    vf_driver: default

- name: Remove all VFs even though a guest still uses one
  directiron.sriov.sriov_vf:
    pf: "0000:41:00.0"
    num_vfs: 0
    force: true
"""

RETURN = r"""
pf:
  description: PCI address of the PF the module managed.
  returned: success
  type: str
  sample: "0000:01:00.0"
actions:
  description: What the module did (in check mode, would do), in order. Empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample:
    - set sriov_numvfs of 0000:01:00.0 from 4 to 0
    - set sriov_numvfs of 0000:01:00.0 to 6
    - "set VF 0 of enp1s0: mac 02:1a:00:00:00:01, vlan 100"
    - bind VF 1 (0000:01:10.2) to vfio-pci
state:
  description: State of the PF after the run (in check mode, the predicted state), the same as C(diff.after).
  returned: success
  type: dict
  contains:
    pf:
      description: PCI address of the PF.
      type: str
      returned: success
      sample: "0000:01:00.0"
    netdev:
      description: Network interface of the PF, null when it has none.
      type: str
      returned: success
      sample: enp1s0
    num_vfs:
      description: Number of VFs.
      type: int
      returned: success
      sample: 4
    drivers_autoprobe:
      description: C(sriov_drivers_autoprobe) of the PF.
      type: bool
      returned: success
      sample: true
    vfs:
      description:
        - One entry per VF, with the keys of O(vfs) plus C(address), C(driver) and C(driver_override).
        - In check mode, VFs that do not exist yet have a null C(address).
      type: list
      elements: dict
      returned: success
      sample:
        - {id: 0, address: "0000:01:10.0", driver: vfio-pci, driver_override: vfio-pci,
           mac: "02:1a:00:00:00:01", vlan: 100, qos: 3, vlan_proto: 802.1Q, spoofchk: true,
           trust: true, link_state: auto, min_tx_rate: 0, max_tx_rate: 0}
diff:
  description: State before and after, in the shape of RV(state).
  returned: success
  type: dict
  sample:
    before: {pf: "0000:01:00.0", netdev: enp1s0, num_vfs: 0, drivers_autoprobe: true, vfs: []}
    after: {pf: "0000:01:00.0", netdev: enp1s0, num_vfs: 1, drivers_autoprobe: true,
            vfs: [{id: 0, address: "0000:01:10.0", driver: igbvf}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._guards import HostGuards
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._spec import argument_spec
from ansible_collections.directiron.sriov.plugins.module_utils._vf import VfManager
from ansible_collections.directiron.sriov.plugins.module_utils import _coexist

# Where the NetworkManager and systemd files that may own the PF's SR-IOV settings are read.
CONFIG_ROOT = "/"


class OwnedPfVfManager(VfManager):
    """VfManager that refuses, after reading and before any write, a PF another owner holds."""

    take_over = False

    def prepare(self):
        before, steps = VfManager.prepare(self)
        label = "pf %s (%s)" % (_rules.pf_label(self.raw_params.get("pf")), self.pf)
        _coexist.guard_pf(_coexist.host_owners(CONFIG_ROOT), self.root, self.pf, self.netdev, label, "pf",
                          self.take_over, self.warnings)
        return before, steps


def main():
    spec = argument_spec(host_options("sysfs_root", "proc_root"))
    spec["take_over"] = dict(type="bool", default=False)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = dict(module.params)
    take_over = params.pop("take_over")
    runner = command_runner(module)
    guards = HostGuards(runner, params["sysfs_root"], params["proc_root"])
    manager = OwnedPfVfManager(params, runner, check_mode=module.check_mode, guards=guards)
    manager.take_over = take_over

    def call():
        result = manager.run()
        result["warnings"] = result["warnings"] + guards.notes
        result["state"] = result["diff"]["after"]
        return result

    run_module(module, call, manager.actions)


if __name__ == "__main__":
    main()
