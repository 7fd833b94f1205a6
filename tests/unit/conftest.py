# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared test set-up: every test gets its own host lock file, not the host's /run one."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _lock


@pytest.fixture(autouse=True)
def private_host_lock(tmp_path_factory, monkeypatch):
    # Its own directory, not tmp_path: tests that snapshot their tree must not see the lock file.
    path = str(tmp_path_factory.mktemp("lock") / "directiron-sriov.lock")
    monkeypatch.setenv(_lock.LOCK_PATH_ENV, path)
    return path
