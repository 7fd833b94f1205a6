# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad-input catalogue, site inventory: every case is refused on the controller with its field named,
in one short line, and (through ansible-playbook) before any task reaches a host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from ansible_collections.directiron.sriov.plugins.action.validate_inventory import fleet_errors, role_options
from ansible_collections.directiron.sriov.plugins.module_utils._inventory import MAX_LINE
from ansible_collections.directiron.sriov.tests.unit.catalogue.inventory_cases import (
    CASES,
    MAC,
    RESOLVED_CASES,
    TWO_PFS,
    case_vars,
)

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OPTIONS = role_options()
DESIGN_INVENTORY = {
    "sriov_iommu": "auto",
    "sriov_iommu_passthrough": True,
    "sriov_reboot_ok": False,
    "sriov_pfs": [
        {"pf": "enp65s0f0", "num_vfs": 8, "vf_driver": "vfio-pci",
         "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100, "trust": True, "spoofchk": True},
                 {"id": 1, "max_tx_rate": 1000, "driver": "default"}]},
        {"pf": "0000:42:00.0", "num_vfs": 2},
    ],
    "sriov_pools": [{"name": "fast-net", "pfs": ["enp65s0f0"], "autostart": True},
                    {"name": "slow-net", "vfs": "enp65s0f0#4-7", "vlan": 7}],
    "sriov_driver_pins": {"host": [{"package": "i40e-dkms", "version": "2.25.7", "module": "i40e"}],
                          "guest": [{"package": "iavf-dkms", "version": "1:4.11.1-1~bpo12", "module": "iavf"}]},
    "sriov_driver_options": [{"module": "vfio-pci", "options": {"ids": ["8086:10ca"], "disable_idle_d3": True}},
                             {"module": "ixgbe", "state": "absent"}],
    "sriov_vfs_prune": True,
}
# What the roles write on a host; the playbook run must leave each as it was.
COLLECTION_FILES = (
    "/etc/default/grub", "/etc/kernel/cmdline", "/etc/directiron-sriov/vfs.json",
    "/usr/local/libexec/directiron-sriov-replay", "/etc/systemd/system/directiron-sriov-vfs.service",
    "/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules", "/etc/modules-load.d/directiron-sriov-vfio.conf",
    "/etc/modprobe.d/directiron-sriov-vfio_pci.conf",
)


def assert_named(lines, field, text):
    hits = [line for line in lines if line.startswith(field + ":")]
    assert hits, "no error names %s in %r" % (field, lines)
    assert any(text in line for line in hits), "%s: %r lacks %r" % (field, hits, text)
    for line in lines:
        assert "\n" not in line and len(line) <= MAX_LINE


def test_the_design_inventory_is_valid():
    assert fleet_errors({"kvm1": DESIGN_INVENTORY}, OPTIONS) == {}


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_catalogue_inventory(case):
    errors = fleet_errors({"kvm1": case_vars(case)}, OPTIONS)
    assert list(errors) == ["kvm1"]
    assert_named(errors["kvm1"], case[2], case[3])


def test_a_pool_may_name_a_pf_by_another_spelling_than_sriov_pfs():
    """The demo's inventory: a PF declared by address, its pool by netdev; only the host can tell."""
    variables = {"sriov_pfs": [{"pf": "enp1s0", "num_vfs": 4}, {"pf": "0000:02:00.0", "num_vfs": 2}],
                 "sriov_pools": [{"name": "fast-net", "pfs": ["enp2s0"]}, {"name": "n", "vfs": "enp2s0#0-1"}]}
    assert fleet_errors({"kvm1": variables}, OPTIONS) == {}
    assert fleet_errors({"kvm1": variables}, OPTIONS, resolved={"kvm1": TWO_PFS}) == {}


