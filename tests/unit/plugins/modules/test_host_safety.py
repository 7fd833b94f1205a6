# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sriov_host and sriov_vf: every option checked before the first write (facts, python, numbers
in Unicode digits), on the fake host of test_sriov_host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _host
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils import _ansible_module
from ansible_collections.directiron.sriov.plugins.module_utils._spec import argument_spec
from ansible_collections.directiron.sriov.plugins.modules import sriov_vf
from ansible_collections.directiron.sriov.tests.unit.plugins.modules.test_sriov_host import (  # noqa: F401 pylint: disable=unused-import
    TWO_PFS, files, host, run)

ARABIC_3 = u"\u0663"


def test_a_bad_facts_name_fails_the_run_before_anything_is_written(host):
    ok, result = run(host, sriov_pfs=TWO_PFS, facts=["pfs", "vf"])
    assert not ok and result["field"] == "facts"
    assert host.writes == [] and files(host) == {}


@pytest.mark.parametrize("python", ["python3", "/usr/bin/python3\n", "/usr/bin/python3 -u", "/usr/bin/\u00fcython",
                                    "./python3", "/usr/../bin/python3", "/" + "p" * 120])
def test_a_python_a_shebang_cannot_run_is_refused_before_anything_is_written(host, python):
    ok, result = run(host, sriov_pfs=TWO_PFS, python=python)
    assert not ok and result["field"] == "python", result
    assert host.writes == [] and files(host) == {}


def test_on_a_live_host_python_must_be_an_executable_file(tmp_path):
    manager = _host.HostManager({"config_root": "/", "python": str(tmp_path / "python3")}, runner=None)
    with pytest.raises(SriovError) as info:
        manager.check_python()
    assert info.value.field == "python" and "not an executable file" in info.value.msg
    script = tmp_path / "python3"
    script.write_text(u"#!/bin/sh\n")
    script.chmod(0o755)
    manager.check_python()


def test_a_good_python_lands_in_the_launcher(host):
    ok, _result = run(host, sriov_pfs=TWO_PFS, python="/opt/py-3.12/bin/python3.12")
    assert ok
    with open(host.etc + _host.LAUNCHER_PATH) as handle:
        assert handle.readline() == "#!/opt/py-3.12/bin/python3.12 -I\n"


@pytest.mark.parametrize("key, value", [("num_vfs", ARABIC_3), ("timeout", ARABIC_3 + "0"), ("mtu", u"\uff19" * 4)])
def test_sriov_vf_refuses_an_int_option_in_unicode_digits(host, key, value):
    ok, result = run(host, module=sriov_vf, pf="enp1s0", **{key: value})
    assert not ok and result["field"] == key
    assert host.writes == []


def test_sriov_vf_refuses_a_vf_option_in_unicode_digits(host):
    ok, result = run(host, module=sriov_vf, pf="enp1s0", num_vfs=2, vfs=[{"id": 0, "vlan": ARABIC_3}])
    assert not ok and result["field"] == "vfs[0].vlan"
    assert host.writes == []


def test_sriov_host_refuses_boot_wait_and_num_vfs_in_unicode_digits(host):
    ok, result = run(host, sriov_pfs=TWO_PFS, boot_wait=ARABIC_3)
    assert not ok and result["field"] == "boot_wait"
    ok, result = run(host, sriov_pfs=[{"pf": "enp1s0", "num_vfs": ARABIC_3}])
    assert not ok and result["field"] == "sriov_pfs[0].num_vfs"
    assert host.writes == [] and files(host) == {}


def test_raw_int_problem_walks_sub_options_and_takes_ascii_text():
    spec = argument_spec({})
    assert _ansible_module.raw_int_problem({"pf": "enp1s0", "num_vfs": " 3 ", "vfs": [{"id": "1", "vlan": 5}]}, spec) is None
    problem = _ansible_module.raw_int_problem({"pf": "enp1s0", "vfs": [{"id": 0}, {"id": ARABIC_3}]}, spec)
    assert problem.field == "vfs[1].id"
    assert _ansible_module.raw_int_problem("not a dict", spec) is None
