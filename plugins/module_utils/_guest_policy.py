# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What happens to the running guests of a hypervisor that must reboot: the guest policy.

Pure standard library: the ``libvirt`` binding is handed in by the caller. Three parts:

- ``read_guests(libvirt_mod, conn)``: the running domains of one host, the VFs and plain host
  devices each holds, the VFs it takes from each pool network, whether it can live-migrate (and
  why not: a plain ``<hostdev>``, a VF without a failover pair, a VF picked by address: the rules
  of ``_migrate.migration_preflight``), and the free VFs of the host's pool networks;
- ``decide(...)``: on the controller, for every host of the play at once, what each running domain
  of a host that will reboot undergoes under the host's policy: ``refuse`` (the default: the host
  stops before any change, naming its running domains and their VFs), ``shutdown`` (a graceful
  shutdown, started again once the host is back) or ``migrate`` (a live migration to a peer: the
  one named, else a host of the play outside the host's batch with free VFs in the same-named
  pools, the VFs reserved as they are handed out). A domain that cannot migrate is refused,
  named, with its reasons;
- ``shutdown_domains`` / ``start_domains``: the graceful shutdown with a timeout, and the start
  again that waits for the pool's VFs (replayed at boot) to be there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.directiron.sriov.plugins.module_utils._domain_read import (
    domain_devices, domain_hostdev_addresses, interface_record, read_domain)
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._migrate import failover_pairs, network_state

POLICIES = ("refuse", "shutdown", "migrate")
DEFAULT_POLICY = "refuse"


# ---------------------------------------------------------------------------------------------
# One host, read-only


def _domain_record(libvirt_mod, conn, state, networks):
    """{name, vfs, hostdevs, pools, networks, migratable, problems} of one running domain."""
    live = domain_devices(state)
    root = state["config_root"] if state["config_root"] is not None else state["live_root"]
    interfaces = [interface_record(elem) for elem in root.findall("devices/interface")]

    def net(name):
        if name not in networks:
            networks[name] = network_state(libvirt_mod, conn, name)
        return networks[name]

    pairs, problems = failover_pairs(interfaces)
    hostdevs = domain_hostdev_addresses(state["live_root"])
    for address in hostdevs:
        problems.append("it holds the PCI device %s as a plain <hostdev>, which libvirt cannot migrate" % address)
    transient = set(pair["mac"] for pair in pairs)
    pools = {}
    for iface in interfaces:
        on_pool = bool(iface["network"]) and net(iface["network"])["hostdev"]
        if iface["type"] != "hostdev" and not on_pool:
            continue
        if iface["mac"] not in transient or (iface["teaming"] or {}).get("type") != "transient":
            problems.append("its VF interface %s has no failover pair (a virtio standby with <teaming>); libvirt cannot "
                            "migrate it" % iface["mac"])
        elif not on_pool:
            problems.append("its VF interface %s names the VF %s by address; only a VF from a pool network can be "
                            "taken again on another host" % (iface["mac"], iface["vf"]))
        else:
            pools[iface["network"]] = pools.get(iface["network"], 0) + 1
    return {
        "name": state["name"],
        "persistent": state["persistent"],
        "vfs": sorted(i["vf"] for i in live["interfaces"] if i["vf"]),
        "hostdevs": sorted(hostdevs),
        "pools": pools,
        "networks": sorted(set(i["network"] for i in interfaces if i["network"])),
        "migratable": not problems,
        "problems": problems,
    }


