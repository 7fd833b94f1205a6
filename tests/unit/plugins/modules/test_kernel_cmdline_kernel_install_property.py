# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated /etc/kernel/cmdline files (spaces, tabs, blank lines, CRLF, quotes, odd bytes)
through the kernel-install back-end, judged by kernel-install's own reading of the file
(``tr -s "$IFS" ' '`` run by the shell, as its plugins do): never a wrong success."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import tempfile

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_sourced as _sourced  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import parse_token, split_cmdline  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import KernelCmdline  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_grubby import kernel_install_options  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import problems  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError  # noqa: E402

SH = shutil.which("dash") or "/bin/sh"
# What 90-loaderentry.install does with the file (IFS is space, tab, newline in a fresh shell).
READ = 'BOOT_OPTIONS="$(tr -s "$IFS" \' \' <"$1")"; printf %s "${BOOT_OPTIONS% }"'
WORDS = st.sampled_from([b"quiet", b"splash", b"intel_iommu=on", b"intel_iommu=off", b"iommu=pt", b'foo="a b"',
                         b"root=UUID=0b1c", b"#", b"\xc3\xa9t\xc3\xa9", b"x\x1cy", b"x\x0by", b'"', b"iommu"])
SEPARATORS = st.sampled_from([b" ", b"  ", b"\t", b"\n", b"\r\n", b"\n\n", b" \n"])


@st.composite
def cmdline_file(draw):
    words = draw(st.lists(WORDS, max_size=6))
    out = b""
    for word in words:
        out += word + draw(SEPARATORS)
    return out if draw(st.booleans()) else out.rstrip()


def kernel_sees(path):
    out = subprocess.check_output([SH, "-c", READ, "sh", path], env={"PATH": "/usr/bin:/bin"})
    return kernel_install_options(out)  # the kernel's split of the line kernel-install wrote


def test_the_model_of_tr_is_what_the_shell_does(tmp_path):
    path = str(tmp_path / "cmdline")
    for data in (b"a  b\n\tc\r\nd\n\n", b"", b"\n", b' foo="x  y" \n'):
        with open(path, "wb") as handle:
            handle.write(data)
        assert kernel_sees(path) == kernel_install_options(data), data


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=cmdline_file(), want=st.lists(st.sampled_from(["intel_iommu=on", "iommu=pt", "quiet"]), min_size=1, max_size=2,
                                          unique=True),
       remove=st.lists(st.sampled_from(["splash", "iommu"]), max_size=1))
def test_no_wrong_success(data, want, remove):
    top = tempfile.mkdtemp(dir=_sourced._scratch_parent())
    try:
        root = os.path.join(top, "root")
        os.makedirs(os.path.join(root, "etc", "kernel"))
        path = os.path.join(root, "etc", "kernel", "cmdline")
        with open(path, "wb") as handle:
            handle.write(data)
        remove = [r for r in remove if r not in [parse_token(w)[0] for w in want]]
        before = kernel_sees(path)
        manager = KernelCmdline(runner=lambda argv: (0, "", ""), ensure=want, remove=remove, backend="kernel-install",
                                root=root, proc_root=None, update_bootloader=False, live=False)
        try:
            result = manager.run()
        except SriovError:
            with open(path, "rb") as handle:
                assert handle.read() == data, "a refusal changes nothing"
            return
        after = kernel_sees(path)
        pairs = [parse_token(w) for w in want]
        assert problems(after, pairs, [parse_token(r) for r in remove]) == []
        keys = set(k for k, _v in pairs) | set(parse_token(r)[0] for r in remove)
        assert [t for t in before if parse_token(t)[0] not in keys] == [t for t in after if parse_token(t)[0] not in keys]
        assert split_cmdline(result["args_after"]) == after
    finally:
        shutil.rmtree(top)
