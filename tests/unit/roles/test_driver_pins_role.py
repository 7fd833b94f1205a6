# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role driver_pins against a loaded module that is not the build on disk, on this machine.

Runs ansible-playbook against localhost: the role's loaded-build step (tasks_from upgrade, no
package manager) with the module pointed at a fake sysfs (module_defaults) whose igb carries one
GNU build-id, and a fake ``modinfo`` on PATH naming a module file that carries another.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys

from ansible_collections.directiron.sriov.tests.fixtures.kmod_files import build_id_note, elf_module

LOADED, OTHER = b"\x11" * 20, b"\x22" * 20

# The role three times in one play, as a site run or a test would: the stale module refused with
# reloading off, then (the disk build put back) accepted, then refused again. Each call's refusal
# is caught so that the next one runs.
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  module_defaults:
    directiron.sriov.driver_module: {sysfs_root: "%(sysfs)s"}
  vars:
    pins: [{package: fake-igb, version: "1", module: igb}]
  tasks:
%(calls)s
"""
CALL = """
    - name: Call %(n)d
      block:
        - ansible.builtin.copy: {src: "%(disk)s", dest: "%(ko)s", mode: "0644"}
        - ansible.builtin.include_role:
            name: directiron.sriov.driver_pins
            tasks_from: upgrade
          vars:
            driver_pins_host: "{{ pins }}"
            driver_pins_reload: false
            driver_pins_reboot_ok: false
        - ansible.builtin.debug:
            msg: "CALL %(n)d PASSED reboot_required={{ driver_pins_reboot_required }}"
      rescue:
        - ansible.builtin.debug:
            msg: "CALL %(n)d REFUSED reboot_required={{ driver_pins_reboot_required }}: {{ ansible_failed_result.msg }}"
"""


def run_role(tmp_path, disk_builds):
    sysfs = tmp_path / "sys" / "module" / "igb"
    (sysfs / "notes").mkdir(parents=True)
    (sysfs / "initstate").write_text("live\n")
    (sysfs / "notes" / ".note.gnu.build-id").write_bytes(build_id_note(LOADED))
    builds = {}
    for build in set(disk_builds):
        builds[build] = tmp_path / ("igb-%s.ko" % build.hex()[:4])
        builds[build].write_bytes(elf_module(build))
    ko = tmp_path / "igb.ko"
    bindir = tmp_path / "bin"
    bindir.mkdir()
    modinfo = bindir / "modinfo"
    # modinfo -F filename names the file; srcversion and version are empty, as for Debian's in-tree igb
    modinfo.write_text('#!/bin/sh\n[ "$2" = filename ] && echo %s\nexit 0\n' % ko)
    modinfo.chmod(0o755)
    calls = "".join(CALL % {"n": n, "disk": builds[build], "ko": ko} for n, build in enumerate(disk_builds, 1))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK % {"sysfs": tmp_path / "sys", "calls": calls})
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, PATH="%s:%s" % (bindir, os.environ["PATH"]))
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.playbook", str(playbook)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout
    verdicts = [json.loads('"%s"' % line.split('"msg": "', 1)[1].rstrip('"'))
                for line in proc.stdout.splitlines() if '"msg": "CALL ' in line]
    assert len(verdicts) == len(disk_builds), proc.stdout
    return verdicts


def test_a_stale_module_is_refused_by_name_on_every_call_when_it_may_not_reload(tmp_path):
    first, second, third = run_role(tmp_path, [OTHER, LOADED, OTHER])
    refusal = ("CALL %d REFUSED reboot_required=True: igb: the loaded module is not the build on disk "
               "(igb loaded build-id " + LOADED.hex() + ", on disk build-id " + OTHER.hex()
               + "; not reloaded: driver_pins_reload is false). Reboot the host, or set sriov_reboot_ok "
               "(driver_pins_reboot_ok) to let the role reboot it.")
    assert first == refusal % 1
    assert second == "CALL 2 PASSED reboot_required=False"
    assert third == refusal % 3