def read_guests(libvirt_mod, conn, networks=()):
    """-> {running: [domain records, by name], free_vfs: {pool network: free VFs}}.

    ``networks``: more network names whose free VFs to count (the host's own pools), besides
    those of its running domains and those libvirt lists.
    """
    try:
        doms = conn.listAllDomains(0)
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: listing domains failed: %s" % exc)
    cache = {}
    running = []
    for dom in doms:
        state = read_domain(libvirt_mod, dom)
        if state["active"]:
            running.append(_domain_record(libvirt_mod, conn, state, cache))
    running.sort(key=lambda d: d["name"])
    names = set(networks) | set(cache)
    lister = getattr(conn, "listAllNetworks", None)
    if lister is not None:
        try:
            names.update(network.name() for network in lister(0))
        except libvirt_mod.libvirtError as exc:
            raise SriovError("libvirt: listing networks failed: %s" % exc)
    held = set()
    for domain in running:
        held.update(domain["vfs"])
        held.update(domain["hostdevs"])
    free = {}
    for name in sorted(names):
        state = cache.get(name) or network_state(libvirt_mod, conn, name)
        if state["pool"] is not None:
            free[name] = len([vf for vf in state["pool"] if vf not in held])
    return {"running": running, "free_vfs": free}


# ---------------------------------------------------------------------------------------------
# The fleet, on the controller


def _pct_to_int(value, count):
    text = str(value).strip()
    if text.endswith("%"):
        return int(float(text[:-1]) / 100.0 * count) or 1
    return int(text)


def serial_batches(hosts, serial):
    """The batches Ansible's ``serial`` makes of ``hosts`` (a number, a percentage, or a list of them, its last
    value repeated); 0 or an empty serial is one batch."""
    hosts = list(hosts)
    steps = serial if isinstance(serial, (list, tuple)) else [serial]
    steps = [step for step in steps if step not in (None, "")] or [0]
    batches, index, position = [], 0, 0
    while position < len(hosts):
        size = _pct_to_int(steps[min(index, len(steps) - 1)], len(hosts))
        if size <= 0:
            size = len(hosts)
        batches.append(hosts[position:position + size])
        position += size
        index += 1
    return batches


def _held(domain):
    held = ["VF %s" % vf for vf in domain["vfs"]] + ["hostdev %s" % dev for dev in domain["hostdevs"]]
    return "%s (%s)" % (domain["name"], ", ".join(held) if held else "no VF")


def _fits(free, needed):
    if free is None:
        return True
    return all(free.get(pool, 0) >= count for pool, count in needed.items())


def decide(hosts, settings, guests, serial=None):
    """What happens to each running domain of each host of the play; pure.

    hosts: the play's hosts in order; settings: {host: {policy, reboot (list of reasons; empty: no
    reboot), migrate_to (host name, URI or None), uri (how a peer reaches this host's libvirt)}};
    guests: {host: read_guests()} (a host missing there runs no domain that is known).
    -> {host: {policy, reboot, domains: [{domain, vfs, hostdevs, action, destination, dest_uri,
    problems}], refused: [lines]}}; action is one of stays, refused, shutdown, migrate.
    """
    batch_of = {}
    for number, batch in enumerate(serial_batches(hosts, serial)):
        for host in batch:
            batch_of[host] = number
    # a peer not read (None): its free VFs are unknown, sriov_migrate_preflight checks them on the host
    free = dict((host, dict(guests[host].get("free_vfs") or {}) if host in guests else None) for host in hosts)
    plans = {}
    for host in hosts:
        config = settings.get(host) or {}
        policy = config.get("policy") or DEFAULT_POLICY
        reasons = list(config.get("reboot") or [])
        running = (guests.get(host) or {}).get("running") or []
        plan = {"policy": policy, "reboot": reasons, "domains": [], "refused": []}
        plans[host] = plan
        if policy not in POLICIES:
            plan["refused"].append("%s: sriov_guest_policy must be one of %s, got %r" % (host, ", ".join(POLICIES), policy))
            continue
        for domain in running:
            plan["domains"].append({"domain": domain["name"], "vfs": domain["vfs"], "hostdevs": domain["hostdevs"],
                                    "action": "stays" if not reasons else policy, "destination": None,
                                    "dest_uri": None, "problems": []})
        if not reasons or not running:
            continue
        why = "; ".join(reasons)
        if policy == "refuse":
            for entry in plan["domains"]:
                entry["action"] = "refused"
            plan["refused"].append(
                "%s must reboot (%s) and sriov_guest_policy is refuse: it runs %s. Stop or move them, or set "
                "sriov_guest_policy to shutdown or migrate." % (host, why, ", ".join(_held(d) for d in running)))
            continue
        if policy == "shutdown":
            continue
        for domain, entry in zip(running, plan["domains"]):
            _place(host, domain, entry, config, hosts, batch_of, free, settings, why)
            if entry["action"] == "refused":
                plan["refused"].append(entry["problems"][0])
    return plans


