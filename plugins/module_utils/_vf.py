# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VfManager: the one implementation of "make this PF's VFs look like this".

Used by the ``directiron.sriov.sriov_vf`` module and by the boot-time replay, so it is pure
standard library. Entry point::

    apply_pf(params, runner, sysfs_root="/sys", check_mode=False, guards=None) -> {
        "changed": bool, "pf": "0000:01:00.0",
        "diff": {"before": state, "after": state}, "actions": [str, ...], "warnings": [str, ...]}

``params`` has the keys and defaults of the module options (see ``_spec.DEFAULTS``);
``params["sysfs_root"]``, when set, wins over the ``sysfs_root`` argument. ``runner(argv)``
returns ``(rc, stdout, stderr)``. ``guards`` is a guard set from ``_guards`` (default:
``HostGuards`` over this runner; the replay passes ``HostGuards(..., management=False)``).

Order of work: read the PF and its VFs once, validate the whole request (nothing is written
when that fails), check the guards, then write: drivers_autoprobe, the VF count (through 0,
because the kernel refuses to change a non-zero count), wait for the VFs, per-VF settings
through ``ip link set DEV vf N``, driver binding through ``driver_override``, and read back.
Every failure is a ``SriovError``; kernel errors carry advice for their errno.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import time

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs

ERRNO_ADVICE = {
    errno.EBUSY: "the device is busy: a VF is still in use (a guest, a vfio user, a bound driver), or the "
                 "kernel refused to change a non-zero VF count directly; free the VFs, then retry",
    errno.ENOMEM: "not enough memory or PCI BAR space for the VFs: boot with pci=realloc (kernel "
                  "cmdline), or enable SR-IOV and 'above 4G decoding' in the firmware, or ask for fewer VFs",
    errno.ENOSPC: "not enough MSI-X vectors or interrupt resources for this many VFs: ask for fewer VFs "
                  "or free interrupt vectors (fewer PF queues)",
    errno.EINVAL: "the kernel or the driver rejected the value: check it against the driver's limits "
                  "(dmesg shows the driver's reason)",
    errno.EPERM: "not permitted: run as root (become: true); a locked-down kernel (secure boot) may also refuse",
    errno.EACCES: "permission denied: run as root (become: true)",
    errno.EIO: "I/O error from the device or its firmware: check dmesg and the NIC firmware",
    errno.ENODEV: "the device vanished while being configured: check dmesg",
    errno.ENOENT: "the sysfs attribute does not exist: the device vanished or the driver lacks the feature",
    errno.EOPNOTSUPP: "the driver does not support this setting",
}

# iproute2 prints strerror() text; map it back to an errno for the same advice.
STRERROR_TO_ERRNO = (
    ("Device or resource busy", errno.EBUSY),
    ("Cannot allocate memory", errno.ENOMEM),
    ("No space left on device", errno.ENOSPC),
    ("Invalid argument", errno.EINVAL),
    ("Operation not permitted", errno.EPERM),
    ("Permission denied", errno.EACCES),
    ("Input/output error", errno.EIO),
    ("No such device", errno.ENODEV),
    ("Operation not supported", errno.EOPNOTSUPP),
    ("Not supported", errno.EOPNOTSUPP),
)


def kernel_error(err_no, what, detail="", actions=None):
    """SriovError for a failed write: what was tried, the kernel's errno and what to do about it."""
    name = errno.errorcode.get(err_no, "errno %s" % err_no)
    advice = ERRNO_ADVICE.get(err_no, "see dmesg for the kernel's reason")
    msg = "%s failed with %s%s: %s" % (what, name, " (%s)" % detail if detail else "", advice)
    details = {"errno": name}
    if actions:
        details["actions_done"] = list(actions)
    return SriovError(msg, details=details)


def errno_from_text(text):
    for needle, value in STRERROR_TO_ERRNO:
        if needle.lower() in (text or "").lower():
            return value
    return None


def normalise_link(settings):
    """Per-VF settings as parsed from ip, in the types the request uses."""
    settings = dict(settings or {})
    out = {}
    for key in _spec.VF_LINK_KEYS:
        value = settings.get(key)
        if key == "mac" and value is not None:
            value = str(value).lower()
        elif key in ("spoofchk", "trust"):
            value = None if value is None else _rules.parse_bool(value, key)
        elif key in ("vlan", "qos", "min_tx_rate", "max_tx_rate") and value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                value = None
        elif key == "vlan_proto" and value is not None:
            value = "802.1ad" if str(value).lower() == "802.1ad" else "802.1Q"
        out[key] = value
    return out


