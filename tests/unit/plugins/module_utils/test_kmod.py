# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_kmod, _kmod_options, _kmod_build, _sysfs_kmod: kernel module options entries, the options file, the initramfs, the loaded-vs-disk build and
the reload-or-reboot decision, on a fake sysfs tree and a fake command runner."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import lzma
import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _kmod, _kmod_build, _kmod_options, _sysfs_kmod
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._guards import NoGuards
from ansible_collections.directiron.sriov.tests.fixtures.kmod_files import build_id_note, elf_module


# -- entries -----------------------------------------------------------------------------------
def test_entry_words_canonical_name_lists_and_booleans():
    module, state, words = _kmod_options.validate_entry(
        {"module": "vfio-pci", "options": {"ids": ["8086:10ca", "8086:1520"], "disable_idle_d3": True}})
    assert (module, state) == ("vfio_pci", "present")
    assert words == ["disable_idle_d3=1", "ids=8086:10ca,8086:1520"]
    assert _kmod_options.render_options(module, words).splitlines()[1] == \
        "options vfio_pci disable_idle_d3=1 ids=8086:10ca,8086:1520"


@pytest.mark.parametrize("entry, field, words", [
    ({"module": "igb; reboot", "options": {"max_vfs": 7}}, "sriov_driver_options[3].module", "not a kernel module name"),
    ({"module": "igb", "options": {"max_vfs": "7\noptions e1000 x=1"}}, "sriov_driver_options[3].options.max_vfs",
     "not a safe module option value"),
    ({"module": "igb", "options": {"max_vfs": "$(reboot)"}}, "sriov_driver_options[3].options.max_vfs",
     "not a safe module option value"),
    ({"module": "igb", "options": {"max vfs": 7}}, "sriov_driver_options[3].options.max vfs",
     "not a module parameter name"),
    ({"module": "igb", "options": {"ids": ["8086:10ca", "a b"]}}, "sriov_driver_options[3].options.ids[1]",
     "not a safe module option value"),
    ({"module": "igb", "options": {}}, "sriov_driver_options[3].options", "needs at least one option"),
    ({"module": "igb", "options": {"max_vfs": 7}, "sate": "absent"}, "sriov_driver_options[3].sate", "unknown key"),
    ({"module": "igb", "state": "gone"}, "sriov_driver_options[3].state", "must be present or absent"),
])
def test_bad_entries_name_the_field(entry, field, words):
    with pytest.raises(SriovError) as err:
        _kmod_options.validate_entry(entry, "sriov_driver_options[3]")
    assert err.value.field == field
    assert err.value.msg.startswith(field + ": ")
    assert words in err.value.msg
    assert "\n" not in err.value.msg


def test_entries_errors_each_module_once_and_index():
    errors = _kmod_options.entries_errors([
        {"module": "vfio-pci", "options": {"ids": "8086:10ca"}},
        {"module": "igb", "options": {"max_vfs": "a;b"}},
        {"module": "vfio_pci", "state": "absent"},
    ])
    assert errors == [
        ("sriov_driver_options[1].options.max_vfs",
         "'a;b' is not a safe module option value (one word of letters, digits and _.:,+/@=-; "
         "a list for comma-separated values)"),
        ("sriov_driver_options[2].module", "vfio_pci already has options at sriov_driver_options[0]"),
    ]
    assert _kmod_options.entries_errors({"module": "igb"}) == [
        ("sriov_driver_options", "must be a list of {module, options, state}, got mapping")]


def test_module_file_re_matches_either_spelling():
    listing = "usr/lib/modules/6.1.0-28-amd64/kernel/drivers/vfio/pci/vfio-pci.ko\n"
    assert _kmod.module_file_re("vfio_pci").search(listing)
    assert not _kmod.module_file_re("vfio").search(listing)
    assert _kmod.module_file_re("igb").search("lib/modules/x/kernel/drivers/net/ethernet/intel/igb/igb.ko.xz\n")


# -- loaded vs disk ----------------------------------------------------------------------------
def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


