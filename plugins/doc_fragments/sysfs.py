# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared options of the modules that read /sys and /proc (argument spec: _ansible_module.host_options)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # directiron.sriov.sysfs: every module that reads sysfs.
    DOCUMENTATION = r"""
options:
  sysfs_root:
    description:
      - Where sysfs is mounted, or a directory holding a captured copy of it (a support bundle, an offline image).
      - Every sysfs path the module reads or writes is taken below this directory.
    type: path
    default: /sys
"""

    # directiron.sriov.sysfs.proc_root: modules that also read procfs.
    PROC_ROOT = r"""
options:
  proc_root:
    description:
      - Where procfs is mounted, or a directory holding a captured copy of it (for example C(cmdline)).
    type: path
    default: /proc
"""
