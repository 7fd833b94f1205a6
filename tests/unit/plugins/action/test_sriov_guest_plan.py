# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sriov_guest_plan action: each host's guest policy settings read from its variables."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.action.sriov_guest_plan import host_setting


def test_the_plan_reads_a_hosts_settings_with_their_defaults():
    assert host_setting({}, "kvm1", None) == {"policy": "refuse", "reboot": [], "migrate_to": None,
                                              "uri": "qemu+ssh://kvm1/system"}
    assert host_setting({"ansible_host": "10.0.0.2", "sriov_guest_policy": "migrate", "sriov_guest_migrate_to": "kvm3"},
                        "kvm2", ["iommu"]) == {"policy": "migrate", "reboot": ["iommu"], "migrate_to": "kvm3",
                                               "uri": "qemu+ssh://10.0.0.2/system"}