class Host(object):
    """A fake host: sysfs under tmp, modinfo answers, modprobe that swaps the loaded build."""

    def __init__(self, tmp, loaded="OLD", disk="NEW", initramfs_listing=""):
        self.sysfs = str(tmp / "sys")
        self.disk = disk
        self.calls = []
        self.listing = initramfs_listing
        if loaded is not None:
            self.load(loaded)

    def load(self, srcversion):
        base = os.path.join(self.sysfs, "module", "igb")
        _write(os.path.join(base, "initstate"), "live\n")
        _write(os.path.join(base, "srcversion"), srcversion + "\n")
        os.makedirs(os.path.join(base, "holders"), exist_ok=True)

    def runner(self, argv):
        self.calls.append(argv)
        if argv[:3] == ["modinfo", "-F", "srcversion"]:
            return 0, self.disk + "\n", ""
        if argv[:3] in (["modinfo", "-F", "version"], ["modinfo", "-F", "filename"]):
            return 0, "\n", ""
        if argv[0] == "modprobe":
            if argv[1] != "-r":
                self.load(self.disk)
            return 0, "", ""
        if argv[0].endswith("lsinitramfs"):
            return 0, self.listing, ""
        if argv[0] == "update-initramfs":
            return 0, "", ""
        raise AssertionError("unexpected command %r" % argv)


class Guards(NoGuards):
    def __init__(self, management=(), in_use=()):
        self.management, self.in_use = set(management), set(in_use)

    def management_problems(self, netdevs):
        return ["%s carries the default route" % dev for dev in netdevs if dev in self.management]

    def in_use_problems(self, vfs):
        return ["VF %s is attached to web1" % vf["address"] for vf in vfs if vf["address"] in self.in_use]


def _bind(host, address, netdev, vfs=()):
    """igb's PCI driver holding address (netdev on it) with VFs."""
    drivers = os.path.join(host.sysfs, "bus", "pci", "drivers", "igb")
    devices = os.path.join(host.sysfs, "bus", "pci", "devices")
    os.makedirs(os.path.join(host.sysfs, "module", "igb", "drivers"), exist_ok=True)
    if not os.path.islink(os.path.join(host.sysfs, "module", "igb", "drivers", "pci:igb")):
        os.symlink(drivers, os.path.join(host.sysfs, "module", "igb", "drivers", "pci:igb"))
    os.makedirs(os.path.join(devices, address, "net", netdev))
    os.makedirs(drivers, exist_ok=True)
    os.symlink(os.path.join(devices, address), os.path.join(drivers, address))
    for index, vf in enumerate(vfs):
        os.makedirs(os.path.join(devices, vf))
        os.symlink(os.path.join(devices, vf), os.path.join(devices, address, "virtfn%d" % index))


def test_build_ids_of_a_loaded_note_and_a_module_file(tmp_path):
    build_id = bytes(range(20))
    assert _kmod_build.note_build_id(build_id_note(b"\x01") + build_id_note(build_id)) == "01"
    path = tmp_path / "igb.ko"
    path.write_bytes(elf_module(build_id))
    assert _kmod_build.elf_build_id(str(path)) == build_id.hex()
    xz = tmp_path / "igb.ko.xz"
    xz.write_bytes(lzma.compress(elf_module(b"\xab" * 20)))
    assert _kmod_build.elf_build_id(str(xz)) == "ab" * 20
    (tmp_path / "junk.ko").write_bytes(b"not an elf")
    assert _kmod_build.elf_build_id(str(tmp_path / "junk.ko")) is None
    assert _kmod_build.elf_build_id(str(tmp_path / "missing.ko")) is None


def test_stale_prefers_the_build_id(tmp_path):
    sysfs = tmp_path / "sys"
    _write(str(sysfs / "module" / "igb" / "initstate"), "live\n")
    (sysfs / "module" / "igb" / "notes").mkdir()
    (sysfs / "module" / "igb" / "notes" / ".note.gnu.build-id").write_bytes(build_id_note(b"\x11" * 20))
    (tmp_path / "igb.ko").write_bytes(elf_module(b"\x22" * 20))

    def runner(argv):
        return (0, str(tmp_path / "igb.ko") + "\n", "") if argv[2] == "filename" else (0, "\n", "")
    state = _kmod_build.loaded_state(runner, "igb", str(sysfs))
    assert (state["loaded_build_id"], state["disk_build_id"], state["stale"]) == ("11" * 20, "22" * 20, True)
    assert _kmod_build.build_label(state, "loaded") == "build-id " + "11" * 20
    (tmp_path / "igb.ko").write_bytes(elf_module(b"\x11" * 20))
    assert not _kmod_build.loaded_state(runner, "igb", str(sysfs))["stale"]


