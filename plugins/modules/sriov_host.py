#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_host
short_description: Declare the VFs of every SR-IOV PF of a host, and persist them for every boot
version_added: 2.0.0
description:
  - Brings the whole VF state of a host to the wanted state in one run. O(sriov_pfs) lists every PF the host
    should have VFs on; each entry takes the options of M(directiron.sriov.sriov_vf) and goes through the same
    code (read, validate, plan, guard, apply).
  - Every PF is read, validated, planned and guarded before anything is written. A bad entry or a refusal
    names its field (for example C(sriov_pfs[1].vfs[0].mac)) and the host is left as it was.
  - With O(prune=true), the PFs of the previous boot config that O(sriov_pfs) no longer lists are set to 0 VFs,
    through the same guards.
  - With O(persist=true) it also writes what replays this state at every boot, each file only when its content
    or mode differs - the config C(/etc/directiron-sriov/vfs.json), the launcher
    C(/usr/local/libexec/directiron-sriov-replay) (it embeds the replay code this module runs), the systemd unit
    C(directiron-sriov-vfs.service) (enabled, it runs at the next boot, not now), and a udev rule that keeps
    NetworkManager off the VFs of the listed PFs, written before VFs are created.
  - A second identical run reports C(changed=false). Check mode writes nothing and reports what a run would do.
author:
  - directiron.sriov contributors (@directiron)
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.writer
  - directiron.sriov.vf_options.sriov_pfs
