# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Other owners of a PF's SR-IOV settings: NetworkManager keyfiles and systemd ``.link``/``.network`` files.

``host_owners(root)`` reads the files once (below ``root``: ``/`` on a host, a tree in tests);
``pf_owners(found, pf)`` says which of them hold the settings of one PF, described by
``pf_identity``. ``refusal`` is the message sriov_host gives for such a PF.

What is read and matched (docs/coexistence.md says the same to the user):

- NetworkManager: ``*.nmconnection`` in ``/etc/NetworkManager/system-connections`` and
  ``/run/NetworkManager/system-connections`` with an ``[sriov]`` section, matched to a PF by
  ``[connection] interface-name`` (the PF's netdev) or ``[ethernet] mac-address`` (the PF's MAC).
  A connection with neither is not tied to a PF and is only noted.
- systemd: ``.link`` files (applied by systemd-udevd) with ``[SR-IOV]`` sections or
  ``SR-IOVVirtualFunctions=`` in ``[Link]``, and ``.network`` files (systemd-networkd) with
  ``[SR-IOV]`` sections, in the systemd network directories in precedence order: a file name in
  an earlier directory masks the same name in later ones, a symlink to ``/dev/null`` masks it,
  and ``NAME.d/*.conf`` drop-ins are read after the file. As systemd does, only the first file
  (by file name) whose ``[Match]`` matches a PF applies to it, and a file without ``[Match]``
  settings is ignored. ``[Match]`` keys compared: ``OriginalName=`` and ``Name=`` (glob patterns
  against the PF's current netdev name: the kernel's name before renaming is not kept),
  ``MACAddress=`` and ``PermanentMACAddress=`` (the PF's current MAC), ``Path=`` (globs against
  ``pci-ADDRESS``, udev's ``ID_PATH`` of a PCI NIC) and ``Driver=``; a leading ``!`` inverts a
  list. Other keys (``Type=``, ``Property=``, ``Host=`` ...) are not evaluated: a file with them
  is taken as matching when the compared keys match.

Odd input costs no exception: CRLF line ends, comments, unreadable files (noted in
``notes``), symlink loops. Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import os

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import resolve_under_root, under_root
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils import _sysfs
from ansible_collections.directiron.sriov.plugins.module_utils._rules import is_safe_name

NM_DIRS = ("/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections")
# systemd's network directories, highest precedence first (systemd.link(5), systemd.network(5)).
NETWORK_DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network",
                "/usr/lib/systemd/network", "/lib/systemd/network")
MATCH_KEYS = ("OriginalName", "Name", "MACAddress", "PermanentMACAddress", "Path", "Driver")
MAX_BYTES = 1024 * 1024
OWNERS = {"link": "systemd-udevd (.link)", "network": "systemd-networkd (.network)", "nm": "NetworkManager"}


def parse_ini(text):
    """[(section, key, value, number)] of a systemd unit-style or keyfile text, in order; ``number``
    counts the section headers, so two ``[SR-IOV]`` sections stay two.

    ``#`` and ``;`` comment lines, CRLF ends, blanks around ``=`` and systemd's trailing-backslash
    continuation lines are handled; a line outside a section or without ``=`` is skipped.
    """
    items, section, pending, number = [], None, "", 0
    for raw in text.splitlines():
        line = raw.strip()
        if pending:
            line = pending + " " + line
            pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\") and section is not None and "=" in line:
            pending = line[:-1].rstrip()
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            number += 1
            continue
        if section is None or "=" not in line:
            continue
        key, value = line.split("=", 1)
        items.append((section, key.strip(), value.strip(), number))
    if pending and section is not None:
        key, value = pending.split("=", 1)
        items.append((section, key.strip(), value.strip(), number))
    return items


def _read(root, path, notes):
    """Text of the file /path below root (symlinks followed below root), or None (noted when unreadable)."""
    try:
        real = under_root(root, resolve_under_root(root, path))
        with open(real, "rb") as handle:
            data = handle.read(MAX_BYTES)
    except SriovError as err:
        notes.append("%s not read: %s" % (path, err.msg))
        return None
    except (IOError, OSError) as exc:
        notes.append("%s not read: %s" % (path, exc.strerror or exc))
        return None
    return data.decode("utf-8", "replace")


def _masked(root, path):
    """Whether /path below root is a symlink to /dev/null (systemd's mask)."""
    try:
        return os.path.islink(under_root(root, path)) and resolve_under_root(root, path) == "/dev/null"
    except SriovError:
        return False


def _names(root, directory):
    """Sorted entries of /directory below root; [] when it is missing, unreadable or a loop."""
    try:
        return sorted(_sysfs.list_dir(under_root(root, directory)) or [])
    except OSError:
        return []


def _listing(root, directories, suffix):
    """{name: /dir/name} of the files ending in suffix, the first directory holding a name winning."""
    chosen = {}
    for directory in directories:
        for name in _names(root, directory):
            if name.endswith(suffix) and not name.startswith(".") and name not in chosen:
                chosen[name] = directory + "/" + name
    return chosen


def _systemd_files(root, suffix, notes):
    """[(name, [(path, items)])] of the unmasked systemd files with suffix, by name, drop-ins after the file."""
    files = []
    for name, path in sorted(_listing(root, NETWORK_DIRS, suffix).items()):
        if _masked(root, path) or os.path.isdir(under_root(root, path)):
            continue
        text = _read(root, path, notes)
        if text is None:
            continue
        parts = [(path, parse_ini(text))]
        dropins = _listing(root, [d + "/" + name + ".d" for d in NETWORK_DIRS], ".conf")
        for _conf, conf_path in sorted(dropins.items()):
            if _masked(root, conf_path):
                continue
            conf_text = _read(root, conf_path, notes)
            if conf_text is not None:
                parts.append((conf_path, parse_ini(conf_text)))
        files.append((name, parts))
    return files


def _systemd_entry(kind, name, parts):
    """The match rules and SR-IOV settings of one systemd file and its drop-ins."""
    match, vf_sections, virtual_functions = {}, [], None
    for _path, items in parts:
        sections = {}
        for section, key, value, number in items:
            if section == "Match" and key in MATCH_KEYS:
                # a list setting: an empty assignment resets it, others add to it
                match[key] = [] if not value else match.get(key, []) + value.split()
            elif section == "SR-IOV":
                if number not in sections:
                    sections[number] = {}
                    vf_sections.append(sections[number])
                sections[number][key] = value
            elif kind == "link" and section == "Link" and key == "SR-IOVVirtualFunctions":
                virtual_functions = value or None
    return {"kind": kind, "owner": OWNERS[kind], "name": name, "file": parts[0][0],
            "dropins": [path for path, _items in parts[1:]], "match": match,
            "settings": {"virtual_functions": virtual_functions, "vfs": vf_sections}}


def _norm_mac(value):
    """A MAC as lower-case colon form; NetworkManager's old ``82;84;0;...`` byte list too. None when it is none."""
    value = (value or "").strip().rstrip(";")
    if ";" in value:
        try:
            return ":".join("%02x" % int(byte) for byte in value.split(";"))
        except ValueError:
            return None
    value = value.replace("-", ":").lower()
    return value if value.count(":") == 5 else None


def _nm_entries(root, notes):
    entries = []
    for directory in NM_DIRS:
        for name in _names(root, directory):
            if not name.endswith(".nmconnection") or name.startswith("."):
                continue
            path = directory + "/" + name
            text = _read(root, path, notes)
            if text is None:
                continue
            items = parse_ini(text)
            if not any(item[0] == "sriov" for item in items):
                continue
            sriov = dict((key, value) for section, key, value, _number in items if section == "sriov")
            values = dict(((section, key), value) for section, key, value, _number in items)
            interface = values.get(("connection", "interface-name")) or None
            mac = _norm_mac(values.get(("ethernet", "mac-address")) or values.get(("802-3-ethernet", "mac-address")))
            entry = {"kind": "nm", "owner": OWNERS["nm"], "name": values.get(("connection", "id")) or name,
                     "file": path, "dropins": [], "interface_name": interface, "mac_address": mac,
                     "settings": sriov}
            if not interface and not mac:
                notes.append("NetworkManager connection %s has an [sriov] section but no interface-name or "
                             "mac-address: it is not tied to a PF here" % path)
            entries.append(entry)
    return entries


def host_owners(root="/"):
    """Everything that may own a PF's SR-IOV settings on the host below root.

    ``{"links": [...], "networks": [...], "nm": [...], "notes": [...]}``: every unmasked ``.link``
    and ``.network`` file in name order (the matching needs the files without SR-IOV settings
    too: the first match wins), and the NetworkManager connections with an ``[sriov]`` section.
    """
    notes = []
    found = {"notes": notes}
    for kind, key in (("link", "links"), ("network", "networks")):
        found[key] = [_systemd_entry(kind, name, parts) for name, parts in _systemd_files(root, "." + kind, notes)]
    found["nm"] = _nm_entries(root, notes)
    return found


def pf_identity(sysfs_root, address, netdev, driver=None):
    """What the match keys compare: netdev, MAC, ``pci-ADDRESS`` path and driver of a PF."""
    mac = None
    if netdev and is_safe_name(netdev):
        mac = _norm_mac(_sysfs.netdev_attr(sysfs_root, netdev, "address"))
    if driver is None:
        driver = _sysfs.driver_of(sysfs_root, address)
    return {"address": address, "netdev": netdev, "mac": mac, "path": "pci-%s" % address, "driver": driver}


def _list_matches(patterns, value, glob=True):
    invert = bool(patterns) and patterns[0].startswith("!")
    words = [p.lstrip("!") for p in patterns]
    words = [w for w in words if w]
    if not words:
        return True
    if value is None:
        hit = False
    elif glob:
        hit = any(fnmatch.fnmatchcase(value, w) for w in words)
    else:
        hit = any(_norm_mac(w) == value for w in words)
    return hit != invert


def systemd_matches(match, pf):
    """Whether a systemd [Match] (``{key: [words]}``) matches the PF; None when it has no compared key set."""
    compared = [(key, words) for key, words in sorted(match.items()) if words]
    if not compared:
        return None
    values = {"OriginalName": pf.get("netdev"), "Name": pf.get("netdev"), "MACAddress": pf.get("mac"),
              "PermanentMACAddress": pf.get("mac"), "Path": pf.get("path"), "Driver": pf.get("driver")}
    return all(_list_matches(words, values[key], glob=key not in ("MACAddress", "PermanentMACAddress"))
               for key, words in compared)


def _has_sriov(entry):
    settings = entry["settings"]
    return bool(settings.get("virtual_functions") or settings.get("vfs"))


def _public(entry, matched_by):
    return {"owner": entry["owner"], "kind": entry["kind"], "file": entry["file"], "dropins": entry["dropins"],
            "matched_by": matched_by, "settings": entry["settings"]}


def _match_text(match):
    return " ".join("%s=%s" % (key, " ".join(words)) for key, words in sorted(match.items()) if words)


def pf_owners(found, pf):
    """The owners (public form) of one PF's SR-IOV settings among ``host_owners``' result, [] when none."""
    owners = []
    for key in ("links", "networks"):
        for entry in found.get(key) or []:
            matched = systemd_matches(entry["match"], pf)
            if matched:
                # systemd applies the first matching file only: a later one with SR-IOV settings does nothing
                if _has_sriov(entry):
                    owners.append(_public(entry, _match_text(entry["match"])))
                break
    for entry in found.get("nm") or []:
        if entry["interface_name"] and entry["interface_name"] == pf.get("netdev"):
            owners.append(_public(entry, "interface-name=%s" % entry["interface_name"]))
        elif entry["mac_address"] and entry["mac_address"] == pf.get("mac"):
            owners.append(_public(entry, "mac-address=%s" % entry["mac_address"]))
    return owners


def describe(owner):
    """One owner in a line: who, which file, what it sets."""
    settings = owner["settings"]
    if owner["kind"] == "nm":
        what = ", ".join("%s=%s" % item for item in sorted(settings.items())) or "an empty [sriov] section"
        what = "[sriov] " + what
    else:
        parts = []
        if settings.get("virtual_functions"):
            parts.append("SR-IOVVirtualFunctions=%s" % settings["virtual_functions"])
        if settings.get("vfs"):
            parts.append("%d [SR-IOV] section(s)" % len(settings["vfs"]))
        what = ", ".join(parts)
    dropins = " (with %s)" % ", ".join(owner["dropins"]) if owner["dropins"] else ""
    return "%s through %s%s, matched by %s: %s" % (owner["owner"], owner["file"], dropins, owner["matched_by"], what)


ADVICE = {
    "nm": "remove the [sriov] settings from that connection (nmcli connection modify ID remove sriov) or stop "
          "NetworkManager managing the PF",
    "link": "remove the [SR-IOV] sections and SR-IOVVirtualFunctions= from that file (or mask it with a symlink "
            "to /dev/null in /etc/systemd/network)",
    "network": "remove the [SR-IOV] sections from that file (or mask it with a symlink to /dev/null in "
               "/etc/systemd/network)",
}


def refusal(label, owners, option="take_over"):
    """The message of a refused PF: who owns it, what to do."""
    advice = "; ".join(sorted(set(ADVICE[owner["kind"]] for owner in owners)))
    return ("%s: its SR-IOV settings are owned by %s; two owners undo each other's VFs at boot. Give the PF one "
            "owner: %s, then run again; or set %s: true to manage it here anyway"
            % (label, "; and by ".join(describe(owner) for owner in owners), advice, option))


def taken_over(label, owners):
    """The warning of a PF managed although another owner holds its settings."""
    return ("%s: taking over SR-IOV settings owned by %s; that owner applies them again when it next runs "
            "(boot, link setup, connection activation) until they are removed there"
            % (label, "; and by ".join(describe(owner) for owner in owners)))


def guard_pf(found, sysfs_root, address, netdev, label, field, take_over, warnings):
    """Refuse the PF (SriovError on ``field``) when another owner holds its SR-IOV settings, unless
    ``take_over``: then a warning goes to ``warnings``. Returns the owners ([] when none)."""
    owners = pf_owners(found, pf_identity(sysfs_root, address, netdev))
    if owners and not take_over:
        raise SriovError(refusal(label, owners), field=field, details={"owners": owners})
    if owners:
        warnings.append(taken_over(label, owners))
    return owners
