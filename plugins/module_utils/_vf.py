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


from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._vf_links import describe_changes, link_changes
from ansible_collections.directiron.sriov.plugins.module_utils._vf_plan import VfPlanner
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink
from ansible_collections.directiron.sriov.plugins.module_utils import _lock
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs


class VfManager(VfPlanner):
    """Read once, validate, plan, apply: reading in ``VfState``, validation in ``VfChecks``, planning,
    guards and the check-mode prediction in ``VfPlanner``; applying and the run here."""

    # -- 5. applying ------------------------------------------------------------------------------
    def apply(self, steps):
        count_steps = [step for step in steps if step["do"] in ("autoprobe", "numvfs", "pf_up", "pf_mtu")]
        vf_steps = [step for step in steps if step["do"] in ("link", "autoprobe_on", "bind", "vf_mtu")]
        try:
            for step in count_steps:
                if step["do"] in ("pf_up", "pf_mtu"):
                    self._run(step["argv"], step["what"])
                else:
                    name = "sriov_drivers_autoprobe" if step["do"] == "autoprobe" else "sriov_numvfs"
                    self._write(self._path(self.pf, name), step["value"], step["what"])
                self.actions.append(step["text"])
            vf_steps = self.apply_vf_steps(vf_steps)
        except SriovError as exc:
            self.release_held_probe(exc)
            raise
        # A VF netdev's MTU comes last (a VF bound in this run gets its netdev only then), and the VF
        # driver may apply it by resetting the VF, which undoes per-VF settings written before: igbvf
        # sends its netdev's own MAC to the PF on reset, and igb takes it from a trusted VF in place
        # of the one set through the PF. So the settings of those VFs are read again and written again.
        reset = set(step["vf"] for step in vf_steps if step["do"] == "vf_mtu")
        if reset:
            for step in self.plan_links(self.vf_links(self.read_links()), reset, " again after its MTU change"):
                self.set_link(step)
                self.actions.append(step["text"])

    def settle(self):
        """Wait (bounded) for udev to finish the events of VFs made or bound in this run: its rules run
        on each new netdev, and a link policy may still change the netdev's MAC."""
        argv = ["udevadm", "settle", "--timeout=%d" % self.params["timeout"]]
        try:
            rc, _out, err = self.runner(argv)
        except OSError as exc:
            rc, err = None, str(exc)
        if rc != 0:
            self.warnings.append("udevadm settle did not finish (%s): the VFs' MACs are read back without it"
                                 % ((err or "").strip() or "rc %s" % rc))

    def macs_off(self, links):
        """{index: MAC the PF reports} of the wanted VFs whose MAC is not the one asked for."""
        off = {}
        for index, wanted in sorted(self.wanted_vfs.items()):
            if wanted.get("mac") is not None and "mac" in link_changes({"mac": wanted["mac"]}, links.get(index)):
                off[index] = (links.get(index) or {}).get("mac")
        return off

    def hold_macs(self, steps):
        """After VFs were made or bound, and udev has handled their netdevs: the MAC the PF reports for
        each VF (its vfinfo) must be the one asked for. A driver or udev that changed it is undone once
        through the PF; a MAC that still differs then fails the run (never ``ok`` with another MAC)."""
        if not any(step["do"] in ("numvfs", "bind") for step in steps) or self.target == 0:
            return
        self.settle()
        if not any(vf.get("mac") is not None for vf in self.wanted_vfs.values()):
            return
        links = self.vf_links(self.read_links())
        off = self.macs_off(links)
        if not off:
            return
        for step in self.plan_links(links, set(off), " again after its driver bound"):
            self.set_link(step)
            self.actions.append(step["text"])
        self.settle()
        still = self.macs_off(self.vf_links(self.read_links()))
        if still:
            raise SriovError("; ".join("VF %d of %s has MAC %s, not %s, after its driver bound and after setting it "
                                       "again through the PF: something on the host (the VF driver, a udev or "
                                       "systemd .link MACAddressPolicy) sets its own MAC on this VF"
                                       % (index, self.netdev, mac, self.wanted_vfs[index]["mac"])
                                       for index, mac in sorted(still.items())),
                             details={"actions_done": list(self.actions)})

    def apply_vf_steps(self, vf_steps):
        if self.recreate:
            needs_link = any(step["do"] == "link" for step in vf_steps)
            vfs = self.wait_for_vfs(self.target, needs_link)
            vf_steps = self.plan_vfs(vfs, self.vf_links(self.read_links()))
            self.refuse_or_warn(self.vfio_group_problems(vf_steps))
        for step in vf_steps:
            if step["do"] == "link":
                self.set_link(step)
            elif step["do"] == "autoprobe_on":
                self._write(self._path(self.pf, "sriov_drivers_autoprobe"), 1, step["what"])
                self.held = False
            elif step["do"] == "vf_mtu":
                self.set_vf_mtu(step)
            else:
                self.bind(step)
            self.actions.append(step["text"])
        return vf_steps

    def release_held_probe(self, exc):
        """A run that fails while new VFs wait with autoprobe held off gives the PF its autoprobe back."""
        if not self.held:
            return
        self.held = False
        try:
            _sysfs.write_attr(self._path(self.pf, "sriov_drivers_autoprobe"), 1)
        except (IOError, OSError):
            return
        text = "set sriov_drivers_autoprobe of %s back to 1 (the run failed)" % self.pf
        self.actions.append(text)
        if isinstance(exc.details, dict) and isinstance(exc.details.get("actions_done"), list):
            exc.details["actions_done"].append(text)

    def set_link(self, step):
        for argv in step["argvs"]:
            self._run(argv, link_what(argv, step["vf"], self.netdev, self.pf, self.pf_function),
                      self.field_of(step["vf"], setting_of(argv)))

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
        if want != _rules.DEFAULT_DRIVER and not _sysfs.driver_present(self.root, want):
            self._run(["modprobe", want], "loading the %s driver" % want)
        if override is not None:
            self._write(self._path(address, "driver_override"), override,
                        "writing driver_override of %s" % label)
        if unbind:
            self._write(_sysfs.driver_attr_path(self.root, unbind, "unbind"), address,
                        "unbinding %s from %s" % (label, unbind))
        if probe:
            self.probe_until_bound(address, want, label)

    def probe_until_bound(self, address, want, label):
        """Write drivers_probe; a driver probing asynchronously may grab the VF first, so retry."""
        probe_path = _sysfs.drivers_probe_path(self.root)
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
                self._write(_sysfs.driver_attr_path(self.root, driver, "unbind"), address,
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
            self.hold_macs(steps)
            links = self.read_links()
            after = self.state(self.target, self.read_autoprobe(self.autoprobe), self.read_vfs(),
                               self.vf_links(links), self.pf_admin_up(links))
            self.verify(after)
        return {"changed": bool(self.actions), "pf": self.pf, "diff": {"before": before, "after": after},
                "actions": self.actions, "warnings": self.warnings}


def link_what(argv, vf, netdev, pf, pf_function):
    """What an ``ip link set PF vf N ...`` does, for its error: the settings, the VF, the PF (netdev,
    address and driver); the kernel's answer follows it in the message."""
    return "setting %s for VF %d of PF %s (%s, driver %s)" % (
        " ".join(argv[argv.index("vf") + 2:]), vf, netdev, pf, (pf_function or {}).get("driver") or "none")


def setting_of(argv):
    """The option of the first setting of an ``ip link set PF vf N WORD ...`` (the refused one's field)."""
    word = argv[argv.index("vf") + 2]
    return dict((option["ip"], option["name"]) for option in _spec.VF_LINK_OPTIONS).get(word, word)


def apply_pf(params, runner, sysfs_root="/sys", check_mode=False, guards=None):
    """Bring one PF to the wanted VF state; see the module docstring for the result."""
    return VfManager(params, runner, sysfs_root=sysfs_root, check_mode=check_mode, guards=guards).run()