def _place(host, domain, entry, config, hosts, batch_of, free, settings, why):
    """Choose the destination of one domain to migrate (or refuse it, naming why)."""
    prefix = "%s must reboot (%s) and sriov_guest_policy is migrate, but domain %s" % (host, why, domain["name"])
    if not domain["migratable"]:
        entry["action"] = "refused"
        entry["problems"] = ["%s cannot live-migrate: %s" % (prefix, "; ".join(domain["problems"]))]
        return
    named = config.get("migrate_to")
    problem = None
    if named == host:
        problem = "sriov_guest_migrate_to names the host itself"
    elif named and named not in hosts:
        if "://" in named:
            entry.update(destination=named, dest_uri=named)  # sriov_migrate_preflight checks it on the host
            return
        problem = "sriov_guest_migrate_to %s is neither a host of the play nor a libvirt URI" % named
    elif named and batch_of.get(named) == batch_of.get(host):
        problem = "its named peer %s is in the same batch (sriov_serial) and reboots with it" % named
    if problem:
        entry["action"] = "refused"
        entry["problems"] = ["%s: %s" % (prefix, problem)]
        return
    candidates = [named] if named else [
        peer for peer in hosts if peer != host and batch_of.get(peer) != batch_of.get(host)]
    for peer in candidates:
        if _fits(free[peer], domain["pools"]):
            for pool, count in domain["pools"].items():
                if free[peer] is not None:
                    free[peer][pool] -= count
            entry.update(destination=peer, dest_uri=(settings.get(peer) or {}).get("uri"))
            return
    needs = ", ".join("%d VF(s) in pool %s" % (count, pool) for pool, count in sorted(domain["pools"].items()))
    entry["action"] = "refused"
    if named:
        entry["problems"] = ["%s: its named peer %s has not %s free" % (prefix, named, needs)]
    elif not candidates:
        entry["problems"] = ["%s: no host of the play is outside %s's batch (sriov_serial) to take it" % (prefix, host)]
    else:
        entry["problems"] = ["%s: no peer outside %s's batch has %s free (peers: %s)"
                             % (prefix, host, needs or "room", ", ".join(candidates))]


def plan_lines(host, plan):
    """One line per domain: what the converge would do to it (check mode's answer)."""
    lines = []
    for entry in plan["domains"]:
        held = _held({"name": entry["domain"], "vfs": entry["vfs"], "hostdevs": entry["hostdevs"]})
        if entry["action"] == "stays":
            lines.append("%s: %s keeps running (no reboot)" % (host, held))
        elif entry["action"] == "shutdown":
            lines.append("%s: %s is shut down before the reboot and started again after it" % (host, held))
        elif entry["action"] == "migrate":
            lines.append("%s: %s live-migrates to %s (%s) before the reboot"
                         % (host, held, entry["destination"], entry["dest_uri"]))
        else:
            lines.append("%s: %s is refused: %s" % (host, held, "; ".join(entry["problems"]) or "policy refuse"))
    if not lines:
        lines.append("%s: no running domain%s" % (host, " (reboot: %s)" % "; ".join(plan["reboot"]) if plan["reboot"] else ""))
    return lines


# ---------------------------------------------------------------------------------------------
# One host, changing


def _lookup(libvirt_mod, conn, name):
    try:
        return conn.lookupByName(name)
    except libvirt_mod.libvirtError as exc:
        raise SriovError("libvirt: no domain %s: %s" % (name, exc), field="domains")


