# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HostManager: the whole VF state of one host in one run (the ``sriov_host`` module).

One run takes the host's full ``sriov_pfs`` list (each entry: ``sriov_vf`` options, the table in
``_spec``) and, under the host lock:

1. prepares every PF with ``_vf.VfManager`` (read, validate, plan, guard) and the PFs of the
   previous boot config that are no longer listed (``prune``: to 0 VFs) -- any refusal here
   stops the run before anything is written, and names ``sriov_pfs[N].field``;
2. writes the udev rule that keeps NetworkManager off the listed PFs' VFs (before VFs appear);
3. finishes each PF (``VfManager.finish``: apply and read back; check mode: predict);
4. writes the boot-time replay (``_replay_install`` gives the texts and paths): the config
   (``_replay`` reads it), the launcher that embeds this collection's replay code, and the
   systemd unit, then enables the unit.

Files are compared before they are written, so a converged host changes nothing; check mode
writes nothing and reports what it would do. ``config_root`` puts every file under another
directory (tests, an image being built); commands that act on the running system
(``udevadm trigger``, ``systemctl daemon-reload``) run only when it is ``/``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils import _coexist
from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.plugins.module_utils import _lock
from ansible_collections.directiron.sriov.plugins.module_utils import _replay
from ansible_collections.directiron.sriov.plugins.module_utils._replay_install import (
    CONFIG_PATH, FILES, LAUNCHER_PATH, UDEV_RULE_PATH, UNIT, UNIT_PATH, WANTS_PATH, config_text, launcher_text,
    udev_text, unit_text)
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._files import PersistedFile, converge_file
from ansible_collections.directiron.sriov.plugins.module_utils._vf import VfManager

FIELD = "sriov_pfs"


def pfs_entry_pf(manager):
    """The PF of an entry as the user wrote it (a selector dict as its ids)."""
    return _rules.pf_label(manager.raw_params.get("pf"))


def at_entry(position, err):
    """The error of one entry, its field under ``sriov_pfs[N]``."""
    where = "%s[%d]" % (FIELD, position)
    field = "%s.%s" % (where, err.field) if err.field else where
    if err.field and err.msg.startswith(err.field):
        msg = "%s.%s" % (where, err.msg)
    else:
        msg = "%s: %s" % (field, err.msg)
    return SriovError(msg, field=field, details=err.details)


