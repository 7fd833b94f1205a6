# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bad site inventories of the catalogue: one host's sriov_* variables each, and the field the
error must name. Used by test_catalogue_inventory.py, unit-level and through ansible-playbook."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

MAC = "02:1a:00:00:00:01"


def pf(**extra):
    entry = {"pf": "enp1s0", "num_vfs": 4}
    entry.update(extra)
    return entry


def vf(**extra):
    entry = {"id": 0}
    entry.update(extra)
    return entry


def pin(**extra):
    entry = {"package": "i40e-dkms", "version": "2.25.7", "module": "i40e"}
    entry.update(extra)
    return entry


def pools(*entries):
    return {"sriov_pfs": [pf()], "sriov_pools": list(entries)}


def pool(**extra):
    entry = {"name": "fast-net", "pfs": ["enp1s0"]}
    entry.update(extra)
    return entry


def one_vf(**extra):
    return {"sriov_pfs": [pf(vfs=[vf(**extra)])]}


def no_version():
    entry = pin()
    del entry["version"]
    return entry


LONG_NAME = "n" * 65

# (case id, the host's sriov_* variables, field the message must start with, text it must hold)
CASES = [
    # top level: names and scalars
    ("unknown-variable-typo", {"sriov_pf": []}, "sriov_pf", "did you mean sriov_pfs"),
    ("unknown-variable-pool", {"sriov_pool": []}, "sriov_pool", "did you mean sriov_pools"),
    ("unknown-variable-reboot", {"sriov_reboot": True}, "sriov_reboot", "did you mean sriov_reboot_ok"),
    ("unknown-variable-passthrough", {"sriov_iommu_pasthrough": True}, "sriov_iommu_pasthrough",
     "did you mean sriov_iommu_passthrough"),
    ("unknown-role-option", {"sriov_vfs_prun": True}, "sriov_vfs_prun", "did you mean sriov_vfs_prune"),
    ("role-copy-of-an-inventory-variable", {"sriov_vfs_pfs": []}, "sriov_vfs_pfs", "set sriov_pfs instead"),
    ("role-option-not-bool", {"sriov_vfs_prune": "perhaps"}, "sriov_vfs_prune", "bool"),
    ("take-over-not-bool", {"sriov_vfs_take_over": "if needed"}, "sriov_vfs_take_over", "bool"),
    ("take-over-typo", {"sriov_vfs_takeover": True}, "sriov_vfs_takeover", "did you mean sriov_vfs_take_over"),
    ("role-option-not-int", {"sriov_vfs_boot_wait": "soon"}, "sriov_vfs_boot_wait", "int"),
    ("iommu-vendor", {"sriov_iommu": "intl"}, "sriov_iommu", "auto, intel, amd"),
    ("passthrough-not-bool", {"sriov_iommu_passthrough": "maybe"}, "sriov_iommu_passthrough", "boolean"),
    ("reboot-ok-number", {"sriov_reboot_ok": 2}, "sriov_reboot_ok", "boolean"),
    ("isolate-not-bool", {"sriov_isolate_failures": "sometimes"}, "sriov_isolate_failures", "boolean"),
    # sriov_pfs: shape and the PF
    ("pfs-not-a-list", {"sriov_pfs": "enp1s0"}, "sriov_pfs", "must be a list"),
    ("pf-entry-not-a-mapping", {"sriov_pfs": ["enp1s0"]}, "sriov_pfs[0]", "mapping"),
    ("pf-missing", {"sriov_pfs": [{"num_vfs": 2}]}, "sriov_pfs[0].pf", "required"),
    ("pf-path-traversal", {"sriov_pfs": [pf(pf="../../etc")]}, "sriov_pfs[0].pf", "no '..'"),
    ("pf-slash", {"sriov_pfs": [pf(pf="enp1s0/x")]}, "sriov_pfs[0].pf", "not a netdev name"),
    ("pf-number", {"sriov_pfs": [pf(pf=5)]}, "sriov_pfs[0].pf", "required"),
    ("pf-selector-unknown-key", {"sriov_pfs": [pf(pf={"vendor": "0x8086", "device": "0x10c9", "idx": 1})]},
     "sriov_pfs[0].pf.idx", "unknown"),
    ("pf-selector-vendor-name", {"sriov_pfs": [pf(pf={"vendor": "intel", "device": "0x10c9"})]},
     "sriov_pfs[0].pf.vendor", "hexadecimal"),
    ("pf-declared-twice-by-name", {"sriov_pfs": [pf(), pf(num_vfs=2)]}, "sriov_pfs[1].pf", "already declared"),
    ("pf-declared-twice-by-address", {"sriov_pfs": [pf(pf="0000:41:00.0"), pf(pf="0000:41:00.0", num_vfs=1)]},
     "sriov_pfs[1].pf", "already declared"),
    ("unknown-pf-option", {"sriov_pfs": [pf(numvfs=4)]}, "sriov_pfs[0].numvfs", "unknown"),
    ("num-vfs-negative", {"sriov_pfs": [pf(num_vfs=-1)]}, "sriov_pfs[0].num_vfs", "at least 0"),
    ("num-vfs-word", {"sriov_pfs": [pf(num_vfs="many")]}, "sriov_pfs[0].num_vfs", "integer"),
    ("num-vfs-bool", {"sriov_pfs": [pf(num_vfs=True)]}, "sriov_pfs[0].num_vfs", "integer"),
    ("autoprobe-not-bool", {"sriov_pfs": [pf(drivers_autoprobe="sometimes")]}, "sriov_pfs[0].drivers_autoprobe",
     "boolean"),
    ("vf-driver-traversal", {"sriov_pfs": [pf(vf_driver="../x")]}, "sriov_pfs[0].vf_driver", "not a driver name"),
    ("force-not-bool", {"sriov_pfs": [pf(force="please")]}, "sriov_pfs[0].force", "boolean"),
    ("timeout-zero", {"sriov_pfs": [pf(timeout=0)]}, "sriov_pfs[0].timeout", "between 1 and 3600"),
    # sriov_pfs[].vfs
    ("vfs-not-a-list", {"sriov_pfs": [pf(vfs={"id": 0})]}, "sriov_pfs[0].vfs", "list"),
    ("vf-not-a-mapping", {"sriov_pfs": [pf(vfs=[0])]}, "sriov_pfs[0].vfs[0]", "mapping"),
    ("vf-without-id", {"sriov_pfs": [pf(vfs=[{"mac": MAC}])]}, "sriov_pfs[0].vfs[0].id", "needs an id"),
    ("vf-id-past-num-vfs", one_vf(id=4), "sriov_pfs[0].vfs[0].id", "not below the VF count 4"),
    ("vf-id-duplicate", {"sriov_pfs": [pf(vfs=[vf(), vf()])]}, "sriov_pfs[0].vfs[1].id", "duplicate"),
    ("vf-unknown-key", one_vf(jumbo=9000), "sriov_pfs[0].vfs[0].jumbo", "unknown"),
    ("mac-shape", one_vf(mac="02:1a:00:00:01"), "sriov_pfs[0].vfs[0].mac", "not a MAC"),
    ("mac-multicast", one_vf(mac="01:00:5e:00:00:01"), "sriov_pfs[0].vfs[0].mac", "multicast"),
    ("mac-zero", one_vf(mac="00:00:00:00:00:00"), "sriov_pfs[0].vfs[0].mac", "all zeros"),
    ("mac-twice-on-one-pf", {"sriov_pfs": [pf(vfs=[vf(mac=MAC), vf(id=1, mac=MAC)])]}, "sriov_pfs[0].vfs[1].mac",
     "also given"),
    ("mac-twice-on-two-pfs", {"sriov_pfs": [pf(vfs=[vf(mac=MAC)]), pf(pf="enp2s0", vfs=[vf(mac=MAC.upper())])]},
     "sriov_pfs[1].vfs[0].mac", "also given to sriov_pfs[0].vfs[0].mac"),
    ("vlan-4095", one_vf(vlan=4095), "sriov_pfs[0].vfs[0].vlan", "between 0 and 4094"),
    ("vlan-negative", one_vf(vlan=-1), "sriov_pfs[0].vfs[0].vlan", "between 0 and 4094"),
    ("vlan-word", one_vf(vlan="ten"), "sriov_pfs[0].vfs[0].vlan", "integer"),
    ("qos-without-vlan", one_vf(qos=3), "sriov_pfs[0].vfs[0].qos", "needs a vlan"),
    ("qos-8", one_vf(vlan=10, qos=8), "sriov_pfs[0].vfs[0].qos", "between 0 and 7"),
    ("vlan-proto", one_vf(vlan=10, vlan_proto="802.1x"), "sriov_pfs[0].vfs[0].vlan_proto", "802.1Q"),
    ("spoofchk-word", one_vf(spoofchk="maybe"), "sriov_pfs[0].vfs[0].spoofchk", "boolean"),
    ("trust-number", one_vf(trust=2), "sriov_pfs[0].vfs[0].trust", "boolean"),
    ("link-state", one_vf(link_state="up"), "sriov_pfs[0].vfs[0].link_state", "auto, enable, disable"),
    ("rates-crossed", one_vf(min_tx_rate=500, max_tx_rate=100), "sriov_pfs[0].vfs[0].min_tx_rate", "above"),
    ("rate-word", one_vf(max_tx_rate="fast"), "sriov_pfs[0].vfs[0].max_tx_rate", "integer"),
    ("vf-driver-space", one_vf(driver="vfio pci"), "sriov_pfs[0].vfs[0].driver", "not a driver name"),
    # sriov_pools
    ("pools-not-a-list", {"sriov_pools": {"name": "a"}}, "sriov_pools", "must be a list"),
    ("pool-not-a-mapping", pools("fast-net"), "sriov_pools[0]", "mapping"),
    ("pool-name-xml-lt", pools(pool(name="fast<net>")), "sriov_pools[0].name", "XML"),
    ("pool-name-xml-amp", pools(pool(name="a&b")), "sriov_pools[0].name", "XML"),
    ("pool-name-quote", pools(pool(name='a"b')), "sriov_pools[0].name", "XML"),
    ("pool-name-too-long", pools(pool(name=LONG_NAME)), "sriov_pools[0].name", "1-64"),
    ("pool-name-missing", pools({"pfs": ["enp1s0"]}), "sriov_pools[0].name", "None"),
    ("pool-name-twice", pools(pool(), pool()), "sriov_pools[1].name", "already used"),
    ("pool-unknown-key", pools(pool(pf="enp1s0")), "sriov_pools[0].pf", "did you mean pfs"),
    ("pool-pfs-and-vfs", pools(pool(vfs="enp1s0#0-1")), "sriov_pools[0].vfs", "not both"),
    ("pool-without-vfs", pools({"name": "n"}), "sriov_pools[0].pfs", "needs pfs"),
    ("pool-undeclared-pf", pools(pool(pfs=["enp9s0"])), "sriov_pools[0].pfs[0]", "not declared"),
    ("pool-undeclared-address", {"sriov_pfs": [pf(pf="0000:41:00.0")], "sriov_pools": [pool(pfs=["0000:42:00.0"])]},
     "sriov_pools[0].pfs[0]", "not declared"),
    ("pool-pfs-string", pools(pool(pfs="enp1s0")), "sriov_pools[0].pfs", "non-empty list"),
    ("pool-pf-traversal", pools(pool(pfs=["../x"])), "sriov_pools[0].pfs[0]", "no '..'"),
    ("pool-selector-undeclared", pools({"name": "n", "vfs": "enp9s0#0-1"}), "sriov_pools[0].vfs", "not declared"),
    ("pool-selector-past-num-vfs", pools({"name": "n", "vfs": "enp1s0#2-5"}), "sriov_pools[0].vfs",
     "past num_vfs 4"),
    ("pool-selector-backwards", pools({"name": "n", "vfs": ["enp1s0#3-1"]}), "sriov_pools[0].vfs[0]",
     "backwards"),
    ("pool-selector-shape", pools({"name": "n", "vfs": ["enp1s0#a-b"]}), "sriov_pools[0].vfs[0]", "ranges"),
    ("pool-vf-not-an-address", pools({"name": "n", "vfs": ["sda"]}), "sriov_pools[0].vfs[0]",
     "neither a VF selector"),
    ("pool-vfs-number", pools({"name": "n", "vfs": [5]}), "sriov_pools[0].vfs[0]", "string"),
    ("pool-vlan-4095", pools(pool(vlan=4095)), "sriov_pools[0].vlan", "0 to 4094"),
    ("pool-vlan-word", pools(pool(vlan="ten")), "sriov_pools[0].vlan", "integer"),
    ("pool-state", pools(pool(state="gone")), "sriov_pools[0].state", "present or absent"),
    ("pool-autostart", pools(pool(autostart="maybe")), "sriov_pools[0].autostart", "boolean"),
    # sriov_driver_pins
    ("pins-a-list", {"sriov_driver_pins": [pin()]}, "sriov_driver_pins", "mapping"),
    ("pins-unknown-list", {"sriov_driver_pins": {"hosts": [pin()]}}, "sriov_driver_pins.hosts",
     "did you mean host"),
    ("pins-list-is-mapping", {"sriov_driver_pins": {"host": pin()}}, "sriov_driver_pins.host", "must be a list"),
    ("pin-not-a-mapping", {"sriov_driver_pins": {"host": ["i40e-dkms=2.25.7"]}}, "sriov_driver_pins.host[0]",
     "mapping"),
    ("pin-version-float", {"sriov_driver_pins": {"host": [pin(version=2.10)]}},
     "sriov_driver_pins.host[0].version", "quote it"),
    ("pin-version-int", {"sriov_driver_pins": {"guest": [pin(version=5)]}}, "sriov_driver_pins.guest[0].version",
     "quote it"),
    ("pin-version-empty", {"sriov_driver_pins": {"host": [pin(version="")]}}, "sriov_driver_pins.host[0].version",
     "non-empty"),
    ("pin-version-missing", {"sriov_driver_pins": {"host": [no_version()]}}, "sriov_driver_pins.host[0].version",
     "non-empty"),
    ("pin-version-operator", {"sriov_driver_pins": {"host": [pin(version=">=2.1")]}},
     "sriov_driver_pins.host[0].version", "not a constraint"),
    ("pin-version-wildcard", {"sriov_driver_pins": {"host": [pin(version="2.1*")]}},
     "sriov_driver_pins.host[0].version", "not a constraint"),
    ("pin-package-semicolon", {"sriov_driver_pins": {"host": [pin(package="i40e; reboot")]}},
     "sriov_driver_pins.host[0].package", "does not allow"),
    ("pin-package-subshell", {"sriov_driver_pins": {"host": [pin(package="$(reboot)")]}},
     "sriov_driver_pins.host[0].package", "does not allow"),
    ("pin-package-option", {"sriov_driver_pins": {"host": [pin(package="-oAPT::x")]}},
     "sriov_driver_pins.host[0].package", "does not allow"),
    ("pin-package-missing", {"sriov_driver_pins": {"host": [{"version": "1.0"}]}},
     "sriov_driver_pins.host[0].package", "non-empty"),
    ("pin-key-typo", {"sriov_driver_pins": {"host": [pin(verison="2.25.7")]}},
     "sriov_driver_pins.host[0].verison", "did you mean version"),
    ("pin-module-path", {"sriov_driver_pins": {"host": [pin(module="../i40e")]}},
     "sriov_driver_pins.host[0].module", "does not allow"),
    ("pin-module-version-float", {"sriov_driver_pins": {"host": [pin(module_version=2.10)]}},
     "sriov_driver_pins.host[0].module_version", "quote it"),
    ("pin-package-twice", {"sriov_driver_pins": {"host": [pin(), pin(version="2.25.8")]}},
     "sriov_driver_pins.host[1].package", "already pinned"),
    # sriov_driver_options
    ("options-a-mapping", {"sriov_driver_options": {"module": "igb"}}, "sriov_driver_options", "must be a list"),
    ("options-module-shell", {"sriov_driver_options": [{"module": "igb;reboot", "options": {"max_vfs": 7}}]},
     "sriov_driver_options[0].module", "not a kernel module name"),
    ("options-value-newline", {"sriov_driver_options": [{"module": "igb", "options": {"max_vfs": "7\ninstall igb /bin/sh"}}]},
     "sriov_driver_options[0].options.max_vfs", "not a safe module option value"),
    ("options-value-subshell", {"sriov_driver_options": [{"module": "vfio-pci", "options": {"ids": ["8086:10ca", "$(id)"]}}]},
     "sriov_driver_options[0].options.ids[1]", "not a safe module option value"),
    ("options-name-blank", {"sriov_driver_options": [{"module": "igb", "options": {"max vfs": 7}}]},
     "sriov_driver_options[0].options.max vfs", "not a module parameter name"),
    ("options-key-typo", {"sriov_driver_options": [{"module": "igb", "option": {"max_vfs": 7}}]},
     "sriov_driver_options[0].option", "unknown key"),
    ("options-empty", {"sriov_driver_options": [{"module": "igb", "options": {}}]},
     "sriov_driver_options[0].options", "at least one option"),
    ("options-module-twice", {"sriov_driver_options": [{"module": "vfio-pci", "options": {"ids": "8086:10ca"}},
                                                       {"module": "vfio_pci", "state": "absent"}]},
     "sriov_driver_options[1].module", "already has options at sriov_driver_options[0]"),
]


