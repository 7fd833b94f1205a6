# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role sriov_vfs: what its templates render, and that the installed replay runs on its own."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core before 2.19 treats every string as a template
    def trust_as_template(text):
        return text

from ansible_collections.directiron.sriov.plugins.module_utils import _replay

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
ROLE = os.path.join(COLLECTION, "roles", "sriov_vfs")
MODULE_UTILS = os.path.join(COLLECTION, "plugins", "module_utils")
IMPORT_RE = re.compile(
    r"^\s*from ansible_collections\.directiron\.sriov\.plugins\.module_utils"
    r"(?:\.(?P<mod>_\w+) import|\s+import\s+(?P<names>[\w ,]+))", re.M)

PFS = [
    {"pf": "enp1s0", "num_vfs": 4, "vf_driver": "default",
     "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100, "trust": True, "spoofchk": False},
             {"id": 2, "driver": "vfio-pci"}]},
    {"pf": {"vendor": "0x8086", "device": "0x10c9", "index": 1}, "num_vfs": 2, "vf_driver": "vfio-pci"},
]


def load_yaml(loader, path):
    """A role's vars file, its strings trusted as templates (as ansible-core does for roles)."""
    try:
        return loader.load_from_file(path, trusted_as_template=True)
    except TypeError:  # ansible-core before 2.19: no trust marks
        return loader.load_from_file(path)


def role_vars(**overrides):
    loader = DataLoader()
    variables = {}
    for part in ("defaults", "vars"):
        variables.update(load_yaml(loader, os.path.join(ROLE, part, "main.yml")))
    variables.update({
        "role_path": ROLE,
        "sriov_vfs_pfs": PFS,
        "__sriov_vfs_checked": {"results": [{"pf": "0000:01:00.0"}, {"pf": "0000:02:00.0"}]},
        "__sriov_vfs_previous": {"skipped": True},
    })
    variables.update(overrides)
    return variables


def render(name, **overrides):
    with open(os.path.join(ROLE, "templates", name)) as handle:
        text = handle.read()
    templar = Templar(loader=DataLoader(), variables=role_vars(**overrides))
    return templar.template(trust_as_template(text))


def resolve(expression, **overrides):
    templar = Templar(loader=DataLoader(), variables=role_vars(**overrides))
    return templar.template(trust_as_template("{{ %s }}" % expression))


def test_config_holds_the_options_exactly_as_given_and_the_replay_reads_it():
    config = json.loads(render("vfs.json.j2", sriov_vfs_boot_wait=45))
    assert config["version"] == _replay.CONFIG_VERSION
    assert config["pfs"] == PFS
    assert config["wait_timeout"] == 45
    assert config["addresses"] == ["0000:01:00.0", "0000:02:00.0"]
    assert _replay.check_config(config) == PFS


def test_config_of_an_empty_inventory_is_valid_and_empty():
    config = json.loads(render("vfs.json.j2", sriov_vfs_pfs=[], __sriov_vfs_checked={"results": []}))
    assert _replay.check_config(config) == [] and config["addresses"] == []


def test_the_unit_runs_the_launcher_early_before_network_and_libvirt():
    unit = render("directiron-sriov-vfs.service.j2")
    lines = unit.splitlines()
    assert "Type=oneshot" in lines and "RemainAfterExit=yes" in lines
    assert "ExecStart=/usr/local/libexec/directiron-sriov-replay" in lines
    assert "DefaultDependencies=no" in lines
    before = [line for line in lines if line.startswith("Before=")][0].split("=", 1)[1].split()
    assert {"network-pre.target", "libvirtd.service", "virtqemud.service"} <= set(before)
    after = [line for line in lines if line.startswith("After=")][0].split("=", 1)[1].split()
    assert {"systemd-udevd.service", "systemd-udev-trigger.service", "local-fs.target"} <= set(after)
    assert "Wants=network-pre.target" in lines
    assert "WantedBy=multi-user.target" in lines
    assert "TimeoutStartSec=240" in lines


def test_nm_rule_matches_vfs_by_their_parent_pf_address():
    rules = [line for line in render("nm-unmanaged.rules.j2").splitlines() if line and not line.startswith("#")]
    assert len(rules) == 1
    assert 'TEST=="device/physfn"' in rules[0]
    assert 'RESULT=="*/0000:01:00.0|*/0000:02:00.0"' in rules[0]
    assert 'ENV{NM_UNMANAGED}="1"' in rules[0]