def link_changes(wanted, current):
    """{key: value} of the per-VF settings to write so `current` becomes `wanted`.

    The VLAN tag, priority and protocol are set together by the kernel (one vf_vlan_info), so a
    change to any of them re-sends the whole triple: qos and proto keep their current values
    unless asked for.
    """
    current = normalise_link(current)
    changes = {}
    for key in ("mac", "spoofchk", "trust", "link_state"):
        if wanted.get(key) is not None and wanted[key] != current.get(key):
            changes[key] = wanted[key]
    current_vlan = {"vlan": current.get("vlan") or 0, "qos": current.get("qos") or 0,
                    "vlan_proto": current.get("vlan_proto") or "802.1Q"}
    if any(wanted.get(key) is not None and wanted[key] != value for key, value in current_vlan.items()):
        vlan = wanted["vlan"] if wanted.get("vlan") is not None else (current.get("vlan") or 0)
        changes["vlan"] = vlan
        if vlan:
            qos = wanted.get("qos") if wanted.get("qos") is not None else current.get("qos")
            if qos:
                changes["qos"] = qos
            # Name the protocol only when asked for or not the default: not every driver takes "proto".
            if wanted.get("vlan_proto") is not None:
                changes["vlan_proto"] = wanted["vlan_proto"]
            elif current.get("vlan_proto") not in (None, "802.1Q"):
                changes["vlan_proto"] = current["vlan_proto"]
    rate_keys = ("min_tx_rate", "max_tx_rate")
    if any(wanted.get(key) is not None and wanted[key] != current.get(key) for key in rate_keys):
        # Both rates go in one netlink message; keep the one not asked for.
        for key in rate_keys:
            value = wanted[key] if wanted.get(key) is not None else current.get(key)
            changes[key] = value or 0
    return changes


def describe_changes(changes):
    return ", ".join("%s %s" % (key, ("on" if value else "off") if isinstance(value, bool) else value)
                     for key, value in sorted(changes.items()))


