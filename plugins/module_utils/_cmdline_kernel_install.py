# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kernel-install's command line (``/etc/kernel/cmdline``): a mix-in of ``_cmdline_backends.KernelCmdline``.

The file is judged as kernel-install reads it (``_cmdline_grubby.kernel_install_options``): a file
it splits otherwise than this module is refused, the new bytes are judged before the write, the
written file read back and put back on a mismatch; then ``kernel-install add``. The manager gives
the root, the runner, the writers and the running arguments.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import check_length, edit_tokens, join_cmdline, parse_token, split_cmdline
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import ConfigFile, display_text, text_diff
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grubby import kernel_install_options
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import problems
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

KERNEL_CMDLINE_FILE = "etc/kernel/cmdline"


class KernelInstallBackend(object):
    """``_apply_kernel_install`` and its checks, for ``KernelCmdline``."""

    def _kernel_install_base(self):
        """The arguments kernel-install starts from, and the file it reads them from (or None)."""
        for relative in (KERNEL_CMDLINE_FILE, "usr/lib/kernel/cmdline"):
            config = ConfigFile(self.root, relative).load(missing_ok=True)
            if config.exists:
                return split_cmdline(config.text.strip()), config
        running = self.running_tokens() if self.live else None
        if running is None:
            return [], None
        # kernel-install starts from /proc/cmdline when no file exists; these are per boot.
        return [t for t in running if parse_token(t)[0] not in ("BOOT_IMAGE", "initrd")], None

    def _kernel_install_refuse(self, config, what):
        raise SriovError("%s: %s; nothing was changed" % (config.label, what), field="backend",
                         details={"file": config.display})

    def _apply_kernel_install(self, ensure, remove):
        config = ConfigFile(self.root, KERNEL_CMDLINE_FILE).load(missing_ok=True)
        before, source = self._kernel_install_base()
        # The reader decides: kernel-install's view of the file the plan starts from must be the
        # arguments the plan reads there.
        if source is not None and kernel_install_options(source.raw) != before:
            self._kernel_install_refuse(source, "kernel-install reads the arguments %r where this module reads %r "
                                        "(whitespace or bytes the two split differently), so it is not edited" % (
                                            display_text(join_cmdline(kernel_install_options(source.raw))),
                                            display_text(join_cmdline(before))))
        after = edit_tokens(before, ensure, remove)
        new_text = config.text
        if after != before:
            check_length(after, config.label)
            newline = "\r\n" if config.crlf else "\n"
            new_text = join_cmdline(after) + newline
            data = config.encode(new_text)
            # What kernel-install will take from the new file must be what was asked for.
            wrong = problems(kernel_install_options(data), ensure, remove)
            if kernel_install_options(data) != after or wrong:
                self._kernel_install_refuse(config, "the edit would give kernel-install the arguments %r (%s), not %r, "
                                            "so it is not made" % (
                                                display_text(join_cmdline(kernel_install_options(data))),
                                                "; ".join(wrong) or "another line", display_text(join_cmdline(after))))
            self.actions.append("write %s" % config.label)
            self.warnings.extend(config.notes())
            if not os.path.isdir(os.path.dirname(config.path)) and not self.check_mode:
                os.makedirs(os.path.dirname(config.path))
            if config.exists or not self.check_mode:
                self._write_all([(config, data)])
            if not self.check_mode:
                self._kernel_install_check_written(config, after)
            try:
                self._kernel_install_regenerate()
            except SriovError as exc:
                if self.check_mode:
                    raise
                if config.exists:
                    raise self._regenerate_failed(exc, [(config, data)])
                try:
                    os.unlink(config.path)
                except OSError:
                    raise SriovError("%s; %s was NOT removed" % (exc.msg, config.label), field=exc.field, details=exc.details)
                raise SriovError("%s; %s removed again (there was none): the next run writes it and runs kernel-install again"
                                 % (exc.msg, config.label), field=exc.field, details=exc.details)
        return before, after, text_diff(config.label, config.text, new_text), config.text != new_text

    def _kernel_install_check_written(self, config, after):
        """Read the written file as kernel-install will; on a mismatch put the old one back and fail."""
        try:
            seen = kernel_install_options(ConfigFile(self.root, KERNEL_CMDLINE_FILE).load().raw)
            problem = None if seen == after else "gives kernel-install the arguments %r, not %r" % (
                display_text(join_cmdline(seen)), display_text(join_cmdline(after)))
        except SriovError as exc:
            problem = "cannot be read back (%s)" % exc
        if problem is None:
            return
        try:
            if config.exists:
                self.write_file(config.path, config.raw)
            else:
                os.unlink(config.path)
            undone = "it was put back as it was" if config.exists else "it was removed (there was none)"
            restored = [config.label]
        except (IOError, OSError) as exc:
            undone = "it could NOT be put back (%s)" % (exc.strerror or exc)
            restored = []
        raise SriovError("%s as written %s; %s; kernel-install was not run" % (config.label, problem, undone),
                         field="backend", details={"restored": restored, "not_restored": [] if restored else [config.label]})

    def _kernel_install_regenerate(self):
        if not self._may_regenerate("boot entries"):
            return
        release = self.kernel_release
        image = None
        for base in ("/usr/lib/modules", "/lib/modules"):
            candidate = os.path.join(base, release, "vmlinuz")
            if os.path.isfile(candidate):
                image = candidate
                break
        if image is None:
            image = "/boot/vmlinuz-%s" % release
        if not self.which("kernel-install"):
            raise SriovError("kernel-install not found; set update_bootloader=false to only "
                             "edit /etc/kernel/cmdline", field="update_bootloader")
        argv = ["kernel-install", "add", release, image]
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, "kernel-install")
