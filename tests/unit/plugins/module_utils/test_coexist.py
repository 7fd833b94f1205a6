# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_coexist on fixture trees: which NetworkManager keyfiles and systemd .link/.network files own a
PF's SR-IOV settings, with systemd's precedence (masking by name, /dev/null, drop-ins, the first
matching file wins) and odd inputs that must not crash."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _coexist

PF = {"address": "0000:02:00.0", "netdev": "enp2s0", "mac": "52:54:00:12:34:57", "path": "pci-0000:02:00.0",
      "driver": "igb"}
OTHER = {"address": "0000:01:00.0", "netdev": "enp1s0", "mac": "52:54:00:12:34:56", "path": "pci-0000:01:00.0",
         "driver": "igb"}

SRIOV_LINK = "[Match]\nPath=pci-0000:02:00.0\n\n[Link]\nSR-IOVVirtualFunctions=4\n\n[SR-IOV]\nVirtualFunction=0\nVLANId=10\n"


def write(root, path, text, mode=None):
    full = os.path.join(str(root), path.lstrip("/"))
    if not os.path.isdir(os.path.dirname(full)):
        os.makedirs(os.path.dirname(full))
    with open(full, "w") as handle:
        handle.write(text)
    if mode is not None:
        os.chmod(full, mode)
    return full


def owners(root, pf=None):
    return _coexist.pf_owners(_coexist.host_owners(str(root)), PF if pf is None else pf)


def test_nothing_on_a_bare_tree(tmp_path):
    found = _coexist.host_owners(str(tmp_path))
    assert found == {"links": [], "networks": [], "nm": [], "notes": []}
    assert _coexist.pf_owners(found, PF) == []


@pytest.mark.parametrize("match", [
    "Path=pci-0000:02:00.0", "Path=pci-0000:02:*", "MACAddress=52:54:00:12:34:57", "MACAddress=52-54-00-12-34-57",
    "OriginalName=enp2*", "OriginalName=eth0 enp2s0", "Driver=igb\nPath=pci-*:02:00.0",
    "PermanentMACAddress=52:54:00:12:34:57", "OriginalName=!enp1s0",
])
def test_a_link_file_with_sriov_matched_as_systemd_matches(tmp_path, match):
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK.replace("Path=pci-0000:02:00.0", match))
    found = owners(tmp_path)
    assert [(o["owner"], o["file"]) for o in found] == [("systemd-udevd (.link)", "/etc/systemd/network/10-sriov.link")]
    assert found[0]["settings"] == {"virtual_functions": "4", "vfs": [{"VirtualFunction": "0", "VLANId": "10"}]}
    assert owners(tmp_path, OTHER) == []


@pytest.mark.parametrize("match", [
    "Path=pci-0000:01:00.0", "MACAddress=52:54:00:12:34:56", "OriginalName=enp1s0", "OriginalName=!enp2s0",
    "Driver=e1000e\nPath=pci-0000:02:00.0", "Name=enp9*",
])
def test_a_link_file_for_another_device_is_not_an_owner(tmp_path, match):
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK.replace("Path=pci-0000:02:00.0", match))
    assert owners(tmp_path) == []


def test_sr_iov_virtual_functions_alone_and_sections_alone_each_own(tmp_path):
    write(tmp_path, "/etc/systemd/network/10-a.link", "[Match]\nOriginalName=enp2s0\n[Link]\nSR-IOVVirtualFunctions=2\n")
    assert [o["settings"] for o in owners(tmp_path)] == [{"virtual_functions": "2", "vfs": []}]
    write(tmp_path, "/etc/systemd/network/10-a.link",
          "[Match]\nOriginalName=enp2s0\n[SR-IOV]\nVirtualFunction=0\n[SR-IOV]\nVirtualFunction=1\nTrust=yes\n")
    assert owners(tmp_path)[0]["settings"]["vfs"] == [{"VirtualFunction": "0"}, {"VirtualFunction": "1", "Trust": "yes"}]


def test_a_link_file_without_sriov_settings_is_no_owner(tmp_path):
    write(tmp_path, "/etc/systemd/network/10-mtu.link", "[Match]\nOriginalName=enp2s0\n[Link]\nMTUBytes=9000\n")
    assert owners(tmp_path) == []


def test_only_the_first_matching_link_file_applies(tmp_path):
    # 05-name.link matches first and has no SR-IOV: systemd never reads 10-sriov.link for this PF
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK)
    write(tmp_path, "/usr/lib/systemd/network/05-name.link", "[Match]\nPath=pci-0000:02:00.0\n[Link]\nName=lan0\n")
    assert owners(tmp_path) == []
    # one that matches another device does not shadow it
    write(tmp_path, "/usr/lib/systemd/network/05-name.link", "[Match]\nPath=pci-0000:01:00.0\n[Link]\nName=lan0\n")
    assert len(owners(tmp_path)) == 1


