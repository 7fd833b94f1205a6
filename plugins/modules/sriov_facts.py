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
    VFs it gives the index, PCI address, netdev, driver and IOMMU group, plus the MAC, VLAN, QoS,
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
extends_documentation_fragment:
  - directiron.sriov.sysfs
  - directiron.sriov.attributes
  - directiron.sriov.attributes.facts
  - directiron.sriov.attributes.platform_linux
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

- name: VLANs of the VFs of enp65s0f0
  ansible.builtin.debug:
    msg: "{{ (ansible_facts.sriov.pfs | selectattr('netdev', 'eq', 'enp65s0f0') | first).vfs | items2dict(key_name='index', value_name='vlan') }}"

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
  sample: {"sriov": {"kernel_release": "6.1.0-28-amd64", "netlink": "ip", "missing": [], "pfs": []}}
  contains:
    sriov:
      description: SR-IOV state of the host.
      returned: always
      type: dict
      sample: {"kernel_release": "6.1.0-28-amd64", "netlink": "ip", "missing": [], "pfs": []}
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
                    "mac": "52:54:00:12:34:57", "iommu_group": 8, "vfs": []}]
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
              returned: always
              sample: [enp1s0]
            driver:
              description: Driver bound to the PF, null when none.
              type: str
              returned: always
              sample: igb
            driver_module:
              description: Kernel module of that driver, null for built-in drivers or none.
              type: str
              returned: always
              sample: igb
            driver_version:
              description: Driver version (module version, or the kernel release for in-tree drivers without one).
              type: str
              returned: always
              sample: 6.1.0-28-amd64
            driver_version_source:
              description: V(module) (C(/sys/module/*/version)), V(kernel) (in-tree driver), V(ethtool), or null.
              type: str
              returned: always
              sample: kernel
            firmware_version:
              description: Firmware version from C(ethtool -i), null when unknown.
              type: str
              returned: always
              sample: "1.63, 0x800009fa"
            vendor:
              description: PCI vendor id.
              type: str
              returned: always
              sample: "0x8086"
            device:
              description: PCI device id.
              type: str
              returned: always
              sample: "0x10c9"
            subsystem_vendor:
              description: PCI subsystem vendor id.
              type: str
              returned: always
              sample: "0x8086"
            subsystem_device:
              description: PCI subsystem device id.
              type: str
              returned: always
              sample: "0x0000"
            vf_device:
              description: PCI device id of its VFs (C(sriov_vf_device)), null when not shown.
              type: str
              returned: always
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
              returned: always
              sample: true
            numa_node:
              description: NUMA node of the PF, null when the platform does not say.
              type: int
              returned: always
              sample: 0
            link_state:
              description: Operational state of the PF netdev (C(operstate)), null without a netdev.
              type: str
              returned: always
              sample: up
            carrier:
              description: Whether the PF netdev has carrier, null when unknown.
              type: bool
              returned: always
              sample: true
            speed:
              description: Link speed in Mb/s, null when unknown.
              type: int
              returned: always
              sample: 1000
            mac:
              description: MAC address of the PF netdev.
              type: str
              returned: always
              sample: "52:54:00:12:34:56"
            iommu_group:
              description: IOMMU group of the PF, null without an IOMMU.
              type: int
              returned: always
              sample: 9
            vfs:
              description: The PF's VFs sorted by index.
              type: list
              elements: dict
              returned: always
              sample: [{"index": 1, "address": "0000:01:10.2", "netdev": "enp1s0v1", "driver": "igbvf", "iommu_group": 11,
                         "mac": "02:aa:00:00:00:02", "vlan": 200, "qos": 3, "vlan_proto": "802.1Q", "spoofchk": false,
                         "trust": true, "link_state": "auto", "min_tx_rate": 0, "max_tx_rate": 0}]
              contains:
                index:
                  description: VF number on its PF.
                  type: int
                  returned: always
                  sample: 0
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
                mac:
                  description: MAC address set for the VF through the PF; null without netlink data.
                  type: str
                  returned: always
                  sample: "02:aa:00:00:00:02"
                vlan:
                  description: Port VLAN (0 = none); null without netlink data.
                  type: int
                  returned: always
                  sample: 200
                qos:
                  description: 802.1p priority of the port VLAN; null without netlink data.
                  type: int
                  returned: always
                  sample: 3
                vlan_proto:
                  description: Port VLAN protocol (802.1Q or 802.1ad); null without netlink data.
                  type: str
                  returned: always
                  sample: 802.1Q
                spoofchk:
                  description: Whether MAC spoof checking is on; null when the driver does not report it.
                  type: bool
                  returned: always
                  sample: false
                trust:
                  description: Whether the VF is trusted; null when the driver does not report it.
                  type: bool
                  returned: always
                  sample: true
                link_state:
                  description: Administrative VF link state (auto, enable, disable); null when not reported.
                  type: str
                  returned: always
                  sample: auto
                min_tx_rate:
                  description: Minimum TX rate in Mb/s (0 = none); null without netlink data.
                  type: int
                  returned: always
                  sample: 0
                max_tx_rate:
                  description: Maximum TX rate in Mb/s (0 = unlimited); null without netlink data.
                  type: int
                  returned: always
                  sample: 1000
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.directiron.sriov.plugins.module_utils import _iplink, _sysfs

VF_NETLINK_KEYS = ("mac", "vlan", "qos", "vlan_proto", "spoofchk", "trust", "link_state", "min_tx_rate",
                   "max_tx_rate")


def driver_version(sysfs_root, driver, kernel_release, cache):
    """(version, source, module) of a driver; cached per driver name."""
    if driver in cache:
        return cache[driver]
    module = _sysfs.module_name(sysfs_root, driver)
    version = _sysfs.module_version(sysfs_root, driver)
    if version:
        result = (version, "module", module)
    else:
        taint = _sysfs.module_taint(sysfs_root, module) if module else None
        if taint and "O" in taint:
            result = (None, None, module)  # out-of-tree module that does not say its version
        else:
            result = (kernel_release, "kernel" if kernel_release else None, module)
    cache[driver] = result
    return result


def _netlink_links(sysfs_root, netlink, ip_link_json, runner, ip_bin, missing):
    """({ifname: parsed}, source) following the netlink option."""
    if ip_link_json:
        try:
            with open(ip_link_json) as handle:
                return _iplink.parse_link_show(handle.read()), "file"
        except (IOError, OSError, ValueError) as exc:
            missing.append("ip_link_json %s unreadable (%s): per-VF settings are null" % (ip_link_json, exc))
            return {}, "failed"
    live = os.path.realpath(sysfs_root) == "/sys"
    if netlink == "never" or (netlink == "auto" and not live):
        missing.append("netlink=%s with sysfs_root %s: ip was not run, per-VF settings and firmware are null"
                       % (netlink, sysfs_root))
        return {}, "skipped"
    if runner is None or not ip_bin:
        missing.append("ip (iproute2) not found: per-VF settings are null")
        return {}, "unavailable"
    rc, out, err = runner([ip_bin, "-d", "-j", "link", "show"])
    if rc != 0:
        missing.append("ip -d -j link show failed (rc %s: %s): per-VF settings are null" % (rc, (err or "").strip()))
        return {}, "failed"
    try:
        return _iplink.parse_link_show(out), "ip"
    except ValueError as exc:
        missing.append("ip -d -j link show printed no JSON (%s; iproute2 too old?): per-VF settings are null" % exc)
        return {}, "failed"


def gather_sriov_facts(sysfs_root="/sys", proc_root="/proc", netlink="auto", ip_link_json=None, runner=None,
                       ip_bin=None, ethtool_bin=None):
    """Everything sriov_facts returns. ``runner(argv) -> (rc, stdout, stderr)`` runs host commands."""
    missing = []
    kernel_release = _sysfs.read_attr(os.path.join(proc_root, "sys", "kernel", "osrelease"))
    if kernel_release is None:
        missing.append("%s unreadable: in-tree driver versions are null"
                       % os.path.join(proc_root, "sys", "kernel", "osrelease"))
    if not os.path.isdir(sysfs_root):
        missing.append("sysfs_root %s is not a readable directory: no PF facts" % sysfs_root)
    functions = _sysfs.scan_functions(sysfs_root, brief=True)
    if not functions and os.path.isdir(sysfs_root):
        missing.append("no PCI functions under %s" % _sysfs.pci_devices_dir(sysfs_root))
    pf_addresses = sorted(a for a, f in functions.items() if f["sriov_totalvfs"] is not None)
    links, source = {}, "skipped"
    if pf_addresses:
        links, source = _netlink_links(sysfs_root, netlink, ip_link_json, runner, ip_bin, missing)
    run_ethtool = source == "ip"
    if run_ethtool and not ethtool_bin:
        missing.append("ethtool not found: firmware_version is null")
        run_ethtool = False
    versions = {}
    pfs = []
    for address in pf_addresses:
        pf = functions[address]
        netdev = pf["netdevs"][0] if pf["netdevs"] else None
        state = _sysfs.netdev_state(sysfs_root, address, netdev) if netdev else {}
        version, version_source, module = (None, None, None)
        if pf["driver"]:
            version, version_source, module = driver_version(sysfs_root, pf["driver"], kernel_release, versions)
        firmware = None
        if run_ethtool and netdev:
            rc, out, err = runner([ethtool_bin, "-i", netdev])
            if rc == 0:
                info = _iplink.parse_ethtool_info(out)
                firmware = info["firmware_version"]
                if version is None and info["version"]:
                    version, version_source = info["version"], "ethtool"
            else:
                missing.append("ethtool -i %s failed (rc %s): its firmware_version is null" % (netdev, rc))
        vf_device = _sysfs.read_attr(_sysfs.pci_function_path(sysfs_root, address) + "/sriov_vf_device")
        if vf_device and not vf_device.startswith("0x"):
            vf_device = "0x" + vf_device
        pf_link = links.get(netdev) if netdev else None
        vfs = []
        no_netlink = []
        for index in sorted(pf["virtfns"]):
            vf_address = pf["virtfns"][index]
            vf = functions.get(vf_address)
            if vf is None:
                missing.append("VF %d of %s (%s) vanished during the scan" % (index, address, vf_address))
                continue
            entry = {
                "index": index,
                "address": vf_address,
                "netdev": vf["netdevs"][0] if vf["netdevs"] else None,
                "driver": vf["driver"],
                "iommu_group": vf["iommu_group"],
            }
            settings = pf_link["vfs"].get(index) if pf_link else None
            if pf_link and settings is None:
                no_netlink.append(index)
            for key in VF_NETLINK_KEYS:
                entry[key] = settings.get(key) if settings else None
            vfs.append(entry)
        if no_netlink:
            missing.append("PF %s (%s): the ip output has no per-VF data for VF %s (a VF list truncated by the "
                           "netlink message size, or VFs created after ip ran): their settings are null"
                           % (address, netdev, ", ".join(str(i) for i in no_netlink)))
        if pf["virtfns"] and source in ("ip", "file") and not pf_link:
            missing.append("PF %s has %s: per-VF settings of its VFs are null"
                           % (address, "no netdev" if not netdev else "no entry %s in the ip output" % netdev))
        pfs.append({
            "address": address,
            "netdev": netdev,
            "netdevs": pf["netdevs"],
            "driver": pf["driver"],
            "driver_module": module,
            "driver_version": version,
            "driver_version_source": version_source,
            "firmware_version": firmware,
            "vendor": pf["vendor"],
            "device": pf["device"],
            "subsystem_vendor": pf["subsystem_vendor"],
            "subsystem_device": pf["subsystem_device"],
            "vf_device": vf_device,
            "totalvfs": pf["sriov_totalvfs"],
            "numvfs": pf["sriov_numvfs"],
            "drivers_autoprobe": pf["sriov_drivers_autoprobe"],
            "numa_node": pf["numa_node"],
            "link_state": state.get("operstate"),
            "carrier": state.get("carrier"),
            "speed": state.get("speed"),
            "mac": state.get("mac"),
            "iommu_group": pf["iommu_group"],
            "vfs": vfs,
        })
    return {"kernel_release": kernel_release, "netlink": source, "missing": missing, "pfs": pfs}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sysfs_root=dict(type="path", default="/sys"),
            proc_root=dict(type="path", default="/proc"),
            netlink=dict(type="str", default="auto", choices=["auto", "always", "never"]),
            ip_link_json=dict(type="path"),
        ),
        supports_check_mode=True,
    )

    def runner(argv):
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    facts = gather_sriov_facts(
        sysfs_root=module.params["sysfs_root"],
        proc_root=module.params["proc_root"],
        netlink=module.params["netlink"],
        ip_link_json=module.params["ip_link_json"],
        runner=runner,
        ip_bin=module.get_bin_path("ip"),
        ethtool_bin=module.get_bin_path("ethtool"),
    )
    module.exit_json(changed=False, ansible_facts={"sriov": facts})


if __name__ == "__main__":
    main()
