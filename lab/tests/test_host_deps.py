# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lab/qemu-suite.sh: where lab/host-deps.sh takes a QEMU with igb from, per Debian release."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "qemu-suite.sh")
FIXTURES = os.path.join(HERE, "fixtures")


def _suite(path):
    return subprocess.run(["bash", SCRIPT, path], capture_output=True, text=True, check=False)


def test_debian12_takes_qemu_from_bookworm_backports():
    result = _suite(os.path.join(FIXTURES, "os-release-debian12"))
    assert (result.returncode, result.stdout) == (0, "bookworm-backports\n"), result.stderr


def test_debian13_takes_qemu_from_its_own_release():
    result = _suite(os.path.join(FIXTURES, "os-release-debian13"))
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


@pytest.mark.parametrize("text, field", [
    ('ID=ubuntu\nVERSION_ID="24.04"\n', "ID=ubuntu"),
    ('ID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\n', "VERSION_ID=11"),
    ('ID=debian\nVERSION_ID="12.x"\n', "VERSION_ID=12.x"),
])
def test_other_systems_fail_naming_the_field(tmp_path, text, field):
    os_release = tmp_path / "os-release"
    os_release.write_text(text)
    result = _suite(str(os_release))
    assert result.returncode == 2 and result.stdout == ""
    assert field in result.stderr


def test_testing_without_version_id_uses_its_own_release(tmp_path):
    os_release = tmp_path / "os-release"
    os_release.write_text('ID=debian\nVERSION_CODENAME=forky\n')
    assert _suite(str(os_release)).stdout == ""
