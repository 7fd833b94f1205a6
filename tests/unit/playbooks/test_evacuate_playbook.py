# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evacuate playbook through ansible-playbook, each host's libvirt the shared fake (a ``libvirt`` module on
the managed Python's path that builds each host's domains and pools from a JSON file): the guest policy decided
for the targets and their peers before any change, refusals naming the domains, check mode's lines."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import sys

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "fake_libvirt.py")
SHIM = '''
import atexit, builtins, importlib.util, json, os
_spec = importlib.util.spec_from_file_location("fake_libvirt", %r)
_fake = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fake)
libvirtError = _fake.libvirtError
VIR_ERR_NO_DOMAIN, VIR_ERR_NO_NETWORK, VIR_DOMAIN_XML_INACTIVE = 42, 43, 2
_hosts = {}


def _host(name):
    if name not in _hosts:
        with builtins.open(os.environ["FAKE_LIBVIRT_SPEC"]) as handle:
            spec = json.load(handle)[name]
        host = _fake.FakeLibvirt()
        host.add_network(_fake.network_xml("vf-pool", vfs=spec["pool"]), active=True)
        host.add_network(_fake.network_xml("standby", bridge="br-mig"), active=True)
        # which domains run, kept between module runs (each is its own process) in a file per host
        state = os.environ["FAKE_LIBVIRT_SPEC"] + "." + name
        running = json.load(builtins.open(state)) if os.path.exists(state) else sorted(spec["domains"])
        for domain, xml in sorted(spec["domains"].items()):
            host.add_domain(domain, xml, running=domain in running)
        _hosts[name] = host

        def save():
            with builtins.open(state, "w") as handle:
                json.dump(sorted(d for d, dom in host.domains.items() if dom.isActive()), handle)
            with builtins.open(state + ".calls", "a") as handle:
                handle.writelines(json.dumps(call[:2]) + "\\n" for call in host.calls)
        atexit.register(save)
    return _hosts[name]


def open(uri):
    name = os.environ["FAKE_LIBVIRT_HOST"] if uri in (None, "qemu:///system") else uri.split("//")[1].split("/")[0]
    return _host(name).open(uri)
''' % os.path.abspath(FIXTURE)


def domain(name, devices):
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os><devices>%s</devices></domain>" % (name, devices))


PAIRED = domain("web01", "<interface type='network'><mac address='52:54:00:5a:00:01'/><source network='standby'/>"
                         "<alias name='ua-backup-1'/><teaming type='persistent'/></interface>"
                         "<interface type='network'><mac address='52:54:00:5a:00:01'/><source network='vf-pool'/>"
                         "<teaming type='transient' persistent='ua-backup-1'/></interface>")
BARE = domain("db01", "<interface type='network'><mac address='52:54:00:00:00:09'/><source network='vf-pool'/></interface>")


