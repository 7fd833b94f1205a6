# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Generated from plugins/module_utils/_spec.py by tests/utils/generate_option_docs.py (make generate): edit the
# table, not this file.
"""The options of sriov_vf, as the option table (_spec.PF_OPTIONS, _spec.VF_OPTIONS) describes them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # directiron.sriov.vf_options: the options of sriov_vf.
    DOCUMENTATION = r"""
options:
  pf:
    description:
      - The PF to manage. Give its netdev name (V(enp65s0f0)), its PCI address (V(0000:41:00.0)), or a dict that selects
        an SR-IOV capable function by PCI ids.
      - The selector dict has the keys C(vendor) (PCI vendor id, for example V(0x8086)), C(device) (PCI device id of the
        PF, for example V(0x10c9)) and C(index) (which of the matching PFs, from 0 in PCI address order; default 0). Ids
        have 1 to 4 hex digits, with or without C(0x).
      - A netdev name has at most 15 characters. Names with C(/), C(..) or characters outside C([A-Za-z0-9_.:@-]) are
        refused before sysfs is read.
      - A netdev name that changes (NIC renamed) makes the PF missing at the boot-time replay; a PCI address does not.
    type: raw
    required: true
  num_vfs:
    description:
      - Wanted number of VFs, from 0 to the PF's C(sriov_totalvfs). Omit it to keep the current count.
      - Changing a non-zero count removes all VFs first, then creates the new number.
    type: int
  drivers_autoprobe:
    description:
      - Wanted C(sriov_drivers_autoprobe) of the PF. When false, new VFs get no driver unless one is asked for with
        C(vf_driver) or a VF's C(driver), and V(default) leaves them unbound.
      - It is set before VFs are created, so it applies to the VFs this run creates.
    type: bool
  vf_driver:
    description:
      - Driver for every VF of the PF unless an entry of C(vfs) names its own.
      - V(vfio-pci) (or any other driver name) is bound through C(driver_override) and C(drivers_probe); the module
        loads the driver with C(modprobe) when it is not loaded yet.
      - V(default) clears C(driver_override) and hands the VF back to the kernel's choice (C(igbvf), C(iavf) ...).
      - Kernel module spellings of a driver name (V(vfio_pci)) are refused with the driver name to use.
      - Omit it to leave VF drivers as they are.
    type: str
  vfs:
    description:
      - Per-VF settings. Keys left out are not changed. Unknown keys are an error.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description:
          - VF index, from 0 to C(num_vfs) - 1.
        type: int
        required: true
      mac:
        description:
          - Administrative MAC address. It must be unicast, not all zeros, and not used by another VF or PF of the host.
        type: str
      vlan:
        description:
          - VLAN id 0-4094 that the PF tags onto the VF's traffic. V(0) means untagged.
        type: int
      qos:
        description:
          - 802.1p priority 0-7 of the VLAN tag. It needs a non-zero C(vlan) in the same entry.
        type: int
      vlan_proto:
        description:
          - VLAN protocol. It needs C(vlan) in the same entry.
        type: str
        choices: [802.1Q, 802.1ad]
      spoofchk:
        description:
          - MAC/VLAN anti-spoofing check of the VF.
        type: bool
      trust:
        description:
          - Trusted VF (it may change its MAC, enter promiscuous or all-multicast mode).
        type: bool
      link_state:
        description:
          - Link state the VF sees. V(auto) follows the PF.
        type: str
        choices: [auto, enable, disable]
      min_tx_rate:
        description:
          - Minimum guaranteed transmit rate in Mbit/s, 0-1000000. V(0) disables it.
          - It may not be above C(max_tx_rate), and the minimum rates of all VFs of a PF together may not be above the
            PF's link speed when the host knows it.
        type: int
      max_tx_rate:
        description:
          - Maximum transmit rate in Mbit/s, 0-1000000. V(0) means no limit.
          - It may not be above the PF's link speed when the host knows it.
        type: int
      query_rss:
        description:
          - Whether the VF may query the PF's RSS configuration (hash key and redirection table). Some VF drivers need
            it to report or use RSS, for example ixgbevf on 82599 and X540.
          - The PF driver must implement it (ixgbe, i40e and ice do); igb does not, and the kernel's refusal
            (EOPNOTSUPP) fails the run naming the VF and the PF. V(null) in the facts when the driver does not report
            it.
        type: bool
        version_added: 2.0.0
      driver:
        description:
          - Driver for this VF, as in C(vf_driver).
        type: str
      mtu:
        description:
          - MTU of the VF's host-side netdev (C(ip link set VF mtu N)), 68-65535, at most the VF's C(max_mtu) and not
            above the PF's MTU. The VF needs a host network driver (not V(vfio-pci)); a guest sets the MTU of a VF it
            owns itself.
          - Set after the VF's other settings. igbvf applies it by resetting the VF, which sends the netdev's own MAC to
            the PF, and igb takes that MAC from a trusted VF; so the VF's settings are read and, where the reset undid
            them, written again in the same run.
        type: int
        version_added: 2.0.0
  force:
    description:
      - Do what the guards refuse (VFs in use, management interface, shared IOMMU group). The refusals are returned as
        warnings instead.
      - The boot-time replay persists it, so the replay also forces.
    type: bool
    default: false
  pf_up:
    description:
      - Bring the PF's link administratively up (C(ip link set PF up)) when it has VFs after the run.
      - The PF driver answers its VFs' mailbox requests only while the PF is up, so a VF of a PF that is down gets no
        MAC or VLAN from the host, and a guest's VF driver then comes up with a random MAC.
      - V(false) leaves the PF's link state as it is. A PF without a netdev is left alone.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for new VFs to appear, and for a VF to bind to its driver (1 to 3600).
    type: int
    default: 60
  mtu:
    description:
      - MTU of the PF's netdev (C(ip link set PF mtu N)), 68-65535, and at most the C(max_mtu) the driver reports (C(ip
        -d link)). Omit it to leave the PF's MTU as it is.
      - A VF's own C(mtu) may not be above it, as the PF carries the VFs' frames.
    type: int
    version_added: 2.0.0
  state:
    description:
      - V(absent) takes the PF out of SR-IOV duty. Its VFs go to 0 (through the guards) and the boot-time replay forgets
        it. It takes no C(num_vfs) above 0 and no C(vfs), C(vf_driver) or C(mtu).
    type: str
    default: present
    choices: [present, absent]
    version_added: 2.0.0
