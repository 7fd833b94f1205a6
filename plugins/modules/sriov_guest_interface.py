#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_guest_interface
short_description: Give a libvirt domain an SR-IOV VF interface, optionally paired with virtio for live migration
version_added: 0.1.0
description:
  - Gives a libvirt domain a network interface backed by an SR-IOV Virtual Function, either from a VF-pool network
    (O(network), a hostdev network such as one made by M(directiron.sriov.libvirt_vf_network)) or a specific VF
    (O(vf), or O(pf) with O(vf_index)), with an optional MAC and VLAN. O(state=absent) removes it.
  - The domain's definition is changed (persistent) and, when the domain runs and O(live=true), the running domain
    too (PCI hot-plug). Both are compared separately with what is wanted, so a domain defined with the interface
    but started before it was added gets it live on the next run.
  - Idempotent by comparing parsed XML. The interface is identified by O(mac) when given; otherwise by its source
    (the pool network or the VF address) in the definition, and then by the MAC libvirt generated for it.
    A running domain's XML shows an interface from a pool network as C(type='hostdev') with the VF libvirt picked;
    the pool's choice of VF and its VLAN are not compared there unless O(vlan) is given.
  - A changed interface is detached and attached again (libvirt cannot change a hostdev interface in place).
    A live detach needs the guest to acknowledge the PCI hot-unplug; the module waits O(unplug_timeout) seconds
    for it.
  - A specific VF is refused when its IOMMU group is not assignable alone (the rule M(directiron.sriov.iommu_facts)
    reports as C(assignable)), when it is not a VF, or when a running domain holds it already (naming that domain).
    A warning is given when the domain's NUMA placement (C(numatune) nodeset, or the nodes of the C(vcpu) cpuset)
    does not include the PF's NUMA node.
  - With O(failover), the VF interface gets C(<teaming type='transient' persistent='ALIAS'/>) and a virtio interface
    with the same MAC, C(<teaming type='persistent'/>) and the user alias C(ALIAS) is added, so the guest's
    C(net_failover) driver bonds them and keeps traffic on virtio while the VF is unplugged for a migration.
  - Every field is checked before libvirt is touched; a bad field fails with its name and nothing changed.
author:
  - directiron.sriov contributors (@directiron)
