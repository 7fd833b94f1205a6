# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify of scenario facts, the guest VM: roles/driver_pins applied the guest pins with apt
(install at the pinned version from the local repository, then a dpkg hold), and the drift
audit (playbooks/audit.yml) read them next to the guest's igbvf NICs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

testinfra_hosts = ["guest"]

REPO = "/srv/guest-repo"


@pytest.fixture(scope="module")
def release(host):
    return host.check_output("uname -r")


@pytest.fixture(scope="module")
def rows():
    with open(os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "drift.json")) as handle:
        return json.load(handle)


def test_pinned_packages_are_held(host, release):
    held = host.check_output("apt-mark showhold").split()
    # tzdata: the pins that move (test_pins.py)
    assert sorted(held) == sorted(["linux-image-" + release, "python3-apt", "tzdata"])


def test_python3_apt_came_from_the_local_repository_at_its_pinned_version(host):
    wanted = host.check_output("dpkg-deb -f %s/python3-apt_*.deb Version" % REPO)
    assert host.check_output("dpkg-query -W -f '${Version}' python3-apt") == wanted
    policy = host.check_output("apt-cache policy python3-apt")
    assert "Installed: %s" % wanted in policy
    assert "file:/srv/guest-repo ./ Packages" in policy


def test_the_kernel_package_that_carries_igbvf_is_pinned_at_its_installed_version(host, release):
    assert host.check_output("dpkg-query -W -f '${Status}' linux-image-%s" % release) == "hold ok installed"
    module = host.check_output("modinfo -n igbvf")
    assert host.check_output("dpkg -S %s" % module).startswith("linux-image-%s: " % release)


def test_the_audit_read_the_guest_pin_next_to_its_igbvf_nics(rows, release):
    guest = [row for row in rows if row["guest"] == "guest"]
    assert sorted(row["mac"] for row in guest) == ["02:bb:00:00:00:00", "02:bb:00:00:00:01"]
    for row in guest:
        assert row["vf_driver"] == "igbvf" and row["vf_driver_version"] == release
        assert row["guest_pin"] == "linux-image-%s=%s" % (release, release)
        # no hypervisor in this audit claims the MACs (the VFs belong to the guest's own PF), and the pin holds
        assert row["verdict"] == "unknown", row
        assert not [reason for reason in row["reasons"] if "pin" in reason], row
