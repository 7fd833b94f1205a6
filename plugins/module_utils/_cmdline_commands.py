# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The back-ends edited through their commands: grubby (boot loader spec entries) and rpm-ostree.

Mix-ins of ``_cmdline_backends.KernelCmdline``. ``_cmdline_grubby`` parses what the commands print;
every grubby entry is read back with ``grubby --info=ALL`` and judged (each wanted argument once,
nothing removed left), and on a mismatch every entry gets its old arguments back; rpm-ostree's
staged arguments are read back and judged.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import check_length, edit_tokens, join_cmdline, parse_token, satisfied, split_cmdline
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_files import line_diff
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grubby import parse_grubby_info, parse_ostree_kargs
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import problems
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


class GrubbyBackend(object):
    """``_apply_grubby``: every entry edited at once, read back, put back on a mismatch."""

    def _grubby_entries(self):
        entries = parse_grubby_info(self._run(["grubby", "--info=ALL"], "grubby --info=ALL"))
        if not entries:
            raise SriovError("grubby --info=ALL listed no boot entry with args", field="backend")
        return entries

    def _apply_grubby(self, ensure, remove):
        entries = self._grubby_entries()
        before = split_cmdline(entries[0]["args"])
        after = edit_tokens(before, ensure, remove)
        pending = [e for e in entries if not satisfied(split_cmdline(e["args"]), ensure, remove)]
        for entry in pending:
            check_length(edit_tokens(split_cmdline(entry["args"]), ensure, remove),
                         "grubby entry %s" % entry.get("kernel", entry["index"]))
        if pending:
            add, drop = self._delta(entries, ensure, remove)
            argv = ["grubby", "--update-kernel=ALL"]
            if add:
                argv.append("--args=%s" % join_cmdline(add))
            if drop:
                argv.append("--remove-args=%s" % join_cmdline(drop))
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "grubby")
                self._grubby_check_written(entries, ensure, remove)
        return before, after, line_diff("grubby default entry args", before, after), bool(pending)

    @staticmethod
    def _entry_name(entry):
        return entry.get("kernel", entry["index"])

    def _grubby_check_written(self, old_entries, ensure, remove):
        """Read every entry back from grubby --info=ALL: each must hold every wanted argument once
        and nothing removed. On a mismatch, give every entry its old arguments back and fail."""
        wrong = []
        for entry in self._grubby_entries():
            tokens = split_cmdline(entry["args"])
            found = problems(tokens, ensure, remove)
            if found or not satisfied(tokens, ensure, remove):
                wrong.append("entry %s %s" % (self._entry_name(entry), "; ".join(found) or "has args %r" % entry["args"]))
        if not wrong:
            return
        restored, lost = self._grubby_restore(old_entries)
        raise SriovError("grubby left %s; %s%s" % (
            ", ".join(wrong), "the entries were given their old arguments back" if not lost else
            "%d entries were given their old arguments back" % len(restored),
            "; NOT put back: %s" % ", ".join(lost) if lost else ""),
            details={"wrong": wrong, "restored": restored, "not_restored": lost})

    def _grubby_restore(self, old_entries):
        """Give each entry its arguments of old_entries back; (restored, not restored) names."""
        try:
            now = dict((self._entry_name(e), e) for e in self._grubby_entries())
        except SriovError:
            now = {}
        restored = []
        lost = []
        for old in old_entries:
            name = self._entry_name(old)
            wanted = split_cmdline(old["args"])
            current = now.get(name)
            if current is not None and sorted(split_cmdline(current["args"])) != sorted(wanted):
                tokens = split_cmdline(current["args"])
                argv = ["grubby", "--update-kernel=%s" % name]
                drop = [t for t in tokens if t not in wanted]
                add = [t for t in wanted if t not in tokens]
                if drop:
                    argv.append("--remove-args=%s" % join_cmdline(drop))
                if add:
                    argv.append("--args=%s" % join_cmdline(add))
                self.actions.append("run %s" % " ".join(argv))
                self.runner(argv)
        try:
            after = dict((self._entry_name(e), e) for e in self._grubby_entries())
        except SriovError:
            after = {}
        for old in old_entries:
            name = self._entry_name(old)
            # grubby appends what it adds: the old arguments come back, perhaps in another order.
            if name in after and sorted(split_cmdline(after[name]["args"])) == sorted(split_cmdline(old["args"])):
                restored.append(name)
            else:
                lost.append(name)
        return restored, lost

    @staticmethod
    def _delta(entries, ensure, remove):
        """Arguments to add and to remove so that every entry satisfies the request."""
        add = []
        drop = []
        for entry in entries:
            old = split_cmdline(entry["args"])
            new = edit_tokens(old, ensure, remove)
            for token in old:
                if token not in new and token not in drop:
                    drop.append(token)
            for token in new:
                if token not in old and token not in add:
                    add.append(token)
        # grubby --args=key=value already replaces the old value of key: no need to remove it.
        added_keys = set(parse_token(t)[0] for t in add if parse_token(t)[1] is not None)
        drop = [t for t in drop if parse_token(t)[0] not in added_keys]
        return add, drop


class RpmOstreeBackend(object):
    """``_apply_rpm_ostree``: the staged deployment's kernel arguments."""

    def _kargs(self):
        return parse_ostree_kargs(self._run(["rpm-ostree", "kargs"], "rpm-ostree kargs"))

    def _apply_rpm_ostree(self, ensure, remove):
        before = self._kargs()
        after = edit_tokens(before, ensure, remove)
        if after != before:
            check_length(after, "rpm-ostree kargs")
            argv = ["rpm-ostree", "kargs"]
            for token in before:
                if token not in after:
                    argv.append("--delete-if-present=%s" % token)
            for token in after:
                if token not in before:
                    argv.append("--append-if-missing=%s" % token)
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "rpm-ostree kargs")
                staged = self._kargs()
                if not satisfied(staged, ensure, remove):
                    raise SriovError("rpm-ostree kargs left %r" % join_cmdline(staged))
                after = staged
        return before, after, line_diff("rpm-ostree kargs", before, after), after != before
