# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VfPlanner: the steps from the current VF state to the wanted one, their guards and the
check-mode prediction (steps 3 to 5 of ``_vf``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._vf_checks import VfChecks
from ansible_collections.directiron.sriov.plugins.module_utils._vf_links import describe_changes, link_changes
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink
from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs


class VfPlanner(VfChecks):
    """Plan, guard and predict over what ``VfChecks`` validated."""

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
        """The steps from the current state to the wanted one; each carries its action text.

        New VFs are made without a driver when the PF probes them (``hold_probe``): their settings
        go to the PF first, and then their drivers bind, so a host driver starts from the MAC set
        through the PF. A driver that probes first picks a random MAC, and udev's default link
        policy (MACAddressPolicy=persistent) then gives its netdev a MAC of its own, which the PF
        takes from a trusted VF in place of the one set (seen with igbvf on Debian 13).
        """
        steps = []
        self.held = self.hold_probe()
        if (self.params["drivers_autoprobe"] is not None and self.params["drivers_autoprobe"] != self.autoprobe_now
                and not self.held):
            value = 1 if self.autoprobe else 0
            steps.append(self.autoprobe_step(value))
        pf_up = self.plan_pf_up() + self.plan_pf_mtu()
        if not self.recreate:
            return steps + pf_up + self.plan_vfs(self.vfs, self.links)
        if self.numvfs:
            steps.append({"do": "numvfs", "value": 0,
                          "what": "removing the %d VFs of %s (sriov_numvfs 0)" % (self.numvfs, self.pf),
                          "text": "set sriov_numvfs of %s from %d to 0" % (self.pf, self.numvfs)})
        # The PF up (and at its MTU) before its VFs exist: its driver answers their mailbox only then.
        steps.extend(pf_up)
        if self.held and self.autoprobe_now:
            steps.append(self.autoprobe_step(0, " until its new VFs are configured"))
        if self.target:
            steps.append({"do": "numvfs", "value": self.target,
                          "what": "creating %d VFs on %s (sriov_numvfs %d)" % (self.target, self.pf, self.target),
                          "text": "set sriov_numvfs of %s to %d" % (self.pf, self.target)})
        return steps + self.plan_vfs(self.predicted_new_vfs(), {})

    def hold_probe(self):
        """Whether VFs this run creates are made with autoprobe off and probed once configured: when their
        PF probes new VFs (autoprobe on, now or as asked) and a VF has a MAC asked for (its driver must start
        from it) or a driver other than its default (it goes there without a detour through the default)."""
        if not (self.recreate and self.target and self.autoprobe and self.autoprobe_now is not None):
            return False
        return (any(vf.get("mac") is not None for vf in self.wanted_vfs.values())
                or any(_spec.wanted_driver(self.params, index) not in (None, _rules.DEFAULT_DRIVER)
                       for index in range(self.target)))

    def autoprobe_step(self, value, why=""):
        return {"do": "autoprobe", "value": value, "what": "setting sriov_drivers_autoprobe of %s" % self.pf,
                "text": "set sriov_drivers_autoprobe of %s to %d%s" % (self.pf, value, why)}

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
        their settings. VFs made with autoprobe held off: autoprobe back on after their settings, and
        each one probed (a VF no driver is asked for, by its default driver, as autoprobe would)."""
        steps = self.plan_links(links)
        if self.held:
            steps.append({"do": "autoprobe_on", "what": "setting sriov_drivers_autoprobe of %s" % self.pf,
                          "text": "set sriov_drivers_autoprobe of %s back to 1, then probe its VFs" % self.pf})
        for index, function in sorted(vfs.items()):
            want = _spec.wanted_driver(self.params, index)
            if want is None and self.held:
                want = _rules.DEFAULT_DRIVER
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
        driver = "(default)" if self.autoprobe and not self.held else None
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
