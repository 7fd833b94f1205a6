# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of guest_nic_facts on a captured tree: no ethtool run, facts under ansible_facts.guest_nics."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.modules import guest_nic_facts
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.module_harness import run_module


def test_captured_tree_is_read_without_running_ethtool(monkeypatch, tmp_path):
    root = tmp_path / "sys"
    dev = root / "devices" / "pci0000:00" / "0000:07:00.0"
    (dev / "net" / "enp7s0").mkdir(parents=True)
    (dev / "vendor").write_text("0x8086\n")
    (dev / "device").write_text("0x10ca\n")
    (dev / "net" / "enp7s0" / "address").write_text("52:54:00:aa:00:01\n")
    os.symlink("../..", str(dev / "net" / "enp7s0" / "device"))
    (root / "class" / "net").mkdir(parents=True)
    os.symlink("../../devices/pci0000:00/0000:07:00.0/net/enp7s0", str(root / "class" / "net" / "enp7s0"))
    ran = []
    monkeypatch.setattr(guest_nic_facts.AnsibleModule, "run_command", lambda self, argv, **kw: ran.append(argv))
    end = run_module(monkeypatch, guest_nic_facts.main, {"sysfs_root": str(root), "proc_root": str(tmp_path)})
    facts = end.result["ansible_facts"]["guest_nics"]
    assert not end.failed and end.result["changed"] is False and ran == []
    assert [(n["name"], n["pci_address"], n["mac"]) for n in facts["nics"]] == [
        ("enp7s0", "0000:07:00.0", "52:54:00:aa:00:01")]
