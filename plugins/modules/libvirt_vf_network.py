#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_vf_network
short_description: Manage a libvirt network that hands out SR-IOV VFs from a pool
version_added: 0.1.0
description:
  - Defines, updates, starts, stops and removes a libvirt network in C(<forward mode="hostdev" managed="yes">) mode,
    whose pool is either one PF (C(<pf dev="enp1s0"/>), libvirt then uses all of its VFs) or an explicit list of
    VF PCI addresses.
  - libvirt accepts exactly one C(<pf>) per network, so a pool over several PFs is written as the list of their
    VFs' PCI addresses, read from sysfs when the module runs. Such a list does not follow later changes of the VF
    count; run the module again after changing it.
  - Idempotent by XML comparison. Only the parts this module manages are compared (name, the C(forward) element's
    mode, managed flag, C(pf) and C(address) children, and the network C(vlan)); the uuid and any other element
    an operator added are kept when the network is redefined.
  - An existing network whose definition differs is redefined, and restarted when it runs (a running hostdev
    network only picks up a new definition when restarted).
  - A network that a running libvirt domain uses (an interface whose source names the network, or a VF or
    C(<hostdev>) from the network's live pool) is not redefined, restarted, stopped or removed; the module
    fails before changing anything, in check mode too, naming the domains and what they use. Restarting it
    while guests hold VFs from it makes libvirt lose track of those allocations until the guests are
    restarted. O(force=true) is the only way through; the refusal is then returned as a warning.
author:
  - directiron.sriov contributors (@directiron)
options:
  name:
    description:
      - Name of the libvirt network.
    type: str
    required: true
  state:
    description:
      - V(present) defines (or redefines) the network; V(absent) stops and undefines it.
    type: str
    choices: [present, absent]
    default: present
  pfs:
    description:
      - The PFs whose VFs form the pool. Each item is a netdev name, a PCI address, or a dict
        C({vendor, device, index}) (index among the matching SR-IOV capable functions sorted by PCI address).
      - One PF is written as C(<pf dev="NETDEV"/>); several PFs as the PCI addresses of all their current VFs.
      - Mutually exclusive with O(vfs). One of them is required with O(state=present).
    type: list
    elements: raw
  vfs:
    description:
      - Explicit pool of VFs. Each item is a VF PCI address (V(0000:01:10.0)) or a selector V(PF#a-b,c)
        (for example V(enp1s0#4-7)) resolved to PCI addresses through sysfs.
      - A single string such as V(enp1s0#4-7,9) works too (Ansible splits it at commas; the module joins
        the pieces back onto their selector).
    type: list
    elements: str
  vlan:
    description:
      - VLAN tag libvirt puts on every VF it hands out from this network (C(<vlan><tag id="N"/></vlan>)).
      - Omitted means no VLAN element; an existing one is removed.
    type: int
  autostart:
    description:
      - Whether libvirt starts the network when libvirtd starts.
    type: bool
    default: true
  active:
    description:
      - Whether the network should be running now.
    type: bool
    default: true
  force:
    description:
      - Redefine, restart, stop or remove the network although running domains use it. The refusal is
        returned as a warning instead.
    type: bool
    default: false
  restart:
    description:
      - Deprecated, has no effect; it goes in 3.0.0. It let a network in use restart or stop; that is O(force) now.
    type: bool
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.sysfs
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
attributes:
  diff_mode:
    details:
      - The diff shows the network XML before and after, followed by a comment line with the active and autostart
        state.
notes:
  - VFs must exist before a network using them can start; create them with M(directiron.sriov.sriov_vf) first.
seealso:
  - name: libvirt network XML format
    description: The hostdev forward mode and VF pools.
    link: https://libvirt.org/formatnetwork.html#connectivity
"""

EXAMPLES = r"""
- name: A pool of all VFs of one PF, started and autostarted
  directiron.sriov.libvirt_vf_network:
    name: fast-net
    pfs: [enp65s0f0]

- name: A pool over two PFs, tagged with VLAN 100
  directiron.sriov.libvirt_vf_network:
    name: tenant-a
    pfs: [enp65s0f0, enp65s0f1]
    vlan: 100

- name: A pool of VFs 4-7 of one PF
  directiron.sriov.libvirt_vf_network:
    name: storage-net
    vfs: ["enp65s0f0#4-7"]

- name: Explicit VF addresses, defined but not started
  directiron.sriov.libvirt_vf_network:
    name: spare
    vfs: ["0000:41:10.0", "0000:41:10.2"]
    active: false
    autostart: false

- name: Remove a network
  directiron.sriov.libvirt_vf_network:
    name: old-net
    state: absent
"""

RETURN = r"""
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["defined network fast-net", "started network fast-net", "enabled autostart of network fast-net"]
restart_required:
  description:
    - Always false. A changed definition of a network in use is refused (or, with O(force=true), applied and
      restarted), so a saved definition never waits for a restart any more. Kept for playbooks that read it.
  returned: always
  type: bool
  sample: false
network:
  description: The network after the run.
  returned: always
  type: dict
  contains:
    name:
      description: Network name.
      type: str
      returned: always
      sample: fast-net
    exists:
      description: Whether the network is defined.
      type: bool
      returned: always
      sample: true
    active:
      description: Whether the network is running.
      type: bool
      returned: always
      sample: true
    autostart:
      description: Whether libvirt starts it with libvirtd.
      type: bool
      returned: always
      sample: true
    xml:
      description: The persistent (inactive) definition, indented; empty when absent.
      type: str
      returned: always
      sample: "<network>\n  <name>fast-net</name>\n  <forward mode=\"hostdev\" managed=\"yes\">\n    <pf dev=\"enp1s0\"/>\n  </forward>\n</network>\n"
    vf_count:
      description: Number of VFs in the pool (for a C(<pf>) pool, the PF's current VFs).
      type: int
      returned: always
      sample: 7
    connections:
      description: Guest interfaces using the running network when the module looked.
      type: int
      returned: always
      sample: 0
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._libvirt import VfNetworkManager
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, run_module, require_libvirt

# The binding, imported once in _libvirt; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def argument_spec():
    return dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        pfs=dict(type="list", elements="raw"),
        vfs=dict(type="list", elements="str"),
        vlan=dict(type="int"),
        autostart=dict(type="bool", default=True),
        active=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
        restart=dict(type="bool", removed_in_version="3.0.0", removed_from_collection="directiron.sriov"),
        **host_options("uri", "sysfs_root")
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("pfs", "vfs")],
        required_if=[("state", "present", ("pfs", "vfs"), True)],
        supports_check_mode=True,
    )
    require_libvirt(module, libvirt, unchecked_in_check_mode="the libvirt_pools role installs it before it defines the network")

    manager = VfNetworkManager(libvirt, module.params, check_mode=module.check_mode)

    def call():
        return dict(manager.run(), warnings=manager.warnings)

    run_module(module, call, manager.actions)


if __name__ == "__main__":
    main()
