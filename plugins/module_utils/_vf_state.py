# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VfState: what the VF manager knows of one PF and reads from the host (step 1 of ``_vf``).

The request, the PF resolved, its VFs, their link settings and the host's links, read once;
the seams for tests (``sleep``, ``clock``) and the runner/sysfs primitives the later steps share.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import time

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._kernel_errors import errno_from_text, kernel_error
from ansible_collections.directiron.sriov.plugins.module_utils._vf_links import normalise_link
from ansible_collections.directiron.sriov.plugins.module_utils import _guards
from ansible_collections.directiron.sriov.plugins.module_utils import _iplink
from ansible_collections.directiron.sriov.plugins.module_utils import _spec
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs


class VfState(object):
    """The request and the PF's current state, read once. `sleep` and `clock` are seams for tests."""

    def __init__(self, params, runner, sysfs_root="/sys", check_mode=False, guards=None,
                 sleep=time.sleep, clock=time.monotonic, poll_interval=0.25, validated=None):
        self.raw_params = dict(params or {})
        self.root = self.raw_params.get("sysfs_root") or sysfs_root
        self.raw_params["sysfs_root"] = self.root
        self.validated = validated  # the request as _spec.validate_params returned it, when the caller has it
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
        self.held = False  # new VFs wait with autoprobe held off until its step turns it on (_vf_plan.VfPlanner.hold_probe)

    # -- small helpers ---------------------------------------------------------------------------
    def _path(self, address, *parts):
        return _sysfs.function_attr_path(self.root, address, *parts)

    def _run(self, argv, what, field=None):
        """Run a command; a failure is a SriovError saying ``what`` failed, the kernel's answer, and
        ``field`` (the request field it applies)."""
        try:
            rc, out, err = self.runner(argv)
        except OSError as exc:
            raise kernel_error(exc.errno or errno.ENOENT, what, "%s: %s" % (argv[0], exc.strerror), self.actions)
        if rc != 0:
            text = (err or out or "").strip()
            err_no = errno_from_text(text)
            if err_no is None:
                raise SriovError("%s failed (rc %s): %s" % (what, rc, text), field=field,
                                 details={"argv": list(argv), "actions_done": list(self.actions)})
            error = kernel_error(err_no, what, text, self.actions)
            error.field = field
            raise error
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
        # the request checked once, before any host read (sriov_host checked it already: it passes it)
        self.params = params = self.validated or _spec.validate_params(self.raw_params)
        self.pf = _sysfs.resolve_pf(self.root, params["pf"])
        self.pf_function = _sysfs.read_function(self.root, self.pf)
        if not self.pf_function or self.pf_function.get("sriov_totalvfs") is None:
            raise SriovError("PF %s is not SR-IOV capable (no sriov_totalvfs)" % self.pf, field="pf")
        self.numvfs = self.pf_function.get("sriov_numvfs") or 0
        _spec.check_vf_ids(params, self.raw_params.get("vfs") or [], self.pf_function["sriov_totalvfs"], self.numvfs)
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

    def read_autoprobe(self, fallback):
        value = _sysfs.read_attr(self._path(self.pf, "sriov_drivers_autoprobe"))
        return fallback if value is None else value == "1"
