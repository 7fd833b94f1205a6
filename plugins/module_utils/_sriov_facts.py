# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What sriov_facts reports: SR-IOV PFs, their VFs, drivers and per-VF netlink state.

Pure standard library, like every module_utils file: the module is a thin AnsibleModule wrapper.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import os

from ansible_collections.directiron.sriov.plugins.module_utils import _coexist, _iplink, _rules, _spec, _sysfs, _vf_selector
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# The per-VF settings sriov_facts reports are the ones sriov_vf sets (the option table's).
VF_NETLINK_KEYS = _spec.VF_LINK_KEYS


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


def live_commands(sysfs_root, netlink):
    """Whether the netlink option lets the module run ip and ethtool for this sysfs_root."""
    return netlink == "always" or (netlink == "auto" and _sysfs.is_live_root(sysfs_root))


def _netlink_links(sysfs_root, netlink, ip_link_json, runner, ip_bin, missing):
    """({ifname: parsed}, source) following the netlink option."""
    if ip_link_json:
        try:
            with open(ip_link_json) as handle:
                return _iplink.parse_link_show(handle.read()), "file"
        except (IOError, OSError, ValueError) as exc:
            missing.append("ip_link_json %s unreadable (%s): per-VF settings are absent" % (ip_link_json, exc))
            return {}, "failed"
    if not live_commands(sysfs_root, netlink):
        missing.append("netlink=%s with sysfs_root %s: ip was not run, per-VF settings are absent and firmware is null"
                       % (netlink, sysfs_root))
        return {}, "skipped"
    if runner is None or not ip_bin:
        missing.append("ip (iproute2) not found: per-VF settings are absent")
        return {}, "unavailable"
    rc, out, err = runner([ip_bin, "-d", "-j", "link", "show"])
    if rc != 0:
        missing.append("ip -d -j link show failed (rc %s: %s): per-VF settings are absent" % (rc, (err or "").strip()))
        return {}, "failed"
    try:
        return _iplink.parse_link_show(out), "ip"
    except ValueError as exc:
        missing.append("ip -d -j link show printed no JSON (%s; iproute2 too old?): per-VF settings are absent" % exc)
        return {}, "failed"


SUBSETS = ("pfs", "vfs")
MSIX_CAPABILITY = 0x11
# A VF needs one vector for the PF mailbox and at least one for a queue pair.
MIN_VF_VECTORS = 2


def msix_table_size(sysfs_root, address):
    """Size of the MSI-X table in a function's PCI config space, or None when it cannot be read
    (not root: only the first 64 bytes are readable; no MSI-X capability)."""
    data = _sysfs.function_config(sysfs_root, address, 256)
    if data is None or len(data) < 0x40 or not data[0x06] & 0x10:  # status: capability list present
        return None
    pointer, seen = data[0x34] & 0xFC, set()
    while pointer and pointer not in seen and pointer + 3 < len(data):
        seen.add(pointer)
        if data[pointer] == MSIX_CAPABILITY:
            return ((data[pointer + 2] | data[pointer + 3] << 8) & 0x7FF) + 1
        pointer = data[pointer + 1] & 0xFC
    return None


def _int_attr(sysfs_root, address, name):
    try:
        return int(_sysfs.function_attr(sysfs_root, address, name))
    except (TypeError, ValueError):
        return None


def pool_vfs(sysfs_root, pools, missing):
    """PCI addresses of the VFs the given pools (``sriov_pools`` items) hand out."""
    addresses = set()
    for position, pool in enumerate(pools or []):
        where = "pools[%d]" % position
        try:
            for pf in (pool or {}).get("pfs") or []:
                address = _sysfs.resolve_pf(sysfs_root, pf)
                addresses.update(_sysfs.list_vfs(sysfs_root, address).values())
            vfs = (pool or {}).get("vfs") or []
            for item in _vf_selector.rejoin_vf_items([vfs] if isinstance(vfs, str) else vfs):
                if _vf_selector.is_vf_selector(item):
                    pf, ids = _vf_selector.parse_vf_selector(item, where)
                    vfs = _sysfs.list_vfs(sysfs_root, _sysfs.resolve_pf(sysfs_root, pf))
                    addresses.update(vfs[index] for index in ids if index in vfs)
                else:
                    addresses.add(_rules.format_pci_address(_rules.parse_pci_address(item, where)))
        except SriovError as exc:
            missing.append("%s (%s) not read: %s" % (where, (pool or {}).get("name"), exc.msg))
    return addresses


