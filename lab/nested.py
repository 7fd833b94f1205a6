# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nested lab guests: what their init (lab/nested/init) reports over the serial console.

Each report round is one `LABNIC key=value ...` line per NIC, then
`LABROUND round=N uptime=S nics=K`. A round counts only once its LABROUND line is there, so
a log read while the guest is writing never yields half a round. "-" stands for none.
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

    Returns {"round": int, "uptime": float, "init_uptime": float or None,
             "nics": {ifname: {"driver", "version", "mac", "pci", "master", "lowers", "macset"}}}
    """
    pending = {}
    last = None
    init_uptime = None
    for line in text.replace("\r", "").splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "LABGUEST" and words[1:2] == ["init"]:
            init_uptime = float(_fields(words[2:]).get("uptime") or 0)
        elif words[0] == "LABNIC":
            fields = _fields(words[1:])
            pending.setdefault(fields.pop("round", None), {})[fields.pop("if", None)] = fields
        elif words[0] == "LABROUND":
            fields = _fields(words[1:])
            nics = pending.pop(fields.get("round"), {})
            if len(nics) == int(fields.get("nics") or 0):
                last = {"round": int(fields["round"]), "uptime": float(fields["uptime"]),
                        "nics": nics}
    if last is not None:
        last["init_uptime"] = init_uptime
    return last


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
