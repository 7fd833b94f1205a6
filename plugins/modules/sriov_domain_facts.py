#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_domain_facts
short_description: Which libvirt domain holds which SR-IOV VF, with its MAC
version_added: 0.1.0
description:
  - Reads every libvirt domain (running and defined) and returns the network interfaces and PCI host devices each
    holds, and a map from host PCI address to the domain holding it, as C(ansible_facts.sriov_domains).
  - A running domain is described by its live XML, where an interface from a VF-pool network shows the VF libvirt
    handed out; a shut-off domain by its definition (a pool interface there has no VF yet).
  - Read-only. Joined with M(directiron.sriov.sriov_facts) (VF address to PF) and with facts gathered inside the
    guests (by MAC), it tells which guest runs on which PF.
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
seealso:
  - module: directiron.sriov.sriov_guest_interface
"""

EXAMPLES = r"""
- name: Learn which domain holds which VF
  directiron.sriov.sriov_domain_facts:

- name: Show the holder of one VF
  ansible.builtin.debug:
    msg: "{{ ansible_facts.sriov_domains.vfs['0000:01:10.0'] | default('free') }}"
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    sriov_domains:
      description: Domains and the host devices they hold.
      type: dict
      returned: always
      contains:
        domains:
          description: One entry per domain, sorted by name.
          type: list
          elements: dict
          returned: always
          contains:
            name:
              description: Domain name.
              type: str
              returned: always
              sample: web01
            active:
              description: Whether the domain runs.
              type: bool
              returned: always
              sample: true
            persistent:
              description: Whether the domain is defined (not transient).
              type: bool
              returned: always
              sample: true
            interfaces:
              description: Its network interfaces.
              type: list
              elements: dict
              returned: always
              contains:
                type:
                  description: Interface type (C(network), C(hostdev), C(bridge) ...); a pool interface of a running domain shows as C(hostdev).
                  type: str
                  returned: always
                  sample: hostdev
                network:
                  description: Source network name, null when the XML names none.
                  type: str
                  returned: always
                  sample: fast-net
                bridge:
                  description: Source bridge, null when none.
                  type: str
                  returned: always
                  sample: null
                vf:
                  description: Host PCI address of the VF behind a hostdev interface, null otherwise.
                  type: str
                  returned: always
                  sample: "0000:01:10.0"
                mac:
                  description: MAC address of the interface.
                  type: str
                  returned: always
                  sample: "52:54:00:10:00:01"
                vlan:
                  description: VLAN tag (a list for a trunk), null for none.
                  type: raw
                  returned: always
                  sample: 100
                alias:
                  description: Device alias (libvirt's, such as C(hostdev0), on a running domain, or a user alias).
                  type: str
                  returned: always
                  sample: hostdev0
                teaming:
                  description: Failover teaming C({type, persistent}), null when not teamed.
                  type: dict
                  returned: always
                  sample: {"type": "transient", "persistent": "ua-backup-525400100001"}
                model:
                  description: Device model (C(virtio) ...), null when none.
                  type: str
                  returned: always
                  sample: null
            hostdevs:
              description: Host PCI addresses of plain C(<hostdev>) devices.
              type: list
              elements: str
              returned: always
              sample: []
        vfs:
          description:
            - Host PCI address -> the domain holding it, C({domain, active, mac, alias, kind}) (kind C(interface) or
              C(hostdev); mac null for a plain hostdev). A running holder wins over a defined one.
          type: dict
          returned: always
          sample: {"0000:01:10.0": {"domain": "web01", "active": true, "mac": "52:54:00:10:00:01", "alias": "hostdev0", "kind": "interface"}}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import gather_domain_facts
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, run_module, require_libvirt

# The binding, imported once in _libvirt; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def main():
    module = AnsibleModule(
        argument_spec=host_options("uri"),
        supports_check_mode=True,
    )
    require_libvirt(module, libvirt)
    run_module(module, lambda: {"changed": False,
                                "ansible_facts": {"sriov_domains": gather_domain_facts(libvirt, module.params["uri"])}})


if __name__ == "__main__":
    main()
