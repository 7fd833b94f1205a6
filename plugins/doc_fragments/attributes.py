# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared ``attributes`` documentation for directiron.sriov modules.

Every module uses ``directiron.sriov.attributes``: the descriptions of check_mode, diff_mode and
platform, and the platform itself (Linux hosts). Then one of:

- ``directiron.sriov.attributes.facts``: a read-only fact gatherer (full check mode, no diff,
  returns ansible_facts);
- ``directiron.sriov.attributes.writer``: a module that changes the host (full check mode,
  full diff); a module adds its own ``details`` under ``attributes:`` (the dicts are merged).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(diff_mode)), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
"""

    WRITER = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

    FACTS = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads the system; check mode changes nothing.
  diff_mode:
    support: none
    details:
      - This module only reads the system; there is nothing to diff.
  facts:
    description: Action returns an C(ansible_facts) dictionary that will update existing host facts.
    support: full
"""
