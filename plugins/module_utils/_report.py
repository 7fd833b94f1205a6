# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report: per host and PF, what the inventory wants and what the host has, from results
and facts the playbook already holds (no host is contacted). Rendered as a terminal table, Markdown
and JSON by the sriov_report action plugin."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._drift import _check_pin, _pin_for, _pin_text

COLUMNS = (
    ("host", "host"), ("pf", "PF"), ("vfs", "VFs wanted/present"), ("drivers", "VF drivers"),
    ("macs_set", "MACs set"), ("vlans_set", "VLANs set"), ("free", "free"), ("held", "held (domain)"),
    ("pools", "pools"), ("iommu", "IOMMU"), ("reboot", "pending reboot"), ("drift", "drift"),
)


def _get(mapping, *keys):
    for key in keys:
        if mapping is None or not hasattr(mapping, "get"):
            return None
        mapping = mapping.get(key)
    return mapping


def _pools_of(pools, pf, netdev):
    return sorted(p.get("name") for p in pools or [] if isinstance(p, dict)
                  and set(p.get("pfs") or []) & set(n for n in (pf, netdev) if n))


def _iommu_text(iommu_facts, iommu_result):
    if isinstance(iommu_facts, dict) and "enabled" in iommu_facts:
        return "%s%s" % ("on" if iommu_facts.get("enabled") else "off",
                         " (%s)" % iommu_facts["vendor"] if iommu_facts.get("vendor") else "")
    if isinstance(iommu_result, dict) and iommu_result.get("vendor"):
        return "arguments for %s" % iommu_result["vendor"]
    return "not read"


def pending_reboots(hv):
    """[reason] of the reboots this host still needs (set by the iommu and driver_options roles)."""
    reasons = []
    if hv.get("iommu_reboot_required") and not hv.get("iommu_rebooted"):
        iommu = hv.get("iommu_result") or {}
        reasons.append("IOMMU arguments %s (running: %s)" % (" ".join(iommu.get("args") or []) or "changed",
                                                             iommu.get("running_args") or "-"))
    if hv.get("driver_options_reboot_required"):
        reasons.append("new driver module options")
    return reasons


def _pf_row(name, entry, wanted, fact_pf, holders, pools, pins, iommu, reboots):
    state = entry.get("state") or {}
    pf, netdev = entry.get("pf"), entry.get("netdev")
    # the facts read after the run (the host as it is), else the module's state
    vfs = (fact_pf or {}).get("vfs") or state.get("vfs") or []
    present = (fact_pf or {}).get("numvfs", state.get("num_vfs"))
    drivers = {}
    for vf in vfs:
        driver = vf.get("driver") or "none"
        drivers[driver] = drivers.get(driver, 0) + 1
    inventory_vfs = [vf for vf in (wanted or {}).get("vfs") or [] if isinstance(vf, dict)]
    addresses = [vf.get("address") for vf in vfs if vf.get("address")]
    held = None if holders is None else sorted(
        "%s (%s)" % (address, holders[address].get("domain")) for address in addresses if address in holders)
    reasons, unknown = [], []
    pin = None
    if fact_pf:
        pin = _pin_for(pins, fact_pf.get("driver"), fact_pf.get("driver_module"))
        _check_pin(pin, fact_pf.get("driver_version"), "host", fact_pf.get("driver"), reasons, unknown)
    return {
        "host": name, "pf": pf, "netdev": netdev,
        "vfs_wanted": (wanted or {}).get("num_vfs"), "vfs_present": present,
        "drivers": drivers,
        # only what the inventory set: a random MAC of the kernel is not counted
        "macs_set": len([vf for vf in inventory_vfs if vf.get("mac")]),
        "vlans_set": len([vf for vf in inventory_vfs if vf.get("vlan")]),
        "free": None if held is None else len(addresses) - len(held),
        "held": held,
        "pools": _pools_of(pools, pf, netdev),
        "iommu": iommu, "pending_reboots": reboots,
        "pin": _pin_text(pin),
        "drift": reasons + unknown if fact_pf else None,
    }