class VfManager(object):
    """Read once, validate, diff, apply. `sleep` and `clock` are seams for tests."""

    def __init__(self, params, runner, sysfs_root="/sys", check_mode=False, guards=None,
                 sleep=time.sleep, clock=time.monotonic, poll_interval=0.25):
        self.raw_params = dict(params or {})
        self.root = self.raw_params.get("sysfs_root") or sysfs_root
        self.raw_params["sysfs_root"] = self.root
        self.runner = runner
        self.check_mode = check_mode
        self.guards = guards
        self.sleep = sleep
        self.clock = clock
        self.poll_interval = poll_interval
        self.actions = []
        self.warnings = []
        self.params = None
        self.pf = None
        self.pf_function = None
        self.netdev = None

    # -- small helpers ---------------------------------------------------------------------------
    def _path(self, address, *parts):
        return os.path.join(_sysfs.pci_function_path(self.root, address), *parts)

    def _run(self, argv, what):
        try:
            rc, out, err = self.runner(argv)
        except OSError as exc:
            raise kernel_error(exc.errno or errno.ENOENT, what, "%s: %s" % (argv[0], exc.strerror), self.actions)
        if rc != 0:
            text = (err or out or "").strip()
            err_no = errno_from_text(text)
            if err_no is None:
                raise SriovError("%s failed (rc %s): %s" % (what, rc, text),
                                 details={"argv": list(argv), "actions_done": list(self.actions)})
            raise kernel_error(err_no, what, text, self.actions)
        return out

    def _write(self, path, value, what):
        if self.check_mode:
            return
        try:
            _sysfs.write_attr(path, value)
        except (IOError, OSError) as exc:
            raise kernel_error(exc.errno, what, None, self.actions)

    def _deadline(self):
        return self.clock() + self.params["timeout"]

    # -- reading ---------------------------------------------------------------------------------
    def read_vfs(self):
        """{index: function dict} of the PF's current VFs."""
        vfs = {}
        for index, address in sorted(_sysfs.list_vfs(self.root, self.pf).items()):
            function = _sysfs.read_function(self.root, address)
            if function is not None:
                vfs[index] = function
        return vfs

    def read_links(self):
        """{index: per-VF settings} from `ip -d -j link show dev PF`; {} when the PF has no netdev."""
        if not self.netdev:
            return {}
        out = self._run(["ip", "-d", "-j", "link", "show", "dev", self.netdev],
                        "reading the VF settings of %s" % self.netdev)
        parsed = _iplink.parse_link_show(out) or {}
        link = parsed.get(self.netdev) or {}
        return dict((int(index), settings) for index, settings in (link.get("vfs") or {}).items())

    def state(self, num_vfs, autoprobe, vfs, links):
        entries = []
        for index in sorted(set(vfs) | set(links)):
            function = vfs.get(index) or {}
            entry = {"id": index, "address": function.get("address"),
                     "driver": function.get("driver"), "driver_override": function.get("driver_override")}
            entry.update(normalise_link(links.get(index)))
            entries.append(entry)
        return {"pf": self.pf, "netdev": self.netdev, "num_vfs": num_vfs,
                "drivers_autoprobe": autoprobe, "vfs": entries}

    # -- checks ------------------------------------------------------------------------------------
    def driver_known(self, driver):
        if driver == _spec.DEFAULT_DRIVER:
            return True
        if os.path.isdir(os.path.join(self.root, "bus", "pci", "drivers", driver)):
            return True
        try:
            rc, _out, _err = self.runner(["modinfo", "-n", driver])
        except OSError:
            return False
        return rc == 0

    def refuse_or_warn(self, problems):
        if not problems:
            return
        if self.params["force"]:
            self.warnings.extend("force: %s" % problem for problem in problems)
            return
        raise SriovError("refusing to change PF %s: %s. Set force: true to do it anyway."
                         % (self.pf, "; ".join(problems)),
                         details={"problems": problems, "actions_done": list(self.actions)})

    # -- planning ----------------------------------------------------------------------------------
    def binding_plan(self, function, want, autoprobe):
        """(override, unbind_from, probe) for one VF, or None when it is already as wanted."""
        driver = function.get("driver")
        override = function.get("driver_override")
        if want == _spec.DEFAULT_DRIVER:
            unbind = driver if driver and (driver == override or driver == _rules.VFIO_DRIVER) else None
            probe = bool(autoprobe) and (unbind is not None or driver is None)
            if override is None and unbind is None and not probe:
                return None
            return ("\n" if override is not None else None, unbind, probe)
        if override == want and driver == want:
            return None
        return (want if override != want else None, driver if driver and driver != want else None,
                driver != want)

    # -- the run -----------------------------------------------------------------------------------
    def run(self):
        pf_selector = _rules.validate_pf(self.raw_params.get("pf"))
        self.pf = _sysfs.resolve_pf(self.root, pf_selector)
        self.pf_function = _sysfs.read_function(self.root, self.pf)
        if not self.pf_function or self.pf_function.get("sriov_totalvfs") is None:
            raise SriovError("PF %s is not SR-IOV capable (no sriov_totalvfs)" % self.pf, field="pf")
        totalvfs = self.pf_function["sriov_totalvfs"]
        numvfs = self.pf_function.get("sriov_numvfs") or 0
        self.params = params = _spec.validate_params(self.raw_params, totalvfs=totalvfs, numvfs=numvfs)
        netdevs = self.pf_function.get("netdevs") or []
        self.netdev = netdevs[0] if netdevs else None
        if self.guards is None:
            self.guards = _guards.HostGuards(self.runner, self.root, params["proc_root"])

        autoprobe_now = self.pf_function.get("sriov_drivers_autoprobe")
        autoprobe = params["drivers_autoprobe"] if params["drivers_autoprobe"] is not None else autoprobe_now
        target = params["num_vfs"] if params["num_vfs"] is not None else numvfs
        vfs = self.read_vfs()
        links = self.read_links()
        before = self.state(numvfs, autoprobe_now, vfs, links)

        wanted_vfs = dict((vf["id"], vf) for vf in params["vfs"])
        needs_link = any(any(vf.get(key) is not None for key in _spec.VF_LINK_KEYS) for vf in params["vfs"])
        if needs_link and not self.netdev:
            raise SriovError("PF %s has no network interface, so per-VF settings cannot be applied "
                             "(is it bound to its network driver?)" % self.pf, field="vfs")
        drivers = set(vf["driver"] for vf in params["vfs"] if vf["driver"]) | set(
            [params["vf_driver"]] if params["vf_driver"] else [])
        for driver in sorted(drivers):
            if not self.driver_known(driver):
                field = "vf_driver" if driver == params["vf_driver"] else "vfs"
                raise SriovError("driver %r is unknown on this host (not in /sys/bus/pci/drivers, no kernel "
                                 "module of that name); use 'default', 'vfio-pci' or an installed driver"
                                 % driver, field=field)

        recreate = target != numvfs
        # -- guards, before any write ----------------------------------------------------------
        problems = []
        if recreate:
            touched = list(netdevs)
            for function in vfs.values():
                touched.extend(function.get("netdevs") or [])
            problems.extend(self.guards.management_problems(touched))
            if numvfs:
                problems.extend(self.guards.in_use_problems(list(vfs.values())))
        else:
            touched_vfs = []
            for index, function in sorted(vfs.items()):
                want = _spec.wanted_driver(params, index)
                rebind = want is not None and self.binding_plan(function, want, autoprobe) is not None
                relink = index in wanted_vfs and link_changes(wanted_vfs[index], links.get(index))
                if rebind or relink:
                    problems.extend(self.guards.management_problems(function.get("netdevs") or []))
                if rebind:
                    touched_vfs.append(function)
            problems.extend(self.guards.in_use_problems(touched_vfs))
            problems.extend(self.vfio_group_problems(vfs, autoprobe))
        self.refuse_or_warn(problems)

        # -- writes ------------------------------------------------------------------------------
        if params["drivers_autoprobe"] is not None and params["drivers_autoprobe"] != autoprobe_now:
            self._write(self._path(self.pf, "sriov_drivers_autoprobe"), 1 if autoprobe else 0,
                        "setting sriov_drivers_autoprobe of %s" % self.pf)
            self.actions.append("set sriov_drivers_autoprobe of %s to %d" % (self.pf, 1 if autoprobe else 0))
        if recreate:
            self.change_count(numvfs, target)
            if self.check_mode:
                vfs, links = self.predicted_new_vfs(target, autoprobe), {}
            else:
                vfs = self.wait_for_vfs(target, needs_link)
                links = self.read_links()
                self.refuse_or_warn(self.vfio_group_problems(vfs, autoprobe))

        for index in sorted(wanted_vfs):
            changes = link_changes(wanted_vfs[index], links.get(index))
            if not changes:
                continue
            for argv in _iplink.vf_set_argv(self.netdev, index, changes):
                if not self.check_mode:
                    self._run(argv, "setting %s on VF %d of %s" % (describe_changes(changes), index, self.netdev))
            self.actions.append("set VF %d of %s: %s" % (index, self.netdev, describe_changes(changes)))

        for index, function in sorted(vfs.items()):
            want = _spec.wanted_driver(params, index)
            if want is not None:
                self.bind(index, function, want, autoprobe)

        if self.check_mode:
            after = self.predicted_state(before, target, autoprobe, vfs, links, wanted_vfs)
        else:
            after = self.state(target, self.read_autoprobe(autoprobe), self.read_vfs(), self.read_links())
            self.verify(after, wanted_vfs, autoprobe)
        return {"changed": bool(self.actions), "pf": self.pf, "diff": {"before": before, "after": after},
                "actions": self.actions, "warnings": self.warnings}

    def read_autoprobe(self, fallback):
        value = _sysfs.read_attr(self._path(self.pf, "sriov_drivers_autoprobe"))
        return fallback if value is None else value == "1"

    def vfio_group_problems(self, vfs, autoprobe):
        to_vfio = set()
        for index, function in vfs.items():
            if _spec.wanted_driver(self.params, index) == _rules.VFIO_DRIVER and function.get("address"):
                to_vfio.add(function["address"])
        problems = []
        for index, function in sorted(vfs.items()):
            address = function.get("address")
            if address in to_vfio and function.get("driver") != _rules.VFIO_DRIVER:
                problems.extend(self.guards.iommu_group_problems(address, function.get("iommu_group"), to_vfio))
        return problems

    def change_count(self, numvfs, target):
        path = self._path(self.pf, "sriov_numvfs")
        if numvfs:
            # The kernel answers EBUSY to N -> M with both non-zero: go through 0.
            self._write(path, 0, "removing the %d VFs of %s (sriov_numvfs 0)" % (numvfs, self.pf))
            self.actions.append("set sriov_numvfs of %s from %d to 0" % (self.pf, numvfs))
        if target:
            self._write(path, target, "creating %d VFs on %s (sriov_numvfs %d)" % (target, self.pf, target))
            self.actions.append("set sriov_numvfs of %s to %d" % (self.pf, target))

    def wait_for_vfs(self, target, needs_link):
        """VFs appear asynchronously (udev, driver probe): poll until all `target` are there."""
        deadline = self._deadline()
        while True:
            vfs = self.read_vfs()
            ready = len(vfs) == target and all(f.get("address") for f in vfs.values())
            if ready and needs_link:
                ready = len(self.read_links()) >= target
            if ready:
                return vfs
            if self.clock() >= deadline:
                raise SriovError(
                    "timed out after %d s waiting for %d VFs of %s (%d present): the driver may still be "
                    "creating them (raise timeout) or failed to (see dmesg)"
                    % (self.params["timeout"], target, self.pf, len(vfs)),
                    details={"actions_done": list(self.actions)})
            self.sleep(self.poll_interval)

    def predicted_new_vfs(self, target, autoprobe):
        """What check mode can say about VFs that do not exist yet."""
        driver = "(default)" if autoprobe else None
        return dict((index, {"address": None, "driver": driver, "driver_override": None, "iommu_group": None})
                    for index in range(target))

    def bind(self, index, function, want, autoprobe):
        plan = self.binding_plan(function, want, autoprobe)
        if plan is None:
            return
        override, unbind, probe = plan
        address = function.get("address")
        label = "VF %d (%s)" % (index, address or "new")
        done = "bind %s to %s" % (label, want if want != _spec.DEFAULT_DRIVER else "its default driver")
        if self.check_mode:
            self.actions.append(done)
            return
        if want != _spec.DEFAULT_DRIVER and not os.path.isdir(os.path.join(self.root, "bus", "pci", "drivers", want)):
            self._run(["modprobe", want], "loading the %s driver" % want)
        if override is not None:
            self._write(self._path(address, "driver_override"), override,
                        "writing driver_override of %s" % label)
        if unbind:
            self._write(os.path.join(self.root, "bus", "pci", "drivers", unbind, "unbind"), address,
                        "unbinding %s from %s" % (label, unbind))
        if probe:
            self.probe_until_bound(address, want, label, unbind)
        self.actions.append(done)

    def probe_until_bound(self, address, want, label, unbound_from):
        """Write drivers_probe; a driver probing asynchronously may grab the VF first, so retry."""
        probe_path = os.path.join(self.root, "bus", "pci", "drivers_probe")
        self._write(probe_path, address, "probing %s for %s" % (label, want))
        if self.check_mode or want == _spec.DEFAULT_DRIVER:
            return
        deadline = self._deadline()
        while True:
            driver = _sysfs.driver_of(self.root, address)
            if driver == want:
                return
            if self.clock() >= deadline:
                raise SriovError("timed out after %d s binding %s to %s (it is on %s): see dmesg"
                                 % (self.params["timeout"], label, want, driver or "no driver"),
                                 details={"actions_done": list(self.actions)})
            if driver:
                self._write(os.path.join(self.root, "bus", "pci", "drivers", driver, "unbind"), address,
                            "unbinding %s from %s" % (label, driver))
            self._write(probe_path, address, "probing %s for %s" % (label, want))
            self.sleep(self.poll_interval)

    def predicted_state(self, before, target, autoprobe, vfs, links, wanted_vfs):
        after = {"pf": self.pf, "netdev": self.netdev, "num_vfs": target, "drivers_autoprobe": autoprobe,
                 "vfs": []}
        old = dict((entry["id"], entry) for entry in before["vfs"])
        for index in range(target):
            entry = dict(old.get(index) or {"id": index}) if target == before["num_vfs"] else {"id": index}
            for key in ("address", "driver", "driver_override") + _spec.VF_LINK_KEYS:
                entry.setdefault(key, None)
            wanted = wanted_vfs.get(index) or {}
            for key, value in link_changes(wanted, links.get(index)).items():
                entry[key] = value
            want = _spec.wanted_driver(self.params, index)
            if want == _spec.DEFAULT_DRIVER:
                entry["driver_override"] = None
                if entry["driver"] == _rules.VFIO_DRIVER or (entry["driver"] is None and autoprobe):
                    entry["driver"] = "(default)" if autoprobe else None
            elif want is not None:
                entry["driver_override"] = want
                entry["driver"] = want
            after["vfs"].append(entry)
        return after

    def verify(self, after, wanted_vfs, autoprobe):
        """Read back: a setting the driver silently ignored would make every run 'changed'."""
        current = dict((entry["id"], entry) for entry in after["vfs"])
        for index, wanted in sorted(wanted_vfs.items()):
            left = link_changes(wanted, current.get(index))
            if left:
                self.warnings.append("VF %d of %s does not report %s after setting it: the driver may not "
                                     "support it" % (index, self.netdev, describe_changes(left)))
        for index, entry in sorted(current.items()):
            want = _spec.wanted_driver(self.params, index)
            if want == _spec.DEFAULT_DRIVER and autoprobe and entry.get("driver") is None:
                self.warnings.append("VF %d (%s) has no driver after probing: no kernel driver claims it"
                                     % (index, entry.get("address")))


def apply_pf(params, runner, sysfs_root="/sys", check_mode=False, guards=None):
    """Bring one PF to the wanted VF state; see the module docstring for the result."""
    return VfManager(params, runner, sysfs_root=sysfs_root, check_mode=check_mode, guards=guards).run()