# Found once the preflight resolved each PF on the host: (case id, variables, the PFs' identities
# per sriov_pfs position as sriov_vf reported them, field, text).
TWO_PFS = [{"address": "0000:01:00.0", "netdev": "enp1s0"}, {"address": "0000:02:00.0", "netdev": "enp2s0"}]
RESOLVED_CASES = [
    ("pf-declared-by-name-and-by-address", {"sriov_pfs": [pf(), pf(pf="0000:01:00.0", num_vfs=4)]},
     [TWO_PFS[0], TWO_PFS[0]], "sriov_pfs[1].pf", "is PF 0000:01:00.0, already declared at sriov_pfs[0].pf"),
    ("pf-declared-by-selector-and-by-name", {"sriov_pfs": [pf(pf={"vendor": "0x8086", "device": "0x10c9"}), pf()]},
     [TWO_PFS[0], TWO_PFS[0]], "sriov_pfs[1].pf", "already declared at sriov_pfs[0].pf"),
    ("pool-pf-neither-name-nor-address", {"sriov_pfs": [pf(pf="0000:01:00.0")], "sriov_pools": [pool(pfs=["enp2s0"])]},
     TWO_PFS[:1], "sriov_pools[0].pfs[0]", "not declared"),
    ("pool-selector-past-num-vfs-by-netdev",
     {"sriov_pfs": [pf(pf="0000:01:00.0")], "sriov_pools": [{"name": "n", "vfs": "enp1s0#3-4"}]},
     TWO_PFS[:1], "sriov_pools[0].vfs", "past num_vfs 4"),
]


def case_vars(case):
    """A deep copy of a case's variables (tests must not share mutable inventories)."""
    return copy.deepcopy(case[1])