@pytest.mark.parametrize("overrides", [{"sriov_vfs_nm_unmanaged": False},
                                       {"sriov_vfs_pfs": [], "__sriov_vfs_checked": {"results": []}}])
def test_nm_rule_is_empty_when_disabled_or_without_pfs(overrides):
    text = render("nm-unmanaged.rules.j2", **overrides)
    assert [line for line in text.splitlines() if line and not line.startswith("#")] == []


def test_prune_picks_previous_addresses_no_longer_listed():
    import base64
    previous = {"version": 1, "pfs": [], "addresses": ["0000:01:00.0", "0000:03:00.0"]}
    content = base64.b64encode(json.dumps(previous).encode()).decode()
    assert resolve("__sriov_vfs_removed", __sriov_vfs_previous={"content": content}) == ["0000:03:00.0"]
    assert resolve("__sriov_vfs_removed") == []


def test_the_role_ships_every_module_util_the_replay_imports():
    shipped = set(resolve("__sriov_vfs_replay_files"))
    todo, seen = ["_replay.py"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        with open(os.path.join(MODULE_UTILS, name)) as handle:
            source = handle.read()
        for match in IMPORT_RE.finditer(source):
            names = [match.group("mod")] if match.group("mod") else match.group("names").replace(" ", "").split(",")
            todo.extend("%s.py" % mod for mod in names if mod)
    assert seen <= shipped, "the replay imports %s, not shipped by the role" % sorted(seen - shipped)


def test_the_installed_launcher_runs_its_embedded_code_alone_and_reports_a_missing_pf(tmp_path):
    config = tmp_path / "vfs.json"
    config.write_text(render("vfs.json.j2", sriov_vfs_pfs=[{"pf": "enp9s0", "num_vfs": 1}],
                             __sriov_vfs_checked={"results": [{"pf": "0000:09:00.0"}]}))
    launcher = tmp_path / "directiron-sriov-replay"
    sources = {}
    for name in resolve("__sriov_vfs_replay_files"):
        with open(os.path.join(MODULE_UTILS, name)) as handle:
            sources[name] = handle.read()
    launcher.write_text(render("directiron-sriov-replay.j2", __sriov_vfs_config_path=str(config),
                               __sriov_vfs_replay_sources=sources))
    assert launcher.read_text().startswith("#!/usr/bin/python3 -I\n")
    (tmp_path / "sys" / "bus" / "pci" / "devices").mkdir(parents=True)
    (tmp_path / "sys" / "class" / "net").mkdir(parents=True)
    # -I and a bare environment: no PYTHONPATH, no collection on disk; only the embedded code.
    proc = subprocess.run([sys.executable, "-I", str(launcher), "--sysfs-root", str(tmp_path / "sys"),
                           "--no-settle", "--wait", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                          cwd=str(tmp_path), check=False)
    assert proc.returncode == 1, proc.stderr
    assert "PF enp9s0 is missing, not applied" in proc.stdout
    assert "1 missing" in proc.stdout
    assert proc.stderr == ""


def test_an_absent_pf_leaves_the_boot_config_and_the_udev_rule_but_is_not_pruned_twice():
    pfs = [dict(PFS[0], mtu=9000), {"pf": "enp2s0", "state": "absent", "force": True}]
    checked = {"results": [{"pf": "0000:01:00.0", "item": pfs[0]}, {"pf": "0000:02:00.0", "item": pfs[1]}]}
    config = json.loads(render("vfs.json.j2", sriov_vfs_pfs=pfs, __sriov_vfs_checked=checked))
    assert config["pfs"] == [pfs[0]] and config["pfs"][0]["mtu"] == 9000
    assert config["addresses"] == ["0000:01:00.0"]
    rule = render("nm-unmanaged.rules.j2", sriov_vfs_pfs=pfs, __sriov_vfs_checked=checked)
    assert "*/0000:01:00.0" in rule and "0000:02:00.0" not in rule
    previous = {"content": __import__("base64").b64encode(
        json.dumps({"addresses": ["0000:01:00.0", "0000:02:00.0", "0000:03:00.0"]}).encode()).decode()}
    removed = resolve("__sriov_vfs_removed", sriov_vfs_pfs=pfs, __sriov_vfs_checked=checked,
                      __sriov_vfs_previous=previous)
    assert removed == ["0000:03:00.0"]  # the absent PF goes to 0 through its own entry (with its force)