def test_a_link_file_without_match_settings_is_ignored_as_systemd_ignores_it(tmp_path):
    write(tmp_path, "/etc/systemd/network/10-sriov.link", "[Link]\nSR-IOVVirtualFunctions=4\n")
    write(tmp_path, "/etc/systemd/network/20-sriov.link", "[Match]\n[Link]\nSR-IOVVirtualFunctions=4\n")
    assert owners(tmp_path) == []


def test_same_name_in_an_earlier_directory_masks_the_later_one(tmp_path):
    write(tmp_path, "/usr/lib/systemd/network/10-sriov.link", SRIOV_LINK)
    assert [o["file"] for o in owners(tmp_path)] == ["/usr/lib/systemd/network/10-sriov.link"]
    write(tmp_path, "/run/systemd/network/10-sriov.link", "[Match]\nPath=pci-0000:02:00.0\n[Link]\nMTUBytes=1500\n")
    assert owners(tmp_path) == []
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK)
    assert [o["file"] for o in owners(tmp_path)] == ["/etc/systemd/network/10-sriov.link"]


def test_a_symlink_to_dev_null_masks(tmp_path):
    write(tmp_path, "/lib/systemd/network/10-sriov.link", SRIOV_LINK)
    os.makedirs(str(tmp_path / "etc/systemd/network"))
    os.symlink("/dev/null", str(tmp_path / "etc/systemd/network/10-sriov.link"))
    assert owners(tmp_path) == []


def test_a_symlink_to_another_file_is_followed_below_the_root(tmp_path):
    write(tmp_path, "/srv/sriov.link", SRIOV_LINK)
    os.makedirs(str(tmp_path / "etc/systemd/network"))
    os.symlink("/srv/sriov.link", str(tmp_path / "etc/systemd/network/10-sriov.link"))
    assert [o["file"] for o in owners(tmp_path)] == ["/etc/systemd/network/10-sriov.link"]


def test_drop_ins_add_settings_and_matches(tmp_path):
    write(tmp_path, "/usr/lib/systemd/network/10-nic.link", "[Match]\nPath=pci-0000:02:00.0\n[Link]\nMTUBytes=9000\n")
    assert owners(tmp_path) == []
    write(tmp_path, "/etc/systemd/network/10-nic.link.d/50-sriov.conf", "[Link]\nSR-IOVVirtualFunctions=3\n")
    found = owners(tmp_path)
    assert found[0]["file"] == "/usr/lib/systemd/network/10-nic.link"
    assert found[0]["dropins"] == ["/etc/systemd/network/10-nic.link.d/50-sriov.conf"]
    assert found[0]["settings"]["virtual_functions"] == "3"
    # a drop-in that resets the match list and names another device moves the file off this PF
    write(tmp_path, "/run/systemd/network/10-nic.link.d/60-match.conf", "[Match]\nPath=\nPath=pci-0000:01:00.0\n")
    assert owners(tmp_path) == []
    assert len(owners(tmp_path, OTHER)) == 1
    # a drop-in masked by /dev/null is not read
    os.symlink("/dev/null", str(tmp_path / "etc/systemd/network/10-nic.link.d/60-match.conf"))
    assert len(owners(tmp_path)) == 1


def test_crlf_comments_continuations_and_blanks(tmp_path):
    text = ("# a comment\r\n; another\r\n[Match]\r\n  Path = pci-0000:02:00.0  \r\n[Link]\r\n"
            "SR-IOVVirtualFunctions=\\\r\n  4\r\n# [SR-IOV]\r\n")
    write(tmp_path, "/etc/systemd/network/10-sriov.link", text)
    assert owners(tmp_path)[0]["settings"] == {"virtual_functions": "4", "vfs": []}


def test_unreadable_loops_directories_and_binary_do_not_crash(tmp_path):
    write(tmp_path, "/etc/systemd/network/05-binary.link", "\x00\xff[Match\n=\n")
    os.makedirs(str(tmp_path / "etc/systemd/network/06-dir.link"))
    os.symlink("07-loop.link", str(tmp_path / "etc/systemd/network/07-loop.link"))
    os.symlink("/nowhere", str(tmp_path / "etc/systemd/network/08-dangling.link"))
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK)
    write(tmp_path, "/etc/NetworkManager/system-connections/locked.nmconnection", "[sriov]\ntotal-vfs=2\n", mode=0)
    found = _coexist.host_owners(str(tmp_path))
    assert [o["file"] for o in _coexist.pf_owners(found, PF)] == ["/etc/systemd/network/10-sriov.link"]
    assert any("07-loop.link not read" in note for note in found["notes"])
    assert any("08-dangling.link not read" in note for note in found["notes"])
    if os.geteuid() != 0:
        assert any("locked.nmconnection not read" in note for note in found["notes"])


