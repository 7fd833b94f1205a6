#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name (plugins/action/).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_guest_plan
short_description: Decide, before any change, what happens to the running guests of each hypervisor that must reboot
version_added: 0.2.0
author:
  - directiron.sriov contributors (@directiron)
description:
  - Runs on the controller and connects to no host. For every host of O(hosts) it reads from hostvars the running
    guests (C(ansible_facts.sriov_guests), from M(directiron.sriov.sriov_guests) O(directiron.sriov.sriov_guests#module:state=read)),
    the reasons it will reboot (the list in the variable O(reboots_from); empty or missing - no reboot) and its guest
    policy C(sriov_guest_policy), and decides what each running domain undergoes.
  - C(refuse) (the default) - a host that must reboot while domains run on it is refused, naming each domain and the
    VFs and host devices it holds. C(shutdown) - each running domain is shut down gracefully before the reboot and
    started again once the host is back. C(migrate) - each running domain live-migrates to a peer - the host or
    libvirt URI in C(sriov_guest_migrate_to), else the first host of O(hosts) outside the host's batch (the batches
    O(serial) makes, as the play's C(serial) makes them) with enough free VFs in every same-named pool network the
    domain takes VFs from; the VFs are reserved as they are handed out. A domain that holds a plain C(<hostdev>), a
    VF without a failover pair or a VF picked by address cannot migrate and is refused, naming it and why.
  - A peer's libvirt URI is its C(sriov_guest_migrate_uri), else C(qemu+ssh://HOST/system) (HOST its
    C(ansible_host) or inventory name).
  - Never fails itself; RV(hosts) lists the refused hosts (the site playbook fails each on its own).
  - With O(plan) it replans the current host at its reboot - the domains of O(plan) keep their decision, a domain
    started since is decided again (with no peer but a named one), a domain that stopped drops out.
options:
  hosts:
    description: The hosts to decide for, in play order. Default C(ansible_play_hosts).
    type: list
    elements: str
  serial:
    description: The converge play's C(serial) (a number, a percentage or a list of them). Default one batch.
    type: raw
  reboots_from:
    description: The variable that holds, for each host, the list of reasons it will reboot.
    type: str
    default: __sriov_reboot_reasons
  plan:
    description: This host's entry of RV(plans) from an earlier run of this action (replan at the reboot).
    type: dict
extends_documentation_fragment:
  - directiron.sriov.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads variables only; nothing changes in either mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: all
    details:
      - Runs on the controller.
seealso:
  - module: directiron.sriov.sriov_guests
  - module: directiron.sriov.sriov_migrate_preflight
"""

EXAMPLES = r"""
- name: Read the running guests of every host
  directiron.sriov.sriov_guests:

- name: Decide what happens to them, the whole play at once
  directiron.sriov.sriov_guest_plan:
    serial: 1
  run_once: true
  register: guest_plan

- name: Stop a host whose guests the policy refuses
  ansible.builtin.fail:
    msg: "{{ guest_plan.hosts[inventory_hostname] | join('\n') }}"
  when: inventory_hostname in guest_plan.hosts
"""

RETURN = r"""
plans:
  description:
    - Host -> C({policy, reboot, domains, refused}); each domain C({domain, vfs, hostdevs, action, destination,
      dest_uri, problems}) with action C(stays) (no reboot), C(refused), C(shutdown) or C(migrate).
  returned: always
  type: dict
lines:
  description: Host -> one sentence per domain saying what happens to it (check mode's answer).
  returned: always
  type: dict
  sample: {"kvm1": ["kvm1: web01 (VF 0000:01:10.0) live-migrates to kvm2 (qemu+ssh://kvm2/system) before the reboot"]}
hosts:
  description: The refused hosts, each with its lines.
  returned: always
  type: dict
"""
