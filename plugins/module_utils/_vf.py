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

Plan, then apply:

1. read the PF, its VFs and the host's links once;
2. validate the whole request against that state (option values, VF indexes against
   sriov_totalvfs, MACs unique across every VF and netdev of the host, rates against the PF's
   link speed, driver names known on the host) -- nothing is written when any of it fails;
3. plan: the list of steps (drivers_autoprobe, the VF count through 0 because the kernel
   refuses to change a non-zero count, per-VF settings through ``ip link set DEV vf N``,
   driver binding through ``driver_override``), each with the action text it reports;
4. check the guards over the plan;
5. check mode: report the plan and predict the state from it; otherwise apply it step by step
   and read back. VFs this run creates are planned against their predicted state and, once
   the kernel has made them, re-planned against their real state before anything is written
   to them (their IOMMU groups are checked then).

Every failure is a ``SriovError``; kernel errors carry advice for their errno and the actions
already done.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import time

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink
from ansible_collections.directiron.sriov.plugins.module_utils import _lock
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
    """Read once, validate, plan, apply. `sleep` and `clock` are seams for tests."""

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
        self.numvfs = 0
        self.target = 0
        self.autoprobe_now = None
        self.autoprobe = None
        self.vfs = {}
        self.links = {}
        self.host_links = {}
        self.wanted_vfs = {}

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
        try:
            _sysfs.write_attr(path, value)
        except (IOError, OSError) as exc:
            raise kernel_error(exc.errno, what, None, self.actions)

    def _deadline(self):
        return self.clock() + self.params["timeout"]

    @property
    def recreate(self):
        return self.target != self.numvfs

    # -- 1. reading ------------------------------------------------------------------------------
    def read_vfs(self):
        """{index: function dict} of the PF's current VFs."""
        vfs = {}
        for index, address in sorted(_sysfs.list_vfs(self.root, self.pf).items()):
            function = _sysfs.read_function(self.root, address)
            if function is not None:
                vfs[index] = function
        return vfs

    def read_links(self, whole_host=False):
        """{ifname: parsed link} from `ip -d -j link show [dev PF]`; {} when the PF has no netdev."""
        if not self.netdev:
            return {}
        argv = ["ip", "-d", "-j", "link", "show"] + ([] if whole_host else ["dev", self.netdev])
        out = self._run(argv, "reading the VF settings of %s" % self.netdev)
        return _iplink.parse_link_show(out) or {}

    def vf_links(self, links):
        """{index: per-VF settings} of this PF out of parsed links."""
        link = links.get(self.netdev) or {}
        return dict((int(index), settings) for index, settings in (link.get("vfs") or {}).items())

    def pf_admin_up(self, host_links):
        """Whether the PF's netdev is administratively up (None without a netdev)."""
        if not self.netdev:
            return None
        return bool((host_links.get(self.netdev) or {}).get("admin_up"))

    def state(self, num_vfs, autoprobe, vfs, links, pf_up=None):
        entries = []
        for index in sorted(set(vfs) | set(links)):
            function = vfs.get(index) or {}
            entry = {"id": index, "address": function.get("address"),
                     "driver": function.get("driver"), "driver_override": function.get("driver_override")}
            entry.update(normalise_link(links.get(index)))
            entry["mtu"] = _sysfs.netdev_mtu(self.root, self.vf_netdev(function))
            entries.append(entry)
        return {"pf": self.pf, "netdev": self.netdev, "pf_up": pf_up, "mtu": _sysfs.netdev_mtu(self.root, self.netdev),
                "num_vfs": num_vfs, "drivers_autoprobe": autoprobe, "vfs": entries}

    @staticmethod
    def vf_netdev(function):
        netdevs = (function or {}).get("netdevs") or []
        return netdevs[0] if netdevs else None

    def read_current(self):
        """Resolve the PF and read everything the plan needs, once."""
        _spec.validate_params(self.raw_params)  # the request's own shape first, before any host read
        self.pf = _sysfs.resolve_pf(self.root, _rules.validate_pf(self.raw_params.get("pf")))
        self.pf_function = _sysfs.read_function(self.root, self.pf)
        if not self.pf_function or self.pf_function.get("sriov_totalvfs") is None:
            raise SriovError("PF %s is not SR-IOV capable (no sriov_totalvfs)" % self.pf, field="pf")
        self.numvfs = self.pf_function.get("sriov_numvfs") or 0
        self.params = params = _spec.validate_params(self.raw_params, totalvfs=self.pf_function["sriov_totalvfs"],
                                                     numvfs=self.numvfs)
        netdevs = self.pf_function.get("netdevs") or []
        self.netdev = netdevs[0] if netdevs else None
        if self.guards is None:
            self.guards = _guards.HostGuards(self.runner, self.root, params["proc_root"])
        self.autoprobe_now = self.pf_function.get("sriov_drivers_autoprobe")
        self.autoprobe = params["drivers_autoprobe"] if params["drivers_autoprobe"] is not None else self.autoprobe_now
        self.target = params["num_vfs"] if params["num_vfs"] is not None else self.numvfs
        self.wanted_vfs = dict((vf["id"], vf) for vf in params["vfs"])
        self.vfs = self.read_vfs()
        # The whole host's links only when MACs are asked for (they must be unique on the host) or VF
        # MTUs (the VF netdevs' max_mtu).
        whole_host = any(vf["mac"] or vf["mtu"] for vf in params["vfs"])
        self.host_links = self.read_links(whole_host=whole_host)
        self.links = self.vf_links(self.host_links)

    # -- 2. validation against the current state ------------------------------------------------
    def field_of(self, vf_id, key):
        """``vfs[N].key`` with N the entry's position in the request as written."""
        where = _spec.position_of(self.raw_params.get("vfs") or [], vf_id)
        return where if where == "vfs" else "%s.%s" % (where, key)

    def validate(self):
        params = self.params
        needs_link = any(any(vf.get(key) is not None for key in _spec.VF_LINK_KEYS) for vf in params["vfs"])
        if needs_link and not self.netdev:
            raise SriovError("PF %s has no network interface, so per-VF settings cannot be applied "
                             "(is it bound to its network driver?)" % self.pf, field="vfs")
        for vf in params["vfs"]:
            if vf["driver"]:
                self.check_driver(vf["driver"], self.field_of(vf["id"], "driver"))
        if params["vf_driver"]:
            self.check_driver(params["vf_driver"], "vf_driver")
        self.check_macs()
        self.check_rates()
        self.check_mtus()

    def check_mtu_bounds(self, mtu, ifname, field):
        """An MTU within what the driver reports for the netdev (``ip -d``: min_mtu, max_mtu)."""
        link = self.host_links.get(ifname) or {}
        low, high = link.get("min_mtu"), link.get("max_mtu")
        if isinstance(high, int) and high and mtu > high:
            raise SriovError("%s %d is above the max_mtu %d of %s" % (field, mtu, high, ifname), field=field)
        if isinstance(low, int) and mtu < low:
            raise SriovError("%s %d is below the min_mtu %d of %s" % (field, mtu, low, ifname), field=field)

    def check_mtus(self):
        """The PF's MTU within its driver's range; a VF's within its own and not above the PF's; a VF
        MTU only for a VF that has (or gets) a host netdev."""
        params = self.params
        if params["mtu"] is not None:
            if not self.netdev:
                raise SriovError("mtu: PF %s has no network interface" % self.pf, field="mtu")
            self.check_mtu_bounds(params["mtu"], self.netdev, "mtu")
        pf_mtu = params["mtu"] if params["mtu"] is not None else _sysfs.netdev_mtu(self.root, self.netdev)
        for vf in params["vfs"]:
            if vf["mtu"] is None:
                continue
            field = self.field_of(vf["id"], "mtu")
            if pf_mtu is not None and vf["mtu"] > pf_mtu:
                raise SriovError("%s %d is above the MTU %d of the PF %s: the PF carries the VF's frames"
                                 % (field, vf["mtu"], pf_mtu, self.netdev), field=field)
            want = _spec.wanted_driver(params, vf["id"])
            if self.recreate:
                if want is None or want == _rules.DEFAULT_DRIVER:
                    if not self.autoprobe:
                        raise SriovError("%s: the new VF %d gets no driver (drivers_autoprobe is off), so no netdev "
                                         "to set the MTU on" % (field, vf["id"]), field=field)
                continue
            netdev = self.vf_netdev(self.vfs.get(vf["id"]))
            if netdev:
                self.check_mtu_bounds(vf["mtu"], netdev, field)
            elif want is None:
                raise SriovError("%s: VF %d has no host netdev (driver %s) to set the MTU on; give it a host driver"
                                 % (field, vf["id"], (self.vfs.get(vf["id"]) or {}).get("driver") or "none"),
                                 field=field)

    def check_driver(self, driver, field):
        """The driver exists on this host (loaded, or a module modprobe can load); else refuse."""
        if driver == _rules.DEFAULT_DRIVER:
            return
        drivers_dir = os.path.join(self.root, "bus", "pci", "drivers")
        if os.path.isdir(os.path.join(drivers_dir, driver)):
            return
        # A module name whose PCI driver is spelled differently (mlx5-core vs mlx5_core).
        for other in (driver.replace("_", "-"), driver.replace("-", "_")):
            if other != driver and os.path.isdir(os.path.join(drivers_dir, other)):
                raise SriovError("%s %r is not a PCI driver on this host: did you mean %s?" % (field, driver, other),
                                 field=field)
        try:
            rc, _out, _err = self.runner(["modinfo", "-n", driver])
        except OSError:
            rc = 1
        if rc != 0:
            raise SriovError("%s: driver %r is unknown on this host (not in /sys/bus/pci/drivers, no kernel "
                             "module of that name); use 'default', 'vfio-pci' or an installed driver"
                             % (field, driver), field=field)

    def mac_owners(self):
        """{mac: who has it} over every VF and every netdev of the host, except what this run replaces.

        A VF netdev of this PF keeps its MAC unless this run sets that VF (or recreates them all):
        another VF may not be given it.
        """
        owners = {}
        own_vf_netdevs = set()
        for index, function in self.vfs.items():
            if self.recreate or index in self.wanted_vfs:
                own_vf_netdevs.update(function.get("netdevs") or [])
        for ifname, link in sorted(self.host_links.items()):
            for index, settings in sorted((link.get("vfs") or {}).items()):
                if ifname == self.netdev and (self.recreate or index in self.wanted_vfs):
                    continue  # reset by the new VF count, or set by this request
                mac = (settings.get("mac") or "").lower()
                if mac and mac != "00:00:00:00:00:00":
                    owners.setdefault(mac, "VF %s of %s" % (index, ifname))
        for ifname, link in sorted(self.host_links.items()):
            mac = (link.get("address") or "").lower()
            if mac and ifname not in own_vf_netdevs:
                owners.setdefault(mac, "the network interface %s" % ifname)
        return owners

    def check_macs(self):
        if not any(vf["mac"] for vf in self.params["vfs"]):
            return
        owners = self.mac_owners()
        for vf in self.params["vfs"]:
            if vf["mac"] and vf["mac"] in owners:
                raise SriovError("%s %s is already used by %s on this host: give each VF a MAC of its own"
                                 % (self.field_of(vf["id"], "mac"), vf["mac"], owners[vf["mac"]]),
                                 field=self.field_of(vf["id"], "mac"))

    def check_rates(self):
        """Rates against the PF's link speed, when the host knows it (link up)."""
        speed = _sysfs.netdev_state(self.root, self.pf, self.netdev).get("speed") if self.netdev else None
        if not speed:
            return
        for vf in self.params["vfs"]:
            for key in ("min_tx_rate", "max_tx_rate"):
                if vf[key] and vf[key] > speed:
                    raise SriovError("%s %d Mbit/s is above the link speed of %s (%s Mbit/s)"
                                     % (self.field_of(vf["id"], key), vf[key], self.netdev, speed),
                                     field=self.field_of(vf["id"], key))
        total = 0
        for index in range(self.target):
            wanted = (self.wanted_vfs.get(index) or {}).get("min_tx_rate")
            current = 0 if self.recreate else normalise_link(self.links.get(index)).get("min_tx_rate") or 0
            total += wanted if wanted is not None else current
        if total > speed:
            first = [vf["id"] for vf in self.params["vfs"] if vf["min_tx_rate"]]
            field = self.field_of(first[0], "min_tx_rate") if first else "vfs"
            raise SriovError("the minimum rates of the VFs of %s add up to %d Mbit/s, above its link speed of %s "
                             "Mbit/s" % (self.netdev, total, speed), field=field)

    # -- 3. planning -----------------------------------------------------------------------------
    def binding_plan(self, function, want):
        """(override, unbind_from, probe) for one VF, or None when it is already as wanted."""
        autoprobe = self.autoprobe
        driver = function.get("driver")
        override = function.get("driver_override")
        if want == _rules.DEFAULT_DRIVER:
            unbind = driver if driver and (driver == override or driver == _rules.VFIO_DRIVER) else None
            probe = bool(autoprobe) and (unbind is not None or driver is None)
            if override is None and unbind is None and not probe:
                return None
            return ("\n" if override is not None else None, unbind, probe)
        if override == want and driver == want:
            return None
        return (want if override != want else None, driver if driver and driver != want else None,
                driver != want)

    def plan(self):
        """The steps from the current state to the wanted one; each carries its action text."""
        steps = []
        if self.params["drivers_autoprobe"] is not None and self.params["drivers_autoprobe"] != self.autoprobe_now:
            value = 1 if self.autoprobe else 0
            steps.append({"do": "autoprobe", "value": value, "what": "setting sriov_drivers_autoprobe of %s" % self.pf,
                          "text": "set sriov_drivers_autoprobe of %s to %d" % (self.pf, value)})
        pf_up = self.plan_pf_up() + self.plan_pf_mtu()
        if not self.recreate:
            return steps + pf_up + self.plan_vfs(self.vfs, self.links)
        if self.numvfs:
            steps.append({"do": "numvfs", "value": 0,
                          "what": "removing the %d VFs of %s (sriov_numvfs 0)" % (self.numvfs, self.pf),
                          "text": "set sriov_numvfs of %s from %d to 0" % (self.pf, self.numvfs)})
        if self.target:
            steps.append({"do": "numvfs", "value": self.target,
                          "what": "creating %d VFs on %s (sriov_numvfs %d)" % (self.target, self.pf, self.target),
                          "text": "set sriov_numvfs of %s to %d" % (self.pf, self.target)})
        return steps + pf_up + self.plan_vfs(self.predicted_new_vfs(), {})

    def plan_pf_up(self):
        """The PF up while it has VFs: its driver serves the VFs' mailbox (MAC, VLAN) only then."""
        if not self.params["pf_up"] or not self.target or not self.netdev or self.pf_admin_up(self.host_links):
            return []
        return [{"do": "pf_up", "argv": ["ip", "link", "set", "dev", self.netdev, "up"],
                 "what": "bringing %s up" % self.netdev, "text": "set link of %s up" % self.netdev}]

    def plan_pf_mtu(self):
        mtu = self.params["mtu"]
        if mtu is None or mtu == _sysfs.netdev_mtu(self.root, self.netdev):
            return []
        return [{"do": "pf_mtu", "argv": _iplink.mtu_argv(self.netdev, mtu), "value": mtu,
                 "what": "setting the MTU of %s to %d" % (self.netdev, mtu),
                 "text": "set mtu of %s to %d" % (self.netdev, mtu)}]

    def plan_vf_mtus(self, vfs):
        """The VF netdevs' MTUs, after the bindings (a VF bound now gets its netdev then)."""
        steps = []
        for index in sorted(self.wanted_vfs):
            mtu = self.wanted_vfs[index].get("mtu")
            function = vfs.get(index)
            if mtu is None or function is None:
                continue
            if mtu != _sysfs.netdev_mtu(self.root, self.vf_netdev(function)):
                steps.append({"do": "vf_mtu", "vf": index, "value": mtu, "function": function,
                              "text": "set mtu of VF %d of %s to %d" % (index, self.netdev, mtu)})
        return steps

    def plan_links(self, links, indexes=None, why=""):
        """The per-VF settings (``ip link set PF vf N ...``) that differ from ``links``, for the wanted VFs
        (or those of them in ``indexes``)."""
        steps = []
        for index in sorted(self.wanted_vfs):
            if indexes is not None and index not in indexes:
                continue
            changes = link_changes(self.wanted_vfs[index], links.get(index))
            if changes:
                steps.append({"do": "link", "vf": index, "changes": changes,
                              "argvs": _iplink.vf_set_argv(self.netdev, index, changes),
                              "text": "set VF %d of %s%s: %s" % (index, self.netdev, why, describe_changes(changes))})
        return steps

    def plan_vfs(self, vfs, links):
        """Per-VF settings, then driver bindings, then the VF netdevs' MTUs, against the given VFs and
        their settings."""
        steps = self.plan_links(links)
        for index, function in sorted(vfs.items()):
            want = _spec.wanted_driver(self.params, index)
            binding = self.binding_plan(function, want) if want is not None else None
            if binding is not None:
                label = "VF %d (%s)" % (index, function.get("address") or "new")
                steps.append({"do": "bind", "vf": index, "function": function, "driver": want, "binding": binding,
                              "label": label,
                              "text": "bind %s to %s" % (label, want if want != _rules.DEFAULT_DRIVER
                                                         else "its default driver")})
        return steps + self.plan_vf_mtus(vfs)

    def predicted_new_vfs(self):
        """What can be said of VFs that do not exist yet."""
        driver = "(default)" if self.autoprobe else None
        return dict((index, {"address": None, "driver": driver, "driver_override": None, "iommu_group": None})
                    for index in range(self.target))

    # -- 4. guards -------------------------------------------------------------------------------
    def refuse_or_warn(self, problems):
        if not problems:
            return
        if self.params["force"]:
            self.warnings.extend("force: %s" % problem for problem in problems)
            return
        raise SriovError("refusing to change PF %s: %s. Set force: true to do it anyway."
                         % (self.pf, "; ".join(problems)),
                         details={"problems": problems, "actions_done": list(self.actions)})

    def left_to_libvirt(self, step):
        """A VF on vfio-pci that a running domain holds, asked back to its default driver by the PF's
        ``vf_driver`` only: libvirt bound it for the guest (a managed hostdev, e.g. from a pool
        network) and gives it back to its default driver when the guest releases it. Rebinding it
        would pull it out of the guest. A VF's own ``driver`` is a request about that VF: the
        in-use guard refuses it unless ``force``."""
        function = step.get("function") or {}
        if (step["do"] != "bind" or step["driver"] != _rules.DEFAULT_DRIVER
                or function.get("driver") != _rules.VFIO_DRIVER or not function.get("address")):
            return False
        if (self.wanted_vfs.get(step["vf"]) or {}).get("driver") is not None:
            return False  # asked for this VF by name: the in-use guard decides (force)
        domain = self.guards.domain_holding(function["address"])
        if domain is None:
            return False
        self.warnings.append("%s stays on vfio-pci while the running domain %s holds it; libvirt returns it to its "
                             "default driver when the guest releases it" % (step["label"], domain))
        return True

    def guard(self, steps):
        """What the plan would break: the management connection, VFs in use, shared IOMMU groups.

        Steps that would take a VF from a running guest only to give it back later (see
        ``left_to_libvirt``) leave the plan here, so a converged host stays unchanged while guests run.
        """
        if not self.recreate:
            steps[:] = [step for step in steps if not self.left_to_libvirt(step)]
        problems = []
        if self.recreate:
            touched = list(self.pf_function.get("netdevs") or [])
            for function in self.vfs.values():
                touched.extend(function.get("netdevs") or [])
            problems.extend(self.guards.management_problems(touched))
            if self.numvfs:
                problems.extend(self.guards.in_use_problems(list(self.vfs.values())))
        else:
            touched_vfs = []
            for index, function in sorted(self.vfs.items()):
                kinds = set(step["do"] for step in steps if step.get("vf") == index)
                if kinds:
                    problems.extend(self.guards.management_problems(function.get("netdevs") or []))
                if "bind" in kinds:
                    touched_vfs.append(function)
            if any(step["do"] == "pf_mtu" for step in steps):
                # a new MTU renegotiates the PF's link: the management connection may drop with it
                problems.extend(self.guards.management_problems(list(self.pf_function.get("netdevs") or [])))
            problems.extend(self.guards.in_use_problems(touched_vfs))
            problems.extend(self.vfio_group_problems(steps))
        self.refuse_or_warn(problems)

    def vfio_group_problems(self, steps):
        binds = [step for step in steps if step["do"] == "bind" and step["driver"] == _rules.VFIO_DRIVER
                 and step["function"].get("address") and step["function"].get("driver") != _rules.VFIO_DRIVER]
        to_vfio = set(step["function"]["address"] for step in binds)
        problems = []
        for step in binds:
            function = step["function"]
            problems.extend(self.guards.iommu_group_problems(function["address"], function.get("iommu_group"),
                                                             to_vfio))
        return problems

    # -- 5. check mode: the prediction ----------------------------------------------------------
    def predict(self, before, steps):
        """The state after ``steps``, derived from the plan alone."""
        if any(step["do"] == "numvfs" for step in steps):
            entries = dict((index, {"id": index}) for index in range(self.target))
            for index, function in self.predicted_new_vfs().items():
                entries[index].update((key, function[key]) for key in ("address", "driver", "driver_override"))
        else:
            entries = dict((entry["id"], dict(entry)) for entry in before["vfs"])
        for entry in entries.values():
            for key in ("address", "driver", "driver_override", "mtu") + _spec.VF_LINK_KEYS:
                entry.setdefault(key, None)
        pf_mtu = before["mtu"]
        for step in steps:
            entry = entries.get(step.get("vf"))
            if step["do"] == "pf_mtu":
                pf_mtu = step["value"]
            elif step["do"] == "vf_mtu":
                entry["mtu"] = step["value"]
            elif step["do"] == "link":
                entry.update(step["changes"])
            elif step["do"] == "bind" and step["driver"] == _rules.DEFAULT_DRIVER:
                entry["driver_override"] = None
                if entry["driver"] == _rules.VFIO_DRIVER or (entry["driver"] is None and self.autoprobe):
                    entry["driver"] = "(default)" if self.autoprobe else None
            elif step["do"] == "bind":
                entry["driver_override"] = entry["driver"] = step["driver"]
        pf_up = before["pf_up"] or any(step["do"] == "pf_up" for step in steps) if self.netdev else None
        return {"pf": self.pf, "netdev": self.netdev, "pf_up": pf_up, "mtu": pf_mtu, "num_vfs": self.target,
                "drivers_autoprobe": self.autoprobe, "vfs": [entries[index] for index in sorted(entries)]}

    # -- 5. applying ------------------------------------------------------------------------------
    def apply(self, steps):
        count_steps = [step for step in steps if step["do"] in ("autoprobe", "numvfs", "pf_up", "pf_mtu")]
        vf_steps = [step for step in steps if step["do"] in ("link", "bind", "vf_mtu")]
        for step in count_steps:
            if step["do"] in ("pf_up", "pf_mtu"):
                self._run(step["argv"], step["what"])
            else:
                name = "sriov_drivers_autoprobe" if step["do"] == "autoprobe" else "sriov_numvfs"
                self._write(self._path(self.pf, name), step["value"], step["what"])
            self.actions.append(step["text"])
        if self.recreate:
            needs_link = any(step["do"] == "link" for step in vf_steps)
            vfs = self.wait_for_vfs(self.target, needs_link)
            vf_steps = self.plan_vfs(vfs, self.vf_links(self.read_links()))
            self.refuse_or_warn(self.vfio_group_problems(vf_steps))
        for step in vf_steps:
            if step["do"] == "link":
                self.set_link(step)
            elif step["do"] == "vf_mtu":
                self.set_vf_mtu(step)
            else:
                self.bind(step)
            self.actions.append(step["text"])
        # A VF netdev's MTU comes last (a VF bound in this run gets its netdev only then), and the VF
        # driver may apply it by resetting the VF, which undoes per-VF settings written before: igbvf
        # sends its netdev's own MAC to the PF on reset, and igb takes it from a trusted VF in place
        # of the one set through the PF. So the settings of those VFs are read again and written again.
        reset = set(step["vf"] for step in vf_steps if step["do"] == "vf_mtu")
        if reset:
            for step in self.plan_links(self.vf_links(self.read_links()), reset, " again after its MTU change"):
                self.set_link(step)
                self.actions.append(step["text"])

    def set_link(self, step):
        for argv in step["argvs"]:
            self._run(argv, "setting %s on VF %d of %s" % (describe_changes(step["changes"]), step["vf"], self.netdev))

    def set_vf_mtu(self, step):
        """``ip link set VF-NETDEV mtu N``. The netdev is looked up now: a VF bound in this run got it
        moments ago, and udev may still rename it, so a vanished name is looked up again until the
        timeout."""
        address = step["function"].get("address")
        field = self.field_of(step["vf"], "mtu")
        deadline = self._deadline()
        while True:
            function = _sysfs.read_function(self.root, address) if address else None
            netdev = self.vf_netdev(function)
            if netdev:
                try:
                    self._run(_iplink.mtu_argv(netdev, step["value"], field),
                              "setting the MTU of VF %d (%s) to %d" % (step["vf"], netdev, step["value"]))
                    return
                except SriovError as exc:
                    renamed = exc.details.get("errno") == "ENODEV" or "cannot find device" in exc.msg.lower()
                    if not renamed or self.clock() >= deadline:
                        raise
            if self.clock() >= deadline:
                raise SriovError("%s: VF %d (%s) has no host netdev to set the MTU on (driver %s)"
                                 % (field, step["vf"], address, (function or {}).get("driver") or "none"),
                                 field=field, details={"actions_done": list(self.actions)})
            self.sleep(self.poll_interval)

    def wait_for_vfs(self, target, needs_link):
        """VFs appear asynchronously (udev, driver probe): poll until all `target` are there."""
        deadline = self._deadline()
        while True:
            vfs = self.read_vfs()
            ready = len(vfs) == target and all(f.get("address") for f in vfs.values())
            if ready and needs_link:
                ready = len(self.vf_links(self.read_links())) >= target
            if ready:
                return vfs
            if self.clock() >= deadline:
                raise SriovError(
                    "timed out after %d s waiting for %d VFs of %s (%d present): the driver may still be "
                    "creating them (raise timeout) or failed to (see dmesg)"
                    % (self.params["timeout"], target, self.pf, len(vfs)),
                    details={"actions_done": list(self.actions)})
            self.sleep(self.poll_interval)

    def bind(self, step):
        override, unbind, probe = step["binding"]
        want, label, address = step["driver"], step["label"], step["function"].get("address")
        if want != _rules.DEFAULT_DRIVER and not os.path.isdir(os.path.join(self.root, "bus", "pci", "drivers", want)):
            self._run(["modprobe", want], "loading the %s driver" % want)
        if override is not None:
            self._write(self._path(address, "driver_override"), override,
                        "writing driver_override of %s" % label)
        if unbind:
            self._write(os.path.join(self.root, "bus", "pci", "drivers", unbind, "unbind"), address,
                        "unbinding %s from %s" % (label, unbind))
        if probe:
            self.probe_until_bound(address, want, label)

    def probe_until_bound(self, address, want, label):
        """Write drivers_probe; a driver probing asynchronously may grab the VF first, so retry."""
        probe_path = os.path.join(self.root, "bus", "pci", "drivers_probe")
        self._write(probe_path, address, "probing %s for %s" % (label, want))
        if want == _rules.DEFAULT_DRIVER:
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

    def read_autoprobe(self, fallback):
        value = _sysfs.read_attr(self._path(self.pf, "sriov_drivers_autoprobe"))
        return fallback if value is None else value == "1"

    def verify(self, after):
        """Read back: a setting the driver silently ignored would make every run 'changed'."""
        current = dict((entry["id"], entry) for entry in after["vfs"])
        for index, wanted in sorted(self.wanted_vfs.items()):
            left = link_changes(wanted, current.get(index))
            if left:
                self.warnings.append("VF %d of %s does not report %s after setting it: the driver may not "
                                     "support it" % (index, self.netdev, describe_changes(left)))
        for index, wanted in sorted(self.wanted_vfs.items()):
            if wanted.get("mtu") is not None and (current.get(index) or {}).get("mtu") != wanted["mtu"]:
                self.warnings.append("VF %d of %s reports mtu %s after setting it to %d"
                                     % (index, self.netdev, (current.get(index) or {}).get("mtu"), wanted["mtu"]))
        for index, entry in sorted(current.items()):
            want = _spec.wanted_driver(self.params, index)
            if want == _rules.DEFAULT_DRIVER and self.autoprobe and entry.get("driver") is None:
                self.warnings.append("VF %d (%s) has no driver after probing: no kernel driver claims it"
                                     % (index, entry.get("address")))

    # -- the run ---------------------------------------------------------------------------------
    def run(self):
        """Outside check mode under the host lock: read, validate, plan and apply as one step."""
        with _lock.host_lock("sriov_vf %s" % _rules.pf_label(self.raw_params.get("pf")), enabled=not self.check_mode):
            return self.converge()

    def converge(self):
        return self.finish(*self.prepare())

    def prepare(self):
        """Read, validate, plan and guard: ``(before, steps)``; nothing is written yet.

        ``sriov_host`` prepares every PF of a host before it finishes any of them."""
        self.read_current()
        self.validate()
        before = self.state(self.numvfs, self.autoprobe_now, self.vfs, self.links, self.pf_admin_up(self.host_links))
        steps = self.plan()
        self.guard(steps)
        return before, steps

    def finish(self, before, steps):
        """Check mode: the predicted state; otherwise apply the steps and read back."""
        if self.check_mode:
            self.actions.extend(step["text"] for step in steps)
            after = self.predict(before, steps)
        else:
            self.apply(steps)
            links = self.read_links()
            after = self.state(self.target, self.read_autoprobe(self.autoprobe), self.read_vfs(),
                               self.vf_links(links), self.pf_admin_up(links))
            self.verify(after)
        return {"changed": bool(self.actions), "pf": self.pf, "diff": {"before": before, "after": after},
                "actions": self.actions, "warnings": self.warnings}


def apply_pf(params, runner, sysfs_root="/sys", check_mode=False, guards=None):
    """Bring one PF to the wanted VF state; see the module docstring for the result."""
    return VfManager(params, runner, sysfs_root=sysfs_root, check_mode=check_mode, guards=guards).run()