def test_a_network_file_with_sriov_is_networkd_s(tmp_path):
    write(tmp_path, "/etc/systemd/network/20-lan.network", "[Match]\nName=enp2s0\n[Network]\nDHCP=yes\n"
                                                           "[SR-IOV]\nVirtualFunction=0\nMACAddress=02:00:00:00:00:01\n")
    found = owners(tmp_path)
    assert [(o["owner"], o["kind"]) for o in found] == [("systemd-networkd (.network)", "network")]
    assert found[0]["matched_by"] == "Name=enp2s0"


def test_a_network_file_shadowed_by_an_earlier_match_is_no_owner(tmp_path):
    write(tmp_path, "/etc/systemd/network/10-all.network", "[Match]\nName=en*\n[Network]\nDHCP=yes\n")
    write(tmp_path, "/etc/systemd/network/20-lan.network", "[Match]\nName=enp2s0\n[SR-IOV]\nVirtualFunction=0\n")
    assert owners(tmp_path) == []


NM = """[connection]
id=uplink
type=ethernet
%s

[ethernet]
%s

[sriov]
total-vfs=4
autoprobe-drivers=0
vfs=0 mac=02:00:00:00:00:01
"""


@pytest.mark.parametrize("connection, ethernet, matched_by", [
    ("interface-name=enp2s0", "", "interface-name=enp2s0"),
    ("", "mac-address=52:54:00:12:34:57", "mac-address=52:54:00:12:34:57"),
    ("", "mac-address=52:54:00:12:34:57;", "mac-address=52:54:00:12:34:57"),
    ("", "mac-address=82;84;0;18;52;87;", "mac-address=52:54:00:12:34:57"),
])
def test_a_networkmanager_connection_with_sriov(tmp_path, connection, ethernet, matched_by):
    write(tmp_path, "/etc/NetworkManager/system-connections/uplink.nmconnection", NM % (connection, ethernet))
    found = owners(tmp_path)
    assert [(o["owner"], o["file"], o["matched_by"]) for o in found] == [
        ("NetworkManager", "/etc/NetworkManager/system-connections/uplink.nmconnection", matched_by)]
    assert found[0]["settings"] == {"total-vfs": "4", "autoprobe-drivers": "0", "vfs": "0 mac=02:00:00:00:00:01"}
    assert owners(tmp_path, OTHER) == []


def test_networkmanager_run_directory_and_unbound_connections(tmp_path):
    write(tmp_path, "/run/NetworkManager/system-connections/a.nmconnection", NM % ("interface-name=enp2s0", ""))
    write(tmp_path, "/etc/NetworkManager/system-connections/any.nmconnection", NM % ("", ""))
    write(tmp_path, "/etc/NetworkManager/system-connections/plain.nmconnection", "[connection]\ninterface-name=enp2s0\n")
    write(tmp_path, "/etc/NetworkManager/system-connections/old.nm", NM % ("interface-name=enp2s0", ""))
    found = _coexist.host_owners(str(tmp_path))
    assert [o["file"] for o in _coexist.pf_owners(found, PF)] == ["/run/NetworkManager/system-connections/a.nmconnection"]
    assert any("any.nmconnection has an [sriov] section but no interface-name" in note for note in found["notes"])


def test_refusal_names_owner_file_and_what_to_do(tmp_path):
    write(tmp_path, "/etc/systemd/network/10-sriov.link", SRIOV_LINK)
    text = _coexist.refusal("sriov_pfs[0].pf enp2s0 (0000:02:00.0)", owners(tmp_path))
    assert text.startswith("sriov_pfs[0].pf enp2s0 (0000:02:00.0): its SR-IOV settings are owned by systemd-udevd (.link) "
                           "through /etc/systemd/network/10-sriov.link, matched by Path=pci-0000:02:00.0: "
                           "SR-IOVVirtualFunctions=4, 1 [SR-IOV] section(s)")
    assert "remove the [SR-IOV] sections and SR-IOVVirtualFunctions= from that file" in text
    assert text.endswith("or set take_over: true to manage it here anyway")
