# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt hostdev networks that hand out SR-IOV VFs from a pool.

Pure standard library: the ``libvirt`` Python binding is not imported here but handed in by
the caller (the module imports it, unit tests hand in a fake), and sysfs is read through
``_sysfs`` (root-parametrised). Nothing here calls exit_json/fail_json: failures are
``SriovError``.

What this file owns:
- ``parse_vf_selector("enp1s0#4-7,9")``: the VF selector syntax shared with the ``vf_range`` filter;
- building, merging and canonicalising ``<network>`` XML (only the parts this collection manages
  are compared: name, ``<forward mode managed>``, its ``<pf>``/``<address>`` children, ``<vlan>``);
- ``VfNetworkManager``: read once, compute the wanted definition, diff, write outside check mode.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback
import xml.etree.ElementTree as ET

from ansible_collections.directiron.sriov.plugins.module_utils import _rules, _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._lock import host_lock

# The libvirt Python binding (python3-libvirt) of the managed host, or None with the import
# error. Modules bind it to their own ``libvirt`` name, which unit tests swap for a fake.
LIBVIRT_IMPORT_ERROR = None
try:
    import libvirt as LIBVIRT  # pylint: disable=unused-import
except ImportError:
    LIBVIRT = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()

VIR_NETWORK_XML_INACTIVE = 1
VIR_ERR_NO_NETWORK = 43

# The name and selector rules are _rules' (one place); these names stay for the callers.
NETWORK_NAME_RE = _rules.NETWORK_NAME_RE
SELECTOR_IDS_RE = _rules.SELECTOR_IDS_RE
BARE_IDS_RE = _rules.BARE_IDS_RE


# ---------------------------------------------------------------------------------------------
# VF selectors


def parse_vf_selector(text, field="vfs"):
    """``"PF#a-b,c"`` -> ``(pf, [ids])``: ids sorted, without duplicates.

    The PF part is a netdev name or a PCI address; the ids part is a comma-separated list of
    VF indexes and inclusive ranges.
    """
    if not isinstance(text, str):
        raise SriovError("VF selector must be a string like 'enp1s0#4-7,9', got %r" % (text,), field=field)
    selector = text.strip()
    pf, sep, ids = selector.partition("#")
    if not sep or not pf or not ids:
        raise SriovError("VF selector %r must look like 'PF#a-b,c' (for example 'enp1s0#4-7,9')" % text,
                         field=field)
    try:
        pf = _rules.validate_pf(pf, field)
    except SriovError as exc:
        raise SriovError("VF selector %r: %s" % (text, exc.msg), field=field)
    ids = ids.replace(" ", "")
    if not SELECTOR_IDS_RE.match(ids):
        raise SriovError("VF selector %r: ids %r must be indexes or ranges like 4-7,9" % (text, ids), field=field)
    result = set()
    for part in ids.split(","):
        first, dash, last = part.partition("-")
        low = int(first)
        high = int(last) if dash else low
        if high < low:
            raise SriovError("VF selector %r: range %s runs backwards" % (text, part), field=field)
        if high > _rules.MAX_VF_ID:
            raise SriovError("VF selector %r: VF index %d is above %d" % (text, high, _rules.MAX_VF_ID), field=field)
        result.update(range(low, high + 1))
    return pf, sorted(result)


def is_vf_selector(text):
    return isinstance(text, str) and "#" in text


def rejoin_vf_items(items):
    """Undo Ansible's comma split of a ``list`` option given as one string.

    ``vfs: "enp1s0#4-7,9"`` reaches the module as ``["enp1s0#4-7", "9"]``: a bare id or range
    right after a selector belongs to it.
    """
    result = []
    for item in items or []:
        text = item.strip() if isinstance(item, str) else item
        if result and isinstance(text, str) and BARE_IDS_RE.match(text) and is_vf_selector(result[-1]):
            result[-1] = result[-1] + "," + text
        else:
            result.append(text)
    return result


# ---------------------------------------------------------------------------------------------
# XML


def network_skeleton(name):
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    return root


def parse_network_xml(text):
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SriovError("libvirt returned network XML that does not parse: %s" % exc)
    if root.tag != "network":
        raise SriovError("expected a <network> document, got <%s>" % root.tag)
    return root


