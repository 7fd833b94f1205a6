# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the readers of the stored command lines see: grubby's and rpm-ostree's output, parsed,
and /etc/kernel/cmdline as kernel-install takes it.

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


# kernel-install's plugins (systemd's 90-loaderentry.install, and the UKI and shim plugins that
# copy it) read the file with  tr -s "$IFS" ' ' <file  (IFS: space, tab, newline) and drop one
# trailing space; the kernel's next_arg() then splits that line on the bytes lib/ctype.c calls
# space, outside double quotes.
_IFS = b" \t\n"
_KERNEL_SPACE = b" \t\n\v\f\r\xa0"


def kernel_install_options(raw):
    """The arguments the kernel gets from /etc/kernel/cmdline's bytes raw through kernel-install."""
    squeezed = bytearray()
    for byte in bytearray(raw):
        if byte in bytearray(_IFS):
            if not squeezed or squeezed[-1:] != b" ":
                squeezed.extend(b" ")
        else:
            squeezed.append(byte)
    if squeezed[-1:] == b" ":
        squeezed = squeezed[:-1]
    tokens = []
    current = bytearray()
    quoted = False
    for byte in squeezed:
        if byte == ord('"'):
            quoted = not quoted
            current.append(byte)
        elif byte in bytearray(_KERNEL_SPACE) and not quoted:
            if current:
                tokens.append(bytes(current))
                current = bytearray()
        else:
            current.append(byte)
    if current:
        tokens.append(bytes(current))
    return [t.decode("utf-8", "surrogateescape") for t in tokens]


def parse_ostree_kargs(text):
    """The tokens of ``rpm-ostree kargs`` (one line: the staged or booted deployment's)."""
    return split_cmdline(text.strip())
