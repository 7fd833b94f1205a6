# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every bootloader back-end of kernel_cmdline, on fixture roots and fake commands."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import stat

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_backends as be
from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_grubby as grubby
from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_shell as sh
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.tests.unit.plugins.module_utils.cmdline_fixtures import fixture, read


# --------------------------------------------------------------------------- fakes

class FakeSystem(object):
    """A fake runner: records argv lists and answers like the real tools would."""

    def __init__(self, grubby_entries=None, kargs=None, fail=None):
        self.calls = []
        self.grubby_entries = grubby_entries
        self.kargs = kargs
        self.fail = fail or {}

    def which(self, name):
        known = {"update-grub", "kernel-install"}
        if self.grubby_entries is not None:
            known.add("grubby")
        if self.kargs is not None:
            known.add("rpm-ostree")
        return "/usr/sbin/" + name if name in known else None

    def __call__(self, argv):
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv)
        self.calls.append(argv)
        if argv[0] in self.fail:
            return self.fail[argv[0]]
        if argv[:2] == ["grubby", "--info=ALL"]:
            out = ""
            for index, entry in enumerate(self.grubby_entries):
                out += 'index=%d\nkernel="%s"\nargs="%s"\n' % (index, entry["kernel"], entry["args"])
            return 0, out, ""
        if argv[0] == "grubby" and argv[1].startswith("--update-kernel="):
            which = argv[1][len("--update-kernel="):]
            add = remove = ""
            for arg in argv[2:]:
                if arg.startswith("--args="):
                    add = arg[len("--args="):]
                if arg.startswith("--remove-args="):
                    remove = arg[len("--remove-args="):]
            for entry in self.grubby_entries:
                if which in ("ALL", entry["kernel"]):
                    entry["args"] = grubby_update_args(entry["args"], remove.split(), add.split())
            return 0, "", ""
        if argv == ["rpm-ostree", "kargs"]:
            return 0, self.kargs + "\n", ""
        if argv[:2] == ["rpm-ostree", "kargs"]:
            tokens = self.kargs.split()
            for arg in argv[2:]:
                opt, value = arg.split("=", 1)
                if opt == "--delete-if-present":
                    tokens = [t for t in tokens if t != value]
                elif opt == "--append-if-missing" and value not in tokens:
                    tokens.append(value)
            self.kargs = " ".join(tokens)
            return 0, "Kernel arguments updated.\nRun \"systemctl reboot\" to start a reboot\n", ""
        return 0, "", ""


def grubby_update_args(args, remove, add):
    """What grubby's BLS update_args does: drop removed (key or key=value), drop old keys of added, append."""
    tokens = args.split()
    for arg in remove:
        if "=" in arg:
            tokens = [t for t in tokens if t != arg]
        else:
            tokens = [t for t in tokens if t != arg and not t.startswith(arg + "=")]
    for arg in add:
        key = arg.split("=", 1)[0]
        tokens = [t for t in tokens if t != key and not t.startswith(key + "=")]
    return " ".join(tokens + add)


def make_root(tmp_path, grub=None, grub_cfg=True, kernel_cmdline=None, proc="proc-cmdline-base"):
    root = tmp_path / "root"
    (root / "etc" / "default").mkdir(parents=True)
    if grub:
        shutil.copy(fixture(grub), str(root / "etc" / "default" / "grub"))
        os.chmod(str(root / "etc" / "default" / "grub"), 0o640)
    if grub_cfg:
        (root / "boot" / "grub").mkdir(parents=True)
        (root / "boot" / "grub" / "grub.cfg").write_text(u"# generated\n")
    if kernel_cmdline:
        (root / "etc" / "kernel").mkdir(parents=True)
        shutil.copy(fixture(kernel_cmdline), str(root / "etc" / "kernel" / "cmdline"))
    proc_root = tmp_path / "proc"
    proc_root.mkdir()
    if proc:
        shutil.copy(fixture(proc), str(proc_root / "cmdline"))
    return str(root), str(proc_root)


def manager(system, root, proc_root, **kwargs):
    kwargs.setdefault("live", True)
    return be.KernelCmdline(runner=system, root=root, proc_root=proc_root, which=system.which,
                            kernel_release="6.1.0-28-amd64", **kwargs)


# --------------------------------------------------------------------------- grub