def advice(entry, used, domains):
    """Over-provisioning warnings for one PF, each only when the data behind it is there.

    ``used``: VF addresses in a pool (None when no pools were passed); ``domains``: {address:
    domain} of running guests.
    """
    found = []
    numvfs = entry.get("numvfs") or 0
    total = entry.get("vf_total_msix")
    if numvfs and total is not None and total // numvfs < MIN_VF_VECTORS:
        found.append("PF %s: %d VFs share %d MSI-X vectors (sriov_vf_total_msix), %d each: a VF needs at least %d "
                     "(one for the PF mailbox, one per queue pair); use fewer VFs"
                     % (entry["address"], numvfs, total, total // numvfs, MIN_VF_VECTORS))
    if used is not None and entry.get("vfs") is not None:
        idle = [index for index, vf in enumerate(entry["vfs"])
                if vf and vf["address"] not in used and vf["address"] not in domains]
        if idle:
            found.append("PF %s: VF %s in no pool and attached to no running guest: fewer VFs would free their "
                         "queues and interrupt vectors" % (entry["address"], ", ".join(str(i) for i in idle)))
    return found


def _vf_entry(sysfs_root, vf, settings):
    """One VF of a PF's ``vfs`` list: address, netdev (and its MTU), driver, IOMMU group, and the
    settings the PF reports for it when there is netlink data (the keys are absent without)."""
    netdev = vf["netdevs"][0] if vf["netdevs"] else None
    entry = {
        "address": vf["address"],
        "netdev": netdev,
        "mtu": _sysfs.netdev_mtu(sysfs_root, netdev),
        "queues": _sysfs.netdev_queues(sysfs_root, netdev),
        "msix_vectors": msix_table_size(sysfs_root, vf["address"]),
        "driver": vf["driver"],
        "iommu_group": vf["iommu_group"],
    }
    if settings:
        for key in VF_NETLINK_KEYS:
            entry[key] = settings.get(key)
    return entry


def _pf_details(sysfs_root, pf, netdev, kernel_release, versions, firmware_info):
    """The ``pfs`` subset of one PF: driver and versions, ids, autoprobe, NUMA node, link, group."""
    address = pf["address"]
    state = _sysfs.netdev_state(sysfs_root, address, netdev) if netdev else {}
    version, version_source, module = (None, None, None)
    if pf["driver"]:
        version, version_source, module = driver_version(sysfs_root, pf["driver"], kernel_release, versions)
    firmware = None
    if firmware_info:
        firmware = firmware_info["firmware_version"]
        if version is None and firmware_info["version"]:
            version, version_source = firmware_info["version"], "ethtool"
    vf_device = _sysfs.function_attr(sysfs_root, address, "sriov_vf_device")
    if vf_device and not vf_device.startswith("0x"):
        vf_device = "0x" + vf_device
    return {
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
        "drivers_autoprobe": pf["sriov_drivers_autoprobe"],
        "numa_node": pf["numa_node"],
        "link_state": state.get("operstate"),
        "carrier": state.get("carrier"),
        "speed": state.get("speed"),
        "mac": state.get("mac"),
        "mtu": state.get("mtu"),
        "queues": _sysfs.netdev_queues(sysfs_root, netdev),
        "msix_vectors": msix_table_size(sysfs_root, address),
        "vf_total_msix": _int_attr(sysfs_root, address, "sriov_vf_total_msix"),
        "iommu_group": pf["iommu_group"],
    }


def _pf_vfs(sysfs_root, functions, pf, pf_link, missing):
    """The ``vfs`` list of one PF, position = VF index (null for a VF that vanished)."""
    address, netdev = pf["address"], (pf["netdevs"][0] if pf["netdevs"] else None)
    vfs = [None] * (max(pf["virtfns"]) + 1 if pf["virtfns"] else 0)
    no_netlink = []
    for index in sorted(pf["virtfns"]):
        vf_address = pf["virtfns"][index]
        vf = functions.get(vf_address)
        if vf is None:
            missing.append("VF %d of %s (%s) vanished during the scan" % (index, address, vf_address))
            continue
        settings = pf_link["vfs"].get(index) if pf_link else None
        if pf_link and settings is None:
            no_netlink.append(index)
        vfs[index] = _vf_entry(sysfs_root, vf, settings)
    if no_netlink:
        missing.append("PF %s (%s): the ip output has no per-VF data for VF %s (a VF list truncated by the "
                       "netlink message size, or VFs created after ip ran): their settings are absent"
                       % (address, netdev, ", ".join(str(i) for i in no_netlink)))
    return vfs


def gather_sriov_facts(sysfs_root="/sys", proc_root="/proc", netlink="auto", ip_link_json=None, runner=None,
                       ip_bin=None, ethtool_bin=None, subset=SUBSETS, pools=None, domains=None, config_root="/"):
    """Everything sriov_facts returns. ``runner(argv) -> (rc, stdout, stderr)`` runs host commands.

    ``subset``: which of SUBSETS to gather besides the summary (address, netdev and VF counts of
    every PF). Without ``vfs`` no VF is read and ip does not run; without ``pfs`` ethtool does not run.
    ``pools``: ``sriov_pools`` items, to report VFs in no pool (and, with ``domains`` {address:
    domain}, attached to no running guest).
    ``config_root``: where the NetworkManager and systemd files that may own a PF's SR-IOV settings
    are read (``pfs`` subset: each PF's ``owners``, see ``_coexist``).
    """
    missing = []
    kernel_release = _sysfs.read_attr(os.path.join(proc_root, "sys", "kernel", "osrelease"))
    if kernel_release is None:
        missing.append("%s unreadable: in-tree driver versions are null"
                       % os.path.join(proc_root, "sys", "kernel", "osrelease"))
    if not _sysfs.root_present(sysfs_root):
        missing.append("sysfs_root %s is not a readable directory: no PF facts" % sysfs_root)
    want_vfs = "vfs" in subset
    functions = _sysfs.scan_functions(sysfs_root, brief=True, vfs=want_vfs)
    if not functions and _sysfs.root_present(sysfs_root):
        missing.append("no PCI functions under %s" % _sysfs.pci_devices_dir(sysfs_root))
    pf_addresses = sorted(a for a, f in functions.items() if f["sriov_totalvfs"] is not None)
    links, source = {}, "skipped"
    if pf_addresses and want_vfs:
        links, source = _netlink_links(sysfs_root, netlink, ip_link_json, runner, ip_bin, missing)
    run_ethtool = "pfs" in subset and (source == "ip" or (not want_vfs and live_commands(sysfs_root, netlink)))
    if run_ethtool and not (runner and ethtool_bin):
        missing.append("ethtool not found: firmware_version is null")
        run_ethtool = False
    versions = {}
    pfs = []
    found = None
    if "pfs" in subset and pf_addresses:
        found = _coexist.host_owners(config_root)
        missing.extend(found["notes"])
    for address in pf_addresses:
        pf = functions[address]
        netdev = pf["netdevs"][0] if pf["netdevs"] else None
        entry = {"address": address, "netdev": netdev, "totalvfs": pf["sriov_totalvfs"],
                 "numvfs": pf["sriov_numvfs"]}
        if "pfs" in subset:
            firmware_info = None
            if run_ethtool and netdev:
                rc, out, err = runner([ethtool_bin, "-i", netdev])
                if rc == 0:
                    firmware_info = _iplink.parse_ethtool_info(out)
                else:
                    missing.append("ethtool -i %s failed (rc %s): its firmware_version is null" % (netdev, rc))
            entry.update(_pf_details(sysfs_root, pf, netdev, kernel_release, versions, firmware_info))
            entry["owners"] = _coexist.pf_owners(found, _coexist.pf_identity(sysfs_root, address, netdev, pf["driver"]))
        if want_vfs:
            pf_link = links.get(netdev) if netdev else None
            entry["vfs"] = _pf_vfs(sysfs_root, functions, pf, pf_link, missing)
            if pf["virtfns"] and source in ("ip", "file") and not pf_link:
                missing.append("PF %s has %s: per-VF settings of its VFs are absent"
                               % (address, "no netdev" if not netdev else "no entry %s in the ip output" % netdev))
        pfs.append(entry)
    used = pool_vfs(sysfs_root, pools, missing) if pools is not None else None
    found = []
    for entry in pfs:
        found.extend(advice(entry, used, domains or {}))
    return {"kernel_release": kernel_release, "netlink": source, "gather_subset": sorted(subset),
            "missing": missing, "advice": found, "pfs": pfs}