def test_stale_compares_srcversion_then_version():
    base = {"loaded": True, "loaded_srcversion": "A", "disk_srcversion": "B", "loaded_version": "1", "disk_version": "1",
            "loaded_build_id": None, "disk_build_id": None}
    assert _kmod_build.is_stale(base)
    assert not _kmod_build.is_stale(dict(base, disk_srcversion="A"))
    assert _kmod_build.is_stale(dict(base, loaded_srcversion=None, disk_srcversion=None, disk_version="2"))
    assert not _kmod_build.is_stale(dict(base, loaded=False))
    assert not _kmod_build.is_stale(dict(base, loaded_srcversion=None, disk_version=None))


@pytest.mark.parametrize("stale, pending, reload_ok, blockers, action", [
    (False, False, True, [], "none"),
    (True, False, True, [], "reload"),
    (False, True, True, [], "reload"),
    (True, False, True, ["VF in use"], "reboot"),
    (True, False, False, [], "reboot"),
])
def test_decide(stale, pending, reload_ok, blockers, action):
    assert _kmod.decide(stale, pending, reload_ok, blockers) == action


def test_blockers_name_management_links_and_held_vfs(tmp_path):
    host = Host(tmp_path)
    _bind(host, "0000:01:00.0", "enp1s0", vfs=["0000:01:10.0", "0000:01:10.2"])
    _bind(host, "0000:02:00.0", "eno1")
    guards = Guards(management=["eno1"], in_use=["0000:01:10.2"])
    assert _sysfs_kmod.kmod_bound_devices(host.sysfs, "igb") == ["0000:01:00.0", "0000:02:00.0"]
    assert _kmod.reload_blockers(host.sysfs, "igb", guards) == [
        "VF 0000:01:10.2 is attached to web1", "eno1 carries the default route"]
    os.makedirs(os.path.join(host.sysfs, "module", "igb", "holders", "igb_extra"))
    assert _kmod.reload_blockers(host.sysfs, "igb", NoGuards()) == ["module igb is used by module(s) igb_extra"]


def test_a_referenced_module_is_not_reloaded(tmp_path):
    host = Host(tmp_path)
    _write(os.path.join(host.sysfs, "module", "igb", "refcnt"), "2\n")
    assert _kmod.reload_blockers(host.sysfs, "igb", NoGuards()) == [
        "module igb is in use (reference count 2: an open device, a mounted disk)"]
    _write(os.path.join(host.sysfs, "module", "igb", "refcnt"), "0\n")
    assert _kmod.reload_blockers(host.sysfs, "igb", NoGuards()) == []


def _manager(host, tmp_path, entry=None, **kwargs):
    modprobe_dir = str(tmp_path / "modprobe.d")
    os.makedirs(modprobe_dir, exist_ok=True)
    written = {}

    def write(path, text):
        written[path] = text
        _write(path, text)
    manager = _kmod.KernelModuleManager(
        entry or {"module": "igb"}, runner=host.runner,
        which=lambda name: "/usr/sbin/" + name if name == "lsinitramfs" else None,
        write_file=write, guards=kwargs.pop("guards", NoGuards()), modprobe_dir=modprobe_dir,
        sysfs_root=host.sysfs, kernel="6.1.0-test", **kwargs)
    return manager, written, modprobe_dir


def test_stale_module_unused_is_reloaded(tmp_path):
    host = Host(tmp_path)
    manager, written, _d = _manager(host, tmp_path, manage_file=False, reload_ok=True)
    result = manager.run()
    assert result["action"] == "reload" and result["reloaded"] and result["changed"]
    assert not result["reboot_required"]
    assert (result["before"]["loaded_srcversion"], result["after"]["loaded_srcversion"]) == ("OLD", "NEW")
    assert ["modprobe", "-r", "igb"] in host.calls and ["modprobe", "igb"] in host.calls
    assert written == {}


