#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by the action plugin of the same name (plugins/action/).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_report
short_description: The fleet report of the site, decommission and audit playbooks, on the controller
version_added: 2.0.0
author:
  - directiron.sriov contributors (@directiron)
description:
  - Per host and PF, from the results and facts the play already holds (no host is contacted), VFs
    wanted (C(sriov_pfs[].num_vfs)) and present, their drivers, how many MACs and VLANs the inventory
    set, free and held VFs and by which libvirt domain (when C(sriov_domains) facts were read), the
    pools, the IOMMU state, the pending reboots with their reason and the drift of the PF driver
    against C(sriov_driver_pins.host).
  - Prints a table, writes it as Markdown and JSON in O(dir), and returns every warning (a pending
    reboot, fewer VFs than wanted, drift) as an Ansible warning.
options:
  playbook:
    description: Which playbook reports (names the files C(sriov-report-PLAYBOOK.md) and C(.json)).
    type: str
    default: site
  hosts:
    description: The hosts to report. Defaults to every host of the play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  dir:
    description: Directory on the controller for the Markdown and JSON files; none written when not set.
    type: path
  show:
    description: Print the table.
    type: bool
    default: true
extends_documentation_fragment:
  - directiron.sriov.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the play's variables; writes only its own files on the controller, also in check mode.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: all
    details:
      - Runs on the controller.
notes:
  - Runs on the controller; use it with C(run_once).
"""

EXAMPLES = r"""
- name: Report the fleet
  directiron.sriov.sriov_report:
    dir: "{{ sriov_report_dir }}"
  run_once: true
"""

RETURN = r"""
report:
  description: C(playbook), C(rows) (one per host and PF), C(warnings) and C(summary).
  returned: always
  type: dict
text:
  description: The table as printed.
  returned: always
  type: str
files:
  description: The C(markdown) and C(json) paths written.
  returned: when O(dir) is set
  type: dict
"""
