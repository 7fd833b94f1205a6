#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: guest_nic_facts
short_description: The NICs a guest sees, with driver and version, firmware, MACs and failover master
version_added: 0.1.0
description:
  - Run inside a guest. A VF handed to a guest is a plain PCI NIC there, so this reports every network interface
    backed by a PCI function (directly, or through a virtio device) as C(ansible_facts.guest_nics).
  - For each NIC, the driver and its version (C(/sys/module/DRIVER/version); for an in-tree driver without one, the
    kernel release; else C(ethtool -i)), the firmware version (C(ethtool -i)), the MAC, the permanent MAC
    (C(ethtool -P)), the PCI address and ids, the speed, and the netdev above it (the C(net_failover) master of a
    virtio/VF pair, a bond or a bridge).
  - Joined by MAC with M(directiron.sriov.sriov_domain_facts) and M(directiron.sriov.sriov_facts) on the
    hypervisors, it tells which PF and PF driver serve a guest's VF (the C(directiron.sriov.audit) playbook).
  - Read-only; reads sysfs only (no Python packages beyond the standard library), and runs C(ethtool) when present.
author:
  - directiron.sriov contributors (@directiron)
options:
  ethtool:
    description:
      - V(auto) runs C(ethtool) when it is installed and O(sysfs_root) is the live V(/sys); V(never) does not run it
        (firmware and permanent MAC are then null).
    type: str
    choices: [auto, never]
    default: auto
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
seealso:
  - module: directiron.sriov.sriov_domain_facts
  - module: directiron.sriov.sriov_facts
"""

EXAMPLES = r"""
- name: Read the guest's NICs
  directiron.sriov.guest_nic_facts:

- name: Show the VF drivers the guest runs
  ansible.builtin.debug:
    msg: "{{ ansible_facts.guest_nics.nics | rejectattr('virtio') | map(attribute='driver') | list }}"

- name: Read a copy of a guest's sysfs taken elsewhere
  directiron.sriov.guest_nic_facts:
    sysfs_root: /srv/captures/guest1/sys
    proc_root: /srv/captures/guest1/proc
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    guest_nics:
      description: The guest's NICs.
      type: dict
      returned: always
      contains:
        kernel_release:
          description: The running kernel (C(PROC_ROOT/sys/kernel/osrelease)); the version of in-tree drivers.
          type: str
          returned: always
          sample: 6.1.0-27-amd64
        missing:
          description: What could not be read, and which values are null because of it.
          type: list
          elements: str
          returned: always
          sample: ["ethtool not found: firmware_version and permanent_mac are null"]
        nics:
          description: One entry per NIC backed by a PCI function, sorted by name.
          type: list
          elements: dict
          returned: always
          contains:
            name:
              description: Network interface name.
              type: str
              returned: always
              sample: enp7s0
            mac:
              description: Current MAC address.
              type: str
              returned: always
              sample: "52:54:00:10:00:01"
            permanent_mac:
              description: Permanent MAC (C(ethtool -P)); null without ethtool or when the device has none (a VF).
              type: str
              returned: always
              sample: null
            mac_origin:
              description: How the MAC was assigned (C(addr_assign_type)) - permanent, random, stolen or set.
              type: str
              returned: always
              sample: permanent
            pci_address:
              description: The guest PCI function behind the NIC (for virtio, the PCI function of the virtio device).
              type: str
              returned: always
              sample: "0000:07:00.0"
            vendor:
              description: PCI vendor id.
              type: str
              returned: always
              sample: "0x8086"
            device:
              description: PCI device id (a VF's device id, such as C(0x10ca) for an 82576 VF).
              type: str
              returned: always
              sample: "0x10ca"
            subsystem_vendor:
              description: PCI subsystem vendor id, null when not readable.
              type: str
              returned: always
              sample: "0x8086"
            subsystem_device:
              description: PCI subsystem device id, null when not readable.
              type: str
              returned: always
              sample: "0x0000"
            driver:
              description: Driver bound to the PCI function (C(virtio_net) for virtio NICs).
              type: str
              returned: always
              sample: igbvf
            driver_module:
              description: Kernel module of the driver, null for built-in drivers.
              type: str
              returned: always
              sample: igbvf
            driver_version:
              description: Version of the driver, null when unknown.
              type: str
              returned: always
              sample: 6.1.0-27-amd64
            driver_version_source:
              description: Where the version came from - C(module) (its version file), C(kernel) (an in-tree driver), C(ethtool).
              type: str
              returned: always
              sample: kernel
            firmware_version:
              description: Firmware version from C(ethtool -i), null when not reported or not run.
              type: str
              returned: always
              sample: null
            operstate:
              description: Operational state (up, down, lowerlayerdown ...).
              type: str
              returned: always
              sample: up
            speed:
              description: Link speed in Mb/s, null when unknown.
              type: int
              returned: always
              sample: 1000
            master:
              description: The netdev this NIC is enslaved to (the failover master, a bond, a bridge), null for none.
              type: str
              returned: always
              sample: eth0
            master_kind:
              description: V(failover) (a virtio standby and a VF under one master), V(bond), V(bridge), V(other), or null.
              type: str
              returned: always
              sample: failover
            lowers:
              description: The netdevs enslaved to this one (for a failover master, its virtio standby and VF).
              type: list
              elements: str
              returned: always
              sample: []
            virtio:
              description: Whether the NIC is a virtio device.
              type: bool
              returned: always
              sample: false
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._guest_facts import gather_guest_nics
from ansible_collections.directiron.sriov.plugins.module_utils._sysfs import is_live_root
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ethtool=dict(type="str", default="auto", choices=["auto", "never"]),
            **host_options("sysfs_root", "proc_root")
        ),
        supports_check_mode=True,
    )

    sysfs_root = module.params["sysfs_root"]
    use_ethtool = module.params["ethtool"] == "auto" and is_live_root(sysfs_root)
    ethtool_bin = module.get_bin_path("ethtool") if use_ethtool else None

    def call():
        facts = gather_guest_nics(sysfs_root=sysfs_root, proc_root=module.params["proc_root"],
                                  runner=command_runner(module), ethtool_bin=ethtool_bin, use_ethtool=use_ethtool)
        return {"changed": False, "ansible_facts": {"guest_nics": facts}}

    run_module(module, call)


if __name__ == "__main__":
    main()
