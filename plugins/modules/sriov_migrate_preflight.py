#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_migrate_preflight
short_description: Check, before any change, that a running domain with VFs can live-migrate to another hypervisor
version_added: 2.0.0
description:
  - Run on the source hypervisor. Reads the domain there and the destination's libvirt (O(dest_uri)) and returns
    every reason the live migration would fail, as C(ansible_facts.sriov_migration); with O(refuse=true) (the
    default) the task fails naming the domain and each reason.
  - The domain must run; it may hold no plain C(<hostdev>) (libvirt cannot migrate one); each VF interface must be
    the transient side of a failover pair (C(<teaming type='transient' persistent='ALIAS'/>) on a VF from a pool
    network, a virtio interface with that alias, C(<teaming type='persistent'/>) and the same MAC), as
    M(directiron.sriov.sriov_guest_interface) wires it.
  - On the destination, every network the domain uses must run under the same name (a VF pool as a VF pool) with
    enough free VFs (VFs no running domain there holds); libvirt there must be able to run the domain (its domain
    capabilities for the domain's type, architecture and machine, and its hypervisor CPU comparison for a named CPU
    model); no domain of that name may exist there.
  - The guest must have a failover master over each pair (O(guest_nics), from M(directiron.sriov.guest_nic_facts)
    run inside the guest), so that unplugging the VF leaves the traffic on the virtio standby.
  - Read-only on both hosts.
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
        V(qemu+ssh://root@hv2/system) or V(qemu+tcp://hv2/system).
    type: str
    required: true
  guest_nics:
    description:
      - C(ansible_facts.guest_nics) from M(directiron.sriov.guest_nic_facts) run inside the guest. Without it a
        domain with a failover pair is refused (its failover master cannot be confirmed).
    type: dict
  refuse:
    description: Fail when the migration would not work (V(false) only reports the problems).
    type: bool
    default: true
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
seealso:
  - module: directiron.sriov.sriov_guest_interface
  - module: directiron.sriov.guest_nic_facts
"""

EXAMPLES = r"""
- name: Read the guest's NICs (inside the guest)
  directiron.sriov.guest_nic_facts:
  delegate_to: web01
  register: web01_nics

- name: Refuse before any change unless web01 can move to hv2
  directiron.sriov.sriov_migrate_preflight:
    domain: web01
    dest_uri: qemu+ssh://root@hv2/system
    guest_nics: "{{ web01_nics.ansible_facts.guest_nics }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    sriov_migration:
      description: What the preflight found.
      type: dict
      returned: always
      contains:
        domain:
          description: The domain checked.
          type: str
          returned: always
          sample: web01
        problems:
          description: Every reason the migration would fail, each naming the domain; empty when it can go.
          type: list
          elements: str
          returned: always
          sample: ["domain web01: the destination's pool vf-pool has 0 free VF(s), the domain needs 1"]
        pairs:
          description: The failover pairs, C({mac, network, alias, standby_network, standby_bridge, guest_master}).
          type: list
          elements: dict
          returned: always
        networks:
          description: The networks the domain uses, by name.
          type: list
          elements: str
          returned: always
        needed_vfs:
          description: Pool network -> VFs the domain takes from it.
          type: dict
          returned: always
        free_vfs:
          description: Pool network -> free VFs on the destination.
          type: dict
          returned: always
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import (
    LIBVIRT, close_connection, open_connection)
from ansible_collections.directiron.sriov.plugins.module_utils._migrate import migration_preflight
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, require_libvirt, run_module

# The binding, imported once in _libvirt_conn; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def preflight(params):
    src = open_connection(libvirt, params["uri"])
    try:
        try:
            dst = open_connection(libvirt, params["dest_uri"])
        except SriovError as err:
            raise SriovError("domain %s: %s" % (params["domain"], err), field="dest_uri")
        try:
            found = migration_preflight(libvirt, src, dst, params["domain"], params.get("guest_nics"))
        finally:
            close_connection(libvirt, dst)
    finally:
        close_connection(libvirt, src)
    if found["problems"] and params["refuse"]:
        raise SriovError("domain %s cannot live-migrate to %s: %s"
                         % (params["domain"], params["dest_uri"], "; ".join(found["problems"])),
                         field="domain", details={"sriov_migration": found})
    return {"changed": False, "ansible_facts": {"sriov_migration": found}}


def main():
    spec = host_options("uri")
    spec.update(
        domain={"type": "str", "required": True},
        dest_uri={"type": "str", "required": True},
        guest_nics={"type": "dict"},
        refuse={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_libvirt(module, libvirt)
    run_module(module, lambda: preflight(module.params))


if __name__ == "__main__":
    main()
