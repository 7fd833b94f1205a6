# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_vf's in-use guard against domains given VFs by sriov_guest_interface, read through virsh as the guard
does: a VF a running domain got from a pool (live XML: type='hostdev' with the VF's source address) or directly
is refused naming the domain; a shut-off domain's VF, a VF in no domain and the failover virtio partner are not."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.directiron.sriov.plugins.module_utils import _domain, _domain_read, _guards
from ansible_collections.directiron.sriov.tests.fixtures import fake_libvirt as fake_mod

VFS = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]
VIRSH = "/usr/bin/virsh"


def virsh_runner(fake):
    """`virsh list --name --state-running` and `virsh dumpxml -- NAME` answered from the fake."""
    def runner(argv):
        if argv[3:] == ["list", "--name", "--state-running"]:
            return 0, "".join(name + "\n" for name, dom in sorted(fake.domains.items()) if dom.isActive()) + "\n", ""
        if argv[3:5] == ["dumpxml", "--"]:
            return 0, fake.domains[argv[5]].XMLDesc(0), ""
        return 1, "", "unexpected %r" % (argv,)
    return runner


def attach(fake, root, domain, **params):
    base = {"domain": domain, "state": "present", "network": None, "vf": None, "pf": None, "vf_index": None,
            "mac": None, "vlan": None, "alias": None, "failover": None, "live": True, "unplug_timeout": 1,
            "uri": "qemu:///system", "sysfs_root": root}
    base.update(params)
    _domain.GuestInterfaceManager(fake, base).run()


def test_running_domains_are_named_for_pool_and_direct_vfs(tmp_path):
    root = fake_mod.make_host_sysfs(tmp_path / "sys", vfs=VFS)
    fake = fake_mod.FakeLibvirt()
    fake.add_network(fake_mod.network_xml("fast-net", vfs=VFS), active=True)
    fake.add_network(fake_mod.network_xml("default"), active=True)
    fake.add_domain("web", running=True)
    fake.add_domain("db", running=True)
    fake.add_domain("spare")
    attach(fake, root, "web", network="fast-net", mac="52:54:00:aa:00:01",
           failover={"network": "default", "bridge": None, "alias": None})
    attach(fake, root, "db", vf=VFS[2], mac="52:54:00:aa:00:02")
    attach(fake, root, "spare", vf=VFS[1], mac="52:54:00:aa:00:03")
    guards = _guards.HostGuards(virsh_runner(fake), root, str(tmp_path), environ={}, virsh=VIRSH)
    problems = guards.in_use_problems([{"address": vf, "iommu_group": None} for vf in VFS])
    assert problems == [
        "VF %s is attached to the running libvirt domain web" % VFS[0],
        "VF %s is attached to the running libvirt domain db" % VFS[2],
    ]
    # the guard and the domain map agree on who holds what
    holders = _domain_read.domain_device_map(fake, fake.open("qemu:///system"))["vfs"]
    assert dict((vf, h["domain"]) for vf, h in holders.items() if h["active"]) == guards.running_domain_devices()