def canonical_network(root):
    """The parts of a ``<network>`` this collection manages, as plain comparable data.

    uuid, mac, bridge, portgroups, metadata and any other element are ignored on purpose: libvirt
    fills some in and an operator may set others; redefining keeps them.
    """
    if root is None:
        return None
    forward = root.find("forward")
    result = {
        "name": (root.findtext("name") or "").strip(),
        "forward_mode": None,
        "managed": None,
        "pf": [],
        "addresses": [],
        "vlan": None,
    }
    if forward is not None:
        result["forward_mode"] = forward.get("mode")
        result["managed"] = forward.get("managed", "no")
        result["pf"] = sorted(pf.get("dev") for pf in forward.findall("pf"))
        addresses = [_rules.xml_pci_address(addr) for addr in forward.findall("address")]
        result["addresses"] = sorted(address for address in addresses if address)
    vlan = root.find("vlan")
    if vlan is not None:
        tags = sorted(int(tag.get("id")) for tag in vlan.findall("tag") if tag.get("id") is not None)
        result["vlan"] = tags[0] if len(tags) == 1 and vlan.get("trunk", "no") != "yes" else tags
    return result


def live_pool_differs(live_root, new_root, pool_addresses):
    """Whether a running network runs something other than the definition ``new_root``.

    libvirt's live XML of a ``<pf>`` pool keeps the ``<pf>`` and adds the VFs the PF had when the
    network started, as ``<address>`` children (libvirt 9, recorded in tests/fixtures/libvirt/).
    So the live pool's addresses are compared with
    ``pool_addresses`` (the PF's current VFs, or the wanted addresses); a PF whose VF count changed
    since then counts as a difference (the network must restart to hand out the new VFs).
    """
    live = canonical_network(live_root)
    new = canonical_network(new_root)
    if live is None:
        return False
    for key in ("forward_mode", "managed", "vlan"):
        if live[key] != new[key]:
            return True
    if live["addresses"] or not live["pf"]:
        return live["addresses"] != sorted(pool_addresses)
    return live["pf"] != new["pf"]  # a live <pf> without the addresses it expanded to


def apply_wanted(root, wanted):
    """Rewrite the managed parts of ``root`` (in place) to match ``wanted``; keep everything else.

    ``wanted``: {"pf": netdev or None, "addresses": [pci addresses], "vlan": int or None}.
    """
    forward = root.find("forward")
    if forward is None:
        forward = ET.Element("forward")
        name = root.find("name")
        # libvirt does not care about order, but humans reading the diff do: forward after name/uuid
        position = 1 if name is not None else 0
        if root.find("uuid") is not None:
            position += 1
        root.insert(position, forward)
    forward.set("mode", "hostdev")
    forward.set("managed", "yes")
    # <driver>, bandwidth-like children an operator added stay; the VF pool is ours.
    for child in list(forward):
        if child.tag in ("pf", "address", "interface"):
            forward.remove(child)
    if forward.text is None or not forward.text.strip():
        forward.text = None
    if wanted.get("pf"):
        ET.SubElement(forward, "pf", {"dev": wanted["pf"]})
    for address in wanted.get("addresses") or []:
        ET.SubElement(forward, "address", _rules.xml_pci_attributes(address))
    for vlan in root.findall("vlan"):
        root.remove(vlan)
    if wanted.get("vlan") is not None:
        vlan = ET.Element("vlan")
        ET.SubElement(vlan, "tag", {"id": str(int(wanted["vlan"]))})
        children = list(root)
        root.insert(children.index(forward) + 1, vlan)
    return root


def _indent(elem, level=0):
    """ElementTree.indent() is 3.9+; managed hosts may run 3.8."""
    pad = "\n" + "  " * level
    children = list(elem)
    if children:
        if not elem.text or not elem.text.strip():
            elem.text = pad + "  "
        for child in children:
            _indent(child, level + 1)
            if not child.tail or not child.tail.strip():
                child.tail = pad + "  "
        if not children[-1].tail or not children[-1].tail.strip():
            children[-1].tail = pad
    elif level and (not elem.tail or not elem.tail.strip()):
        elem.tail = pad


def render_network_xml(root):
    """Stable, indented text of ``root`` (a copy is indented, ``root`` is left alone)."""
    copy = ET.fromstring(ET.tostring(root))
    for elem in copy.iter():
        if elem.text is not None and not elem.text.strip():
            elem.text = None
        if elem.tail is not None and not elem.tail.strip():
            elem.tail = None
    _indent(copy)
    text = ET.tostring(copy, encoding="unicode")
    return text + "\n"