"""

    # directiron.sriov.vf_options.sriov_pfs: the options of each entry of sriov_host's sriov_pfs.
    SRIOV_PFS = r"""
options:
  sriov_pfs:
    suboptions:
      pf:
        description:
          - The PF to manage. Give its netdev name (V(enp65s0f0)), its PCI address (V(0000:41:00.0)), or a dict that
            selects an SR-IOV capable function by PCI ids.
          - The selector dict has the keys C(vendor) (PCI vendor id, for example V(0x8086)), C(device) (PCI device id of
            the PF, for example V(0x10c9)) and C(index) (which of the matching PFs, from 0 in PCI address order; default
            0). Ids have 1 to 4 hex digits, with or without C(0x).
          - A netdev name has at most 15 characters. Names with C(/), C(..) or characters outside C([A-Za-z0-9_.:@-])
            are refused before sysfs is read.
          - A netdev name that changes (NIC renamed) makes the PF missing at the boot-time replay; a PCI address does
            not.
        type: raw
        required: true
      num_vfs:
        description:
          - Wanted number of VFs, from 0 to the PF's C(sriov_totalvfs). Omit it to keep the current count.
          - Changing a non-zero count removes all VFs first, then creates the new number.
        type: int
      drivers_autoprobe:
        description:
          - Wanted C(sriov_drivers_autoprobe) of the PF. When false, new VFs get no driver unless one is asked for with
            C(vf_driver) or a VF's C(driver), and V(default) leaves them unbound.
          - It is set before VFs are created, so it applies to the VFs this run creates.
        type: bool
      vf_driver:
        description:
          - Driver for every VF of the PF unless an entry of C(vfs) names its own.
          - V(vfio-pci) (or any other driver name) is bound through C(driver_override) and C(drivers_probe); the module
            loads the driver with C(modprobe) when it is not loaded yet.
          - V(default) clears C(driver_override) and hands the VF back to the kernel's choice (C(igbvf), C(iavf) ...).
          - Kernel module spellings of a driver name (V(vfio_pci)) are refused with the driver name to use.
          - Omit it to leave VF drivers as they are.
        type: str
      vfs:
        description:
          - Per-VF settings. Keys left out are not changed. Unknown keys are an error.
        type: list
        elements: dict
        default: []
        suboptions:
          id:
            description:
              - VF index, from 0 to C(num_vfs) - 1.
            type: int
            required: true
          mac:
            description:
              - Administrative MAC address. It must be unicast, not all zeros, and not used by another VF or PF of the
                host.
            type: str
          vlan:
            description:
              - VLAN id 0-4094 that the PF tags onto the VF's traffic. V(0) means untagged.
            type: int
          qos:
            description:
              - 802.1p priority 0-7 of the VLAN tag. It needs a non-zero C(vlan) in the same entry.
            type: int
          vlan_proto:
            description:
              - VLAN protocol. It needs C(vlan) in the same entry.
            type: str
            choices: [802.1Q, 802.1ad]
          spoofchk:
            description:
              - MAC/VLAN anti-spoofing check of the VF.
            type: bool
          trust:
            description:
              - Trusted VF (it may change its MAC, enter promiscuous or all-multicast mode).
            type: bool
          link_state:
            description:
              - Link state the VF sees. V(auto) follows the PF.
            type: str
            choices: [auto, enable, disable]
          min_tx_rate:
            description:
              - Minimum guaranteed transmit rate in Mbit/s, 0-1000000. V(0) disables it.
              - It may not be above C(max_tx_rate), and the minimum rates of all VFs of a PF together may not be above
                the PF's link speed when the host knows it.
            type: int
          max_tx_rate:
            description:
              - Maximum transmit rate in Mbit/s, 0-1000000. V(0) means no limit.
              - It may not be above the PF's link speed when the host knows it.
            type: int
          query_rss:
            description:
              - Whether the VF may query the PF's RSS configuration (hash key and redirection table). Some VF drivers
                need it to report or use RSS, for example ixgbevf on 82599 and X540.
              - The PF driver must implement it (ixgbe, i40e and ice do); igb does not, and the kernel's refusal
                (EOPNOTSUPP) fails the run naming the VF and the PF. V(null) in the facts when the driver does not
                report it.
            type: bool
          driver:
            description:
              - Driver for this VF, as in C(vf_driver).
            type: str
          mtu:
            description:
              - MTU of the VF's host-side netdev (C(ip link set VF mtu N)), 68-65535, at most the VF's C(max_mtu) and
                not above the PF's MTU. The VF needs a host network driver (not V(vfio-pci)); a guest sets the MTU of a
                VF it owns itself.
              - Set after the VF's other settings. igbvf applies it by resetting the VF, which sends the netdev's own
                MAC to the PF, and igb takes that MAC from a trusted VF; so the VF's settings are read and, where the
                reset undid them, written again in the same run.
            type: int
      force:
        description:
          - Do what the guards refuse (VFs in use, management interface, shared IOMMU group). The refusals are returned
            as warnings instead.
          - The boot-time replay persists it, so the replay also forces.
        type: bool
        default: false
      pf_up:
        description:
          - Bring the PF's link administratively up (C(ip link set PF up)) when it has VFs after the run.
          - The PF driver answers its VFs' mailbox requests only while the PF is up, so a VF of a PF that is down gets
            no MAC or VLAN from the host, and a guest's VF driver then comes up with a random MAC.
          - V(false) leaves the PF's link state as it is. A PF without a netdev is left alone.
        type: bool
        default: true
      timeout:
        description:
          - Seconds to wait for new VFs to appear, and for a VF to bind to its driver (1 to 3600).
        type: int
        default: 60
      mtu:
        description:
          - MTU of the PF's netdev (C(ip link set PF mtu N)), 68-65535, and at most the C(max_mtu) the driver reports
            (C(ip -d link)). Omit it to leave the PF's MTU as it is.
          - A VF's own C(mtu) may not be above it, as the PF carries the VFs' frames.
        type: int
      state:
        description:
          - V(absent) takes the PF out of SR-IOV duty. Its VFs go to 0 (through the guards) and the boot-time replay
            forgets it. It takes no C(num_vfs) above 0 and no C(vfs), C(vf_driver) or C(mtu).
        type: str
        default: present
        choices: [present, absent]
"""
