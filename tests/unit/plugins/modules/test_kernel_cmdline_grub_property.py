# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Generated GRUB defaults (assignments, quoting, expansions, comments, heredocs, drop-ins,
symlinks) through the editor, judged by dash: never a wrong success (ok or changed while the
line grub-mkconfig sources lacks a wanted argument or holds it twice)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_backends import KernelCmdline  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils import _cmdline_sourced as _sourced  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_sourced import problems  # noqa: E402
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError  # noqa: E402
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.test_kernel_cmdline_shell_judge import sourced  # noqa: E402

DASH = shutil.which("dash")
VARS = ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]
ARGS = st.sampled_from(["quiet", "splash", "intel_iommu=on", "intel_iommu=off", "iommu=pt", "a=b c", "x'y"])


def _value(tokens, quote):
    text = " ".join(tokens)
    if quote == "'" and "'" not in text:
        return "'%s'" % text
    return '"%s"' % text.replace('"', '\\"').replace("$", "\\$")


@st.composite
def statement(draw):
    name = draw(st.sampled_from(VARS))
    tokens = draw(st.lists(ARGS, max_size=3))
    kind = draw(st.sampled_from(["set", "append", "export", "comment", "heredoc", "subshell", "if",
                                 "expand", "return", "other"]))
    value = _value(tokens, draw(st.sampled_from(['"', "'"])))
    if kind == "set":
        return "%s=%s" % (name, value)
    if kind == "append":
        return '%s="$%s %s"' % (name, name, " ".join(t for t in tokens if "'" not in t and " " not in t))
    if kind == "export":
        return "export %s=%s" % (name, value)
    if kind == "comment":
        return "# %s=%s" % (name, value)
    if kind == "heredoc":
        return "cat >/dev/null <<EOF\n%s=%s\nit's\nEOF" % (name, value)
    if kind == "subshell":
        return "( %s=%s )" % (name, value)
    if kind == "if":
        return "if true; then %s=%s; fi" % (name, value)
    if kind == "expand":
        return '%s="${OTHER} %s"' % (name, " ".join(t for t in tokens if "'" not in t and " " not in t))
    if kind == "return":
        return "return 0 2>/dev/null || exit 0"
    return 'OTHER="%s"' % draw(st.sampled_from(["", "quiet", "splash"]))


FILES = st.lists(statement(), max_size=4).map(lambda lines: "\n".join(lines) + "\n")


@pytest.mark.skipif(DASH is None, reason="dash is the judge")
@settings(max_examples=2000, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(main=FILES, dropins=st.lists(FILES, max_size=2), link=st.booleans(),
       want=st.lists(st.sampled_from(["intel_iommu=on", "iommu=pt", "quiet"]), min_size=1, max_size=2, unique=True))
def test_no_wrong_success(main, dropins, link, want):
    top = tempfile.mkdtemp(dir=_sourced._scratch_parent())
    try:
        root = os.path.join(top, "root")
        os.makedirs(os.path.join(root, "etc", "default", "grub.d"))
        os.makedirs(os.path.join(root, "bin"))
        # The target's /bin/sh is dash (a link inside the root, as on Debian).
        open(os.path.join(root, "bin", "dash"), "w").close()
        os.symlink("dash", os.path.join(root, "bin", "sh"))
        with open(os.path.join(root, "etc", "default", "grub"), "w") as handle:
            handle.write(main.replace("return 0 2>/dev/null || exit 0", "true"))
        for index, text in enumerate(dropins):
            with open(os.path.join(root, "etc", "default", "grub.d", "%d0-x.cfg" % (index + 1)), "w") as handle:
                handle.write(text)
        if link and dropins:
            os.symlink("10-x.cfg", os.path.join(root, "etc", "default", "grub.d", "90-link.cfg"))
        manager = KernelCmdline(runner=lambda argv: (0, "", ""), ensure=want, backend="grub", root=root,
                                proc_root=None, update_bootloader=False, live=False)
        try:
            manager.run()
        except SriovError:
            return  # a refusal is never a wrong success
        pairs = [tuple(w.split("=", 1)) if "=" in w else (w, None) for w in want]
        assert problems(sourced(root), pairs, []) == []
    finally:
        shutil.rmtree(top)
