# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the uncompressed ELF kernel inside a bzImage (XZ-compressed, as Debian builds it):
   python3 extract_vmlinux.py BZIMAGE OUTPUT
QEMU boots such an ELF directly through its PVH entry point (CONFIG_PVH), which spares the
nested guest the kernel's own decompression: seconds natively, minutes under nested TCG."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import lzma
import os
import sys

XZ_MAGIC = b"\xfd7zXZ\x00"


def main(source, output):
    with open(source, "rb") as handle:
        data = handle.read()
    start = data.find(XZ_MAGIC)
    while start >= 0:
        try:
            elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[start:])
        except lzma.LZMAError:
            elf = b""
        if elf.startswith(b"\x7fELF"):
            with open(output + ".tmp", "wb") as handle:
                handle.write(elf)
            os.chmod(output + ".tmp", 0o644)
            os.rename(output + ".tmp", output)
            print("%s: %d bytes" % (output, len(elf)))
            return 0
        start = data.find(XZ_MAGIC, start + 1)
    sys.stderr.write("no XZ-compressed ELF kernel in %s\n" % source)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
