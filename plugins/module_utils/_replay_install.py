# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot-time replay's installation: the files ``sriov_host`` writes so that the VFs come back at boot.

- the config ``_replay`` reads (``config_text``), the launcher that embeds this collection's
  replay code (``launcher_text``, the sources of ``REPLAY_FILES``), the systemd unit
  (``unit_text``) and the udev rule that keeps NetworkManager off the VFs (``udev_text``);
- ``FILES``: every path written on a host (playbooks/decommission.yml removes them).

Text only: ``_host.HostManager`` compares and writes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import json
import os
import pkgutil

from ansible_collections.directiron.sriov.plugins.module_utils import _replay

PACKAGE = "ansible_collections.directiron.sriov.plugins.module_utils"
# What _replay imports, directly or through _vf (a unit test keeps this list complete): the
# launcher embeds these sources.
REPLAY_FILES = ("_errors.py", "_rules.py", "_lock.py", "_sysfs_io.py", "_sysfs_scan.py",
                "_sysfs_iommu.py", "_sysfs.py", "_iplink.py", "_spec.py", "_guards.py",
                "_kernel_errors.py", "_vf_links.py", "_vf_state.py", "_vf_checks.py", "_vf_plan.py", "_vf.py",
                "_replay.py")
CONFIG_PATH = _replay.DEFAULT_CONFIG
LAUNCHER_PATH = "/usr/local/libexec/directiron-sriov-replay"
UNIT = "directiron-sriov-vfs.service"
UNIT_PATH = "/etc/systemd/system/" + UNIT
WANTS_PATH = "/etc/systemd/system/multi-user.target.wants/" + UNIT
UDEV_RULE_PATH = "/etc/udev/rules.d/81-directiron-sriov-nm-unmanaged.rules"
# Every path this module writes on a host, returned as ``files`` (playbooks/decommission.yml removes
# them; docs/footprint.md lists them; tests/unit/playbooks/test_footprint.py ties the three).
FILES = {"config": CONFIG_PATH, "config_dir": os.path.dirname(CONFIG_PATH), "launcher": LAUNCHER_PATH,
         "unit": UNIT_PATH, "unit_enabled": WANTS_PATH, "udev_rule": UDEV_RULE_PATH}

LAUNCHER = '''#!%(python)s -I
# Managed by directiron.sriov (module sriov_host); changes here are overwritten.
# Boot-time replay of %(config)s through the collection's own sriov_vf code.
# That code (the collection's module_utils) is embedded below and imported from memory: one
# file to install, and the replay runs exactly the code the module ran at converge time.
# Extra arguments are passed on (try --check).
import importlib.abc
import importlib.machinery
import sys

PACKAGE = "%(package)s"
SOURCES = {
%(sources)s}


class EmbeddedModuleUtils(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serve PACKAGE, its parent packages and the embedded modules from SOURCES."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == PACKAGE or PACKAGE.startswith(fullname + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname.startswith(PACKAGE + ".") and fullname[len(PACKAGE) + 1:] + ".py" in SOURCES:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        if module.__name__ == PACKAGE or PACKAGE.startswith(module.__name__ + "."):
            module.__path__ = []
            return
        name = module.__name__[len(PACKAGE) + 1:] + ".py"
        exec(compile(SOURCES[name], "%(launcher)s:" + name, "exec"), module.__dict__)


sys.meta_path.insert(0, EmbeddedModuleUtils())

from ansible_collections.directiron.sriov.plugins.module_utils import _replay  # noqa: E402

sys.exit(_replay.main(["--config", "%(config)s"] + sys.argv[1:]))
'''

UNIT_TEXT = '''# Managed by directiron.sriov (module sriov_host); changes here are overwritten.
[Unit]
Description=SR-IOV VF configuration replay (directiron.sriov)
Documentation=file:%(config)s
# Early boot, like a firewall: before any network configuration and before libvirt may hand
# VFs to guests; after udev has started and the PF drivers' modules are loadable.
DefaultDependencies=no
After=local-fs.target systemd-udevd.service systemd-udev-trigger.service systemd-modules-load.service
Wants=network-pre.target
Before=network-pre.target libvirtd.service virtqemud.service virtnodedevd.service shutdown.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=%(launcher)s
# The replay waits up to %(wait)d s for PFs; applying them takes seconds more.
TimeoutStartSec=%(timeout)d
StandardOutput=journal
StandardError=journal
SyslogIdentifier=directiron-sriov

[Install]
WantedBy=multi-user.target
'''

UDEV_HEAD = '''# Managed by directiron.sriov (module sriov_host); changes here are overwritten.
# VFs of these PFs are for guests: NetworkManager must not run DHCP on them or manage them.
# Matched by the PCI address of the VF's parent PF (its physfn link), which stays the same when
# VF netdev names or MACs change; VFs bound to vfio-pci have no netdev and need no rule.
'''
UDEV_RULE = ('ACTION!="remove", SUBSYSTEM=="net", TEST=="device/physfn", '
             'PROGRAM="/usr/bin/readlink -f %%S%%p/device/physfn", RESULT=="%s", ENV{NM_UNMANAGED}="1"\n')


def replay_sources():
    """{file name: source} of the module_utils the launcher embeds (from wherever they were imported)."""
    sources = {}
    for name in REPLAY_FILES:
        module = importlib.import_module("%s.%s" % (PACKAGE, name[:-3]))
        loader = getattr(module, "__loader__", None)
        source = loader.get_source(module.__name__) if hasattr(loader, "get_source") else None
        if source is None:
            source = pkgutil.get_data(PACKAGE, name)
        # str from the file system's and zipimport's loaders, bytes from ansible-core's collection loader
        sources[name] = source.decode("utf-8") if isinstance(source, bytes) else source
    return sources


def launcher_text(python="/usr/bin/python3", sources=None):
    sources = replay_sources() if sources is None else sources
    lines = "".join("    %s: %s,\n" % (json.dumps(name), json.dumps(source)) for name, source in sources.items())
    return LAUNCHER % {"python": python, "config": CONFIG_PATH, "package": PACKAGE, "sources": lines,
                       "launcher": LAUNCHER_PATH}


def unit_text(boot_wait=_replay.DEFAULT_WAIT):
    return UNIT_TEXT % {"config": CONFIG_PATH, "launcher": LAUNCHER_PATH, "wait": boot_wait,
                        "timeout": boot_wait + 180}


def udev_text(addresses, nm_unmanaged=True):
    if nm_unmanaged and addresses:
        return UDEV_HEAD + UDEV_RULE % "|".join("*/" + address for address in addresses)
    return UDEV_HEAD + "# (no PF listed, or nm_unmanaged is false: no rule)\n"


def config_text(pfs, addresses, boot_wait=_replay.DEFAULT_WAIT):
    """The replay's config: the entries exactly as given, the PFs' addresses (for the next prune)."""
    config = {"version": _replay.CONFIG_VERSION, "wait_timeout": boot_wait, "addresses": list(addresses),
              "pfs": pfs}
    return json.dumps(config, indent=2, sort_keys=True) + "\n"
