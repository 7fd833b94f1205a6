# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared options of every module that reads /sys and /proc."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # directiron.sriov.sysfs.sysfs_root: modules that read sysfs only.
    SYSFS_ROOT = r"""
options:
  sysfs_root:
    description:
      - Where sysfs is mounted, or a directory holding a captured copy of it (a support bundle, an offline image).
      - Every sysfs path the module reads or writes is taken below this directory.
    type: path
    default: /sys
"""

    # directiron.sriov.sysfs: modules that read sysfs and procfs.
    DOCUMENTATION = SYSFS_ROOT + r"""
  proc_root:
    description:
      - Where procfs is mounted, or a directory holding a captured copy of it (for example C(cmdline)).
    type: path
    default: /proc
"""
