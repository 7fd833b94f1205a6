# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot-time replay files sriov_host writes: the config the replay reads, the unit, the
NetworkManager rule and the launcher that runs its embedded code alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import subprocess
import sys

from ansible_collections.directiron.sriov.plugins.module_utils import _replay, _replay_install

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "plugins", "module_utils"))
IMPORT_RE = re.compile(
    r"^\s*from ansible_collections\.directiron\.sriov\.plugins\.module_utils"
    r"(?:\.(?P<mod>_\w+) import|\s+import\s+(?P<names>[\w ,]+))", re.M)

PFS = [
    {"pf": "enp1s0", "num_vfs": 4, "vf_driver": "default",
     "vfs": [{"id": 0, "mac": "02:1a:00:00:00:01", "vlan": 100, "trust": True, "spoofchk": False},
             {"id": 2, "driver": "vfio-pci"}]},
    {"pf": {"vendor": "0x8086", "device": "0x10c9", "index": 1}, "num_vfs": 2, "vf_driver": "vfio-pci"},
]
ADDRESSES = ["0000:01:00.0", "0000:02:00.0"]


def test_config_holds_the_options_exactly_as_given_and_the_replay_reads_it():
    config = json.loads(_replay_install.config_text(PFS, ADDRESSES, 45))
    assert config["version"] == _replay.CONFIG_VERSION
    assert config["pfs"] == PFS
    assert config["wait_timeout"] == 45
    assert config["addresses"] == ADDRESSES
    assert _replay.check_config(config) == PFS


def test_config_of_an_empty_inventory_is_valid_and_empty():
    config = json.loads(_replay_install.config_text([], []))
    assert _replay.check_config(config) == [] and config["addresses"] == []


def test_the_unit_runs_the_launcher_early_before_network_and_libvirt():
    lines = _replay_install.unit_text().splitlines()
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
    rules = [line for line in _replay_install.udev_text(ADDRESSES).splitlines() if line and not line.startswith("#")]
    assert len(rules) == 1
    assert 'TEST=="device/physfn"' in rules[0]
    assert 'PROGRAM="/usr/bin/readlink -f %S%p/device/physfn"' in rules[0]
    assert 'RESULT=="*/0000:01:00.0|*/0000:02:00.0"' in rules[0]
    assert 'ENV{NM_UNMANAGED}="1"' in rules[0]


def test_nm_rule_is_empty_when_disabled_or_without_pfs():
    for text in (_replay_install.udev_text(ADDRESSES, nm_unmanaged=False), _replay_install.udev_text([])):
        assert [line for line in text.splitlines() if line and not line.startswith("#")] == []


def test_the_launcher_embeds_every_module_util_the_replay_imports():
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
    assert seen <= set(_replay_install.REPLAY_FILES), "the replay imports %s, not embedded" % sorted(seen - set(_replay_install.REPLAY_FILES))
    for name, source in _replay_install.replay_sources().items():
        with open(os.path.join(MODULE_UTILS, name)) as handle:
            assert handle.read() == source, name


def test_the_installed_launcher_runs_its_embedded_code_alone_and_reports_a_missing_pf(tmp_path):
    config = tmp_path / "vfs.json"
    config.write_text(_replay_install.config_text([{"pf": "enp9s0", "num_vfs": 1}], ["0000:09:00.0"]))
    launcher = tmp_path / "directiron-sriov-replay"
    launcher.write_text(_replay_install.launcher_text())
    assert launcher.read_text().startswith("#!/usr/bin/python3 -I\n")
    (tmp_path / "sys" / "bus" / "pci" / "devices").mkdir(parents=True)
    (tmp_path / "sys" / "class" / "net").mkdir(parents=True)
    # -I and a bare environment: no PYTHONPATH, no collection on disk; only the embedded code.
    proc = subprocess.run([sys.executable, "-I", str(launcher), "--config", str(config),
                           "--sysfs-root", str(tmp_path / "sys"), "--no-settle", "--wait", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                          cwd=str(tmp_path), check=False)
    assert proc.returncode == 1, proc.stderr
    assert "PF enp9s0 is missing, not applied" in proc.stdout
    assert "1 missing" in proc.stdout
    assert proc.stderr == ""
