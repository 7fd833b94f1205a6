#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_guests
short_description: Read the running guests of a hypervisor for a reboot, shut them down gracefully, start them again
version_added: 0.1.0
description:
  - O(state=read) (read-only) returns C(ansible_facts.sriov_guests) - the running domains, the VFs and plain host
    devices each holds, the VFs it takes from each pool network, whether it can live-migrate (and why not - a plain
    C(<hostdev>), a VF without a failover pair, a VF picked by address) - and the free VFs of the host's pool
    networks. The M(directiron.sriov.sriov_guest_plan) action decides from it what each domain undergoes when its
    host must reboot.
  - Without the libvirt Python binding, or when libvirt cannot be reached (libvirtd not running), O(state=read)
    reports no running guest, with a warning.
  - O(state=stopped) asks each running domain of O(domains) to shut down (an ACPI request, as C(virsh shutdown))
    and waits up to O(timeout) seconds for all; a domain still running then fails the task, naming it (nothing is
    forced off). RV(domains) lists the domains that were running.
  - O(state=started) starts each shut-off domain of O(domains), retrying for up to O(timeout) seconds (after a
    reboot the pool network or its VFs, replayed at boot, may not be there yet).
author:
  - directiron.sriov contributors (@directiron)
options:
  state:
    description: What to do.
    type: str
    choices: [read, stopped, started]
    default: read
  domains:
    description:
      - The domains to shut down or start. With O(state=stopped) and no O(domains), every running domain.
    type: list
    elements: str
    default: []
  networks:
    description: More network names whose free VFs to count (besides those libvirt lists).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds to wait for the shutdown of all O(domains), or to retry their start.
    type: int
    default: 300
extends_documentation_fragment:
  - directiron.sriov.libvirt
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
attributes:
  diff_mode:
    support: none
    details:
      - Nothing to diff; RV(domains) names the domains shut down or started.
notes:
  - O(state=read) changes nothing, in check mode or not. In check mode O(state=stopped) and O(state=started) report
    the domains they would shut down or start.
seealso:
  - module: directiron.sriov.sriov_domain_facts
  - module: directiron.sriov.sriov_migrate_preflight
"""

EXAMPLES = r"""
- name: Read the running guests
  directiron.sriov.sriov_guests:

- name: Shut down every running guest (5 minutes at most)
  directiron.sriov.sriov_guests:
    state: stopped
    timeout: 300
  register: stopped

- name: Start them again once the host is back
  directiron.sriov.sriov_guests:
    state: started
    domains: "{{ stopped.domains }}"
"""

RETURN = r"""
ansible_facts:
  description: With O(state=read), the running guests.
  returned: state is read
  type: dict
  contains:
    sriov_guests:
      description: The running domains and the free VFs.
      type: dict
      returned: always
      contains:
        running:
          description:
            - One entry per running domain, sorted by name, C({name, persistent, vfs, hostdevs, pools, networks,
              migratable, problems}); C(pools) maps a pool network to the VFs the domain takes from it; C(problems)
              says why it cannot live-migrate.
          type: list
          elements: dict
          returned: always
        free_vfs:
          description: Pool network -> its VFs no running domain holds.
          type: dict
          returned: always
          sample: {"vf-pool": 5}
domains:
  description: The domains shut down (state stopped) or started (state started), or that would be.
  returned: state is stopped or started
  type: list
  elements: str
  sample: [web01]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils import _guest_policy
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT, close_connection, open_connection
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import host_options, require_libvirt, run_module

# The binding, imported once in _libvirt_conn; this module's own name is the unit tests' seam.
libvirt = LIBVIRT


def act(params, check_mode):
    try:
        conn = open_connection(libvirt, params["uri"])
    except SriovError as err:
        if params["state"] != "read":
            raise
        # libvirtd not running (a host the converge has not set up yet): no guest of libvirt's runs
        return {"changed": False, "ansible_facts": {"sriov_guests": {"running": [], "free_vfs": {}}},
                "warnings": ["sriov_guests: %s; no running guest is known" % err]}
    try:
        if params["state"] == "read":
            found = _guest_policy.read_guests(libvirt, conn, params["networks"])
            return {"changed": False, "ansible_facts": {"sriov_guests": found}}
        if params["state"] == "stopped":
            names = params["domains"] or [d["name"] for d in _guest_policy.read_guests(libvirt, conn)["running"]]
            done = _guest_policy.shutdown_domains(libvirt, conn, names, params["timeout"], check_mode=check_mode)
        else:
            done = _guest_policy.start_domains(libvirt, conn, params["domains"], params["timeout"], check_mode=check_mode)
        return {"changed": bool(done), "domains": done}
    finally:
        close_connection(libvirt, conn)


def main():
    spec = host_options("uri")
    spec.update(
        state={"type": "str", "choices": ["read", "stopped", "started"], "default": "read"},
        domains={"type": "list", "elements": "str", "default": []},
        networks={"type": "list", "elements": "str", "default": []},
        timeout={"type": "int", "default": 300},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    if libvirt is None and module.params["state"] == "read":
        # no libvirt binding: the collection's libvirt roles have not run here, no guest of theirs runs
        module.warn("sriov_guests: the libvirt Python binding (python3-libvirt) is missing; no running guest is known")
        module.exit_json(changed=False, ansible_facts={"sriov_guests": {"running": [], "free_vfs": {}}})
    require_libvirt(module, libvirt)
    run_module(module, lambda: act(module.params, module.check_mode))


if __name__ == "__main__":
    main()
