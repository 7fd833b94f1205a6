# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible inventory (YAML, group `lab`, a child of `sriov_hosts`) and ansible.cfg for the lab VMs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from lab import image
from lab.common import run_dir

SSH_COMMON_ARGS = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes"


def host_vars(machine):
    """Connection variables of one VM (JSON strings are valid YAML scalars)."""
    meta = machine.meta()
    return {
        "ansible_host": "127.0.0.1",
        "ansible_port": machine.port(),
        "ansible_user": "root",
        "ansible_ssh_private_key_file": image.ssh_key_path(),
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_ssh_common_args": SSH_COMMON_ARGS,
        "ansible_pipelining": True,
        "lab_variant": meta.get("variant"),
        "lab_without_pf": meta.get("without_pf", []),
        "lab_iommu": meta.get("iommu", "intel"),
    }


def render(machines, include_stopped=False):
    lines = ["# directiron.sriov lab inventory, written by `python -m lab inventory`",
             "lab:", "  hosts:"]
    hosts = [m for m in machines if m.port() and (include_stopped or m.pid())]
    if not hosts:
        lines[-1] = "  hosts: {}"
    for machine in hosts:
        lines.append("    %s:" % machine.name)
        for key, value in host_vars(machine).items():
            lines.append("      %s: %s" % (key, json.dumps(value)))
    # the playbooks' default target: every lab VM is an SR-IOV host
    lines += ["sriov_hosts:", "  children:", "    lab: {}"]
    return "\n".join(lines) + "\n"


def write_file(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, path)


def write_ansible_cfg():
    """lab/run/ansible.cfg: pipelining and no host key checks (export ANSIBLE_CONFIG to use)."""
    path = os.path.join(run_dir(), "ansible.cfg")
    write_file(path, "[defaults]\nhost_key_checking = False\n\n"
                     "[ssh_connection]\npipelining = True\n")
    return path
