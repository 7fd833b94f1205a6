# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read ``dnf versionlock list`` as dnf4 and dnf5 print it, and plan the locks a set of pins needs.

dnf4 (the ``python3-dnf-plugin-versionlock`` plugin) prints each line of its lock list, a lock as
``NAME-EPOCH:VERSION-RELEASE.*`` and an exclude as ``!NAME-EPOCH:VERSION-RELEASE.*``. dnf5 (the
command is built in, the list lives in ``/etc/dnf/versionlock.toml``) prints one block per package::

    # Added by 'versionlock add' command on 2025-03-11 09:14:02
    Package name: i40e-dkms
    evr = 2.25.7-1

where a lock is the condition ``evr = EVR`` and an exclude ``evr != EVR``. Only locks count; the
epoch ``0:`` is the same as no epoch.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError

# NAME-[EPOCH:]VERSION-RELEASE, the ".*" arch wildcard dnf4's "add" writes being optional.
DNF4_LOCK_RE = re.compile(r"^(?P<name>.+)-(?P<evr>(?:[0-9]+:)?[^-:\s]+-[^-:\s]+?)(?:\.\*)?\Z")
DNF5_PACKAGE_RE = re.compile(r"^Package name: (?P<name>\S+)")
DNF5_CONDITION_RE = re.compile(r"^(?P<key>[a-z]+) (?P<cmp>=|!=|<|<=|>|>=) (?P<value>\S+)")


def _evr(value):
    """An EVR without the default epoch: ``0:1.2-3`` is ``1.2-3``."""
    value = str(value).strip()
    return value[2:] if value.startswith("0:") else value


def parse_versionlock_list(output):
    """``(format, locks)``: ``dnf4``, ``dnf5`` or ``empty``, and each locked name's EVRs in list order."""
    lines = [line.rstrip() for line in str(output or "").splitlines()]
    locks = {}
    if any(DNF5_PACKAGE_RE.match(line) for line in lines):
        name = None
        for line in lines:
            package = DNF5_PACKAGE_RE.match(line)
            if package:
                name = package.group("name")
                continue
            condition = DNF5_CONDITION_RE.match(line)
            if name and condition and condition.group("key") == "evr" and condition.group("cmp") == "=":
                locks.setdefault(name, []).append(_evr(condition.group("value")))
            elif not line.strip():
                name = None
        return "dnf5", locks
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    for entry in entries:
        match = DNF4_LOCK_RE.match(entry)
        if match and not entry.startswith("!"):
            locks.setdefault(match.group("name"), []).append(_evr(match.group("evr")))
    return ("dnf4" if entries else "empty"), locks


def dnf_versionlock_plan(output, pins):
    """What ``dnf versionlock`` must do for ``pins`` given its ``list`` output (dnf4 or dnf5).

    ``add``: the pins without a lock at their version; ``delete``: the package names of those pins
    that are locked at another version (their locks go first); ``locks`` and ``format`` as read.
    """
    if not isinstance(pins, list) or not all(isinstance(pin, dict) and "package" in pin and "version" in pin for pin in pins):
        raise AnsibleFilterError("dnf_versionlock_plan: pins must be a list of dicts with package and version")
    fmt, locks = parse_versionlock_list(output)
    add, delete = [], []
    for pin in pins:
        name, wanted = str(pin["package"]), _evr(pin["version"])
        held = locks.get(name, [])
        if ":" in wanted:
            matched = wanted in held
        else:
            matched = wanted in [evr.split(":", 1)[-1] for evr in held]
        if matched:
            continue
        if held and name not in delete:
            delete.append(name)
        add.append(pin)
    return {"format": fmt, "locks": locks, "add": add, "delete": delete}


class FilterModule(object):
    def filters(self):
        return {"dnf_versionlock_plan": dnf_versionlock_plan}