# ---------------------------------------------------------------------------------------------
# Connection (shared with _domain.py)


def open_connection(libvirt_mod, uri):
    """``libvirt_mod.open(uri)`` (default ``qemu:///system``); SriovError(field="uri") when it fails."""
    uri = uri or _rules.LIBVIRT_URI
    try:
        conn = libvirt_mod.open(uri)
    except libvirt_mod.libvirtError as exc:
        raise SriovError("cannot connect to libvirt at %s: %s" % (uri, exc), field="uri")
    if conn is None:
        raise SriovError("cannot connect to libvirt at %s" % uri, field="uri")
    return conn


def close_connection(libvirt_mod, conn):
    """Close ``conn`` if it is open; a failing close changes nothing for the caller."""
    close = getattr(conn, "close", None)
    if close is not None:
        try:
            close()
        except libvirt_mod.libvirtError:
            pass


def error_code(exc):
    """The libvirt error code of a ``libvirtError`` (None when it carries none)."""
    return exc.get_error_code() if hasattr(exc, "get_error_code") else None


# ---------------------------------------------------------------------------------------------
# Manager


class VfNetworkManager(object):
    """Converge one libvirt hostdev network.

    params: name, state, pfs, vfs, vlan, autostart, active, force, restart (deprecated), uri, sysfs_root.
    libvirt_mod: the imported ``libvirt`` binding (or a fake with the same surface).
    sysfs: the ``_sysfs`` module (or a fake) for PF resolution and VF listing.
    """

    def __init__(self, libvirt_mod, params, check_mode=False, sysfs=None):
        self.libvirt = libvirt_mod
        self.params = dict(params)
        self.params["vfs"] = rejoin_vf_items(self.params.get("vfs"))
        self.check_mode = check_mode
        self.sysfs = sysfs or _sysfs
        self.actions = []
        self.warnings = []
        self.conn = None

    # -- inputs ---------------------------------------------------------------------------------

    def validate(self):
        params = self.params
        name = params.get("name")
        if not name or not NETWORK_NAME_RE.match(name):
            raise SriovError("network name %r may only contain letters, digits and _.+- (1-64 characters)" % (name,),
                             field="name")
        if params.get("state", "present") != "present":
            return
        pfs = params.get("pfs") or []
        vfs = params.get("vfs") or []
        if pfs and vfs:
            raise SriovError("give either pfs or vfs, not both", field="pfs")
        if not pfs and not vfs:
            raise SriovError("state=present needs pfs (a pool of whole PFs) or vfs (explicit VFs)", field="pfs")
        for index, pf in enumerate(pfs):
            _rules.validate_pf(pf, "pfs[%d]" % index)
        for index, vf in enumerate(vfs):
            if is_vf_selector(vf):
                parse_vf_selector(vf, field="vfs[%d]" % index)
            elif not _rules.is_pci_address(vf.lower() if isinstance(vf, str) else vf):
                raise SriovError("vfs[%d] %r is neither a PCI address (0000:01:10.0) nor a selector (enp1s0#0-3)"
                                 % (index, vf), field="vfs[%d]" % index)
        if params.get("vlan") is not None:
            _rules.parse_int(params["vlan"], "vlan", 0, _rules.MAX_VLAN)

    def _pf_netdev(self, pf_address, asked):
        function = self.sysfs.read_function(self.params["sysfs_root"], pf_address)
        netdevs = (function or {}).get("netdevs") or []
        if isinstance(asked, str) and asked in netdevs:
            return asked
        if not netdevs:
            raise SriovError("PF %s (%s) has no network interface; libvirt's <pf dev> needs one" % (asked, pf_address),
                             field="pfs")
        return sorted(netdevs)[0]

    def _vfs_missing(self, message, field):
        """VFs the pool needs do not exist. A real run refuses; check mode predicts the pool without
        them, because the same check run of the site playbook predicts their creation just before."""
        if not self.check_mode:
            raise SriovError(message, field=field)
        self.warnings.append("check mode: %s; the pool is predicted without them" % message)

    def _vf_addresses(self, pf, field):
        root = self.params["sysfs_root"]
        try:
            pf_address = self.sysfs.resolve_pf(root, pf)
            vfs = self.sysfs.list_vfs(root, pf_address)
        except SriovError as exc:
            if exc.field in (None, "pf"):
                exc.field = field
            raise
        return pf_address, vfs

    def wanted_pool(self):
        """-> {"pf": netdev or None, "addresses": [...], "vlan": int or None, "vf_count": n}."""
        params = self.params
        pfs = params.get("pfs") or []
        wanted = {"pf": None, "addresses": [], "vlan": params.get("vlan")}
        if len(pfs) == 1:
            pf_address, vfs = self._vf_addresses(pfs[0], "pfs[0]")
            wanted["pf"] = self._pf_netdev(pf_address, pfs[0])
            wanted["vf_count"] = len(vfs)
            wanted["pf_addresses"] = [pf_address]
            wanted["pool_addresses"] = [vfs[i] for i in sorted(vfs)]
            return wanted
        addresses = []
        if pfs:
            # libvirt takes exactly one <pf>; a pool over several PFs lists their VFs instead.
            wanted["pf_addresses"] = []
            for index, pf in enumerate(pfs):
                pf_address, vfs = self._vf_addresses(pf, "pfs[%d]" % index)
                wanted["pf_addresses"].append(pf_address)
                if not vfs:
                    self._vfs_missing("PF %s (%s) has no VFs to list in the pool; create them first "
                                      "(directiron.sriov.sriov_vf)" % (pf, pf_address), "pfs[%d]" % index)
                addresses.extend(vfs[i] for i in sorted(vfs))
        else:
            for index, vf in enumerate(params.get("vfs") or []):
                if is_vf_selector(vf):
                    pf, ids = parse_vf_selector(vf, field="vfs[%d]" % index)
                    pf_address, vfs = self._vf_addresses(pf, "vfs[%d]" % index)
                    missing = [i for i in ids if i not in vfs]
                    if missing:
                        self._vfs_missing("vfs[%d] %r: PF %s has no VF %s (it has %d VFs)"
                                          % (index, vf, pf_address, ",".join(str(i) for i in missing), len(vfs)),
                                          "vfs[%d]" % index)
                    addresses.extend(vfs[i] for i in ids if i in vfs)
                else:
                    addresses.append(_rules.format_pci_address(_rules.parse_pci_address(vf, "vfs[%d]" % index)))
        seen = set()
        wanted["addresses"] = [a for a in addresses if not (a in seen or seen.add(a))]
        wanted["vf_count"] = len(wanted["addresses"])
        wanted["pool_addresses"] = list(wanted["addresses"])
        return wanted

    # -- libvirt --------------------------------------------------------------------------------

    def _call(self, what, func, *args):
        try:
            return func(*args)
        except self.libvirt.libvirtError as exc:
            raise SriovError("libvirt: %s failed for network %s: %s" % (what, self.params["name"], exc))

    def connect(self):
        self.conn = open_connection(self.libvirt, self.params.get("uri"))
        return self.conn

    def lookup(self):
        try:
            return self.conn.networkLookupByName(self.params["name"])
        except self.libvirt.libvirtError as exc:
            if error_code(exc) == getattr(self.libvirt, "VIR_ERR_NO_NETWORK", VIR_ERR_NO_NETWORK):
                return None
            raise SriovError("libvirt: looking up network %s failed: %s" % (self.params["name"], exc))

    def connections(self, net, live_root):
        """How many guest interfaces use the running network (live XML ``connections``, or its ports)."""
        try:
            count = int(live_root.get("connections") or 0)
        except ValueError:
            count = 0
        if hasattr(net, "listAllPorts"):
            try:
                count = max(count, len(net.listAllPorts(0)))
            except self.libvirt.libvirtError:
                pass  # libvirt older than 5.5 has no ports API; the live XML count stands
        return count

    def read_state(self, net):
        if net is None:
            return {"exists": False, "xml": None, "root": None, "live_root": None, "active": False,
                    "connections": 0, "autostart": False, "persistent": False}
        text = self._call("XMLDesc", net.XMLDesc, getattr(self.libvirt, "VIR_NETWORK_XML_INACTIVE",
                                                          VIR_NETWORK_XML_INACTIVE))
        root = parse_network_xml(text)
        active = bool(self._call("isActive", net.isActive))
        live_root = parse_network_xml(self._call("XMLDesc", net.XMLDesc, 0)) if active else None
        return {
            "exists": True,
            "xml": text,
            "root": root,
            "live_root": live_root,
            "active": active,
            "connections": self.connections(net, live_root) if active else 0,
            "autostart": bool(self._call("autostart", net.autostart)),
            "persistent": bool(self._call("isPersistent", net.isPersistent)),
        }

    # -- converge -------------------------------------------------------------------------------

    def run(self):
        self.validate()
        # Outside check mode under the host lock: the VFs read from sysfs stay as read until defined.
        with host_lock("libvirt_vf_network %s" % self.params["name"], enabled=not self.check_mode):
            wanted = self.wanted_pool() if self.params.get("state", "present") == "present" else None
            self.connect()
            try:
                net = self.lookup()
                before = self.read_state(net)
                if self.params.get("state", "present") == "absent":
                    return self._absent(net, before)
                return self._present(net, before, wanted)
            finally:
                close_connection(self.libvirt, self.conn)

    def _diff_text(self, xml_text, active, autostart):
        if xml_text is None:
            return ""
        state = ("yes" if active else "no", "yes" if autostart else "no")
        return "%s<!-- active: %s, autostart: %s -->\n" % ((xml_text,) + state)

    def pool_in_use(self, before, wanted):
        """The host PCI addresses the network hands out now: its live pool (a running network), else none.

        A live ``<pf>`` without the addresses it expanded to (libvirt before 9) stands for the PF's
        current VFs when it is the PF asked for.
        """
        if not before["active"]:
            return set()
        live = canonical_network(before["live_root"])
        if live["addresses"]:
            return set(live["addresses"])
        if wanted and live["pf"] and live["pf"] == ([wanted["pf"]] if wanted.get("pf") else []):
            return set(wanted.get("pool_addresses") or [])
        return set()

    def running_users(self, before, wanted):
        """{domain name: [what it uses]} of running domains using this network.

        A domain uses it through an interface whose live ``<source network=NAME>`` names it (an
        ordinary network keeps the name in the live XML), or through a VF or ``<hostdev>`` from its
        live pool (a hostdev network's interface shows only the VF it handed out).
        """
        # imported here: _domain imports this file's connection helpers
        from ansible_collections.directiron.sriov.plugins.module_utils import _domain
        pool = self.pool_in_use(before, wanted)
        users = {}
        for domain in _domain.domain_device_map(self.libvirt, self.conn)["domains"]:
            if not domain["active"]:
                continue
            uses = []
            for iface in domain["interfaces"]:
                if iface["network"] == self.params["name"]:
                    uses.append("interface %s" % (iface["mac"] or iface["alias"] or "without MAC"))
                elif iface["vf"] in pool:
                    uses.append("VF %s%s" % (iface["vf"], " (MAC %s)" % iface["mac"] if iface["mac"] else ""))
            uses.extend("hostdev %s" % address for address in domain["hostdevs"] if address in pool)
            if uses:
                users[domain["name"]] = uses
        return users

    def _guard_in_use(self, before, wanted, doing):
        """Refuse ``doing`` (a phrase such as "restart") while running domains use the network, naming
        them, unless force=true: then the refusal becomes a warning. Check mode refuses the same way."""
        users = self.running_users(before, wanted) if before["exists"] else {}
        connections = before["connections"]
        if not users and not connections:
            return
        if users:
            who = "running domain(s) use it: %s" % "; ".join(
                "%s (%s)" % (domain, ", ".join(uses)) for domain, uses in sorted(users.items()))
        else:
            who = ("%d guest interface(s) use it (libvirt's count; no running domain on %s names it)"
                   % (connections, self.params.get("uri") or "qemu:///system"))
        message = "network %s is in use, %s" % (self.params["name"], who)
        if self.params.get("force"):
            self.warnings.append("force=true: %s; %s it anyway (libvirt loses track of the VFs they hold "
                                 "until they restart)" % (message, doing))
            return
        hint = "stop those domains first, or set force=true"
        if self.params.get("restart"):
            hint += " (restart=true no longer overrides this)"
        raise SriovError("%s; refusing to %s it: %s" % (message, doing, hint), field="force",
                         details={"domains": sorted(users), "connections": connections})

    def _absent(self, net, before):
        changed = False
        before_text = render_network_xml(before["root"]) if before["exists"] else None
        if net is not None:
            if before["active"]:
                self._guard_in_use(before, None, "stop and remove")
                self.actions.append("stopped network %s" % self.params["name"])
                if not self.check_mode:
                    self._call("destroy", net.destroy)
            if before["persistent"]:
                self.actions.append("undefined network %s" % self.params["name"])
                if not self.check_mode:
                    self._call("undefine", net.undefine)
            changed = True
        return {
            "changed": changed,
            "actions": self.actions,
            "restart_required": False,
            "network": {"name": self.params["name"], "exists": False, "active": False, "autostart": False,
                        "xml": "", "vf_count": 0, "connections": 0},
            "diff": {"before": self._diff_text(before_text, before["active"], before["autostart"]), "after": ""},
        }

    def _present(self, net, before, wanted):
        params = self.params
        name = params["name"]
        want_active = params.get("active", True)
        want_autostart = params.get("autostart", True)
        root = before["root"] if before["exists"] else network_skeleton(name)
        new_root = apply_wanted(ET.fromstring(ET.tostring(root)), wanted)
        definition_changed = (not before["persistent"]
                              or canonical_network(before["root"]) != canonical_network(new_root))
        after_text = render_network_xml(new_root)
        before_text = render_network_xml(before["root"]) if before["exists"] else None
        connections = before["connections"]
        # The running network may still carry an older definition (saved earlier while guests used it).
        live_differs = before["active"] and live_pool_differs(before["live_root"], new_root,
                                                              wanted.get("pool_addresses") or [])
        if want_active and wanted.get("pf") and not wanted.get("vf_count"):
            self._vfs_missing("PF %s has no VFs: libvirt cannot start a hostdev pool on it; create VFs first "
                              "(directiron.sriov.sriov_vf) or set active=false" % wanted["pf"], "pfs")

        restart = before["active"] and want_active and (definition_changed or live_differs)
        if restart or (before["active"] and not want_active) or (definition_changed and before["exists"]):
            # Before anything changes, in check mode too: a hostdev network takes its new pool only
            # on the next start, and restarting it while guests hold VFs from it makes libvirt forget
            # those allocations; so it is not redefined or restarted behind a running guest's back.
            doing = [] if not (definition_changed and before["exists"]) else ["redefine"]
            doing += ["restart"] if restart else (["stop"] if before["active"] and not want_active else [])
            self._guard_in_use(before, wanted, " and ".join(doing))

        if definition_changed:
            self.actions.append("%s network %s" % ("redefined" if before["exists"] else "defined", name))
            if not self.check_mode:
                net = self._call("define", self.conn.networkDefineXML, ET.tostring(new_root, encoding="unicode"))

        if restart:
            self.actions.append("restarted network %s" % name)
            if not self.check_mode:
                self._call("destroy", net.destroy)
                self._call("create", net.create)
        elif before["active"] and not want_active:
            self.actions.append("stopped network %s" % name)
            if not self.check_mode:
                self._call("destroy", net.destroy)
        elif not before["active"] and want_active:
            self.actions.append("started network %s" % name)
            if not self.check_mode:
                self._call("create", net.create)

        if bool(before["autostart"]) != bool(want_autostart):
            self.actions.append("%s autostart of network %s" % ("enabled" if want_autostart else "disabled", name))
            if not self.check_mode:
                self._call("setAutostart", net.setAutostart, 1 if want_autostart else 0)

        result_xml = after_text
        if not self.check_mode and self.actions:
            result_xml = render_network_xml(parse_network_xml(
                self._call("XMLDesc", net.XMLDesc, getattr(self.libvirt, "VIR_NETWORK_XML_INACTIVE",
                                                           VIR_NETWORK_XML_INACTIVE))))
        return {
            "changed": bool(self.actions),
            "actions": self.actions,
            "restart_required": False,
            "network": {
                "name": name,
                "exists": True,
                "active": bool(want_active),
                "autostart": bool(want_autostart),
                "xml": result_xml,
                "vf_count": wanted.get("vf_count", 0),
                "connections": connections,
            },
            "diff": {
                "before": self._diff_text(before_text, before["active"], before["autostart"]),
                "after": self._diff_text(after_text, want_active, want_autostart),
            },
        }