def test_stale_module_in_use_is_not_reloaded_and_asks_a_reboot(tmp_path):
    host = Host(tmp_path)
    _bind(host, "0000:01:00.0", "enp1s0", vfs=["0000:01:10.0"])
    manager, _w, _d = _manager(host, tmp_path, manage_file=False, reload_ok=True,
                               guards=Guards(in_use=["0000:01:10.0"]))
    result = manager.run()
    assert result["action"] == "reboot" and result["reboot_required"] and not result["reloaded"]
    assert result["blockers"] == ["VF 0000:01:10.0 is attached to web1"]
    assert not [call for call in host.calls if call[0] == "modprobe"]
    assert not result["changed"]


def test_stale_module_check_mode_reloads_nothing(tmp_path):
    host = Host(tmp_path)
    manager, _w, _d = _manager(host, tmp_path, manage_file=False, reload_ok=True, check_mode=True)
    result = manager.run()
    assert result["action"] == "reload" and result["changed"]
    assert not [call for call in host.calls if call[0] == "modprobe"]
    assert result["after"]["loaded_srcversion"] == "OLD"


def test_reload_that_leaves_the_old_build_fails(tmp_path):
    host = Host(tmp_path)
    original = host.runner

    def stuck(argv):
        if argv[0] == "modprobe":
            host.calls.append(argv)
            return 0, "", ""
        return original(argv)
    host.runner = stuck
    manager, _w, _d = _manager(host, tmp_path, manage_file=False, reload_ok=True)
    with pytest.raises(SriovError) as err:
        manager.run()
    assert err.value.msg == ("driver_module: module igb was reloaded but is still not the build on disk "
                             "(loaded build srcversion OLD, on disk srcversion NEW)")


def test_options_file_initramfs_and_reboot_when_loaded(tmp_path):
    host = Host(tmp_path, loaded="SAME", disk="SAME",
                initramfs_listing="usr/lib/modules/6.1.0-test/kernel/drivers/net/ethernet/intel/igb/igb.ko\n")
    _write(str(tmp_path / "boot" / "x"), "")
    entry = {"module": "igb", "options": {"max_vfs": 7}}
    manager, written, modprobe_dir = _manager(host, tmp_path, entry=entry)
    manager.in_initramfs = lambda: (True, ["update-initramfs", "-u", "-k", "all"])
    result = manager.run()
    path = os.path.join(modprobe_dir, "directiron-sriov-igb.conf")
    assert written[path].splitlines()[1] == "options igb max_vfs=7"
    assert result["initramfs_updated"] and ["update-initramfs", "-u", "-k", "all"] in host.calls
    assert result["action"] == "reboot" and result["reboot_required"]
    assert result["diff"]["before"] == "" and "max_vfs=7" in result["diff"]["after"]
    # the same again: nothing to write, no regeneration, nothing pending
    host.calls[:] = []
    again = _manager(host, tmp_path, entry=entry)[0].run()
    assert not again["changed"] and not again["file_changed"] and again["action"] == "none"
    assert not [call for call in host.calls if call[0] == "update-initramfs"]


def test_options_file_check_mode_writes_nothing_and_absent_removes(tmp_path):
    host = Host(tmp_path, loaded=None)
    entry = {"module": "vfio-pci", "options": {"ids": ["8086:10ca"]}}
    manager, written, modprobe_dir = _manager(host, tmp_path, entry=entry, check_mode=True, initramfs=False)
    result = manager.run()
    assert result["changed"] and result["file_changed"] and written == {}
    assert os.listdir(modprobe_dir) == []
    assert result["action"] == "none"  # not loaded: the file is read when it loads
    _manager(host, tmp_path, entry=entry, initramfs=False)[0].run()
    assert os.listdir(modprobe_dir) == ["directiron-sriov-vfio_pci.conf"]
    gone = _manager(host, tmp_path, entry={"module": "vfio_pci", "state": "absent"}, initramfs=False)[0].run()
    assert gone["changed"] and gone["actions"] == [
        "removed %s" % os.path.join(modprobe_dir, "directiron-sriov-vfio_pci.conf")]
    assert os.listdir(modprobe_dir) == []


