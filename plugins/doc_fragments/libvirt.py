# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option and requirement of the modules that talk to libvirt (argument spec: _ansible_module.libvirt_options)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # directiron.sriov.libvirt: every module that opens a libvirt connection.
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - libvirt connection URI.
    type: str
    default: qemu:///system
requirements:
  - The libvirt Python binding on the managed host (package C(python3-libvirt) on Debian, Ubuntu and EL), importable
    by the Python that runs the module (the system C(/usr/bin/python3), not a virtualenv without system packages).
"""
