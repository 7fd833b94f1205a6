# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify of scenario facts, the guest VM as a host for the pins that move and the driver module
options (converge and side_effect), from its own tools: dpkg, modprobe, modinfo, /sys/module, the
initramfs. Read-only (the initramfs is unpacked into a temporary directory)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

testinfra_hosts = ["guest"]


def _pins(host):
    return json.loads(host.check_output("cat /root/pins-test.json"))


def test_tzdata_moved_to_its_last_pin_and_is_held(host):
    pins = _pins(host)
    assert pins["lower"] != pins["installed"] != pins["higher"]
    assert host.check_output("dpkg-query -W -f='${Version} ${Status}' tzdata") == pins["higher"] + " hold ok installed"


def test_options_files_are_what_modprobe_reads(host):
    assert host.file("/etc/modprobe.d/directiron-sriov-igb.conf").content_string.splitlines()[1] == \
        "options igb max_vfs=0"
    assert host.file("/etc/modprobe.d/directiron-sriov-vfio_pci.conf").content_string.splitlines()[1] == \
        "options vfio_pci disable_idle_d3=1 ids=8086:10ca"
    config = host.check_output("modprobe -c").splitlines()
    assert "options igb max_vfs=0" in config
    assert "options vfio_pci disable_idle_d3=1 ids=8086:10ca" in config
    assert "options virtio_blk num_request_queues=1" in config


def test_initramfs_carries_the_options_of_the_module_it_holds(host):
    image = "/boot/initrd.img-" + host.check_output("uname -r")
    listing = host.check_output("lsinitramfs %s" % image).splitlines()
    assert any(line.endswith("/virtio_blk.ko") for line in listing)
    assert not any(line.endswith("/igb.ko") for line in listing)
    script = ("d=$(mktemp -d); unmkinitramfs %s $d; "
              "cat $(find $d -path '*etc/modprobe.d/directiron-sriov-virtio_blk.conf'); rm -rf $d" % image)
    assert host.check_output(script).splitlines()[1] == "options virtio_blk num_request_queues=1"


def test_igb_runs_the_build_on_disk(host):
    pins = _pins(host)
    note = host.check_output("python3 -c 'print(open(\"/sys/module/igb/notes/.note.gnu.build-id\", \"rb\").read()[16:36].hex())'")
    assert note == pins["igb_build_id"]
    assert host.check_output("cmp %s /root/igb.ko.orig && echo same" % pins["igb_file"]) == "same"