def host_rows(name, hv):
    """The report rows of one host from its hostvars (a host with no PF still has one row)."""
    result = hv.get("sriov_vfs_result") or {}
    facts = dict(hv.get("ansible_facts") or {})
    facts.update(result.get("ansible_facts") or {})
    iommu = _iommu_text(facts.get("iommu"), hv.get("iommu_result"))
    reboots = pending_reboots(hv)
    fact_pfs = dict((pf.get("address"), pf) for pf in _get(facts, "sriov", "pfs") or [] if isinstance(pf, dict))
    holders = _get(facts, "sriov_domains", "vfs")
    pins = _get(hv, "sriov_driver_pins", "host") or []
    inventory = hv.get("sriov_pfs") or []
    rows = []
    for index, entry in enumerate(result.get("pfs") or []):
        wanted = inventory[index] if index < len(inventory) and isinstance(inventory[index], dict) else {}
        rows.append(_pf_row(name, entry, wanted, fact_pfs.get(entry.get("pf")), holders, hv.get("sriov_pools"),
                            pins, iommu, reboots))
    if not result.get("pfs"):
        # no sriov_host run in this play (audit, decommission): every PF the facts found, matched to the
        # inventory by the name or address it uses
        for address, fact_pf in sorted(fact_pfs.items()):
            names = (address, fact_pf.get("netdev"))
            wanted = [pf for pf in inventory if isinstance(pf, dict) and pf.get("pf") in names][:1]
            rows.append(_pf_row(name, {"pf": address, "netdev": fact_pf.get("netdev")}, (wanted or [{}])[0],
                                fact_pf, holders, hv.get("sriov_pools"), pins, iommu, reboots))
    if not rows:
        rows.append({"host": name, "pf": None, "netdev": None, "vfs_wanted": None, "vfs_present": None,
                     "drivers": {}, "macs_set": 0, "vlans_set": 0, "free": None, "held": None,
                     "pools": [], "iommu": iommu, "pending_reboots": reboots, "pin": None, "drift": None})
    return rows


def warnings(rows):
    """One line per thing an operator must act on: pending reboots, VF counts short, drift."""
    found = []
    for host in sorted(set(row["host"] for row in rows)):
        reasons = [row for row in rows if row["host"] == host][0]["pending_reboots"]
        if reasons:
            found.append("%s must reboot: %s" % (host, "; ".join(reasons)))
    for row in rows:
        if row["pf"] and row["vfs_wanted"] is not None and row["vfs_present"] is not None \
                and row["vfs_wanted"] != row["vfs_present"]:
            found.append("%s %s: %s VFs wanted, %s present" % (row["host"], row["netdev"] or row["pf"],
                                                               row["vfs_wanted"], row["vfs_present"]))
        for reason in row["drift"] or []:
            found.append("%s %s: %s" % (row["host"], row["netdev"] or row["pf"], reason))
    return found


def fleet_report(playbook, hosts):
    """{playbook, rows, warnings, summary} for ``hosts`` [(name, hostvars)]."""
    rows = [row for name, hv in hosts for row in host_rows(name, hv or {})]
    summary = {"hosts": len(hosts), "pfs": len([r for r in rows if r["pf"]]),
               "vfs": sum(r["vfs_present"] or 0 for r in rows if r["pf"]),
               "reboots_pending": len(set(r["host"] for r in rows if r["pending_reboots"])),
               "drift": len([r for r in rows if r["drift"]])}
    return {"playbook": playbook, "rows": rows, "warnings": warnings(rows), "summary": summary}


def _cells(row):
    def plain(value, empty="-"):
        return empty if value in (None, [], {}, "") else value
    return {
        "host": row["host"], "pf": row["netdev"] or row["pf"] or "(no PF)",
        "vfs": "%s/%s" % (plain(row["vfs_wanted"]), plain(row["vfs_present"])),
        "drivers": ", ".join("%s x%d" % (d, n) for d, n in sorted(row["drivers"].items())) or "-",
        "macs_set": str(row["macs_set"]), "vlans_set": str(row["vlans_set"]),
        "free": "not read" if row["free"] is None else str(row["free"]),
        "held": "not read" if row["held"] is None else (", ".join(row["held"]) or "none"),
        "pools": ", ".join(row["pools"]) or "-", "iommu": row["iommu"],
        "reboot": "; ".join(row["pending_reboots"]) or "no",
        "drift": _drift_cell(row),
    }


def _drift_cell(row):
    if row["drift"] is None:
        return "not read"
    if row["drift"]:
        return "; ".join(row["drift"])
    return "ok (%s)" % row["pin"] if row["pin"] else "no pin"


def _summary_line(report):
    s = report["summary"]
    return ("%s: %d host(s), %d PF(s), %d VF(s), %d pending reboot(s), %d PF(s) drifting"
            % (report["playbook"], s["hosts"], s["pfs"], s["vfs"], s["reboots_pending"], s["drift"]))


def render_text(report):
    cells = [_cells(row) for row in report["rows"]]
    widths = dict((key, max([len(title)] + [len(c[key]) for c in cells])) for key, title in COLUMNS)
    lines = ["  ".join(title.ljust(widths[key]) for key, title in COLUMNS).rstrip()]
    lines.append("  ".join("-" * widths[key] for key, _title in COLUMNS))
    for c in cells:
        lines.append("  ".join(c[key].ljust(widths[key]) for key, _title in COLUMNS).rstrip())
    lines.append(_summary_line(report))
    return "\n".join(lines) + "\n"


def render_markdown(report):
    lines = ["# SR-IOV fleet report (%s)" % report["playbook"], "", _summary_line(report), "",
             "| " + " | ".join(title for _key, title in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for c in (_cells(row) for row in report["rows"]):
        lines.append("| " + " | ".join(c[key].replace("|", "\\|") for key, _title in COLUMNS) + " |")
    if report["warnings"]:
        lines += ["", "## Warnings", ""] + ["- " + w for w in report["warnings"]]
    return "\n".join(lines) + "\n"
