# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type the service layer raises; modules turn it into fail_json in main().

Pure standard library on purpose: the boot-time replay imports this without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class SriovError(Exception):
    """A refusal or failure a person can act on.

    field: the request field at fault (for example ``vfs[2].mac``), or None.
    details: extra machine-readable context returned to the user (dict).
    """

    def __init__(self, msg, field=None, details=None):
        super(SriovError, self).__init__(msg)
        self.msg = msg
        self.field = field
        self.details = details or {}

    def to_result(self):
        result = {"msg": self.msg}
        if self.field:
            result["field"] = self.field
        if self.details:
            result["details"] = self.details
            if "rollback" in self.details:
                # what a failed run put back and what it left changed (sriov_host)
                result["rollback"] = self.details["rollback"]
        return result
