# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/footprint.md and playbooks/decommission.yml against what the roles really install.

Every task of every role that writes a file (template, copy, file with state directory or touch,
lineinfile, blockinfile) is read, its destination resolved through the roles' vars, and must be
either removed by the decommission playbook (and listed on the page) or listed on the page as
left in place. A new file-writing task without both fails here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import yaml

from ansible_collections.directiron.sriov.plugins.module_utils import _iommu_host, _replay_install

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
WRITERS = {"template": "dest", "copy": "dest", "file": "path", "lineinfile": "path", "blockinfile": "path"}
VAR_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(\|\s*dirname\s*)?\}\}")


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def role_vars():
    """Every role's vars/main.yml and defaults/main.yml (plain string values only)."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "*", "main.yml"))):
        if os.path.basename(os.path.dirname(path)) in ("vars", "defaults"):
            found.update((k, v) for k, v in (_load(path) or {}).items() if isinstance(v, str))
    # what decommission.yml learns from sriov_host (the module that writes the replay's files)
    found.update(("__decom_host.files." + key, value) for key, value in _replay_install.FILES.items())
    found["__decom_host.unit"] = _replay_install.UNIT
    return found


def resolve(text, variables, item=None):
    def one(match):
        name, dirname = match.group(1), match.group(2)
        if name.startswith("item"):
            value = item
            for part in name.split(".")[1:]:
                value = value[part]
        else:
            value = variables[name]
        value = resolve(value, variables, item)
        return os.path.dirname(value) if dirname else value
    return VAR_RE.sub(one, text)


def _tasks(tasks):
    for task in tasks or []:
        yield task
        for key in ("block", "rescue", "always"):
            yield from _tasks(task.get(key))


def written_paths(task_files, variables):
    """{path: task file} of everything the given task files write on the host."""
    paths = {}
    for path in task_files:
        for task in _tasks(_load(path)):
            for module, key in WRITERS.items():
                args = task.get("ansible.builtin." + module, task.get(module))
                if not isinstance(args, dict) or key not in args:
                    continue
                if module == "file" and args.get("state") not in ("directory", "touch"):
                    continue
                items = task.get("loop") or [None]
                for item in items:
                    item = resolve(item, variables) if isinstance(item, str) else item
                    paths[resolve(args[key], variables, item)] = os.path.relpath(path, ROOT)
    return paths


def test_every_path_a_role_writes_is_removed_or_left_on_purpose_and_documented():
    variables = role_vars()
    written = written_paths(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml")), variables)
    # sriov_host (run by the sriov_vfs role) writes the boot-time replay's files itself
    written.update((_replay_install.FILES[key], "plugins/module_utils/_replay_install.py") for key in ("config", "launcher", "unit", "udev_rule"))
    assert "/etc/directiron-sriov/vfs.json" in written  # the parser sees the role's tasks
    with open(os.path.join(ROOT, "docs", "footprint.md")) as handle:
        page = handle.read()
    removed_section, kept_section = page.split("## Left in place on purpose")
    kept_section = kept_section.split("## The playbook")[0]
    decommission = _load(os.path.join(ROOT, "playbooks", "decommission.yml"))[0]["tasks"]
    removal = [t for t in decommission if t.get("ansible.builtin.file", {}).get("state") == "absent"]
    assert len(removal) == 1
    removed = set(resolve(item, variables) for item in removal[0]["loop"])
    problems = []
    for path, where in sorted(written.items()):
        # a file inside a removed directory goes with it
        if any(path == gone or path.startswith(gone.rstrip("/") + "/") for gone in removed):
            if "`%s`" % path not in removed_section:
                problems.append("%s (%s) is removed but not listed in docs/footprint.md" % (path, where))
        elif "`%s`" % path not in kept_section:
            problems.append("%s (%s) is neither removed by decommission.yml nor listed as left in place"
                            % (path, where))
    assert problems == []
    # and the page names nothing the playbook does not remove
    for path in removed:
        assert "`%s`" % path in removed_section, path
    listed = set(re.findall(r"^\| `(/[^`]+)`", removed_section, re.M))
    assert listed - removed == set([_replay_install.FILES["config"], _replay_install.FILES["unit_enabled"]])


def test_the_config_file_goes_with_its_directory_and_the_unit_is_disabled():
    tasks = _load(os.path.join(ROOT, "playbooks", "decommission.yml"))[0]["tasks"]
    unit = [t["ansible.builtin.systemd_service"] for t in tasks if "ansible.builtin.systemd_service" in t]
    assert unit == [{"name": "{{ __decom_host.unit }}", "state": "stopped", "enabled": False}]
    names = [t["name"] for t in tasks]
    # nothing changes before every PF passed its check; networks go before the VFs they hand out
    check = names.index("Check that every PF may lose its VFs (sriov_vf in check mode; a PF no longer there "
                        "is skipped)")
    assert check < names.index("Remove the libvirt networks of sriov_pools") < names.index(
        "Set the VFs of every PF to 0")
    assert all(t.get("check_mode") is True or t.get("ansible.builtin.include_vars") or t.get("ansible.builtin.slurp")
               for t in tasks[:check + 1])
    iommu = [t for t in tasks if "directiron.sriov.kernel_cmdline" in t][0]
    assert iommu["when"] == "__decom_iommu"


def test_the_role_paths_are_what_the_page_says():
    variables = role_vars()
    assert resolve("{{ __decom_host.files.launcher | dirname }}", variables) == "/usr/local/libexec"
    assert variables["__iommu_modules_load_file"] == "/etc/modules-load.d/directiron-sriov-vfio.conf"
    # the module that writes it and the decommission playbook that removes it name the same file
    assert variables["__iommu_modules_load_file"] == _iommu_host.MODULES_LOAD_PATH
