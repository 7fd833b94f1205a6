# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What iommu_host converges: the IOMMU kernel arguments and the vfio modules loaded at boot.

The platform's vendor comes from the iommu_facts reader (firmware table, else CPU vendor), the
command line from the kernel_cmdline back-ends, the modules-load file from the writer sriov_host
uses for its boot-time files: this file only composes them into one run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import validate_request
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._files import PersistedFile, converge_file
from ansible_collections.directiron.sriov.plugins.module_utils._iommu_facts import read_platform_vendor
from ansible_collections.directiron.sriov.plugins.module_utils._rules import DRIVER_RE

VENDORS = ("auto", "intel", "amd")
MODULES_LOAD_PATH = "/etc/modules-load.d/directiron-sriov-vfio.conf"
# The marker lines the file has had since the iommu role wrote it with blockinfile: a host
# converged before keeps its file unchanged.
MODULES_LOAD_MARKER = "# %s Managed by directiron.sriov (role iommu): vfio for VFs handed to guests."


def modules_load_text(modules):
    for position, name in enumerate(modules):
        if not isinstance(name, str) or not DRIVER_RE.match(name):
            raise SriovError("vfio_modules[%d]: %r is not a kernel module name (letters, digits, _ and -)"
                             % (position, name),
                             field="vfio_modules[%d]" % position)
    return "\n".join([MODULES_LOAD_MARKER % "BEGIN"] + list(modules) + [MODULES_LOAD_MARKER % "END"]) + "\n"


def resolve_vendor(vendor, sysfs_root, proc_root):
    """intel or amd: the one asked for, or (auto) the platform's; a host that tells neither fails."""
    if vendor not in VENDORS:
        raise SriovError("vendor: %r is not one of %s" % (vendor, ", ".join(VENDORS)), field="vendor")
    if vendor != "auto":
        return vendor
    cpu_vendor, _firmware, platform = read_platform_vendor(sysfs_root, proc_root)
    if platform is None:
        raise SriovError("vendor: cannot tell whose IOMMU this host has (no DMAR or IVRS ACPI table, CPU "
                         "vendor %s); set it to intel or amd" % cpu_vendor, field="vendor")
    return platform


def iommu_request(vendor, passthrough, extra_args, remove_args):
    """(args, remove) for the kernel command line: <vendor>_iommu=on, iommu=pt unless passthrough is
    false (then it is removed), the extra arguments."""
    args = ["%s_iommu=on" % vendor] + (["iommu=pt"] if passthrough else []) + list(extra_args)
    remove = list(remove_args) + ([] if passthrough else ["iommu=pt"])
    return args, remove


def own_field(field, fixed_args, remove_args):
    """The iommu_host option behind a kernel_cmdline field: args[N] is extra_args[N - fixed]
    (the vendor and passthrough arguments come first), remove[N] is remove_args[N] (or the
    iommu=pt that passthrough=false removes)."""
    match = re.match(r"^(args|remove)\[([0-9]+)\]", field or "")
    if not match:
        return {"args": "extra_args", "remove": "remove_args"}.get(field, field)
    index = int(match.group(2))
    if match.group(1) == "args":
        return "extra_args[%d]" % (index - fixed_args) if index >= fixed_args else "vendor"
    return "remove_args[%d]" % index if index < len(remove_args) else "passthrough"


def converge_iommu(params, cmdline_factory, check_mode):
    """Both parts in one run; ``cmdline_factory(args, remove)`` builds the KernelCmdline manager.

    Every input is checked before anything changes: the vendor, the module names, then the command
    line request (inside the manager, before its write). All or nothing: the modules-load file is
    written first and put back when the command line then fails (the command line itself is
    refused before its write, or restored by the manager); the error says which, in ``rollback``.
    """
    vendor = resolve_vendor(params["vendor"], params["sysfs_root"], params["proc_root"])
    args, remove = iommu_request(vendor, params["passthrough"], params["extra_args"], params["remove_args"])
    modules = PersistedFile(MODULES_LOAD_PATH, params["root"], modules_load_text(params["vfio_modules"]), 0o644)
    fixed = len(args) - len(params["extra_args"])
    manager = cmdline_factory(args, remove)
    try:
        validate_request(args, remove)
    except SriovError as exc:
        raise SriovError(exc.msg.replace(exc.field or "\0", own_field(exc.field, fixed, params["remove_args"])),
                         field=own_field(exc.field, fixed, params["remove_args"]), details=exc.details)
    actions = manager.actions
    diffs = []
    written = converge_file(modules, actions, diffs, check_mode)
    try:
        result = manager.run()
    except SriovError as exc:
        raise rolled_back(exc, modules if written and not check_mode else None,
                          own_field(exc.field, fixed, params["remove_args"]))
    cmdline_diffs = result.get("diff") or []
    cmdline_diffs = list(cmdline_diffs) if isinstance(cmdline_diffs, list) else [cmdline_diffs]
    result.update({
        "changed": bool(result["changed"] or written),
        "vendor": vendor,
        "args": args,
        "remove": remove,
        "modules_load": {"path": MODULES_LOAD_PATH, "changed": written},
        "actions": list(result.get("actions", [])),
        "diff": cmdline_diffs + diffs,
        "warnings": list(result.get("warnings", [])),
    })
    return result


def rolled_back(err, modules, field):
    """err after putting the modules-load file back (modules: the PersistedFile written, or None)."""
    restored, failed = [], []
    if modules is not None:
        try:
            modules.restore()
            restored.append(modules.path)
        except (IOError, OSError) as exc:
            failed.append("%s (%s)" % (modules.path, exc))
    # The command line's own files: put back by the manager, or named when they could not be.
    cmdline_left = list((err.details or {}).get("not_restored") or [])
    cmdline = ("the kernel command line files NOT put back: %s" % ", ".join(cmdline_left) if cmdline_left
               else "the kernel command line is unchanged")
    rollback = {"restored": restored, "left_changed": ([modules.path] if failed else []) + cmdline_left,
                "restore_failed": failed + cmdline_left}
    if restored:
        summary = "rolled back: restored %s; %s" % (", ".join(restored), cmdline)
    elif failed:
        summary = "could not restore %s%s" % (", ".join(failed), "; " + cmdline if cmdline_left else "")
    else:
        summary = cmdline if cmdline_left else "nothing was changed"
    details = dict(err.details or {})
    details["rollback"] = rollback
    return SriovError("%s (%s)" % (err.msg, summary), field=field, details=details)