class HostManager(object):
    """Every PF of one host planned and guarded, then applied, then persisted."""

    def __init__(self, params, runner, check_mode=False, guards=None, manager=VfManager):
        self.params = params
        self.runner = runner
        self.check_mode = check_mode
        self.sysfs_root = params.get("sysfs_root") or "/sys"
        self.proc_root = params.get("proc_root") or "/proc"
        self.root = params.get("config_root") or "/"
        self.guards = guards or _guards.HostGuards(runner, self.sysfs_root, self.proc_root)
        self.manager = manager
        self.actions = []
        self.warnings = []
        self.diffs = []
        self.written = []  # PersistedFile written by this run, in order (what a rollback restores)
        self.finished = []  # labels of the PFs this run changed
        self.validated = []  # each entry of sriov_pfs as _spec.validate_params returned it

    def _vf_manager(self, entry, validated=None):
        params = dict(entry)
        params["sysfs_root"] = self.sysfs_root
        params["proc_root"] = self.proc_root
        return self.manager(params, self.runner, sysfs_root=self.sysfs_root, check_mode=self.check_mode,
                            guards=self.guards, validated=validated)

    def entries(self):
        pfs = self.params.get("sriov_pfs")
        if not isinstance(pfs, list):
            raise SriovError("%s must be a list of sriov_vf option sets, got %r" % (FIELD, pfs), field=FIELD)
        for position, entry in enumerate(pfs):
            if not isinstance(entry, dict):
                raise SriovError("%s[%d] must be a dict of sriov_vf options, got %r" % (FIELD, position, entry),
                                 field="%s[%d]" % (FIELD, position))
            for key in ("sysfs_root", "proc_root"):
                if key in entry:
                    raise SriovError("%s[%d].%s is an option of the module, not of a PF" % (FIELD, position, key),
                                     field="%s[%d].%s" % (FIELD, position, key))
        # Every entry's own shape first, before the host is read for any of them.
        self.validated = []
        for position, entry in enumerate(pfs):
            try:
                self.validated.append(_spec.validate_params(dict(entry, sysfs_root=self.sysfs_root,
                                                                 proc_root=self.proc_root)))
            except SriovError as err:
                raise at_entry(position, err)
        boot_wait = self.params.get("boot_wait")
        if boot_wait is not None:
            _rules.parse_int(boot_wait, "boot_wait", *_spec.HOST_OPTION_BOUNDS["boot_wait"])
        self.check_python()
        return pfs

    def check_python(self):
        """The launcher's interpreter: a path a ``#!`` line can hold, and on a live host an executable
        file (a relative name or a newline would make the replay fail at every boot)."""
        python = _rules.validate_interpreter(self.params.get("python") or "/usr/bin/python3", "python")
        if self.root == "/" and not (os.path.isfile(python) and os.access(python, os.X_OK)):
            raise SriovError("python %s is not an executable file on this host: the boot-time replay runs with it"
                             % python, field="python")

    # -- 1. everything read, validated, planned and guarded ----------------------------------------
    def prepare_listed(self, pfs):
        prepared = []
        seen = {}
        macs = {}
        for position, entry in enumerate(pfs):
            manager = self._vf_manager(entry, self.validated[position])
            try:
                before, steps = manager.prepare()
            except SriovError as err:
                raise at_entry(position, err)
            if manager.pf in seen:
                raise SriovError("%s[%d].pf %s is the same PF (%s) as %s[%d].pf"
                                 % (FIELD, position, entry.get("pf"), manager.pf, FIELD, seen[manager.pf]),
                                 field="%s[%d].pf" % (FIELD, position))
            seen[manager.pf] = position
            for index, vf in enumerate(manager.params["vfs"]):
                if vf["mac"] is None:
                    continue
                if vf["mac"] in macs:
                    field = manager.field_of(vf["id"], "mac")
                    raise SriovError("%s[%d].%s %s is also given to %s" % (FIELD, position, field, vf["mac"],
                                                                           macs[vf["mac"]]),
                                     field="%s[%d].%s" % (FIELD, position, field))
                macs[vf["mac"]] = "%s[%d].%s" % (FIELD, position, manager.field_of(vf["id"], "mac"))
            prepared.append((position, manager, before, steps))
        return prepared

    def previous_addresses(self):
        """PF addresses of the boot config the last run wrote ([] when there is none)."""
        path = os.path.join(self.root, CONFIG_PATH.lstrip("/"))
        if not os.path.exists(path):
            return []
        try:
            config = _replay.load_config(path)
        except _replay.ConfigError as err:
            raise SriovError("prune: the previous boot config cannot be read (%s); fix or remove it" % err,
                             field="prune")
        return [address for address in config.get("addresses") or [] if isinstance(address, str)]

    def prepare_pruned(self, listed):
        prepared = []
        for address in self.previous_addresses():
            if address in listed:
                continue
            if not _sysfs.function_exists(self.sysfs_root, address):
                self.warnings.append("prune: PF %s of the previous boot config is no longer on this host" % address)
                continue
            manager = self._vf_manager({"pf": address, "num_vfs": 0})
            try:
                before, steps = manager.prepare()
            except SriovError as err:
                raise SriovError("prune of PF %s (no longer in %s): %s" % (address, FIELD, err.msg),
                                 field="prune", details=err.details)
            prepared.append((address, manager, before, steps))
        return prepared

    def check_owners(self, prepared, pruned):
        """Refuse (before any write) a PF whose SR-IOV settings NetworkManager or systemd own,
        unless ``take_over``: then each one is a warning. Check mode refuses the same."""
        targets = [("%s[%d].pf %s (%s)" % (FIELD, position, pfs_entry_pf(manager), manager.pf),
                    "%s[%d].pf" % (FIELD, position), manager) for position, manager, _b, _s in prepared]
        targets += [("prune of PF %s" % address, "prune", manager) for address, manager, _b, _s in pruned]
        if not targets:
            return
        found = _coexist.host_owners(self.root)
        for label, field, manager in targets:
            _coexist.guard_pf(found, self.sysfs_root, manager.pf, manager.netdev, label, field,
                              self.params.get("take_over"), self.warnings)

    # -- the run ------------------------------------------------------------------------------------
    def run(self):
        with _lock.host_lock("sriov_host", enabled=not self.check_mode):
            try:
                return self.converge()
            except SriovError as err:
                raise self.rolled_back(err)

    def rolled_back(self, err):
        """The failure, after putting back the boot-time files this run wrote, saying what happened.

        The boot-time replay files (config, launcher, unit) are all or nothing: written only after
        every PF converged, and restored when one of them (or enabling the unit) fails, so the next
        boot replays either the old state or the new one, never a mix. A PF's VFs that this run
        already changed stay as they are (there is no way back without recreating them): they are
        named in ``rollback.left_changed``.
        """
        if not self.written and not self.finished:
            return err  # refused before the first write: nothing changed, nothing to say
        restored, failed = [], []
        for persisted in reversed(self.written):
            if persisted.path == UDEV_RULE_PATH:
                continue  # kept: it protects the VFs that exist now from NetworkManager
            try:
                persisted.restore()
                restored.append(persisted.path)
            except (IOError, OSError) as exc:
                failed.append("%s (%s)" % (persisted.path, exc))
        left = list(self.finished) + [p.path for p in self.written if p.path not in restored and
                                      not any(f.startswith(p.path + " ") for f in failed)]
        rollback = {"restored": restored, "left_changed": left, "restore_failed": failed}
        if restored or failed:
            summary = "rolled back: restored %s" % ", ".join(restored) if restored else "rollback"
            if failed:
                summary += "; could not restore %s" % ", ".join(failed)
        else:
            summary = "nothing to roll back"
        if left:
            summary += "; left changed: %s" % ", ".join(left)
        details = dict(err.details or {})
        details["rollback"] = rollback
        return SriovError("%s (%s)" % (err.msg, summary), field=err.field, details=details)

    def _finish(self, manager, before, steps, label):
        try:
            result = manager.finish(before, steps)
        except SriovError as err:
            self.actions.extend(manager.actions)
            raise SriovError("%s: %s" % (label, err.msg), field=err.field, details=err.details)
        self.actions.extend(manager.actions)
        self.warnings.extend(manager.warnings)
        if manager.actions:
            self.finished.append(label)
            self.diffs.append({"before_header": label, "after_header": label,
                               "before": result["diff"]["before"], "after": result["diff"]["after"]})
        return result

    def _file(self, persisted, commands=()):
        if not converge_file(persisted, self.actions, self.diffs, self.check_mode):
            return False
        if not self.check_mode:
            self.written.append(persisted)
        if not self.check_mode:
            for argv, what in commands:
                self._command(argv, what)
        return True

    def _command(self, argv, what):
        try:
            rc, out, err = self.runner(argv)
        except OSError as exc:
            rc, out, err = 127, "", str(exc)
        if rc != 0:
            raise SriovError("%s failed (rc %s): %s" % (what, rc, (err or out or "").strip()),
                             details={"argv": list(argv), "actions_done": list(self.actions)})

    def converge(self):
        pfs = self.entries()
        params = self.params
        prepared = self.prepare_listed(pfs)
        # Every listed PF is kept from the prune; a PF with state absent (its VFs set to 0 by its
        # own entry) leaves SR-IOV duty: no udev rule and no place in the boot config.
        addresses = [manager.pf for _position, manager, _before, _steps in prepared]
        kept = [(pfs[position], manager.pf) for position, manager, _before, _steps in prepared
                if manager.params["state"] != "absent"]
        pruned = self.prepare_pruned(addresses) if params.get("prune") else []
        self.check_owners(prepared, pruned)
        live = self.root == "/"
        if params.get("persist", True):
            self._file(PersistedFile(UDEV_RULE_PATH, self.root,
                                     udev_text([address for _entry, address in kept], params.get("nm_unmanaged", True)),
                                     0o644),
                       [(["udevadm", "trigger", "--action=change", "--subsystem-match=net"],
                         "re-evaluating the udev rules of net devices")] if live else [])
        for address, manager, before, steps in pruned:
            self._finish(manager, before, steps, "prune of PF %s" % address)
        results = []
        for position, manager, before, steps in prepared:
            result = self._finish(manager, before, steps, "%s[%d] %s" % (FIELD, position, manager.pf))
            results.append({"pf": manager.pf, "netdev": manager.netdev, "changed": bool(manager.actions),
                            "actions": list(manager.actions), "state": result["diff"]["after"]})
        if params.get("persist", True):
            self.persist([entry for entry, _address in kept], [address for _entry, address in kept], live)
        self.warnings.extend(self.guards.notes)
        return {"changed": bool(self.actions), "files": dict(FILES), "unit": UNIT, "pfs": results, "pruned": [address for address, _m, _b, _s in pruned],
                "actions": self.actions, "warnings": self.warnings, "diff": self.diffs}

    def persist(self, pfs, addresses, live):
        boot_wait = self.params.get("boot_wait", _replay.DEFAULT_WAIT)
        python = self.params.get("python") or "/usr/bin/python3"
        self._file(PersistedFile(CONFIG_PATH, self.root, config_text(pfs, addresses, boot_wait), 0o600))
        self._file(PersistedFile(LAUNCHER_PATH, self.root, launcher_text(python), 0o755, summarise=True))
        reload = [(["systemctl", "daemon-reload"], "reloading systemd")] if live else []
        self._file(PersistedFile(UNIT_PATH, self.root, unit_text(boot_wait), 0o644), reload)
        wants = os.path.join(self.root, WANTS_PATH.lstrip("/"))
        if not os.path.lexists(wants):
            self.actions.append("enable %s" % UNIT)
            if not self.check_mode:
                argv = ["systemctl"] + ([] if live else ["--root=%s" % self.root]) + ["enable", UNIT]
                self._command(argv, "enabling %s" % UNIT)
