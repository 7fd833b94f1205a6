# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nested lab guests: what their init (lab/nested/init) reports over the serial console.

Each report round is one `LABNIC key=value ...` line per NIC, then
`LABROUND round=N uptime=S nics=K boot=BOOT_ID`. A round counts only once its LABROUND line is
there, so a log read while the guest is writing never yields half a round. "-" stands for none.
With a failover master and `labip=`/`labping=` on its command line, the guest also prints
`LABPING run=R sent=S received=N lost=L maxgap=G` before each round, and `LABPRIMARY uptime=S
vf=yes|no` whenever its failover master gains or loses its VF.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

NESTED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nested")
LIST_FIELDS = ("lowers",)


def _fields(words):
    fields = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            continue
        if value == "-":
            value = [] if key in LIST_FIELDS else None
        elif key in LIST_FIELDS:
            value = value.split("+")
        fields[key] = value
    return fields


def parse_report(text):
    """The last complete round of a nested guest's serial log, or None before the first.

    Returns {"round": int, "uptime": float, "init_uptime": float or None, "boot": str or None,
             "nics": {ifname: {"driver", "version", "mac", "pci", "master", "lowers", "macset"}},
             "ping": {"run", "sent", "received", "lost", "maxgap"} (ints) or None,
             "primary": [{"uptime": float, "vf": bool}, ...] every change seen in the log}
    """
    pending = {}
    last = None
    init_uptime = None
    ping = None
    primary = []
    for line in text.replace("\r", "").splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "LABGUEST" and words[1:2] == ["init"]:
            init_uptime = float(_fields(words[2:]).get("uptime") or 0)
        elif words[0] == "LABPING":
            ping = {key: int(value) for key, value in _fields(words[1:]).items()}
        elif words[0] == "LABPRIMARY":
            fields = _fields(words[1:])
            primary.append({"uptime": float(fields["uptime"]), "vf": fields.get("vf") == "yes"})
        elif words[0] == "LABNIC":
            fields = _fields(words[1:])
            pending.setdefault(fields.pop("round", None), {})[fields.pop("if", None)] = fields
        elif words[0] == "LABROUND":
            fields = _fields(words[1:])
            nics = pending.pop(fields.get("round"), {})
            if len(nics) == int(fields.get("nics") or 0):
                last = {"round": int(fields["round"]), "uptime": float(fields["uptime"]),
                        "boot": fields.get("boot"), "nics": nics, "ping": ping}
    if last is not None:
        last["init_uptime"] = init_uptime
        last["primary"] = primary
    return last


def standby_spans(primary):
    """[(from uptime, to uptime or None)] of each time the failover master had no VF, after it
    first had one (LABPRIMARY lines)."""
    spans = []
    had_vf = False
    for change in primary:
        if change["vf"]:
            if spans and spans[-1][1] is None:
                spans[-1] = (spans[-1][0], change["uptime"])
            had_vf = True
        elif had_vf and not (spans and spans[-1][1] is None):
            spans.append((change["uptime"], None))
    return spans


def migration_figures(before, after):
    """What one live migration cost the nested guest, from the source's serial log read after
    it (``before``: all the guest wrote there, up to and with the VF's unplug) and the
    destination's once the guest has its VF back there (``after``).

    -> {"same_boot", "boot", "ping_sent", "ping_received", "ping_lost", "ping_maxgap",
        "standby_s", "uptime_before", "uptime_after"}; the ping figures count only what the
    guest sent between the two reads (None when its ping was restarted in between)."""
    first, last = parse_report(before), parse_report(after)
    if first is None or last is None:
        raise ValueError("no complete report round %s the migration" % ("before" if first is None else "after"))
    ping = {"ping_sent": None, "ping_received": None, "ping_lost": None, "ping_maxgap": None}
    was, now = first.get("ping"), last.get("ping")
    if was and now and was["run"] == now["run"]:
        ping = {"ping_sent": now["sent"] - was["sent"], "ping_received": now["received"] - was["received"],
                "ping_lost": now["lost"] - was["lost"], "ping_maxgap": now["maxgap"]}
    back = set(change["uptime"] for change in last["primary"] if change["vf"])
    spans = [span for span in standby_spans(first["primary"] + last["primary"]) if span[1] in back]
    standby = round(spans[-1][1] - spans[-1][0], 1) if spans else None
    figures = {"same_boot": first["boot"] is not None and first["boot"] == last["boot"], "boot": last["boot"],
               "standby_s": standby, "uptime_before": first["uptime"], "uptime_after": last["uptime"]}
    figures.update(ping)
    return figures


def guest_nics(report):
    """A nested guest's report as guest_nic_facts' `guest_nics` (name, mac, driver, master,
    master_kind), as directiron.sriov.sriov_migrate reads it to confirm the failover master."""
    nics = (report or {}).get("nics", {})
    rows = []
    for ifname, nic in sorted(nics.items()):
        master = nic.get("master")
        kind = None
        if master:
            kind = "failover" if nics.get(master, {}).get("driver") == "virtio_net" else "other"
        rows.append({"name": ifname, "mac": nic.get("mac"), "driver": nic.get("driver"),
                     "master": master, "master_kind": kind})
    return {"nics": rows}


def nics_by_driver(report, driver):
    """{ifname: nic} of the NICs a driver binds in a parsed report."""
    return {name: nic for name, nic in (report or {}).get("nics", {}).items()
            if nic.get("driver") == driver}


def audit_guest(report, name, pins=()):
    """A nested guest's report as one `sriov_audit_extra_guests` entry of playbooks/audit.yml
    (the keys the drift join reads from guest_nic_facts: name, mac, driver, driver_version,
    virtio, lowers)."""
    nics = []
    for ifname, nic in sorted((report or {}).get("nics", {}).items()):
        nics.append({"name": ifname, "mac": nic.get("mac"), "driver": nic.get("driver"),
                     "driver_version": nic.get("version"),
                     "virtio": nic.get("driver") == "virtio_net", "lowers": nic.get("lowers", [])})
    return {"name": name, "guest_nics": {"nics": nics}, "pins": list(pins)}