options:
  domain:
    description:
      - Name of the libvirt domain.
    type: str
    required: true
  state:
    description:
      - V(present) gives the domain the interface; V(absent) removes it (and its failover partner when O(failover)
        is given).
    type: str
    choices: [present, absent]
    default: present
  network:
    description:
      - A libvirt hostdev network (VF pool); libvirt picks a free VF from it when the interface is plugged.
      - Exactly one of O(network), O(vf) or O(pf) with O(vf_index) is required with O(state=present).
    type: str
  vf:
    description:
      - The PCI address of a specific VF on the host, for example V(0000:01:10.0).
    type: str
  pf:
    description:
      - The PF (netdev name or PCI address) whose VF O(vf_index) is given to the domain.
    type: str
  vf_index:
    description:
      - Index of the VF of O(pf) (the number in the PF's C(virtfnN) link).
    type: int
  mac:
    description:
      - MAC address of the interface; libvirt sets it on the VF through the PF.
      - When omitted, libvirt generates one when the interface is first attached and the module keeps it.
      - Required with O(failover) (the VF and its virtio partner carry the same MAC).
    type: str
  vlan:
    description:
      - VLAN tag (C(<vlan><tag id='N'/></vlan>)) libvirt puts on the VF; omitted means none on the interface
        (a pool network's own VLAN still applies).
    type: int
  alias:
    description:
      - A user alias for the VF interface (must start with V(ua-)), so it can be named in later device operations.
    type: str
  failover:
    description:
      - Pair the VF with a virtio interface for live migration (libvirt 6.1 or later, C(net_failover) in the guest).
    type: dict
    suboptions:
      network:
        description: libvirt network the virtio partner connects to. Exactly one of O(failover.network) and O(failover.bridge).
        type: str
      bridge:
        description: Host bridge the virtio partner connects to.
        type: str
      alias:
        description:
          - User alias of the virtio partner, named by the VF's C(teaming persistent) attribute.
          - Defaults to V(ua-backup-) followed by the MAC without colons.
        type: str
  live:
    description:
      - Also change the running domain (hot-plug, hot-unplug). V(false) changes only the definition; the running
        domain then picks the change up at its next start.
    type: bool
    default: true
  unplug_timeout:
    description:
      - Seconds to wait for the guest to release an interface being unplugged from the running domain.
    type: int
    default: 30
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.sysfs
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
attributes:
  diff_mode:
    details:
      - The diff shows the managed interface elements of the domain definition (of the running domain for a
        transient one) before and after, followed by a comment with the domain's state.
  idempotent:
    description: When run twice with the same arguments, the second run changes nothing.
    support: full
notes:
  - The domain's guest needs PCI hot-plug (a q35 machine has it on its PCIe root ports) for live changes.
  - A pool network hands out VFs bound to vfio-pci by libvirt (C(managed='yes')); create the VFs first with
    M(directiron.sriov.sriov_vf) and the pool with M(directiron.sriov.libvirt_vf_network).
  - M(directiron.sriov.sriov_domain_facts) lists which domain holds which VF.
seealso:
  - name: libvirt domain XML, network interfaces
    description: Interface types, VLAN tags, and teaming a virtio and a hostdev NIC.
    link: https://libvirt.org/formatdomain.html#network-interfaces
  - module: directiron.sriov.libvirt_vf_network
  - module: directiron.sriov.sriov_domain_facts
"""

EXAMPLES = r"""
- name: A VF from the fast-net pool with a fixed MAC and VLAN 100
  directiron.sriov.sriov_guest_interface:
    domain: web01
    network: fast-net
    mac: "52:54:00:10:00:01"
    vlan: 100

- name: VF 3 of enp65s0f0, persistent only (the running guest gets it at its next start)
  directiron.sriov.sriov_guest_interface:
    domain: db01
    pf: enp65s0f0
    vf_index: 3
    mac: "52:54:00:10:00:02"
    live: false

- name: A VF paired with a virtio interface on the default network, so the guest can live-migrate
  directiron.sriov.sriov_guest_interface:
    domain: app01
    network: fast-net
    mac: "52:54:00:10:00:03"
    failover:
      network: default

- name: Take the VF and its virtio partner away again
  directiron.sriov.sriov_guest_interface:
    domain: app01
    network: fast-net
    mac: "52:54:00:10:00:03"
    failover:
      network: default
    state: absent
"""

RETURN = r"""
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["attached the VF interface to the running domain web01", "attached the VF interface to the defined domain web01"]
interface:
  description: The managed interface after the run.
  returned: success
  type: dict
  contains:
    domain:
      description: Domain name.
      type: str
      returned: always
      sample: web01
    state:
      description: V(present) or V(absent), as asked.
      type: str
      returned: always
      sample: present
    network:
      description: Pool network the VF comes from, null for a specific VF.
      type: str
      returned: always
      sample: fast-net
    vf:
      description: Host PCI address of the VF (for a pool network, the one the running domain got; null when not running).
      type: str
      returned: always
      sample: "0000:01:10.0"
    mac:
      description: MAC address of the interface (null in check mode when libvirt would generate it).
      type: str
      returned: always
      sample: "52:54:00:10:00:01"
    vlan:
      description: VLAN tag asked for, null for none.
      type: int
      returned: always
      sample: 100
    alias:
      description: User alias of the VF interface, null for none.
      type: str
      returned: always
      sample: ua-sriov0
    failover_alias:
      description: User alias of the virtio partner, null without O(failover).
      type: str
      returned: always
      sample: ua-backup-525400100003
    live_vf:
      description: Host PCI address of the VF the running domain holds for this interface, null when it holds none.
      type: str
      returned: always
      sample: "0000:01:10.2"
    xml:
      description: The interface element(s) wanted in the definition, indented; empty for O(state=absent).
      type: str
      returned: always
      sample: "<interface type=\"network\">\n  <mac address=\"52:54:00:10:00:01\" />\n  <source network=\"fast-net\" />\n</interface>\n"
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._domain import GuestInterfaceManager
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, run_module, require_libvirt

# The binding, imported once in _libvirt; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def argument_spec():
    return dict(
        domain=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        network=dict(type="str"),
        vf=dict(type="str"),
        pf=dict(type="str"),
        vf_index=dict(type="int"),
        mac=dict(type="str"),
        vlan=dict(type="int"),
        alias=dict(type="str"),
        failover=dict(type="dict", options=dict(
            network=dict(type="str"),
            bridge=dict(type="str"),
            alias=dict(type="str"),
        )),
        live=dict(type="bool", default=True),
        unplug_timeout=dict(type="int", default=30),
        **host_options("uri", "sysfs_root")
    )


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("network", "vf", "pf")],
        required_together=[("pf", "vf_index")],
        supports_check_mode=True,
    )
    require_libvirt(module, libvirt)

    manager = GuestInterfaceManager(libvirt, module.params, check_mode=module.check_mode)
    run_module(module, manager.run, manager.actions)


if __name__ == "__main__":
    main()
