# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side: one host's variables as an action plugin reads them from ``hostvars``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleUndefinedVariable


class HostView(object):
    """One host's variables, each templated only when asked for: a variable that cannot be templated
    here (one naming a role default of a role this play does not run, for example) reads as missing
    instead of failing the whole plugin."""

    def __init__(self, variables):
        self._variables = variables if variables is not None else {}

    def get(self, key, default=None):
        try:
            return self._variables[key]
        except (KeyError, AnsibleUndefinedVariable):
            return default
