# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What grubby and rpm-ostree print about the stored command lines, parsed.

Pure standard library (no command runs here: ``_cmdline_backends`` runs them).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import split_cmdline


def parse_grubby_info(text):
    """Parse ``grubby --info=ALL`` into a list of dicts (index, kernel, args, ...).

    Entries without ``args`` (grubby lists non-Linux entries too) are left out.
    """
    entries = []
    current = None
    for line in text.splitlines():
        line = line.strip()
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key == "index":
            current = {"index": value}
            entries.append(current)
        elif current is not None:
            current[key] = value
    return [e for e in entries if "args" in e]


def parse_ostree_kargs(text):
    """The tokens of ``rpm-ostree kargs`` (one line: the staged or booted deployment's)."""
    return split_cmdline(text.strip())