def run_evacuate(run_playbook, tmp_path, hosts, *args):
    """hosts: {name: {pool: [VFs], domains: {name: xml}}}; sriov_target is the first host."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "libvirt.py").write_text(SHIM)
    (tmp_path / "spec.json").write_text(json.dumps(hosts))
    inventory = {"sriov_hosts": {"hosts": {}}}
    for name in hosts:
        wrapper = tmp_path / ("python-" + name)
        wrapper.write_text("#!/bin/sh\nFAKE_LIBVIRT_HOST=%s PYTHONPATH=%s exec %s \"$@\"\n" % (name, shim, sys.executable))
        wrapper.chmod(0o755)
        inventory["sriov_hosts"]["hosts"][name] = {"ansible_connection": "local", "ansible_become": False,
                                                   "ansible_python_interpreter": str(wrapper)}
    return run_playbook("evacuate.yml", inventory, "-e", "sriov_target=%s" % list(hosts)[0], "-e", "ansible_become=false",
                        *args, env={"FAKE_LIBVIRT_SPEC": str(tmp_path / "spec.json")})


VFS = ["0000:01:10.0", "0000:01:10.2"]


def test_refuse_stops_before_any_change_naming_the_domains_and_their_vfs(run_playbook, tmp_path):
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {"web01": PAIRED, "db01": BARE}},
                                                "kvm2": {"pool": VFS, "domains": {}}})
    assert run.returncode == 2, run.stdout
    assert ("kvm1 must reboot (maintenance (evacuate playbook)) and sriov_guest_policy is refuse: it runs "
            "db01 (VF 0000:01:10.0), web01 (VF 0000:01:10.2)") in run.stdout, run.stdout
    assert "Evacuate the running guests by the policy" not in run.stdout


def test_migrate_refuses_a_vf_without_a_failover_pair_by_name(run_playbook, tmp_path):
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {"web01": PAIRED, "db01": BARE}},
                                                "kvm2": {"pool": VFS, "domains": {}}},
                       "-e", "sriov_guest_policy=migrate", "--check")
    assert run.returncode == 2, run.stdout
    assert "but domain db01 cannot live-migrate: its VF interface 52:54:00:00:00:09 has no failover pair" in run.stdout
    # the paired one has its place, said before the refusal
    assert "kvm1: web01 (VF 0000:01:10.2) live-migrates to kvm2 (qemu+ssh://kvm2/system) before the reboot" in run.stdout
    assert "Evacuate the running guests by the policy" not in run.stdout


def test_shutdown_in_check_mode_says_what_happens_to_each_domain_and_changes_nothing(run_playbook, tmp_path):
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {"web01": PAIRED, "db01": BARE}},
                                                "kvm2": {"pool": VFS, "domains": {}}},
                       "-e", "sriov_guest_policy=shutdown", "--check")
    assert run.returncode == 0, run.stdout
    for line in ("kvm1: db01 (VF 0000:01:10.0) is shut down before the reboot and started again after it",
                 "kvm1: web01 (VF 0000:01:10.2) is shut down before the reboot and started again after it"):
        assert line in run.stdout
    assert "TASK [directiron.sriov.sriov_guest : Shut down the running guests gracefully]" in run.stdout
    assert "TASK [Reboot the emptied host]" in run.stdout and "kvm2 is empty" not in run.stdout


def test_migrate_with_no_free_vf_on_any_peer_is_refused(run_playbook, tmp_path):
    busy = domain("busy", "<interface type='network'><source network='vf-pool'/></interface>")
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {"web01": PAIRED}},
                                                "kvm2": {"pool": VFS[:1], "domains": {"busy": busy}}},
                       "-e", "sriov_guest_policy=migrate", "--check")
    assert run.returncode == 2, run.stdout
    assert "domain web01: no peer outside kvm1's batch has 1 VF(s) in pool vf-pool free (peers: kvm2)" in run.stdout


def test_shutdown_shuts_the_guests_down_and_starts_them_again_after_the_maintenance(run_playbook, tmp_path):
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {"web01": PAIRED, "db01": BARE}},
                                                "kvm2": {"pool": VFS, "domains": {}}},
                       "-e", "sriov_guest_policy=shutdown")
    assert run.returncode == 0, run.stdout
    assert re.search(r"TASK \[directiron.sriov.sriov_guest : Shut down the running guests gracefully\][^\n]*\nchanged: \[kvm1\]",
                     run.stdout), run.stdout
    assert re.search(r"TASK \[directiron.sriov.sriov_guest : Start again the guests that ran before the reboot[^\n]*\n"
                     r"changed: \[kvm1\]", run.stdout), run.stdout
    # decided in the plan, and again at the evacuation with the reason templated
    assert run.stdout.count("kvm1: web01 (VF 0000:01:10.2) is shut down before the reboot and started again after it") == 2
    assert "{{" not in run.stdout
    calls = [json.loads(line) for line in (tmp_path / "spec.json.kvm1.calls").read_text().splitlines()]
    assert calls == [["shutdown", "db01"], ["shutdown", "web01"]]
    assert json.loads((tmp_path / "spec.json.kvm1").read_text()) == ["db01", "web01"]  # running again
    assert not (tmp_path / "spec.json.kvm2.calls").read_text().strip()  # the peer was only read


def test_an_empty_host_goes_through_with_the_reason_templated_at_the_evacuation(run_playbook, tmp_path):
    run = run_evacuate(run_playbook, tmp_path, {"kvm1": {"pool": VFS, "domains": {}}, "kvm2": {"pool": VFS, "domains": {}}})
    assert run.returncode == 0, run.stdout
    assert run.stdout.count("kvm1: no running domain (reboot: maintenance (evacuate playbook))") == 2, run.stdout
