#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sriov_facts
short_description: SR-IOV physical functions, their virtual functions and per-VF settings
version_added: 0.1.0
description:
  - Returns C(ansible_facts.sriov) for every SR-IOV capable PCI function (PF). For each PF it gives
    the PCI address, netdev, driver and its version, firmware, PCI ids, C(sriov_totalvfs),
    C(sriov_numvfs), C(sriov_drivers_autoprobe), NUMA node and link state. For each of the PF's
    VFs (listed by VF index) it gives the PCI address, netdev, driver and IOMMU group, plus the MAC, VLAN, QoS,
    VLAN protocol, spoof checking, trust, link state and min/max TX rate set through the PF.
  - PCI data comes from sysfs only; nothing parses C(lspci). Per-VF settings come from
    C(ip -d -j link show), or from a file holding that output. The firmware version comes from
    C(ethtool -i) where ethtool is installed.
  - The driver version is C(/sys/module/<module>/version) when the module has one. An in-tree
    driver without a version reports the kernel release.
  - Missing tools, a missing or unreadable C(sysfs_root), a VF without a netdev or a device that
    vanishes during the scan do not fail the module. The affected values are null and
    RV(ansible_facts.sriov.missing) says why.
author:
  - directiron.sriov contributors (@directiron)
options:
  gather_subset:
    description:
      - What to gather besides the summary, which is always returned (kernel release, and for every PF
        its address, netdev, C(totalvfs) and C(numvfs)).
      - V(pfs) adds the PF details (drivers and versions, firmware from C(ethtool -i), PCI ids, autoprobe,
        NUMA node, link, IOMMU group); V(vfs) adds each PF's C(vfs) list (and runs C(ip) for the per-VF settings).
      - V(all) asks for both, a name prefixed with V(!) leaves that subset out (V(!all) leaves out all
        not named), as for M(ansible.builtin.setup). V(min) is the summary alone.
      - Without V(vfs) no VF is read and C(ip) does not run; without V(pfs) C(ethtool) does not run.
    type: list
    elements: str
    default: [all]
  netlink:
    description:
      - Whether to run C(ip -d -j link show) and C(ethtool -i) on the managed host for per-VF settings and firmware.
      - V(auto) runs them only when O(sysfs_root) is V(/sys), because the commands describe the running host,
        not a captured tree.
      - V(always) runs them whatever O(sysfs_root) is; V(never) does not run them (per-VF settings and firmware
        are null unless O(ip_link_json) is given).
    type: str
    choices: [auto, always, never]
    default: auto
  ip_link_json:
    description:
      - A file holding the output of C(ip -d -j link show), for example from a support bundle. When
        set, the module reads per-VF settings from it and runs no command.
    type: path
  pools:
    description:
      - The VF pools of the host, as in the inventory variable C(sriov_pools) (items with C(pfs) or C(vfs)).
        When given, RV(ansible_facts.sriov.advice) names the VFs that are in no pool and attached to no running
        libvirt domain (running domains are asked only on the live host, see O(netlink)).
    type: list
    elements: dict
  config_root:
    description:
      - Directory under which the NetworkManager and systemd files that may own a PF's SR-IOV settings are read
        (RV(ansible_facts.sriov.pfs[].owners)). V(/) on a host; a captured tree or an image elsewhere.
    type: path
    default: /
notes:
  - "Over-provisioning advice (RV(ansible_facts.sriov.advice), also returned as warnings) is given only when the
    data behind it is there: a PF that shares a pool of MSI-X vectors among its VFs (C(sriov_vf_total_msix)) with
    fewer than two per VF, and, with O(pools), VFs that no pool or running guest uses. sysfs does not say how many
    hardware queues a device has, so queue counts (C(queues)) and MSI-X table sizes (C(msix_vectors), read from
    PCI config space, which needs root) are reported for the operator but not judged."
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.sysfs.proc_root
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
seealso:
  - module: directiron.sriov.iommu_facts
"""

EXAMPLES = r"""
- name: Read SR-IOV facts
  directiron.sriov.sriov_facts:

- name: Show each PF with its VF count
  ansible.builtin.debug:
    msg: "{{ item.netdev }} ({{ item.address }}): {{ item.numvfs }}/{{ item.totalvfs }} VFs, driver {{ item.driver }} {{ item.driver_version }}"
  loop: "{{ ansible_facts.sriov.pfs }}"

