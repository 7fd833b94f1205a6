# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Boot-time replay of the persisted VF configuration, through the same code as ``sriov_vf``.

The module ``directiron.sriov.sriov_host`` (role ``sriov_vfs``) writes
``/etc/directiron-sriov/vfs.json`` (``_replay_install.config_text``)::

    {"version": 1, "wait_timeout": 60, "addresses": ["0000:01:00.0", ...],
     "pfs": [{"pf": "enp1s0", "num_vfs": 4, "vf_driver": "vfio-pci", "vfs": [...]}, ...]}

where every entry of ``pfs`` holds ``sriov_vf`` options exactly as the module was given them
(``addresses``: the PFs' PCI addresses, for the next prune). A systemd oneshot unit runs a launcher that calls ``main(["--config", PATH])`` early at
boot. For each PF the replay waits (bounded) until the PF is there with its driver bound and its
netdev named, then calls ``_vf.apply_pf`` -- the module's own implementation, not a second one.

A PF that is missing (NIC removed or renamed) or that fails does not stop the others: it is
logged, the rest are applied, and ``main`` returns 1 so the unit shows ``failed``. Lines go to
stdout; under systemd they carry journal priority prefixes (``<3>`` error, ``<4>`` warning).

Pure standard library: the host runs this without Ansible installed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import subprocess
import sys
import time
import traceback

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock
from ansible_collections.directiron.sriov.plugins.module_utils._rules import HOST_ROOTS, pf_label

CONFIG_VERSION = 1
DEFAULT_CONFIG = "/etc/directiron-sriov/vfs.json"
DEFAULT_WAIT = 60
# After udev has settled, a PF still absent gets only this much longer: it is most likely gone.
SETTLED_GRACE = 5
POLL_INTERVAL = 0.5

EXIT_OK = 0
EXIT_PF_FAILED = 1
EXIT_BAD_CONFIG = 2

INFO = 6
WARNING = 4
ERR = 3


class ConfigError(Exception):
    """The persisted file cannot be used at all (unreadable, not JSON, wrong shape)."""


def check_config(config):
    """Return the list of per-PF option dicts from a parsed config, or raise ConfigError.

    Only the envelope is checked here; each PF's options are validated by ``_spec`` when that
    PF is replayed, so one bad entry cannot stop the others.
    """
    if not isinstance(config, dict):
        raise ConfigError("the config must be a JSON object, got %s" % type(config).__name__)
    version = config.get("version")
    if version != CONFIG_VERSION:
        raise ConfigError("unsupported config version %r (this replay reads version %d)" % (version, CONFIG_VERSION))
    pfs = config.get("pfs")
    if not isinstance(pfs, list):
        raise ConfigError("'pfs' must be a list of sriov_vf option sets")
    for position, entry in enumerate(pfs):
        if not isinstance(entry, dict) or entry.get("pf") in (None, ""):
            raise ConfigError("pfs[%d] must be an object with a 'pf' key" % position)
    wait = config.get("wait_timeout", DEFAULT_WAIT)
    if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
        raise ConfigError("'wait_timeout' must be a non-negative integer (seconds), got %r" % (wait,))
    return pfs


def load_config(path):
    """Read and check the persisted config file; raise ConfigError naming the problem."""
    try:
        with open(path, "r") as handle:
            config = json.load(handle)
    except (IOError, OSError) as exc:
        raise ConfigError("cannot read %s: %s" % (path, exc))
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON: %s" % (path, exc))
    check_config(config)
    return config


def replay_params(entry, sysfs_root="/sys", proc_root="/proc"):
    """The option dict handed to apply_pf: the persisted options plus this host's roots."""
    params = dict((key, value) for key, value in entry.items() if key not in HOST_ROOTS)
    params["sysfs_root"] = sysfs_root
    params["proc_root"] = proc_root
    return params


def subprocess_runner(argv, timeout=120):
    """runner(argv) -> (rc, stdout, stderr) for the replay; argv is a list, never a shell string."""
    if not isinstance(argv, (list, tuple)):
        raise TypeError("runner takes an argv list, got %r" % (argv,))
    try:
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, universal_newlines=True)
    except OSError as exc:
        return 127, "", "%s: %s" % (argv[0], exc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return 124, out, (err or "") + "\n%s timed out after %ss" % (argv[0], timeout)
    return proc.returncode, out, err


def pf_readiness(pf, sysfs_root="/sys"):
    """(address, None) when the PF exists with a driver bound and a netdev, else (address|None, why).

    The replay must not write sriov_numvfs before the PF's driver has bound (the write needs
    the driver's sriov_configure), nor run `ip link set PF vf ...` before udev has named it.
    """
    from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs

    try:
        address = _sysfs.resolve_pf(sysfs_root, pf)
    except SriovError as exc:
        return None, exc.msg
    function = _sysfs.read_function(sysfs_root, address)
    if not function:
        return None, "%s vanished" % address
    if not function.get("driver"):
        return address, "%s has no driver bound yet" % address
    if not function.get("netdevs"):
        return address, "%s (driver %s) has no netdev yet" % (address, function["driver"])
    return address, None


def host_guards(runner, sysfs_root="/sys", proc_root="/proc"):
    """The guard set for boot: no Ansible connection and no network yet, so no management guard;
    libvirt is not asked either (this unit runs before libvirtd, and asking would socket-activate
    it and deadlock on the ordering); open /dev/vfio groups and IOMMU groups are still checked."""
    from ansible_collections.directiron.sriov.plugins.module_utils import _guards

    return _guards.HostGuards(runner, sysfs_root=sysfs_root, proc_root=proc_root,
                              management=False, libvirt=False)


def default_apply(params, runner, sysfs_root="/sys", check_mode=False, guards=None):
    from ansible_collections.directiron.sriov.plugins.module_utils import _vf

    return _vf.apply_pf(params, runner, sysfs_root=sysfs_root, check_mode=check_mode, guards=guards)


def wait_for_pfs(pfs, readiness, deadline, settled, sleep=time.sleep, clock=time.monotonic):
    """Poll every PF until all are ready or time is up.

    Returns {position: (address, reason)} where reason is None for a ready PF. When udev has
    settled (``settled`` true), PFs still absent get ``SETTLED_GRACE`` seconds rather than the
    whole deadline: the boot should not wait a minute for a NIC that was removed.
    """
    if settled:
        deadline = min(deadline, clock() + SETTLED_GRACE)
    state = {}
    pending = list(range(len(pfs)))
    while True:
        still = []
        for position in pending:
            state[position] = readiness(pfs[position]["pf"])
            if state[position][1] is not None:
                still.append(position)
        pending = still
        if not pending or clock() >= deadline:
            return state
        sleep(POLL_INTERVAL)


class Logger(object):
    """Writes one line per event to a stream, with journal priority prefixes when asked."""

    def __init__(self, stream=None, journal=False):
        self.stream = stream if stream is not None else sys.stdout
        self.journal = journal
        self.lines = []

    def __call__(self, message, priority=INFO):
        self.lines.append((priority, message))
        prefix = "<%d>" % priority if self.journal else ""
        self.stream.write("%s%s\n" % (prefix, message))
        self.stream.flush()


def apply_one(entry, ready, apply, runner, log, summary, sysfs_root="/sys", proc_root="/proc", check_mode=False,
              guards=None):
    """Apply one PF of the config and record the outcome in ``summary`` (never raises for it)."""
    label = pf_label(entry["pf"])
    address, reason = ready
    if reason is not None:
        summary["missing"][label] = reason
        log("PF %s is missing, not applied: %s" % (label, reason), ERR)
        return
    name = label if label == address else "%s (%s)" % (label, address)
    params = replay_params(entry, sysfs_root, proc_root)
    try:
        result = apply(params, runner, sysfs_root=sysfs_root, check_mode=check_mode, guards=guards)
    except SriovError as exc:
        summary["failed"][label] = exc.msg
        log("PF %s failed: %s" % (name, exc.msg), ERR)
        return
    except Exception as exc:  # pylint: disable=broad-except
        # An unexpected bug for one PF must not leave the other PFs unconfigured at boot.
        summary["failed"][label] = "%s: %s" % (type(exc).__name__, exc)
        log("PF %s failed unexpectedly: %s: %s" % (name, type(exc).__name__, exc), ERR)
        for line in traceback.format_exc().rstrip().splitlines():
            log("  %s" % line, ERR)
        return
    for warning in result.get("warnings") or []:
        log("PF %s: warning: %s" % (name, warning), WARNING)
    for action in result.get("actions") or []:
        log("PF %s: %s" % (name, action))
    summary["ok"].append(label)
    if result.get("changed"):
        summary["changed"].append(label)
        log("PF %s: applied (%d action(s))%s" % (name, len(result.get("actions") or []),
                                                 " [check mode]" if check_mode else ""))
    else:
        log("PF %s: already as configured" % name)


def replay(config, apply=default_apply, runner=subprocess_runner, log=None, readiness=None, guards=None,
           sysfs_root="/sys", proc_root="/proc", check_mode=False, settle=True, wait=None,
           sleep=time.sleep, clock=time.monotonic):
    """Apply every PF of a parsed config; return a summary dict.

    ``{"ok": [label, ...], "changed": [label, ...], "failed": {label: reason}, "missing": {label: reason}}``
    Nothing here raises for one PF's sake: a missing or failing PF is recorded and the next is applied.
    """
    log = log if log is not None else Logger()
    pfs = check_config(config)
    if readiness is None:
        def readiness(pf):
            return pf_readiness(pf, sysfs_root)
    if guards is None and apply is default_apply:
        guards = host_guards(runner, sysfs_root, proc_root)
    summary = {"ok": [], "changed": [], "failed": {}, "missing": {}}
    if not pfs:
        log("no PF in the config: nothing to do")
        return summary

    timeout = config.get("wait_timeout", DEFAULT_WAIT) if wait is None else wait
    deadline = clock() + timeout
    settled = False
    if settle and timeout > 0:
        # Wait for udev to finish the coldplug events: PF drivers bound and netdevs renamed.
        rc, _out, err = runner(["udevadm", "settle", "--timeout=%d" % max(1, int(timeout))])
        settled = rc == 0
        if not settled:
            log("udevadm settle did not finish (rc %s): %s; waiting up to %ss for the PFs"
                % (rc, (err or "").strip(), timeout), WARNING)
    state = wait_for_pfs(pfs, readiness, deadline, settled, sleep=sleep, clock=clock)

    # One host lock for the whole replay: a converge that starts meanwhile waits for it to end.
    try:
        with host_lock("boot-time replay of the VF config", enabled=not check_mode):
            for position, entry in enumerate(pfs):
                apply_one(entry, state[position], apply, runner, log, summary, sysfs_root=sysfs_root,
                          proc_root=proc_root, check_mode=check_mode, guards=guards)
    except SriovError as exc:  # the lock only: apply_one records each PF's own errors
        for entry in pfs:
            label = pf_label(entry["pf"])
            if not any(label in summary[key] for key in ("ok", "failed", "missing")):
                summary["failed"][label] = exc.msg
        log("nothing more applied: %s" % exc.msg, ERR)
    return summary


def exit_code(summary):
    return EXIT_PF_FAILED if summary["failed"] or summary["missing"] else EXIT_OK


def build_parser():
    parser = argparse.ArgumentParser(
        prog="directiron-sriov-replay",
        description="Apply the persisted SR-IOV VF configuration (boot-time replay of sriov_vf).")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="persisted config (default %(default)s)")
    parser.add_argument("--sysfs-root", default="/sys")
    parser.add_argument("--proc-root", default="/proc")
    parser.add_argument("--wait", type=int, default=None,
                        help="seconds to wait for PFs to appear (default: the config's wait_timeout)")
    parser.add_argument("--no-settle", action="store_true", help="do not run 'udevadm settle' first")
    parser.add_argument("--check", action="store_true", help="report what would change, change nothing")
    return parser


def main(argv=None, apply=default_apply, runner=subprocess_runner, stream=None, environ=None):
    """Entry point of the launcher; returns the exit status (0 ok, 1 a PF failed/missing, 2 bad config)."""
    args = build_parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    # systemd sets JOURNAL_STREAM when stdout is the journal: then prefix lines with priorities.
    log = Logger(stream, journal=bool(environ.get("JOURNAL_STREAM")))
    started = time.monotonic()
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        log("config unusable, nothing applied: %s" % exc, ERR)
        return EXIT_BAD_CONFIG
    summary = replay(config, apply=apply, runner=runner, log=log, sysfs_root=args.sysfs_root,
                     proc_root=args.proc_root, check_mode=args.check, settle=not args.no_settle, wait=args.wait)
    total = len(summary["ok"]) + len(summary["failed"]) + len(summary["missing"])
    log("replayed %d PF(s) from %s in %.1fs: %d ok (%d changed), %d failed, %d missing"
        % (total, args.config, time.monotonic() - started, len(summary["ok"]), len(summary["changed"]),
           len(summary["failed"]), len(summary["missing"])),
        ERR if exit_code(summary) else INFO)
    return exit_code(summary)
