#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name (plugins/action/).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: validate_inventory
short_description: Validate the C(sriov_*) inventory of every host of the play, on the controller, once
version_added: 0.2.0
author:
  - directiron.sriov contributors (@directiron)
description:
  - Reads the C(sriov_*) variables of every host of the play and checks them all before any host is
    touched; the site playbook runs it first. It connects to no host and runs once per play.
  - Every C(sriov_*) name must be one the collection reads (the site variables below, role options
    named C(sriov_*), variables of the collection's playbooks such as C(sriov_audit_hosts)); an unknown
    one (C(sriov_pf)) is refused with the closest valid name. C(sriov_vfs_pfs) is refused as the
    role's copy of C(sriov_pfs).
  - C(sriov_iommu) is V(auto), V(intel) or V(amd); C(sriov_iommu_passthrough), C(sriov_reboot_ok),
    C(sriov_isolate_failures) and C(sriov_plan_reuse) are booleans.
  - Each C(sriov_pfs) entry gets the checks of M(directiron.sriov.sriov_vf) (MAC, VLAN, QoS, rates,
    VF indexes against C(num_vfs), drivers); the same PF may be declared once.
  - A MAC may be given to one VF in the whole fleet (a guest keeps its MAC when it moves). Inventory
    hosts outside the play (left out by C(--limit), for example) count too; their other errors are
    not reported.
  - C(sriov_pools) entries name PFs declared in C(sriov_pfs) (spelled the same way), use either
    C(pfs) or C(vfs), select VFs below the PF's C(num_vfs), have a VLAN from 0 to 4094 and a
    network name without XML metacharacters.
  - C(sriov_driver_pins) is a mapping with C(host) and C(guest) lists of
    C({package, version, module, module_version}); versions must be strings (an unquoted
    C(2.10) is read by YAML as the number C(2.1) and refused with the advice to quote it), one exact version without operators;
    package names may not hold shell metacharacters.
  - C(sriov_driver_options) is a list of C({module, options, state}) (the rules of
    M(directiron.sriov.driver_module), kernel module names, option names and one-word values without blanks, quotes or shell and
    line characters); each module once.
  - Role options named C(sriov_*) (for example C(sriov_vfs_prune)) are checked against their role's
    argument spec.
  - >-
    Each error is one line, the host, then the variable with its list indexes, then what is wrong, for example
    C(kvm1: sriov_pfs[1].vfs[0].vlan: must be between 0 and 4094); all errors of all hosts are
    reported together, in the failure message and in RV(hosts).
options:
  hosts:
    description:
      - The hosts to check. Defaults to every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  resolved_from:
    description:
      - Name of a registered variable holding, for each host, the result of
        M(directiron.sriov.sriov_host) run with C(sriov_pfs) (the site playbook's preflight, in check
        mode), or the results of M(directiron.sriov.sriov_vf) looped over C(sriov_pfs) in order.
        Each PF is then also known by the PCI address and netdev name the module resolved on the host,
        so a PF declared twice under two spellings (by name and by address) is refused, and pools
        naming a PF by another spelling than C(sriov_pfs) are checked.
      - Without it a pool naming a PF another way than C(sriov_pfs) does (C(enp2s0) for a PF declared
        as C(0000:02:00.0)) is left to this second pass; a pool naming a PF that no spelling can match is refused.
    type: str
  isolate:
    description:
      - V(false) fails the task when any host has an error, so the play stops before any host changes.
      - V(true) returns the errors without failing; the site playbook then fails each host with
        errors on its own, and the other hosts go on.
    type: bool
    default: false
extends_documentation_fragment:
  - directiron.sriov.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads inventory variables only; nothing changes in either mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: all
    details:
      - Runs on the controller.
seealso:
  - module: directiron.sriov.sriov_vf
"""

EXAMPLES = r"""
- name: Refuse a bad inventory before any host changes (runs once, on the controller)
  directiron.sriov.validate_inventory:
  run_once: true

- name: Report the errors, and let each host with errors fail on its own
  directiron.sriov.validate_inventory:
    isolate: true
  run_once: true
  register: inventory_check
"""

RETURN = r"""
hosts:
  description: The errors of each host that has any, without the host name in front.
  returned: always
  type: dict
  sample: {"kvm1": ["sriov_pfs[1].vfs[0].vlan: must be between 0 and 4094, got 5000"]}
checked:
  description: How many hosts were checked.
  returned: always
  type: int
  sample: 12
"""
