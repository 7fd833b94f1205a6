# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet driver drift table: hypervisors' PFs joined with the guests that use their VFs.

Pure functions over plain data (what sriov_facts, sriov_domain_facts and guest_nic_facts return,
and the ``sriov_driver_pins`` inventory), so the join and the verdict are tested without hosts.

What this file owns:
- ``VF_DRIVERS``: which guest VF driver(s) belong with which PF driver;
- ``drift_rows``: the join (domain interface VF address -> PF; interface MAC -> guest NIC) and the
  verdict per VF (``ok``, ``drift`` with reasons, ``unknown`` with what is missing);
- ``render_text`` / ``render_markdown``: the same rows for a terminal and for a report file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# PF driver -> the driver(s) its VFs run under in a guest (vendors' SR-IOV guides, kernel Documentation/networking)
VF_DRIVERS = {
    "igb": ("igbvf",),
    "ixgbe": ("ixgbevf",),
    "i40e": ("iavf", "i40evf"),
    "ice": ("iavf",),
    "mlx4_core": ("mlx4_core",),
    "mlx4_en": ("mlx4_core", "mlx4_en"),
    "mlx5_core": ("mlx5_core",),
    "bnxt_en": ("bnxt_en",),
    "qede": ("qede",),
    "be2net": ("be2net",),
    "cxgb4": ("cxgb4vf",),
    "enic": ("enic",),
    "sfc": ("sfc",),
    "nfp": ("nfp",),
    "hns3": ("hns3",),
    "rvu_nicpf": ("rvu_nicvf",),
    "octeon_ep": ("octeon_ep_vf",),
    "liquidio": ("liquidio_vf",),
    "fm10k": ("fm10k",),
}
NO_MAC = "00:00:00:00:00:00"
KNOWN_VF_DRIVERS = frozenset(d for drivers in VF_DRIVERS.values() for d in drivers)

COLUMNS = (
    ("host", "host"), ("pf", "PF"), ("pf_driver", "PF driver"), ("pf_driver_version", "PF version"),
    ("pf_firmware", "PF firmware"), ("vf", "VF"), ("mac", "MAC"), ("domain", "domain"), ("guest", "guest"),
    ("vf_driver", "VF driver"), ("vf_driver_version", "VF version"), ("host_pin", "host pin"),
    ("guest_pin", "guest pin"), ("verdict", "verdict"), ("reasons", "reasons"),
)


def _pin_for(pins, driver, module):
    """The pin (dict) that names ``module`` or ``driver`` as its module, or None."""
    names = set(n for n in (driver, module, (driver or "").replace("-", "_")) if n)
    for pin in pins or []:
        if isinstance(pin, dict) and pin.get("module") in names:
            return pin
    return None


def _pin_text(pin):
    """``package=version``; a pin that names no package (a guest's own pin, only a module) reads
    ``module igbvf=version`` rather than ``None=version``."""
    if pin is None:
        return None
    version = pin.get("module_version") or pin.get("version")
    if pin.get("package"):
        return "%s=%s" % (pin["package"], version)
    return "module %s=%s" % (pin.get("module"), version)


def _check_pin(pin, version, side, driver, reasons, unknown):
    if pin is None:
        return
    want = str(pin.get("module_version") or pin.get("version"))
    if version is None:
        unknown.append("%s pin %s: the %s driver %s reports no version" % (side, _pin_text(pin), side, driver))
    elif str(version) != want:
        reasons.append("%s pin %s, but %s runs %s %s" % (side, _pin_text(pin), "the PF" if side == "host"
                                                         else "the guest", driver, version))


def guest_vf_nic(nics, mac):
    """The guest NIC that is the VF with ``mac``: not virtio, not a failover/bond master (they share the MAC)."""
    mac = (mac or "").lower()
    for nic in nics or []:
        if (nic.get("mac") or "").lower() == mac and not nic.get("virtio") and not nic.get("lowers"):
            return nic
    return None


def _pf_index(sriov):
    """{VF address: (pf, vf entry)} from sriov_facts."""
    index = {}
    for pf in (sriov or {}).get("pfs") or []:
        for vf in pf.get("vfs") or []:
            if vf:  # null: a VF that vanished during the scan
                index[vf.get("address")] = (pf, vf)
    return index