@pytest.mark.parametrize("case", RESOLVED_CASES, ids=[case[0] for case in RESOLVED_CASES])
def test_catalogue_inventory_resolved(case):
    variables = case_vars(case)
    assert fleet_errors({"kvm1": variables}, OPTIONS) == {}  # only the host can tell
    errors = fleet_errors({"kvm1": variables}, OPTIONS, resolved={"kvm1": case[2]})
    assert_named(errors["kvm1"], case[3], case[4])


def test_catalogue_inventory_mac_across_the_fleet():
    fleet = {"kvm1": {"sriov_pfs": [{"pf": "enp1s0", "vfs": [{"id": 0, "mac": MAC}]}]},
             "kvm2": {"sriov_pfs": [{"pf": "enp2s0", "vfs": [{"id": 3, "mac": MAC}]}]},
             "kvm3": {"sriov_pfs": [{"pf": "enp1s0", "vfs": [{"id": 0, "mac": "02:1a:00:00:00:02"}]}]}}
    errors = fleet_errors(fleet, OPTIONS)
    assert sorted(errors) == ["kvm1", "kvm2"]
    assert_named(errors["kvm1"], "sriov_pfs[0].vfs[0].mac", "also given to kvm2 sriov_pfs[0].vfs[0].mac")


def test_catalogue_inventory_bad_entry_still_counts_for_pools_and_macs():
    variables = {"sriov_pfs": [{"pf": "enp1s0", "num_vfs": 4, "vfs": [{"id": 0, "vlan": 5000}]}],
                 "sriov_pools": [{"name": "n", "pfs": ["enp1s0"]}]}
    errors = fleet_errors({"kvm1": variables}, OPTIONS)
    assert errors == {"kvm1": ["sriov_pfs[0].vfs[0].vlan: must be between 0 and 4094, got 5000"]}


def failed_task_message(output):
    """The failed task's message lines: ansible-core 2.19 prints them as text, earlier versions as JSON."""
    if "Task failed: Action failed: " in output:
        return output.split("Task failed: Action failed: ", 1)[1].split("\nOrigin:", 1)[0].splitlines()
    return json.loads(re.search(r"FAILED! => (\{.*\})$", output, re.M).group(1))["msg"].splitlines()


def collections_path():
    """Where ansible-playbook finds this collection: the ansible_collections tree the checkout sits
    in (ansible-test's copy), else the symlinked root `make link` writes."""
    parts = COLLECTION.split(os.sep)
    if len(parts) > 3 and parts[-3] == "ansible_collections":
        return os.sep.join(parts[:-3])
    return os.path.join(COLLECTION, ".cache", "collections")


def _digest(path):
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        return None


def test_catalogue_inventory_through_the_site_playbook(tmp_path):
    """One host per case in one inventory: all errors of all hosts in one failure, before any host task."""
    hosts = {}
    for case in CASES:
        host = dict(case_vars(case), ansible_connection="local", ansible_python_interpreter=sys.executable)
        hosts[case[0]] = host
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"sriov_hosts": {"hosts": hosts}}))
    before = dict((path, _digest(path)) for path in COLLECTION_FILES)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_DEPRECATION_WARNINGS="0")
    run = subprocess.run(
        [sys.executable, "-m", "ansible.cli.playbook", "-i", str(inventory), "--check",
         os.path.join(COLLECTION, "playbooks", "site.yml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, universal_newlines=True, timeout=300, check=False)
    output = run.stdout
    assert run.returncode == 2, output
    tasks = re.findall(r"^TASK \[(.*?)\]", output, re.M)
    assert tasks == ["Validate every host's sriov_* inventory on the controller (once, fleet-wide)"], output
    assert "PLAY [Converge SR-IOV hypervisors]" not in output
    message = failed_task_message(output)
    assert message[0].endswith("; no host was changed:")
    for case in CASES:
        lines = [line[len(case[0]) + 2:] for line in message if line.startswith(case[0] + ": ")]
        assert_named(lines, case[2], case[3])
    assert dict((path, _digest(path)) for path in COLLECTION_FILES) == before