def test_in_initramfs_reads_the_running_kernels_image(tmp_path, monkeypatch):
    host = Host(tmp_path, initramfs_listing="usr/lib/modules/x/kernel/drivers/vfio/pci/vfio-pci.ko\n")
    manager, _w, _d = _manager(host, tmp_path, entry={"module": "vfio_pci", "options": {"ids": "8086:10ca"}})
    monkeypatch.setattr(_kmod.os.path, "exists", lambda path: path == "/boot/initrd.img-6.1.0-test")
    assert manager.in_initramfs() == (True, ["update-initramfs", "-u", "-k", "all"])
    assert host.calls[-1] == ["/usr/sbin/lsinitramfs", "/boot/initrd.img-6.1.0-test"]
    manager.module = "igb"
    assert manager.in_initramfs()[0] is False


# -- a pending options reload or reboot, seen by a later run --------------------------------------
@pytest.mark.parametrize("wanted, running, same", [
    ("1", "Y", True), ("0", "N", True), ("1", "N", False), ("y", "Y", True), ("off", "N", True),
    ("16", "16", True), ("0x10", "16", True), ("010", "8", True), ("-1", "-1", True), ("0x1f", "0x00001f", True),
    ("2", "1", False), ("1,2,3", "1,2,3", True), ("0x1,2", "1,2", True), ("1,2", "1,2,3", False),
    ("8086:10ca", "8086:10ca", True), ("fast", "slow", False), ("1", "one", False),
])
def test_same_value_reads_words_as_the_kernel_prints_them(wanted, running, same):
    assert _kmod_options.same_value(wanted, running) is same


def _parameters(host, module, **values):
    for name, value in values.items():
        _write(os.path.join(host.sysfs, "module", module, "parameters", name), value + "\n")


def test_running_option_differences_and_parameters_not_shown(tmp_path):
    host = Host(tmp_path)
    _parameters(host, "igb", disable_idle_d3="N", enable_sriov="Y", num_request_queues="0")
    words = ["disable_idle_d3=1", "enable_sriov=1", "ids=8086:10ca", "num_request_queues=1"]
    assert _kmod.running_option_differences(host.sysfs, "igb", words) == (
        ["disable_idle_d3=1 (running N)", "num_request_queues=1 (running 0)"], ["ids"])


def _written_earlier(tmp_path, module, options):
    """The options file as an earlier run wrote it (the module kept running its old values)."""
    modprobe_dir = str(tmp_path / "modprobe.d")
    words = _kmod_options.validate_entry({"module": module, "options": options})[2]
    _write(_kmod_options.options_path(modprobe_dir, module), _kmod_options.render_options(module, words))


def test_a_later_run_still_reports_the_reboot_an_earlier_run_asked(tmp_path):
    host = Host(tmp_path, loaded="SAME", disk="SAME")
    entry = {"module": "igb", "options": {"num_request_queues": 1, "max_vfs": 7}}
    _written_earlier(tmp_path, "igb", entry["options"])
    _parameters(host, "igb", num_request_queues="0")
    result = _manager(host, tmp_path, entry=entry)[0].run()
    assert not result["file_changed"] and not result["changed"]
    assert result["action"] == "reboot" and result["reboot_required"]
    assert result["pending_options"] == ["num_request_queues=1 (running 0)"]
    assert result["unverified_options"] == ["max_vfs"]
    assert not [call for call in host.calls if call[0] in ("update-initramfs", "modprobe")]
    # in check mode too: it only reads
    assert _manager(host, tmp_path, entry=entry, check_mode=True)[0].run()["reboot_required"]
    # after the reboot the module runs the file's values: nothing pending
    _parameters(host, "igb", num_request_queues="1")
    after = _manager(host, tmp_path, entry=entry)[0].run()
    assert after["action"] == "none" and not after["reboot_required"] and after["pending_options"] == []


