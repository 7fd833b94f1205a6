# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grub back-end of ``KernelCmdline``: /etc/default/grub and its drop-ins, edited as
``_cmdline_shell`` plans and judged by the shell (``_cmdline_sourced``), then update-grub.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import check_length, join_cmdline, parse_token
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import (
    BOOTLOADER_ARGS, ConfigFile, GRUB_DEFAULT_FILE, GRUB_DROPIN_DIR, display_text, resolve_under_root, text_diff)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_shell import GrubDefaults
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import pick_shell, problems, source_grub
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


class GrubBackend(object):
    """The grub methods of KernelCmdline (a mix-in: it uses the manager's attributes)."""

    def _grub_mkconfig_argv(self):
        if self.which("update-grub"):
            return ["update-grub"]
        for tool, default in (("grub2-mkconfig", "boot/grub2/grub.cfg"),
                              ("grub-mkconfig", "boot/grub/grub.cfg")):
            if self.which(tool):
                output = default
                for candidate in ("boot/grub2/grub.cfg", "boot/grub/grub.cfg"):
                    if os.path.isfile(self._path(candidate)):
                        output = candidate
                        break
                return [tool, "-o", "/" + output]
        raise SriovError("neither update-grub nor grub2-mkconfig nor grub-mkconfig was found; "
                         "set update_bootloader=false to only edit /etc/default/grub",
                         field="update_bootloader")

    def _grub_files(self):
        """/etc/default/grub, then the drop-ins in the order grub-mkconfig sources them.

        A drop-in the shell's ``[ -e ]`` skips (a dangling link, a symlink loop) is left out, as
        grub-mkconfig leaves it out; two names of one file are both kept (it is sourced twice).
        """
        files = [ConfigFile(self.root, GRUB_DEFAULT_FILE).load()]
        directory = self._path(GRUB_DROPIN_DIR)
        if os.path.isdir(directory):
            # grub-mkconfig: for x in /etc/default/grub.d/*.cfg (the glob skips dot files).
            for entry in sorted(os.listdir(directory)):
                if entry.endswith(".cfg") and not entry.startswith("."):
                    try:
                        config = ConfigFile(self.root, "%s/%s" % (GRUB_DROPIN_DIR, entry))
                    except SriovError:
                        continue  # a symlink loop: [ -e ] is false, grub-mkconfig skips it
                    if os.path.isfile(config.path):
                        files.append(config.load())
        return files

    def _target_shell(self):
        """The name of the target's /bin/sh (dash, bash, ...), or None when it cannot be told."""
        try:
            target = resolve_under_root(self.root, "bin/sh")
        except SriovError:
            return None
        path = self._path(target)
        if not os.path.exists(path):
            return None
        return os.path.basename(os.path.realpath(path))

    def _shell_is_dash(self):
        return (self._target_shell() or "").startswith("dash")

    def _bls_entries(self):
        """The boot loader spec entries below root (/boot/loader/entries/*.conf) whose options
        grub-mkconfig does not set: those without ``$kernelopts`` (RHEL 8's entries take it
        from grubenv, which grub2-mkconfig writes from GRUB_CMDLINE_LINUX)."""
        directory = self._path("boot/loader/entries")
        try:
            names = sorted(n for n in os.listdir(directory) if n.endswith(".conf"))
        except OSError:
            return []
        own = []
        for name in names:
            try:
                with open(os.path.join(directory, name), "rb") as handle:
                    text = handle.read().decode("utf-8", "replace")
            except (IOError, OSError):
                own.append(name)
                continue
            if "$kernelopts" not in text:
                own.append(name)
        return own

    def _bootloader_args(self):
        running = self.running_tokens() if self.live else None
        return [t for t in running or [] if parse_token(t)[0] in BOOTLOADER_ARGS]

    def _source(self, files, contents):
        """What grub-mkconfig's shell reads from files, with contents {path: bytes} in place of
        what they hold (every name of an edited file gets its new bytes)."""
        # The target's /bin/sh: dash is judged by dash, bash by bash. A root whose /bin/sh cannot
        # be told (none, or a link that leaves the root) may have either: both judge, and a file
        # they read differently, or that stops one of them, is refused.
        target = self._target_shell()
        data = [contents.get(f.path, f.raw) for f in files]
        dropins = [(os.path.basename(f.display), d) for f, d in zip(files[1:], data[1:])]
        if target is not None:
            shell = shutil.which("bash") if target.startswith("bash") else None
            return source_grub(data[0], dropins, shell=shell or pick_shell())
        judges = [s for s in (shutil.which("bash"), shutil.which("dash")) if s] or [pick_shell()]
        seen = []
        for shell in judges:
            try:
                seen.append(source_grub(data[0], dropins, shell=shell))
            except SriovError as exc:
                raise SriovError("%s (judged by %s: the root's /bin/sh cannot be told, and it may be %s)"
                                 % (exc.msg, os.path.basename(shell), os.path.basename(shell)),
                                 field=exc.field, details=exc.details)
        if any(s.joined() != seen[0].joined() for s in seen[1:]):
            raise SriovError(
                "the GRUB defaults give %s; the root's /bin/sh cannot be told, so they are not edited; nothing was changed"
                % " but ".join("%s %r" % (os.path.basename(j), display_text(join_cmdline(s.joined())))
                               for j, s in zip(judges, seen)), field="grub_variable")
        return seen[0]

    def _grub_refuse(self, where, what):
        raise SriovError("%s: %s; nothing was changed" % (where, what), field="grub_variable",
                         details={"where": where})

    def _apply_grub(self, ensure, remove):
        files = self._grub_files()
        defaults = GrubDefaults([(f.display, f.text) for f in files], dash=self._shell_is_dash())
        texts, before, after = defaults.plan(self.grub_variable, ensure, remove)
        # The shell decides: the line grub-mkconfig reads now must be the one the plan starts from.
        current = self._source(files, {})
        sourced = current.joined()
        entries = self._bls_entries() if current.blscfg == "true" else []
        if entries:
            # grub-mkconfig then writes blscfg into grub.cfg and the boot line comes from the
            # entries' own options: an edit here (or an ok) would not be what boots.
            self._grub_refuse(files[0].display, "GRUB_ENABLE_BLSCFG=true and /boot/loader/entries holds %s with "
                              "options of their own: the boot line comes from those entries, which grub-mkconfig "
                              "does not rewrite from GRUB_CMDLINE_LINUX; set backend: grubby (it edits the entries)"
                              % ", ".join(entries[:3]))
        if sourced != before:
            self._grub_refuse(
                ", ".join(defaults.lines()) or files[0].display,
                "grub-mkconfig's shell reads the arguments %r where these lines give %r: the files hold "
                "something this module does not follow, so they are not edited"
                % (display_text(join_cmdline(sourced)), display_text(join_cmdline(before))))
        contents = {}
        for config in files:
            if config.display in texts:
                contents[config.path] = config.encode(texts[config.display])
        # One write per file, under a name whose text was edited (two names may lead to it).
        named = dict((f.path, f) for f in files if f.display in texts)
        changes = []
        for config in files:
            if config.path in named and config.path not in [c.path for c, _d in changes]:
                changes.append((named[config.path], contents[config.path]))
        wrong = problems(sourced, ensure, remove) if not changes else []
        if wrong:
            self._grub_refuse(", ".join(defaults.lines()) or files[0].display,
                              "the boot line %s and this module finds no edit for it"
                              % " and ".join(wrong))
        if changes:
            check_length(after, "the grub boot entry", extra=self._bootloader_args())
            # What grub-mkconfig will read after the edit must be what was asked for, each wanted
            # argument once: the candidate files are sourced before anything is written.
            edited = self._source(files, contents).joined()
            wrong = problems(edited, ensure, remove)
            if edited != after or wrong:
                self._grub_refuse(
                    ", ".join(defaults.edited) or files[0].display,
                    "the edit would give grub-mkconfig the arguments %r (%s), not %r, so it is not made"
                    % (display_text(join_cmdline(edited)), "; ".join(wrong) or "another line",
                       display_text(join_cmdline(after))))
        for config, _data in changes:
            self.warnings.extend(config.notes())
            self.actions.append("edit %s" % config.label)
        self._write_all(changes)
        if changes:
            if not self.check_mode:
                self._grub_check_written(changes, after)
            try:
                self._grub_regenerate()
            except SriovError as exc:
                # Edited defaults with the old grub.cfg would make the next run say ok while the
                # boot line lacks the arguments: the defaults go back, the next run tries again.
                raise self._regenerate_failed(exc, changes)
        diffs = [text_diff(f.label, f.text, texts[f.display]) for f, _d in changes]
        if not diffs:
            diffs = [text_diff(files[0].label, files[0].text, files[0].text)]
        return before, after, diffs[0] if len(diffs) == 1 else diffs, bool(changes)

    def _grub_check_written(self, changes, after):
        """Source the real files again; on a mismatch put every written file back and fail."""
        try:
            sourced = self._source(self._grub_files(), {}).joined()
            problem = None if sourced == after else "give the arguments %r, not %r" % (
                display_text(join_cmdline(sourced)), display_text(join_cmdline(after)))
        except SriovError as exc:
            problem = "cannot be read back (%s)" % exc
        if problem is None:
            return
        restored, lost = self._put_back(changes)
        raise SriovError(
            "the GRUB defaults as written %s; %s%s" % (
                problem, "%s put back as they were" % ", ".join(restored) if restored else "nothing could be put back",
                "; NOT put back: %s" % ", ".join(lost) if lost else ""),
            field="grub_variable", details={"restored": restored, "not_restored": lost})

    def _put_back(self, changes):
        """Write every changed file's old bytes back: (labels put back, labels not put back)."""
        restored = []
        for config, _data in changes:
            try:
                self.write_file(config.path, config.raw)
                restored.append(config.label)
            except (IOError, OSError):
                pass
        return restored, [c.label for c, _d in changes if c.label not in restored]

    def _regenerate_failed(self, exc, changes):
        """exc (the bootloader command failed after the write) with the written files put back."""
        restored, lost = self._put_back(changes)
        details = dict(exc.details or {})
        details.update({"restored": restored, "not_restored": lost})
        return SriovError("%s; %s%s" % (
            exc.msg, "%s put back as they were (the boot configuration was not regenerated: the next run "
            "edits and regenerates again)" % ", ".join(restored) if restored else "nothing could be put back",
            "; NOT put back: %s" % ", ".join(lost) if lost else ""), field=exc.field, details=details)

    def _grub_regenerate(self):
        if not self._may_regenerate("grub configuration"):
            return
        argv = self._grub_mkconfig_argv()
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, argv[0])
