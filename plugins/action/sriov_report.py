# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report, on the controller, once, from the hostvars the play already holds (no host is
contacted): printed as a table, written as Markdown and JSON, its warnings real Ansible warnings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.directiron.sriov.plugins.plugin_utils._hostvars import HostView
from ansible_collections.directiron.sriov.plugins.module_utils._report import (
    fleet_report,
    render_markdown,
    render_text,
)

display = Display()


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.rename(tmp, path)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("playbook", "hosts", "dir", "show"))

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        playbook = args.get("playbook") or "site"
        hosts = args.get("hosts")
        if hosts is None:
            hosts = task_vars.get("ansible_play_hosts_all") or []
        if not isinstance(hosts, list):
            raise AnsibleActionFail("hosts: must be a list of inventory hostnames, got %s" % type(hosts).__name__)
        hostvars = task_vars.get("hostvars") or {}
        report = fleet_report(playbook, [(name, HostView(hostvars.get(name))) for name in hosts])
        report = json.loads(json.dumps(report, default=str))
        text = render_text(report)
        files = {}
        directory = args.get("dir")
        if directory:
            directory = os.path.abspath(os.path.expanduser(str(directory)))
            try:
                if not os.path.isdir(directory):
                    os.makedirs(directory)
                files = {"markdown": os.path.join(directory, "sriov-report-%s.md" % playbook),
                         "json": os.path.join(directory, "sriov-report-%s.json" % playbook)}
                _write(files["markdown"], render_markdown(report))
                _write(files["json"], json.dumps(report, indent=2, sort_keys=True) + "\n")
            except (IOError, OSError) as err:
                raise AnsibleActionFail("dir: cannot write the report in %s: %s" % (directory, err))
        if args.get("show", True):
            display.display("\n" + text)
        result.update(changed=False, report=report, text=text, files=files)
        if report["warnings"]:
            result["warnings"] = list(report["warnings"])
        return result