def shutdown_domains(libvirt_mod, conn, names, timeout, check_mode=False, clock=time.monotonic, sleep=time.sleep):
    """Ask each running domain of ``names`` to shut down (ACPI), then wait up to ``timeout`` seconds for all.

    -> the names that were running (and are now shut off). A domain still running at the end: SriovError
    naming it (nothing is forced off).
    """
    doms = [(name, _lookup(libvirt_mod, conn, name)) for name in names]
    running = [(name, dom) for name, dom in doms if dom.isActive()]
    if check_mode:
        return [name for name, _dom in running]
    for name, dom in running:
        try:
            dom.shutdown()
        except libvirt_mod.libvirtError as exc:
            raise SriovError("libvirt: asking domain %s to shut down failed: %s" % (name, exc))
    deadline = clock() + timeout
    while True:
        left = [name for name, dom in running if dom.isActive()]
        if not left:
            return [name for name, _dom in running]
        if clock() >= deadline:
            raise SriovError("domain(s) %s did not shut down within %d s (the guest ignored the ACPI shutdown); "
                             "nothing was forced off and the host was not rebooted" % (", ".join(left), timeout),
                             field="timeout")
        sleep(1)


def start_domains(libvirt_mod, conn, names, timeout, check_mode=False, clock=time.monotonic, sleep=time.sleep):
    """Start each shut-off domain of ``names``, retrying for up to ``timeout`` seconds (its pool network or VFs may
    not be there yet after a boot). -> the names started."""
    doms = [(name, _lookup(libvirt_mod, conn, name)) for name in names]
    pending = [(name, dom) for name, dom in doms if not dom.isActive()]
    if check_mode:
        return [name for name, _dom in pending]
    started, errors = [], {}
    deadline = clock() + timeout
    while pending:
        still = []
        for name, dom in pending:
            try:
                dom.create()
                started.append(name)
            except libvirt_mod.libvirtError as exc:
                errors[name] = str(exc)
                still.append((name, dom))
        pending = still
        if not pending:
            break
        if clock() >= deadline:
            raise SriovError("domain(s) %s did not start within %d s: %s"
                             % (", ".join(n for n, _d in pending), timeout,
                                "; ".join("%s: %s" % (n, errors[n]) for n, _d in pending)),
                             field="timeout", details={"started": started})
        sleep(2)
    return started


def replan(host, fresh, setting, planned=None):
    """The plan of one host at its reboot: ``planned`` (this host's entry of the preflight's ``decide``) for the
    domains it covered, ``decide`` again (this host alone: no peer but a named one) for the domains that started
    since; domains no longer running drop out. ``fresh``: ``read_guests()`` now."""
    running = fresh.get("running") or []
    # a domain the preflight let stay (it predicted no reboot) is decided now, like a newcomer
    known = dict((entry["domain"], entry) for entry in (planned or {}).get("domains") or [] if entry["action"] != "stays")
    new = [domain for domain in running if domain["name"] not in known]
    hosts = [host]
    named = setting.get("migrate_to")
    if named and named != host and "://" not in named:
        hosts.append(named)
    plan = decide(hosts, {host: setting}, {host: {"running": new}}, serial=1)[host]
    entries = dict((entry["domain"], entry) for entry in plan["domains"])
    for name, entry in known.items():
        if name in [d["name"] for d in running]:
            entries[name] = dict(entry, action=entry["action"] if setting.get("reboot") else "stays")
    if not setting.get("reboot"):
        plan["refused"] = []
    plan["domains"] = [entries[d["name"]] for d in running]
    for entry in plan["domains"]:
        if entry["action"] == "refused" and not any(entry["domain"] in line for line in plan["refused"]):
            plan["refused"].append("%s: domain %s is refused: %s" % (host, entry["domain"], "; ".join(entry["problems"])))
    return plan
