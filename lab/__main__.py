# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point: python -m lab ..."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

from lab.cli import main

sys.exit(main())