- name: VLAN of VF 3 of enp65s0f0 (the position in vfs is the VF index)
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.sriov.pfs | selectattr('netdev', 'eq', 'enp65s0f0') | first).vfs[3].vlan }}"

- name: VF counts only, for a fleet-wide report (no VF is read, neither ip nor ethtool runs)
  directiron.sriov.sriov_facts:
    gather_subset: [min]

- name: Read facts from a support bundle, per-VF settings from its saved ip output
  directiron.sriov.sriov_facts:
    sysfs_root: /tmp/bundle/sys
    proc_root: /tmp/bundle/proc
    ip_link_json: /tmp/bundle/commands/ip-d-j-link-show.json
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: dict
  sample: {"sriov": {"kernel_release": "6.1.0-28-amd64", "netlink": "ip", "gather_subset": ["pfs", "vfs"], "missing": [],
                     "pfs": []}}
  contains:
    sriov:
      description: SR-IOV state of the host.
      returned: always
      type: dict
      sample: {"kernel_release": "6.1.0-28-amd64", "netlink": "ip", "gather_subset": ["pfs", "vfs"], "missing": [], "pfs": []}
      contains:
        kernel_release:
          description: Running kernel release from C(proc_root), null when unreadable.
          type: str
          returned: always
          sample: 6.1.0-28-amd64
        netlink:
          description:
            - Where per-VF settings came from. V(ip) ran C(ip -d -j link show), V(file) read O(ip_link_json),
              V(skipped) means no command was run (see O(netlink)), V(unavailable) means C(ip) was not found,
              and V(failed) means the command failed (see RV(ansible_facts.sriov.missing)).
          type: str
          returned: always
          sample: ip
        gather_subset:
          description: The subsets gathered, after O(gather_subset) was resolved.
          type: list
          elements: str
          returned: always
          sample: [pfs, vfs]
        advice:
          description: Over-provisioning warnings (see the notes); empty when there is nothing to say or no data.
          type: list
          elements: str
          returned: always
          sample: ["PF 0000:01:00.0: VF 5, 6 in no pool and attached to no running guest: fewer VFs would free their
                    queues and interrupt vectors"]
        missing:
          description: What could not be read and what that means; empty when everything was there.
          type: list
          elements: str
          returned: always
          sample: ["ethtool not found: firmware_version is null"]
        pfs:
          description: SR-IOV capable PCI functions, sorted by address.
          type: list
          elements: dict
          returned: always
          sample: [{"address": "0000:01:00.0", "netdev": "enp1s0", "netdevs": ["enp1s0"], "driver": "igb",
                    "driver_module": "igb", "driver_version": "6.1.0-28-amd64", "driver_version_source": "kernel",
                    "firmware_version": "2.1.0", "vendor": "0x8086", "device": "0x10c9", "subsystem_vendor": "0x1af4",
                    "subsystem_device": "0x1100", "vf_device": "0x10ca", "totalvfs": 7, "numvfs": 4,
                    "drivers_autoprobe": true, "numa_node": null, "link_state": "up", "carrier": true, "speed": 1000,
                    "mac": "52:54:00:12:34:57", "iommu_group": 8, "vfs": [{"address": "0000:01:10.0", "netdev": null,
                    "driver": "vfio-pci", "iommu_group": 12}]}]
          contains:
            address:
              description: PCI address of the PF.
              type: str
              returned: always
              sample: "0000:01:00.0"
            netdev:
              description: The PF's network interface (the first when it has several), null when none.
              type: str
              returned: always
              sample: enp1s0
            netdevs:
              description: All network interfaces of the PF.
              type: list
              elements: str
              returned: when O(gather_subset) includes V(pfs)
              sample: [enp1s0]
            driver:
              description: Driver bound to the PF, null when none.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: igb
            driver_module:
              description: Kernel module of that driver, null for built-in drivers or none.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: igb
            driver_version:
              description: Driver version (module version, or the kernel release for in-tree drivers without one).
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: 6.1.0-28-amd64
            driver_version_source:
              description: V(module) (C(/sys/module/*/version)), V(kernel) (in-tree driver), V(ethtool), or null.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: kernel
            firmware_version:
              description: Firmware version from C(ethtool -i), null when unknown.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "1.63, 0x800009fa"
            vendor:
              description: PCI vendor id.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "0x8086"
            device:
              description: PCI device id.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "0x10c9"
            subsystem_vendor:
              description: PCI subsystem vendor id.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "0x8086"
            subsystem_device:
              description: PCI subsystem device id.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "0x0000"
            vf_device:
              description: PCI device id of its VFs (C(sriov_vf_device)), null when not shown.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "0x10ca"
            totalvfs:
              description: Most VFs the PF supports (C(sriov_totalvfs)).
              type: int
              returned: always
              sample: 7
            numvfs:
              description: VFs enabled now (C(sriov_numvfs)).
              type: int
              returned: always
              sample: 7
            drivers_autoprobe:
              description: Whether new VFs get a driver bound automatically (C(sriov_drivers_autoprobe)).
              type: bool
              returned: when O(gather_subset) includes V(pfs)
              sample: true
            numa_node:
              description: NUMA node of the PF, null when the platform does not say.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 0
            link_state:
              description: Operational state of the PF netdev (C(operstate)), null without a netdev.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: up
            carrier:
              description: Whether the PF netdev has carrier, null when unknown.
              type: bool
              returned: when O(gather_subset) includes V(pfs)
              sample: true
            speed:
              description: Link speed in Mb/s, null when unknown.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 1000
            mac:
              description: MAC address of the PF netdev.
              type: str
              returned: when O(gather_subset) includes V(pfs)
              sample: "52:54:00:12:34:56"
            mtu:
              description: MTU of the PF netdev, null without a netdev.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 9000
            queues:
              description: Queue counts of the PF netdev (C(rx), C(tx)) from sysfs, null without a netdev.
              type: dict
              returned: when O(gather_subset) includes V(pfs)
              sample: {rx: 2, tx: 2}
            msix_vectors:
              description: MSI-X table size of the PF from its PCI config space, null when unreadable.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 10
            vf_total_msix:
              description: MSI-X vectors the PF can share among its VFs (C(sriov_vf_total_msix)), null when not shown.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 256
            iommu_group:
              description: IOMMU group of the PF, null without an IOMMU.
              type: int
              returned: when O(gather_subset) includes V(pfs)
              sample: 9
            owners:
              description:
                - Other owners of the PF's SR-IOV settings, empty when there is none. A NetworkManager connection
                  (C(*.nmconnection) in C(/etc/NetworkManager/system-connections) or
                  C(/run/NetworkManager/system-connections)) with an C([sriov]) section whose C(interface-name) or
                  C(mac-address) is the PF's; the first systemd C(.link) file (by name, after masking, with its
                  C(.link.d) drop-ins) whose C([Match]) matches the PF, when it has C([SR-IOV]) sections or
                  C(SR-IOVVirtualFunctions=); the same for C(.network) files with C([SR-IOV]) sections.
                - "C([Match]) keys compared: C(OriginalName=) and C(Name=) (globs against the current netdev name),
                  C(MACAddress=) and C(PermanentMACAddress=) (the current MAC), C(Path=) (globs against
                  C(pci-ADDRESS)) and C(Driver=); other keys are not evaluated."
                - M(directiron.sriov.sriov_host) refuses such a PF unless told to take it over.
              type: list
              elements: dict
              returned: when O(gather_subset) includes V(pfs)
              sample: [{"owner": "systemd-udevd (.link)", "kind": "link", "file": "/etc/systemd/network/10-sriov.link",
                        "dropins": [], "matched_by": "Path=pci-0000:02:00.0",
                        "settings": {"virtual_functions": "4", "vfs": [{"VirtualFunction": "0", "VLANId": "10"}]}}]
              contains:
                owner:
                  description: V(NetworkManager), V(systemd-udevd (.link)) or V(systemd-networkd (.network)).
                  type: str
                  returned: always
                kind:
                  description: V(nm), V(link) or V(network).
                  type: str
                  returned: always
                file:
                  description: The file that holds the settings.
                  type: str
                  returned: always
                dropins:
                  description: Drop-in files read after it (systemd files only).
                  type: list
                  elements: str
                  returned: always
                matched_by:
                  description: The match settings that tie the file to the PF.
                  type: str
                  returned: always
                settings:
                  description:
                    - NetworkManager, the keys of the C([sriov]) section (C(total-vfs), C(autoprobe-drivers),
                      C(vfs) ...); systemd, C(virtual_functions) (C(SR-IOVVirtualFunctions=), null when not set)
                      and C(vfs), one dict per C([SR-IOV]) section.
                  type: dict
                  returned: always
            vfs:
              description:
                - The PF's VFs, the position in the list is the VF index (V(vfs[3]) is VF 3); null in place of a VF
                  that vanished during the scan.
                - Besides the keys below, each VF has every per-VF setting that M(directiron.sriov.sriov_vf) applies
                  through the PF (its O(directiron.sriov.sriov_vf#module:vfs[].mac), O(directiron.sriov.sriov_vf#module:vfs[].vlan)
                  and the other O(directiron.sriov.sriov_vf#module:vfs) options but C(id), C(driver) and C(mtu)), under the
                  option's name and in its type and values, as C(ip -d -j link show) reports it. iproute2 omits a zero
                  VLAN, priority and rate, so they read V(0); a setting the driver does not report is V(null).
                - The per-VF settings are there when the module has netlink data for the VF (see
                  RV(ansible_facts.sriov.netlink)); without it those keys are absent and RV(ansible_facts.sriov.missing)
                  says why.
              type: list
              elements: dict
              returned: when O(gather_subset) includes V(vfs)
              sample: [{"address": "0000:01:10.2", "netdev": "enp1s0v1", "driver": "igbvf", "iommu_group": 11,
                        "mac": "02:aa:00:00:00:02", "vlan": 200, "qos": 3, "vlan_proto": "802.1Q", "spoofchk": false,
                        "trust": true, "link_state": "auto", "min_tx_rate": 0, "max_tx_rate": 0}]
              contains:
                address:
                  description: PCI address of the VF.
                  type: str
                  returned: always
                  sample: "0000:01:10.0"
                netdev:
                  description: The VF's network interface in the host, null when it has none (vfio-pci, no driver).
                  type: str
                  returned: always
                  sample: enp1s16
                mtu:
                  description: MTU of the VF's host netdev, null when it has none.
                  type: int
                  returned: always
                  sample: 1500
                queues:
                  description: Queue counts of the VF's host netdev (C(rx), C(tx)), null when it has none.
                  type: dict
                  returned: always
                  sample: {rx: 1, tx: 1}
                msix_vectors:
                  description: MSI-X table size of the VF from its PCI config space, null when unreadable.
                  type: int
                  returned: always
                  sample: 3
                driver:
                  description: Driver bound to the VF, null when none.
                  type: str
                  returned: always
                  sample: vfio-pci
                iommu_group:
                  description: IOMMU group of the VF, null without an IOMMU.
                  type: int
                  returned: always
                  sample: 12
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils._ansible_module import command_runner, host_options, run_module
from ansible_collections.directiron.sriov.plugins.module_utils._guards import HostGuards
from ansible_collections.directiron.sriov.plugins.module_utils._sriov_facts import SUBSETS, gather_sriov_facts, live_commands
from ansible_collections.directiron.sriov.plugins.module_utils._subset import resolve_subset


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host_options("sysfs_root", "proc_root"),
            gather_subset=dict(type="list", elements="str", default=["all"]),
            netlink=dict(type="str", default="auto", choices=["auto", "always", "never"]),
            ip_link_json=dict(type="path"),
            pools=dict(type="list", elements="dict"),
            config_root=dict(type="path", default="/"),
        ),
        supports_check_mode=True,
    )

    def call():
        runner = command_runner(module)
        pools = module.params["pools"]
        guards = None
        if pools is not None and live_commands(module.params["sysfs_root"], module.params["netlink"]):
            guards = HostGuards(runner, module.params["sysfs_root"], module.params["proc_root"])
        facts = gather_sriov_facts(
            sysfs_root=module.params["sysfs_root"],
            proc_root=module.params["proc_root"],
            netlink=module.params["netlink"],
            ip_link_json=module.params["ip_link_json"],
            runner=runner,
            ip_bin=module.get_bin_path("ip"),
            ethtool_bin=module.get_bin_path("ethtool"),
            subset=resolve_subset(module.params["gather_subset"], SUBSETS),
            pools=pools,
            domains=guards.running_domain_devices() if guards else None,
            config_root=module.params["config_root"],
        )
        if guards:
            facts["missing"].extend(guards.notes)
        return {"changed": False, "ansible_facts": {"sriov": facts}, "warnings": list(facts["advice"])}

    run_module(module, call)


if __name__ == "__main__":
    main()