def test_a_later_run_with_reload_allowed_reloads_the_pending_options(tmp_path):
    host = Host(tmp_path, loaded="SAME", disk="SAME")
    entry = {"module": "igb", "options": {"num_request_queues": 1}}
    _written_earlier(tmp_path, "igb", entry["options"])
    _parameters(host, "igb", num_request_queues="0")
    original = host.runner

    def modprobe_reads_the_file(argv):
        if argv == ["modprobe", "igb"]:
            _parameters(host, "igb", num_request_queues="1")
        return original(argv)
    host.runner = modprobe_reads_the_file
    result = _manager(host, tmp_path, entry=entry, reload_ok=True)[0].run()
    assert result["action"] == "reload" and result["reloaded"] and result["changed"]
    assert ["modprobe", "-r", "igb"] in host.calls and result["pending_options"] == []
    assert not result["warnings"]


def test_a_reload_that_keeps_other_values_warns(tmp_path):
    host = Host(tmp_path, loaded="SAME", disk="SAME")
    entry = {"module": "igb", "options": {"num_request_queues": 1}}
    _written_earlier(tmp_path, "igb", entry["options"])
    _parameters(host, "igb", num_request_queues="0")
    result = _manager(host, tmp_path, entry=entry, reload_ok=True)[0].run()
    assert result["reloaded"] and result["pending_options"] == ["num_request_queues=1 (running 0)"]
    assert "still runs other values: num_request_queues=1 (running 0)" in result["warnings"][0]


def test_a_module_not_loaded_or_an_absent_entry_is_not_compared(tmp_path):
    host = Host(tmp_path, loaded=None)
    entry = {"module": "igb", "options": {"num_request_queues": 1}}
    _written_earlier(tmp_path, "igb", entry["options"])
    result = _manager(host, tmp_path, entry=entry)[0].run()
    assert result["action"] == "none" and result["pending_options"] == [] == result["unverified_options"]
    loaded = Host(tmp_path / "loaded", loaded="SAME", disk="SAME")
    _parameters(loaded, "igb", num_request_queues="1")
    gone = _manager(loaded, tmp_path, entry={"module": "igb", "state": "absent"})[0].run()
    assert gone["file_changed"] and gone["action"] == "reboot" and gone["pending_options"] == []


# /sys/module/M/parameters as a lab VM showed them (Debian 6.1.0-50, igb PFs, a VF on vfio-pci,
# no options files): igb shows none of its parameters, vfio-pci not its ids.
RECORDED_PARAMETERS = {
    "vfio_pci": {"disable_denylist": "N", "disable_idle_d3": "N", "disable_vga": "N", "enable_sriov": "N",
                 "nointxmask": "N"},
    "virtio_blk": {"num_request_queues": "0", "poll_queues": "0", "queue_depth": "0"},
    "vfio_iommu_type1": {"allow_unsafe_interrupts": "N", "disable_hugepages": "N", "dma_entry_limit": "65535"},
    "igb": {},
}


@pytest.mark.parametrize("module, options, pending, unverified", [
    ("vfio_pci", {"ids": ["8086:10ca"], "disable_idle_d3": True}, ["disable_idle_d3=1 (running N)"], ["ids"]),
    ("virtio_blk", {"num_request_queues": 1}, ["num_request_queues=1 (running 0)"], []),
    ("igb", {"max_vfs": 0}, [], ["max_vfs"]),
    ("vfio_iommu_type1", {"dma_entry_limit": "0xffff", "allow_unsafe_interrupts": False}, [], []),
])
def test_recorded_lab_parameters(tmp_path, module, options, pending, unverified):
    sysfs = str(tmp_path)
    os.makedirs(os.path.join(sysfs, "module", module, "parameters"))
    for name, value in RECORDED_PARAMETERS[module].items():
        _write(os.path.join(sysfs, "module", module, "parameters", name), value + "\n")
    words = _kmod_options.validate_entry({"module": module, "options": options})[2]
    assert _kmod.running_option_differences(sysfs, module, words) == (pending, unverified)