options:
  sriov_pfs:
    description:
      - The wanted state of every PF, one entry per PF, in the shape of the inventory variable C(sriov_pfs). Each
        entry takes the options of M(directiron.sriov.sriov_vf) (without O(sysfs_root) and O(proc_root)).
      - Two entries for the same PF (by PCI address, however they name it) are refused.
      - An empty list removes nothing by itself; with O(prune=true) it sets every previously persisted PF to 0 VFs.
    type: list
    elements: dict
    required: true
  prune:
    description:
      - Set the PFs of the previous boot config that O(sriov_pfs) no longer lists to 0 VFs now. Without it they
        only leave the boot config.
      - A PF of the previous config that is no longer on the host is skipped with a warning.
    type: bool
    default: false
  persist:
    description:
      - Write the boot-time replay (config, launcher, systemd unit, udev rule) and enable the unit.
      - V(false) only applies the VF state now (it is lost at the next boot).
    type: bool
    default: true
  nm_unmanaged:
    description:
      - Keep NetworkManager off the VFs of the listed PFs (a udev rule setting C(NM_UNMANAGED)). V(false) writes the
        rule file without a rule.
    type: bool
    default: true
  take_over:
    description:
      - Manage a PF whose SR-IOV settings NetworkManager or systemd also hold (a connection with an C([sriov])
        section, a C(.link) file with C([SR-IOV]) or C(SR-IOVVirtualFunctions=), a C(.network) file with
        C([SR-IOV]); RV(directiron.sriov.sriov_facts#module:ansible_facts.sriov.pfs[].owners) says how they are
        found). Without it such a PF (listed, or pruned) is refused before anything is written, with the owner's
        file and what to do, in check mode too.
      - V(true) goes ahead and returns a warning naming the owner, which applies its settings again when it next
        runs (boot, link setup, connection activation) until they are removed there.
    type: bool
    default: false
  boot_wait:
    description:
      - Seconds the boot-time replay waits for udev to settle and the PFs to appear (0 to 3600).
    type: int
    default: 60
  python:
    description:
      - Interpreter of the boot-time launcher.
    type: path
    default: /usr/bin/python3
  config_root:
    description:
      - Directory the persisted files are written under. V(/) on a host; another directory (an image being built,
        a test tree) gets the files only, and C(systemctl --root) enables the unit there.
    type: path
    default: /
  facts:
    description:
      - Also return the host's facts, as M(directiron.sriov.iommu_facts) and M(directiron.sriov.sriov_facts) return
        them, in RV(ansible_facts.iommu) and RV(ansible_facts.sriov). A fleet report plus a dry run (this module in
        check mode) is then one module run per host instead of three.
      - The list is their O(directiron.sriov.iommu_facts#module:gather_subset) over both modules' names - V(devices)
        and V(groups) for C(iommu), V(pfs) and V(vfs) for C(sriov), V(all), V(min) and V(!name). V(min) is both
        summaries.
      - The facts are read after the run (in check mode, the host as it is); a run that fails returns none. The
        default, V([]), gathers none.
    type: list
    elements: str
    default: []
notes:
  - The guards are those of M(directiron.sriov.sriov_vf); see its notes on the address of the Ansible connection.
  - NetworkManager and systemd files are read under O(config_root); see O(take_over).
  - The udev rule is re-evaluated (C(udevadm trigger)) and systemd reloaded only when their files change.
seealso:
  - module: directiron.sriov.sriov_vf
  - module: directiron.sriov.sriov_facts
"""

EXAMPLES = r"""
- name: Every PF of the host from its inventory, now and at every boot
  directiron.sriov.sriov_host:
    sriov_pfs: "{{ sriov_pfs }}"
    prune: true

- name: Preflight the host's VF state (nothing changes)
  directiron.sriov.sriov_host:
    sriov_pfs:
      - pf: enp1s0
        num_vfs: 4
        vf_driver: vfio-pci
        vfs:
          - {id: 0, mac: "02:1a:00:00:00:01", vlan: 100}
      - pf: "0000:02:00.0"
        num_vfs: 2
        drivers_autoprobe: false
  check_mode: true
  register: preflight

- name: Fleet report and dry run in one run per host (the IOMMU and SR-IOV summaries, and the plan)
  directiron.sriov.sriov_host:
    sriov_pfs: "{{ sriov_pfs }}"
    facts: [min]
  check_mode: true
  register: plan

- name: Report each host
  ansible.builtin.debug:
    msg: >-
      IOMMU {{ ansible_facts.iommu.vendor }} {{ 'on' if ansible_facts.iommu.enabled else 'off' }},
      VFs {{ ansible_facts.sriov.pfs | map(attribute='numvfs') | list }}, would change: {{ plan.changed }}
"""

RETURN = r"""
files:
  description:
    - The paths the module writes for the boot-time replay (C(config), C(config_dir), C(launcher), C(unit),
      C(unit_enabled), C(udev_rule)); the decommission playbook removes them.
  returned: success
  type: dict
  sample: {"config": "/etc/directiron-sriov/vfs.json", "unit": "/etc/systemd/system/directiron-sriov-vfs.service"}
unit:
  description: The systemd unit of the boot-time replay.
  returned: success
  type: str
  sample: directiron-sriov-vfs.service
pfs:
  description: One entry per entry of O(sriov_pfs), in the same order.
  returned: success
  type: list
  elements: dict
  contains:
    pf:
      description: PCI address of the PF.
      type: str
      returned: success
      sample: "0000:01:00.0"
    netdev:
      description: Network interface of the PF, null when it has none.
      type: str
      returned: success
      sample: enp1s0
    changed:
      description: Whether this PF changed (in check mode, would change).
      type: bool
      returned: success
    actions:
      description: What was done to this PF, as in RV(directiron.sriov.sriov_vf#module:actions).
      type: list
      elements: str
      returned: success
    state:
      description: State of the PF after the run (in check mode, the predicted state), as in
        RV(directiron.sriov.sriov_vf#module:state).
      type: dict
      returned: success
pruned:
  description: PCI addresses of the PFs of the previous boot config set to 0 VFs (O(prune=true)).
  returned: success
  type: list
  elements: str
  sample: ["0000:02:00.0"]
actions:
  description: Everything the run did (in check mode, would do), in order. Empty when nothing changed.
  returned: success
  type: list
  elements: str
  sample:
    - write /etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules (mode 0644)
    - set sriov_numvfs of 0000:01:00.0 to 4
    - write /etc/directiron-sriov/vfs.json (mode 0600)
    - enable directiron-sriov-vfs.service
ansible_facts:
  description:
    - With O(facts), the host's C(iommu) facts (as RV(directiron.sriov.iommu_facts#module:ansible_facts.iommu)) and
      C(sriov) facts (as RV(directiron.sriov.sriov_facts#module:ansible_facts.sriov)).
  returned: when O(facts) is not empty
  type: dict
  sample: {"iommu": {"enabled": true, "vendor": "intel", "gather_subset": []},
           "sriov": {"kernel_release": "6.1.0-28-amd64", "gather_subset": [], "pfs": []}}
  contains:
    iommu:
      description: IOMMU state of the host, as returned by M(directiron.sriov.iommu_facts).
      returned: when O(facts) is not empty
      type: dict
    sriov:
      description: SR-IOV state of the host, as returned by M(directiron.sriov.sriov_facts).
      returned: when O(facts) is not empty
      type: dict
diff:
  description: One before/after per changed PF (in the shape of RV(pfs[].state)) and per changed file.
  returned: success, in diff mode
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._host import HostManager
from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module
from ansible_collections.directiron.sriov.plugins.module_utils._replay import DEFAULT_WAIT


def main():
    spec = dict(
        sriov_pfs=dict(type="list", elements="dict", required=True),
        prune=dict(type="bool", default=False),
        persist=dict(type="bool", default=True),
        nm_unmanaged=dict(type="bool", default=True),
        take_over=dict(type="bool", default=False),
        boot_wait=dict(type="int", default=DEFAULT_WAIT),
        python=dict(type="path", default="/usr/bin/python3"),
        config_root=dict(type="path", default="/"),
        facts=dict(type="list", elements="str", default=[]),
    )
    spec.update(host_options("sysfs_root", "proc_root"))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    runner = command_runner(module)
    manager = HostManager(module.params, runner, check_mode=module.check_mode)

    def call():
        if module.params["facts"]:
            # imported only when asked: a module runs from a zip, where every import is compiled
            # afresh, and the converge asks for no facts
            from ansible_collections.directiron.sriov.plugins.module_utils._host_facts import (  # pylint: disable=import-outside-toplevel
                facts_subsets, gather_host_facts)
            facts_subsets(module.params["facts"])  # a bad name fails the run before anything is written
        result = manager.run()
        if module.params["facts"]:
            result["ansible_facts"] = gather_host_facts(
                module.params["facts"], module.params["sysfs_root"], module.params["proc_root"], runner,
                module.get_bin_path("ip"), module.get_bin_path("ethtool"))
        return result

    run_module(module, call, manager.actions)


if __name__ == "__main__":
    main()