class TestGrub(object):
    def test_debian_file_edited_regenerated_and_idempotent(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        system = FakeSystem()
        result = manager(system, root, proc, ensure=["intel_iommu=on", "iommu=pt"]).run()
        text = read(os.path.join(root, "etc/default/grub"))
        assert result["changed"] and result["backend"] == "grub"
        assert 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"\n' in text
        assert 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' in text
        assert "GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\n" in text
        assert text.replace('"intel_iommu=on iommu=pt"', '""') == read(fixture("grub-debian12"))
        assert result["args_before"] == "quiet"
        assert result["args_after"] == "intel_iommu=on iommu=pt quiet"
        assert result["reboot_required"] is True
        assert system.calls == [["update-grub"]]
        assert result["actions"] == ["edit /etc/default/grub", "run update-grub"]
        assert stat.S_IMODE(os.stat(os.path.join(root, "etc/default/grub")).st_mode) == 0o640
        again = FakeSystem()
        second = manager(again, root, proc, ensure=["intel_iommu=on", "iommu=pt"]).run()
        assert not second["changed"] and again.calls == [] and second["actions"] == []
        assert second["reboot_required"] is True  # still not booted with them

    def test_check_mode_changes_nothing(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        system = FakeSystem()
        result = manager(system, root, proc, ensure=["intel_iommu=on"], check_mode=True).run()
        assert result["changed"]
        assert read(os.path.join(root, "etc/default/grub")) == read(fixture("grub-debian12"))
        assert system.calls == []
        assert result["actions"] == ["edit /etc/default/grub", "run update-grub"]
        assert 'GRUB_CMDLINE_LINUX="intel_iommu=on"' in result["diff"]["after"]

    def test_running_kernel_already_has_args_no_reboot(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12", proc="proc-cmdline-iommu")
        result = manager(FakeSystem(), root, proc, ensure=["intel_iommu=on", "iommu=pt"]).run()
        assert result["reboot_required"] is False

    def test_removed_arg_still_running_requires_reboot(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12", proc="proc-cmdline-iommu")
        result = manager(FakeSystem(), root, proc, remove=["iommu"]).run()
        assert not result["changed"] and result["reboot_required"] is True

    def test_odd_file_last_assignment_wins_quotes_comments_kept(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-odd")
        result = manager(FakeSystem(), root, proc, ensure=["iommu=pt", "quiet", "intel_iommu=on"],
                         remove=["nomodeset"]).run()
        lines = read(os.path.join(root, "etc/default/grub")).splitlines()
        original = read(fixture("grub-odd")).splitlines()
        assert lines[0] == original[0]  # the commented assignment is untouched
        assert lines[2] == 'GRUB_CMDLINE_LINUX="dead=assignment"'  # dead: shell keeps the last one
        # single quotes, export prefix, indentation and trailing comment kept; the wanted flag once
        assert lines[3] == ("  export GRUB_CMDLINE_LINUX='console=tty0 console=ttyS0,115200n8 "
                            "iommu=pt quiet intel_iommu=on' # keep me")
        assert lines[4] == 'GRUB_CMDLINE_LINUX_DEFAULT="splash acpi_osi=\\"Windows 2015\\""'
        assert lines[5] == original[5]
        assert result["args_after"] == ('console=tty0 console=ttyS0,115200n8 iommu=pt quiet '
                                        'intel_iommu=on splash acpi_osi="Windows 2015"')

    def test_default_variable_target_and_linux_cleaned(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-odd")
        result = manager(FakeSystem(), root, proc, ensure=["console=ttyS0"],
                         grub_variable="GRUB_CMDLINE_LINUX_DEFAULT").run()
        text = read(os.path.join(root, "etc/default/grub"))
        assert "export GRUB_CMDLINE_LINUX='iommu=off quiet  quiet' # keep me" not in text
        assert "  export GRUB_CMDLINE_LINUX='iommu=off quiet quiet' # keep me\n" in text
        assert 'GRUB_CMDLINE_LINUX_DEFAULT="splash acpi_osi=\\"Windows 2015\\" nomodeset console=ttyS0"' in text
        # LINUX first, then DEFAULT: what the normal entry boots with
        assert result["args_after"].startswith("iommu=off quiet quiet splash")

    def test_value_with_single_quote_switches_to_double_quotes(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-odd")
        manager(FakeSystem(), root, proc, ensure=["label=it's"]).run()
        text = read(os.path.join(root, "etc/default/grub"))
        line = [x for x in text.splitlines() if x.startswith("  export")][0]
        assert sh.GrubDefaults([("/etc/default/grub", text)]).tokens("GRUB_CMDLINE_LINUX")[-1] == "label=it's"

    def test_self_append_is_edited_in_the_line_that_appends(self, tmp_path):
        # GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX crashkernel=auto" appends to the line before.
        root, proc = make_root(tmp_path, grub="grub-expansion")
        result = manager(FakeSystem(), root, proc, ensure=["intel_iommu=on"], remove=["quiet"]).run()
        text = read(os.path.join(root, "etc/default/grub"))
        assert text == ('GRUB_CMDLINE_LINUX=""\n'
                        'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX crashkernel=auto intel_iommu=on"\n')
        assert result["args_before"] == "quiet crashkernel=auto"
        assert result["args_after"] == "crashkernel=auto intel_iommu=on"

    def test_command_substitution_refused_clearly(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        path = os.path.join(root, "etc/default/grub")
        with open(path, "a") as handle:
            handle.write('GRUB_CMDLINE_LINUX="$(cat /etc/extra-args)"\n')
        before = read(path)
        with pytest.raises(SriovError) as info:
            manager(FakeSystem(), root, proc, ensure=["intel_iommu=on"]).run()
        assert "shell expansion" in info.value.msg and info.value.field == "grub_variable"
        assert "/etc/default/grub line 14" in info.value.msg
        assert read(path) == before

    def test_missing_variable_is_appended(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-no-variable")
        result = manager(FakeSystem(), root, proc, ensure=["intel_iommu=on"]).run()
        text = read(os.path.join(root, "etc/default/grub"))
        assert text == read(fixture("grub-no-variable")) + 'GRUB_CMDLINE_LINUX="intel_iommu=on"\n'
        assert result["args_before"] == ""

    def test_grub_d_drop_in_that_decides_the_value_is_edited(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        os.makedirs(os.path.join(root, "etc/default/grub.d"))
        dropin = os.path.join(root, "etc/default/grub.d/50-cloudimg.cfg")
        shutil.copy(fixture("grub-d-override.cfg"), dropin)
        result = manager(FakeSystem(), root, proc, ensure=["intel_iommu=on"]).run()
        assert read(os.path.join(root, "etc/default/grub")) == read(fixture("grub-debian12"))
        assert 'GRUB_CMDLINE_LINUX="console=tty1 console=ttyS0 intel_iommu=on"\n' in read(dropin)
        assert result["actions"] == ["edit /etc/default/grub.d/50-cloudimg.cfg", "run update-grub"]
        assert result["args_after"] == "console=tty1 console=ttyS0 intel_iommu=on quiet"
        assert result["diff"]["before_header"] == "/etc/default/grub.d/50-cloudimg.cfg"

    def test_offline_root_runs_no_command(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        system = FakeSystem()
        result = be.KernelCmdline(runner=system, root=root, proc_root=None, which=system.which,
                                  ensure=["amd_iommu=on"]).run()
        assert result["changed"] and system.calls == []
        assert result["reboot_required"] is False and result["running_args"] is None
        assert "grub configuration not regenerated: root is %s" % root in result["actions"]

    def test_grub2_mkconfig_path(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12", grub_cfg=False)
        os.makedirs(os.path.join(root, "boot/grub2"))
        open(os.path.join(root, "boot/grub2/grub.cfg"), "w").close()
        system = FakeSystem()
        system.which = lambda name: "/usr/sbin/grub2-mkconfig" if name == "grub2-mkconfig" else None
        manager(system, root, proc, ensure=["intel_iommu=on"]).run()
        assert system.calls == [["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"]]

    def test_update_bootloader_false(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        system = FakeSystem()
        result = manager(system, root, proc, ensure=["intel_iommu=on"], update_bootloader=False).run()
        assert result["changed"] and system.calls == []

    def test_update_grub_failure_is_reported(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        system = FakeSystem(fail={"update-grub": (1, "", "/usr/sbin/grub-probe: error: failed to get canonical path")})
        with pytest.raises(SriovError) as info:
            manager(system, root, proc, ensure=["intel_iommu=on"]).run()
        assert "canonical path" in info.value.msg and info.value.details["argv"] == ["update-grub"]


# --------------------------------------------------------------------------- kernel-install

class TestKernelInstall(object):
    def test_file_edited_and_entry_regenerated(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False, kernel_cmdline="kernel-cmdline")
        system = FakeSystem()
        result = manager(system, root, proc, ensure=["amd_iommu=on", "iommu=pt"], remove=["splash"]).run()
        assert result["backend"] == "kernel-install"
        assert read(os.path.join(root, "etc/kernel/cmdline")) == "root=UUID=0b1c rw quiet amd_iommu=on iommu=pt\n"
        assert system.calls == [["kernel-install", "add", "6.1.0-28-amd64", "/boot/vmlinuz-6.1.0-28-amd64"]]
        again = FakeSystem()
        second = manager(again, root, proc, ensure=["amd_iommu=on", "iommu=pt"], remove=["splash"]).run()
        assert not second["changed"] and again.calls == []

    def test_missing_file_starts_from_running_cmdline(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False)
        system = FakeSystem()
        result = manager(system, root, proc, backend="kernel-install", ensure=["intel_iommu=on"],
                         update_bootloader=False).run()
        assert read(os.path.join(root, "etc/kernel/cmdline")) == "root=/dev/vda1 ro quiet intel_iommu=on\n"
        assert result["diff"]["before"] == ""

    def test_check_mode(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False, kernel_cmdline="kernel-cmdline")
        system = FakeSystem()
        result = manager(system, root, proc, ensure=["intel_iommu=on"], check_mode=True).run()
        assert result["changed"] and system.calls == []
        assert read(os.path.join(root, "etc/kernel/cmdline")) == read(fixture("kernel-cmdline"))

    def test_reader_view_joins_lines_and_splits_like_the_kernel(self):
        # tr -s "$IFS" ' ' joins the lines; the kernel splits on its own spaces, not inside quotes.
        assert grubby.kernel_install_options(b'root=/dev/vda1  ro\n\tquiet\r\nfoo="a b"\n') == [
            "root=/dev/vda1", "ro", "quiet", 'foo="a b"']
        assert grubby.kernel_install_options(b"quiet\x1csplash\n") == ["quiet\x1csplash"]
        assert grubby.kernel_install_options(b"") == []

    def test_file_the_reader_splits_otherwise_is_refused(self, tmp_path):
        # Python's split takes \x1c for a space; kernel-install and the kernel keep it in the argument.
        root, proc = make_root(tmp_path, grub_cfg=False)
        os.makedirs(os.path.join(root, "etc/kernel"))
        with open(os.path.join(root, "etc/kernel/cmdline"), "wb") as handle:
            handle.write(b"root=/dev/vda1 quiet\x1csplash\n")
        system = FakeSystem()
        with pytest.raises(SriovError) as info:
            manager(system, root, proc, backend="kernel-install", ensure=["intel_iommu=on"]).run()
        assert "/etc/kernel/cmdline" in info.value.msg and "kernel-install reads" in info.value.msg
        assert "nothing was changed" in info.value.msg and system.calls == []
        with open(os.path.join(root, "etc/kernel/cmdline"), "rb") as handle:
            assert handle.read() == b"root=/dev/vda1 quiet\x1csplash\n"

    def test_write_that_reads_back_wrong_is_put_back(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False, kernel_cmdline="kernel-cmdline")
        path = os.path.join(root, "etc/kernel/cmdline")
        writes = []

        def lossy_write(target, data):
            writes.append(data)
            be.replace_file(target, data[:len(data) // 2] if len(writes) == 1 else data)
        system = FakeSystem()
        with pytest.raises(SriovError) as info:
            manager(system, root, proc, ensure=["amd_iommu=on", "iommu=pt"], write_file=lossy_write).run()
        assert "gives kernel-install the arguments" in info.value.msg
        assert "put back as it was" in info.value.msg and "kernel-install was not run" in info.value.msg
        assert read(path) == read(fixture("kernel-cmdline")) and system.calls == []
        assert info.value.details["restored"] == ["/etc/kernel/cmdline"]

    def test_kernel_install_failing_puts_the_file_back(self, tmp_path):
        # An edited file with old boot entries would make the next run say ok: it goes back.
        root, proc = make_root(tmp_path, grub_cfg=False, kernel_cmdline="kernel-cmdline")
        system = FakeSystem(fail={"kernel-install": (1, "", "No space left on device")})
        with pytest.raises(SriovError) as info:
            manager(system, root, proc, ensure=["intel_iommu=on"]).run()
        assert "No space left" in info.value.msg and "/etc/kernel/cmdline put back as they were" in info.value.msg
        assert read(os.path.join(root, "etc/kernel/cmdline")) == read(fixture("kernel-cmdline"))
        again = FakeSystem()
        assert manager(again, root, proc, ensure=["intel_iommu=on"]).run()["changed"] and again.calls

    def test_kernel_install_failing_removes_a_new_file(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False)
        system = FakeSystem(fail={"kernel-install": (1, "", "No space left on device")})
        with pytest.raises(SriovError) as info:
            manager(system, root, proc, backend="kernel-install", ensure=["intel_iommu=on"]).run()
        assert "removed again" in info.value.msg and not os.path.exists(os.path.join(root, "etc/kernel/cmdline"))

    def test_new_file_that_reads_back_wrong_is_removed(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False)
        path = os.path.join(root, "etc/kernel/cmdline")

        def lossy_write(target, data):
            be.replace_file(target, data.replace(b"intel_iommu=on", b"intel_iommu=on intel_iommu=on"))
        with pytest.raises(SriovError) as info:
            manager(FakeSystem(), root, proc, backend="kernel-install", ensure=["intel_iommu=on"],
                    write_file=lossy_write).run()
        assert "removed (there was none)" in info.value.msg and not os.path.exists(path)


# --------------------------------------------------------------------------- grubby

def grubby_system():
    entries = grubby.parse_grubby_info(read(fixture("grubby-info-all")))
    return FakeSystem(grubby_entries=[{"kernel": e["kernel"], "args": e["args"]} for e in entries])


class TestGrubby(object):
    def test_parse_info(self):
        entries = grubby.parse_grubby_info(read(fixture("grubby-info-all")))
        assert [e["index"] for e in entries] == ["0", "1"]
        assert entries[0]["args"].endswith("rhgb quiet")

    def test_all_entries_updated_and_verified(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = grubby_system()
        result = manager(system, "/", proc, ensure=["intel_iommu=on", "iommu=pt"], remove=["rhgb"]).run()
        assert result["backend"] == "grubby" and result["changed"]
        update = [c for c in system.calls if c[1] == "--update-kernel=ALL"]
        assert update == [["grubby", "--update-kernel=ALL", "--args=intel_iommu=on iommu=pt", "--remove-args=rhgb"]]
        for entry in system.grubby_entries:
            assert "iommu=pt" in entry["args"].split() and "rhgb" not in entry["args"].split()
        assert result["args_after"].endswith("quiet intel_iommu=on iommu=pt")
        again = manager(system, "/", proc, ensure=["intel_iommu=on", "iommu=pt"], remove=["rhgb"]).run()
        assert not again["changed"]
        assert [c for c in system.calls if c[1] == "--update-kernel=ALL"] == update

    def test_changed_when_only_a_non_default_entry_differs(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = grubby_system()
        result = manager(system, "/", proc, remove=["intel_iommu"], check_mode=True).run()
        assert result["changed"] and result["args_before"] == result["args_after"]
        assert [c[0:2] for c in system.calls] == [["grubby", "--info=ALL"]]

    def test_grubby_that_does_not_apply_is_caught(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = grubby_system()
        real = system.__call__

        def ignoring_updates(argv):
            if argv[:2] == ["grubby", "--update-kernel=ALL"]:
                system.calls.append(argv)
                return 0, "", ""
            return real(argv)
        with pytest.raises(SriovError) as info:
            be.KernelCmdline(runner=ignoring_updates, root="/", proc_root=proc, which=system.which,
                             ensure=["iommu=pt"], live=True).run()
        assert "grubby left entry" in info.value.msg

    def test_grubby_that_adds_twice_is_caught_and_put_back(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = grubby_system()
        old = [dict(e) for e in system.grubby_entries]
        real = system.__call__

        def appending_twice(argv):
            if argv[:2] == ["grubby", "--update-kernel=ALL"]:
                system.calls.append(argv)
                for entry in system.grubby_entries:
                    entry["args"] += " iommu=pt iommu=pt"
                return 0, "", ""
            return real(argv)
        with pytest.raises(SriovError) as info:
            be.KernelCmdline(runner=appending_twice, root="/", proc_root=proc, which=system.which,
                             ensure=["iommu=pt"], live=True).run()
        assert "grubby left entry" in info.value.msg and "holds iommu 2 times" in info.value.msg
        assert "given their old arguments back" in info.value.msg and "NOT" not in info.value.msg
        assert [sorted(e["args"].split()) for e in system.grubby_entries] == [sorted(e["args"].split()) for e in old]
        assert info.value.details["not_restored"] == []

    def test_grubby_that_cannot_be_put_back_says_so(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = grubby_system()
        real = system.__call__

        def stuck(argv):
            if argv[:2] == ["grubby", "--update-kernel=ALL"]:
                system.calls.append(argv)
                for entry in system.grubby_entries:
                    entry["args"] += " iommu=pt iommu=pt"
                return 0, "", ""
            if argv[0] == "grubby" and argv[1].startswith("--update-kernel="):
                return 1, "", "grubby: cannot write entry"
            return real(argv)
        with pytest.raises(SriovError) as info:
            be.KernelCmdline(runner=stuck, root="/", proc_root=proc, which=system.which,
                             ensure=["iommu=pt"], live=True).run()
        assert "NOT put back" in info.value.msg and len(info.value.details["not_restored"]) == 2

    def test_grubby_refused_for_offline_root(self, tmp_path):
        root, proc = make_root(tmp_path)
        with pytest.raises(SriovError) as info:
            be.KernelCmdline(runner=grubby_system(), root=root, backend="grubby", ensure=["a"]).run()
        assert info.value.field == "root"


# --------------------------------------------------------------------------- rpm-ostree

class TestRpmOstree(object):
    def test_detected_and_edited(self, tmp_path):
        root, proc = make_root(tmp_path)
        os.makedirs(os.path.join(root, "run"))
        open(os.path.join(root, "run/ostree-booted"), "w").close()
        system = FakeSystem(kargs=read(fixture("rpm-ostree-kargs")).strip())
        result = manager(system, root, proc, ensure=["intel_iommu=on", "mitigations=off"]).run()
        assert result["backend"] == "rpm-ostree" and result["changed"]
        assert ["rpm-ostree", "kargs", "--delete-if-present=mitigations=auto,nosmt",
                "--append-if-missing=mitigations=off", "--append-if-missing=intel_iommu=on"] in system.calls
        assert "$ignition_firstboot" in system.kargs.split()
        assert result["args_after"] == system.kargs
        calls = len(system.calls)
        again = manager(system, root, proc, ensure=["intel_iommu=on", "mitigations=off"]).run()
        assert not again["changed"] and len(system.calls) == calls + 1

    def test_check_mode(self, tmp_path):
        root, proc = make_root(tmp_path)
        system = FakeSystem(kargs="rw quiet")
        result = manager(system, root, proc, backend="rpm-ostree", ensure=["iommu=pt"], check_mode=True).run()
        assert result["changed"] and system.calls == [["rpm-ostree", "kargs"]] and system.kargs == "rw quiet"


# --------------------------------------------------------------------------- detection and files

class TestDetection(object):
    def test_nothing_found(self, tmp_path):
        root, proc = make_root(tmp_path, grub_cfg=False)
        with pytest.raises(SriovError) as info:
            manager(FakeSystem(), root, proc, ensure=["a"]).run()
        assert info.value.field == "backend"

    def test_grubby_wins_over_grub_defaults_on_live_system(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12")
        assert manager(grubby_system(), root, proc).detect_backend() == "grubby"

    def test_grub_with_cfg_wins_over_kernel_cmdline(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12", kernel_cmdline="kernel-cmdline")
        assert manager(FakeSystem(), root, proc).detect_backend() == "grub"

    def test_override(self, tmp_path):
        root, proc = make_root(tmp_path, grub="grub-debian12", kernel_cmdline="kernel-cmdline")
        assert manager(FakeSystem(), root, proc, backend="kernel-install").detect_backend() == "kernel-install"


def test_replace_file_replaces_and_keeps_mode(tmp_path):
    path = str(tmp_path / "f")
    with open(path, "w") as handle:
        handle.write("old")
    os.chmod(path, 0o600)
    inode = os.stat(path).st_ino
    be.replace_file(path, b"new\n")
    assert read(path) == "new\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.stat(path).st_ino != inode  # replaced by rename, not rewritten in place
    assert os.listdir(str(tmp_path)) == ["f"]
