# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The recorded command lines and GRUB files under tests/fixtures/cmdline."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "cmdline")


def fixture(name):
    return os.path.join(FIXTURES, name)


def read(path):
    with open(path) as handle:
        return handle.read()
