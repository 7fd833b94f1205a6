# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one file writer: a wanted file against the one on disk, written only when it differs.

``converge_file`` compares, records the action and diff, and (not in check mode) writes through a
temporary file renamed over the old one, so a failed write leaves the previous file whole. Used by
sriov_host (the boot-time replay files) and iommu_host (the vfio modules-load file). Kept apart
from ``_host`` so a module that writes files does not import (and, run from a module's zip, compile)
the VF code it does not use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
import tempfile

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


class PersistedFile(object):
    """One file of the boot-time replay: wanted content and mode against what is on disk."""

    def __init__(self, path, root, text, mode, summarise=False):
        self.path = path
        self.real = os.path.join(root, path.lstrip("/"))
        self.text = text
        self.mode = mode
        self.summarise = summarise
        self.current = None
        self.current_mode = None
        try:
            with open(self.real, "r") as handle:
                self.current = handle.read()
            self.current_mode = os.stat(self.real).st_mode & 0o7777
        except (IOError, OSError, UnicodeDecodeError):
            pass

    @property
    def content_changed(self):
        return self.current != self.text

    @property
    def changed(self):
        return self.content_changed or self.current_mode != self.mode

    def action(self):
        if self.current is None:
            return "write %s (mode %04o)" % (self.path, self.mode)
        if self.content_changed:
            return "rewrite %s" % self.path
        return "set mode of %s from %04o to %04o" % (self.path, self.current_mode, self.mode)

    def diff(self):
        def side(text):
            if text is None:
                return ""
            if self.summarise:
                return "%d bytes, sha256 %s\n" % (len(text), hashlib.sha256(text.encode("utf-8")).hexdigest())
            return text
        return {"before_header": self.path, "after_header": self.path,
                "before": side(self.current), "after": side(self.text)}

    def restore(self):
        """Put back what was on disk before ``write`` (remove the file when there was none)."""
        if self.current is None:
            if os.path.lexists(self.real):
                os.unlink(self.real)
            return
        undo = PersistedFile(self.path, "/", self.current, self.current_mode)
        undo.real = self.real
        undo.current = None  # force the content write
        undo.write()

    def write(self):
        directory = os.path.dirname(self.real)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        if self.content_changed:
            handle, temp = tempfile.mkstemp(dir=directory, prefix=".directiron-sriov.")
            try:
                with os.fdopen(handle, "w") as out:
                    out.write(self.text)
                os.chmod(temp, self.mode)
                os.rename(temp, self.real)
            except BaseException:
                if os.path.exists(temp):
                    os.unlink(temp)
                raise
        else:
            os.chmod(self.real, self.mode)


def converge_file(persisted, actions, diffs, check_mode):
    """Write a PersistedFile when it differs (not in check mode); its action and diff are recorded.

    Returns whether it differed. A failed write raises SriovError with the actions done before it.
    """
    if not persisted.changed:
        return False
    actions.append(persisted.action())
    diffs.append(persisted.diff())
    if not check_mode:
        try:
            persisted.write()
        except (IOError, OSError) as exc:
            # The previous file stays whole: the new content goes to a temporary file first.
            raise SriovError("writing %s failed: %s (%s); the previous file is unchanged"
                             % (persisted.path, exc.strerror or exc, errno.errorcode.get(exc.errno, exc.errno)),
                             details={"actions_done": list(actions[:-1])})
    return True
