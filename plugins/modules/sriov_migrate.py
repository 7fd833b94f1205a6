#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_migrate
short_description: Live-migrate a running domain holding VFs to another hypervisor, and give it a VF there
version_added: 0.1.0
description:
  - Run on the source hypervisor. First the checks of M(directiron.sriov.sriov_migrate_preflight); when any fails,
    the task fails before anything changes, naming the domain and every problem.
  - Then live-migrates the domain to O(dest_uri) (a persistent domain is defined on the destination and undefined
    on the source, so it can come back the same way). libvirt and QEMU unplug each VF that is the transient side of
    a failover pair (C(<teaming type='transient'/>)) before the memory is copied; the guest's C(net_failover) keeps
    the traffic on the virtio standby meanwhile.
  - With O(reattach=true), gives the domain on the destination a VF from the same-named pool network with the
    guest's MAC, as the transient side of the same failover pair (as M(directiron.sriov.sriov_guest_interface) wires
    it); when libvirt there already plugged one for the pair, nothing more is done.
  - A migration that runs longer than O(timeout) is aborted; the domain keeps running on the source.
author:
  - directiron.sriov contributors (@directiron)
options:
  domain:
    description: The running domain to migrate.
    type: str
    required: true
  dest_uri:
    description:
      - libvirt URI of the destination hypervisor as the source reaches it, such as
        V(qemu+ssh://root@hv2/system) or V(qemu+tcp://hv2/system). QEMU's migration stream goes to the address
        libvirt on the destination announces (its host name, or C(migration_host) in its C(qemu.conf)).
    type: str
    required: true
  timeout:
    description: Seconds the live migration may take before it is aborted.
    type: int
    default: 600
  reattach:
    description:
      - After the migration, attach on the destination a VF from the same-named pool network with the guest's MAC,
        as the transient side of the failover pair.
    type: bool
    default: true
  guest_nics:
    description:
      - C(ansible_facts.guest_nics) from M(directiron.sriov.guest_nic_facts) run inside the guest, to confirm its
        failover master over each pair before the VF is unplugged. Without it the module warns that it could not
        confirm it.
    type: dict
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.attributes
attributes:
  check_mode:
    support: full
    details: The preflight, and what would be migrated and attached; nothing changes.
  diff_mode:
    support: none
  idempotent:
    description: A second run finds the domain gone from the source and fails naming it.
    support: none
notes:
  - Live migration needs shared or identical storage for the domain's disks (the module copies none).
seealso:
  - module: directiron.sriov.sriov_migrate_preflight
  - module: directiron.sriov.sriov_guest_interface
  - name: QEMU virtio-net standby (net_failover)
    description: How QEMU unplugs the primary device before migration.
    link: https://www.qemu.org/docs/master/system/virtio-net-failover.html
"""

EXAMPLES = r"""
- name: Move web01 to hv2 and give it a VF from hv2's pool
  directiron.sriov.sriov_migrate:
    domain: web01
    dest_uri: qemu+ssh://root@hv2/system
    timeout: 300
  register: moved

- name: Say how long it took
  ansible.builtin.debug:
    msg: "{{ moved.domain }} moved in {{ moved.seconds }} s, VFs {{ moved.vfs | map(attribute='vf') | list }}"
"""

RETURN = r"""
domain:
  description: The domain migrated.
  returned: always
  type: str
  sample: web01
source:
  description: libvirt URI of the source.
  returned: always
  type: str
  sample: qemu:///system
destination:
  description: libvirt URI of the destination.
  returned: always
  type: str
  sample: qemu+ssh://root@hv2/system
seconds:
  description: Wall time of the live migration call (null in check mode).
  returned: always
  type: float
  sample: 12.4
vfs:
  description:
    - One entry per failover pair, C({mac, network, vf, attached_by}); C(vf) is the destination's VF the running
      domain holds, C(attached_by) V(module) or V(libvirt) (null in check mode). Empty with O(reattach=false).
  returned: always
  type: list
  elements: dict
actions:
  description: What the module did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
preflight:
  description: What the preflight found (as M(directiron.sriov.sriov_migrate_preflight) returns it).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT
from ansible_collections.directiron.sriov.plugins.module_utils._migrate_run import DomainMigration
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, require_libvirt, run_module

# The binding, imported once in _libvirt_conn; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def main():
    spec = host_options("uri")
    spec.update(
        domain={"type": "str", "required": True},
        dest_uri={"type": "str", "required": True},
        timeout={"type": "int", "default": 600},
        reattach={"type": "bool", "default": True},
        guest_nics={"type": "dict"},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_libvirt(module, libvirt)
    migration = DomainMigration(libvirt, module.params, check_mode=module.check_mode)
    run_module(module, migration.run, migration.actions)


if __name__ == "__main__":
    main()
