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


def converge_iommu(params, cmdline_factory, check_mode):
    """Both parts in one run; ``cmdline_factory(args, remove)`` builds the KernelCmdline manager.

    Every input is checked before anything changes: the vendor, the module names, then the command
    line request (inside the manager, before its write).
    """
    vendor = resolve_vendor(params["vendor"], params["sysfs_root"], params["proc_root"])
    args, remove = iommu_request(vendor, params["passthrough"], params["extra_args"], params["remove_args"])
    modules = PersistedFile(MODULES_LOAD_PATH, params["root"], modules_load_text(params["vfio_modules"]), 0o644)
    manager = cmdline_factory(args, remove)
    result = manager.run()
    actions = list(result.get("actions", []))
    diffs = result.get("diff") or []
    diffs = list(diffs) if isinstance(diffs, list) else [diffs]  # kernel_cmdline: one dict, or a list
    written = converge_file(modules, actions, diffs, check_mode)
    result.update({
        "changed": bool(result["changed"] or written),
        "vendor": vendor,
        "args": args,
        "remove": remove,
        "modules_load": {"path": MODULES_LOAD_PATH, "changed": written},
        "actions": actions,
        "diff": diffs,
        "warnings": list(result.get("warnings", [])),
    })
    return result