def drift_rows(hosts, guests):
    """The fleet table.

    hosts: [{"name", "sriov" (sriov_facts), "domains" (sriov_domain_facts), "pins": {"host": [...], "guest": [...]}}]
    guests: [{"name", "nics" (guest_nic_facts), "pins": [...] (the guest's own guest pins, or None)}]
    One row per VF a domain holds (an interface, by its MAC; a plain hostdev, by the MAC set on the VF), plus one
    per guest VF NIC that no hypervisor claims.
    """
    guest_by_mac = {}
    for guest in guests or []:
        for nic in (guest.get("nics") or {}).get("nics") or []:
            if nic.get("mac") and guest_vf_nic([nic], nic["mac"]) is not None:
                guest_by_mac.setdefault(nic["mac"].lower(), (guest, nic))
    claimed = set()
    rows = []
    for host in hosts or []:
        pins = host.get("pins") or {}
        if not host.get("sriov") or not host.get("domains"):
            row = _row(host["name"], None, None, None, None, None, None, [], [])
            row["reasons"] = ["no %s facts from this hypervisor (unreachable, failed, or libvirt missing)"
                              % " and ".join(k for k in ("sriov", "domains") if not host.get(k))]
            rows.append(row)
            continue
        pf_of = _pf_index(host.get("sriov"))
        holders = (host.get("domains") or {}).get("vfs") or {}
        for vf_address in sorted(holders):
            holder = holders[vf_address]
            if vf_address not in pf_of:
                continue  # not a VF of this host's PFs (a GPU, a whole NIC)
            pf, vf = pf_of[vf_address]
            # a plain <hostdev> has no MAC in the domain XML: the guest sees the one set on the VF through the PF
            mac = (holder.get("mac") or vf.get("mac") or "").lower()
            mac = None if mac in ("", NO_MAC) else mac
            guest, nic = guest_by_mac.get(mac, (None, None)) if mac else (None, None)
            if mac and guest is not None:
                claimed.add(mac)
            guest_pins = (guest or {}).get("pins")
            rows.append(_row(host["name"], pf, vf_address, mac, holder.get("domain"), guest, nic,
                             pins.get("host") or [], guest_pins if guest_pins is not None else pins.get("guest") or []))
    for mac in sorted(guest_by_mac):
        if mac not in claimed:
            guest, nic = guest_by_mac[mac]
            if nic.get("driver") in KNOWN_VF_DRIVERS:
                rows.append(_row(None, None, None, mac, None, guest, nic, [], guest.get("pins") or []))
    return rows


def _row(host, pf, vf_address, mac, domain, guest, nic, host_pins, guest_pins):
    pf = pf or {}
    nic = nic or {}
    pf_driver = pf.get("driver")
    vf_driver = nic.get("driver")
    host_pin = _pin_for(host_pins, pf_driver, pf.get("driver_module"))
    guest_pin = _pin_for(guest_pins, vf_driver, nic.get("driver_module"))
    reasons, unknown = [], []
    if host is None:
        unknown.append("no hypervisor in the audit holds MAC %s" % mac)
    elif mac is None:
        unknown.append("the VF has no MAC to find it in a guest by (set one with directiron.sriov.sriov_vf, or give "
                       "the interface a mac)")
    elif guest is None:
        unknown.append("no guest in the audit has a NIC with MAC %s (guest not in the inventory, not running, or "
                       "its facts not gathered)" % mac)
    if host is not None:
        if pf_driver is None:
            unknown.append("the PF has no driver bound")
        _check_pin(host_pin, pf.get("driver_version"), "host", pf_driver, reasons, unknown)
    if guest is not None:
        _check_pin(guest_pin, nic.get("driver_version"), "guest", vf_driver, reasons, unknown)
        if pf_driver and vf_driver:
            family = VF_DRIVERS.get(pf_driver)
            if family is None:
                unknown.append("no VF driver known for PF driver %s" % pf_driver)
            elif vf_driver not in family:
                reasons.append("PF driver %s pairs with %s in the guest, but the guest runs %s"
                               % (pf_driver, " or ".join(family), vf_driver))
        elif host is not None and not vf_driver:
            unknown.append("the guest NIC has no driver bound")
    verdict = "drift" if reasons else ("unknown" if unknown else "ok")
    return {
        "host": host,
        "pf": pf.get("netdev") or pf.get("address"),
        "pf_address": pf.get("address"),
        "pf_driver": pf_driver,
        "pf_driver_version": pf.get("driver_version"),
        "pf_firmware": pf.get("firmware_version"),
        "vf": vf_address,
        "mac": mac,
        "domain": domain,
        "guest": (guest or {}).get("name"),
        "guest_nic": nic.get("name"),
        "vf_driver": vf_driver,
        "vf_driver_version": nic.get("driver_version"),
        "host_pin": _pin_text(host_pin),
        "guest_pin": _pin_text(guest_pin),
        "verdict": verdict,
        "reasons": reasons + unknown,
    }


def summary(rows):
    counts = {"ok": 0, "drift": 0, "unknown": 0}
    for row in rows:
        counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    counts["rows"] = len(rows)
    return counts


def _counts_line(rows):
    counts = summary(rows)
    return "%d VF(s): %d ok, %d drift, %d unknown" % (counts["rows"], counts["ok"], counts["drift"], counts["unknown"])


def _cell(row, key):
    value = row.get(key)
    if key == "reasons":
        return "; ".join(value or [])
    return "-" if value is None else str(value)


def render_text(rows):
    """A fixed-width table for the terminal (reasons on their own indented lines, so rows stay readable)."""
    keys = [key for key, _title in COLUMNS if key != "reasons"]
    titles = dict(COLUMNS)
    cells = [[titles[k] for k in keys]] + [[_cell(row, k) for k in keys] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(keys))]
    lines = []
    for number, line in enumerate(cells):
        lines.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(line)).rstrip())
        if number and rows[number - 1]["reasons"]:
            lines.extend("    - " + reason for reason in rows[number - 1]["reasons"])
    lines.append(_counts_line(rows))
    return "\n".join(lines) + "\n"


def render_markdown(rows):
    """A Markdown report: the table, then the counts."""
    def escape(text):
        return text.replace("|", "\\|")

    lines = ["# SR-IOV driver drift", "",
             "| " + " | ".join(title for _key, title in COLUMNS) + " |",
             "|" + "|".join("---" for _column in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(escape(_cell(row, key)) for key, _title in COLUMNS) + " |")
    lines += ["", _counts_line(rows) + "."]
    return "\n".join(lines) + "\n"
