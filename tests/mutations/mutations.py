# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Claimed behaviours, each broken on purpose, and the fast tests that must then fail.

Each mutation replaces one exact piece of text in one file of a copy of the collection; `run.py`
then runs the named tests on that copy and expects them to FAIL. A mutation whose text is no longer
in its file fails the run too (the claim moved: move the mutation with it). Lab-only claims are
mutated by hand (docs/testing.md lists those runs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

MUTATIONS = [
    {
        "id": "iommu-plan-holds-only-without-actions",
        "claim": "the site converge reuses the iommu role's plan only when it would write nothing",
        "file": "roles/iommu/vars/main.yml",
        "old": "and iommu_plan.actions | length == 0",
        "new": "and iommu_plan.actions is defined",
        "tests": ["tests/unit/roles/test_plan_reuse.py"],
    },
    {
        "id": "iommu-host-unknown-vendor",
        "claim": "iommu_host fails naming vendor, before any write, when the platform tells neither intel nor amd",
        "file": "plugins/module_utils/_iommu_host.py",
        "old": "    if platform is None:",
        "new": "    if platform is None and False:",
        "tests": ["tests/unit/plugins/modules/test_iommu_host.py"],
    },
    {
        "id": "host-facts-own-subset",
        "claim": "sriov_host's facts are what iommu_facts and sriov_facts return for the same gather_subset",
        "file": "plugins/module_utils/_host_facts.py",
        "old": "[name for name in chosen if name in _iommu_facts.SUBSETS]",
        "new": "_iommu_facts.SUBSETS",
        "tests": ["tests/unit/plugins/modules/test_sriov_host.py"],
    },
    {
        "id": "options-pending-only-when-written",
        "claim": "a later run reports a driver options reload or reboot that is still pending (sysfs parameters)",
        "file": "plugins/module_utils/_kmod.py",
        "old": 'options_pending = state["loaded"] and (result["file_changed"] or bool(result["pending_options"]))',
        "new": 'options_pending = state["loaded"] and result["file_changed"]',
        "tests": ["tests/unit/plugins/module_utils/test_kmod.py"],
    },
    {
        "id": "vlan-max",
        "claim": "VLAN ids above 4094 are refused (4095 is reserved by 802.1Q)",
        "file": "plugins/module_utils/_rules.py",
        "old": "MAX_VLAN = 4094",
        "new": "MAX_VLAN = 4095",
        "tests": ["tests/unit/catalogue", "tests/unit/plugins/module_utils/test_option_table.py"],
    },
    {
        "id": "shared-group-assignable",
        "claim": "a function sharing its IOMMU group with a host device is not assignable",
        "file": "plugins/module_utils/_sysfs.py",
        "old": "            blockers.append(other)",
        "new": "            harmless.append(other)",
        "tests": ["tests/unit/plugins/module_utils", "tests/unit/plugins/modules/test_iommu_facts.py"],
    },
    {
        "id": "no-host-lock",
        "claim": "writers take one per-host lock (two runs at once go one after the other)",
        "file": "plugins/module_utils/_lock.py",
        "old": "    return HostLock(purpose, **kwargs) if enabled else _NoLock()",
        "new": "    return _NoLock()",
        "tests": ["tests/unit/plugins/module_utils"],
    },
    {
        "id": "grub-dropins-ignored",
        "claim": "kernel_cmdline judges the line that boots: /etc/default/grub.d/*.cfg drop-ins count",
        "file": "plugins/module_utils/_cmdline_backends.py",
        "old": "                if entry.endswith(\".cfg\") and not entry.startswith(\".\"):",
        "new": "                if False:",
        "tests": ["tests/unit/plugins/modules/test_kernel_cmdline_real_files.py",
                  "tests/unit/plugins/modules/test_kernel_cmdline_bad_inputs.py",
                  "tests/unit/plugins/module_utils"],
    },
    {
        "id": "unknown-variable-accepted",
        "claim": "an unknown sriov_* variable is refused with the closest valid name",
        "file": "plugins/module_utils/_inventory.py",
        "old": "        elif name.startswith(PREFIX) and name not in names:",
        "new": "        elif False:",
        "tests": ["tests/unit/catalogue"],
    },
    {
        "id": "duplicate-mac-on-host",
        "claim": "sriov_vf refuses a MAC another VF or NIC of the host already uses",
        "file": "plugins/module_utils/_vf.py",
        "old": "            if vf[\"mac\"] and vf[\"mac\"] in owners:",
        "new": "            if False:",
        "tests": ["tests/unit/plugins/modules/test_sriov_vf.py", "tests/unit/plugins/module_utils",
                  "tests/unit/catalogue"],
    },
    {
        "id": "domain-guard-off",
        "claim": "a VF a running libvirt domain holds is not removed or rebound (the domain is named)",
        "file": "plugins/module_utils/_guards.py",
        "old": "        return self.running_domain_devices().get(address)",
        "new": "        return None",
        "tests": ["tests/unit/plugins/module_utils", "tests/unit/plugins/modules"],
    },
    {
        "id": "replay-not-before-libvirtd",
        "claim": "the boot-time replay finishes before libvirtd starts (guests find their VFs)",
        "file": "plugins/module_utils/_replay_install.py",
        "old": "Before=network-pre.target libvirtd.service",
        "new": "Before=network-pre.target",
        "tests": ["tests/unit/plugins/module_utils/test_host_files.py"],
    },
    {
        "id": "fleet-mac-unique-off",
        "claim": "one MAC given to VFs on two hosts (or two PFs) is refused fleet-wide before any host changes",
        "file": "plugins/module_utils/_inventory.py",
        "old": "            if not others:\n                continue",
        "new": "            if True:\n                continue",
        "tests": ["tests/unit/catalogue"],
    },
    {
        "id": "cmdline-length-unchecked",
        "claim": "kernel_cmdline refuses a line longer than the kernel keeps (2048 bytes)",
        "file": "plugins/module_utils/_cmdline.py",
        "old": "    if size > KERNEL_CMDLINE_LIMIT:",
        "new": "    if False:",
        "tests": ["tests/unit/plugins/modules/test_kernel_cmdline_bad_inputs.py",
                  "tests/unit/plugins/module_utils"],
    },
    {
        "id": "vfio-pci-alias-accepted",
        "claim": "the driver spelling vfio_pci is refused with the name to use (never left to time out)",
        "file": "plugins/module_utils/_rules.py",
        "old": "    \"vfio_pci\": VFIO_DRIVER,",
        "new": "",
        "tests": ["tests/unit/catalogue", "tests/unit/plugins/module_utils"],
    },
    {
        "id": "guest-attach-non-vf",
        "claim": "sriov_guest_interface refuses a PCI address that is not a VF",
        "file": "plugins/module_utils/_domain.py",
        "old": "            raise SriovError(\"%s is not a virtual function (it has no physfn): give a VF, or a pool network\"",
        "new": "            if False: raise SriovError(\"%s is not a virtual function (it has no physfn): give a VF, or a pool network\"",
        "tests": ["tests/unit/plugins/module_utils", "tests/unit/plugins/modules/test_sriov_guest_interface.py"],
    },
    {
        "id": "management-guard-off",
        "claim": "a PF or VF that carries the host's management connection is never touched",
        "file": "plugins/module_utils/_guards.py",
        "old": "                for dev in netdevs if dev in carriers]",
        "new": "                for dev in netdevs if False]",
        "tests": ["tests/unit/plugins/module_utils", "tests/unit/plugins/modules/test_sriov_vf.py"],
    },
    {
        "id": "prune-skipped",
        "claim": "sriov_vfs_prune sets the VFs of PFs dropped from the inventory to 0",
        "file": "plugins/module_utils/_host.py",
        "old": "        for address, manager, before, steps in pruned:\n            self._finish(",
        "new": "        for address, manager, before, steps in []:\n            self._finish(",
        "tests": ["tests/unit/plugins/modules/test_sriov_host.py"],
    },
    {
        "id": "check-mode-writes-files",
        "claim": "check mode writes nothing (the boot config, launcher, unit and udev rule included)",
        "file": "plugins/module_utils/_files.py",
        "old": "    if not check_mode:\n        try:\n            persisted.write()",
        "new": "    if True:\n        try:\n            persisted.write()",
        "tests": ["tests/unit/plugins/modules/test_sriov_host.py", "tests/unit/plugins/module_utils/test_host_files.py"],
    },
]
