# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``gather_subset`` option of the facts modules, read the way ``ansible.builtin.setup`` reads it.

``all`` asks for every subset, a name asks for that subset, ``!name`` leaves it out and ``!all``
leaves out everything not named. The summary (``min``) is always gathered. Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError


def resolve_subset(requested, valid, field="gather_subset"):
    """Sorted subset names to gather from the ``gather_subset`` list; SriovError on an unknown name.

    Without a positive name (only exclusions, or an empty list) the start is ``all``, as for setup.
    ``field``: the option the list came from, named in the error.
    """
    valid = tuple(valid)
    requested = [str(item).strip() for item in (requested or ["all"])]
    known = set(valid) | set(("all", "min"))
    unknown = [item for item in requested if item.lstrip("!") not in known]
    if unknown:
        raise SriovError("unknown %s %s; choose from %s (and !name to leave one out)"
                         % (field, ", ".join(unknown), ", ".join(("all", "min") + valid)), field=field)
    positive = [item for item in requested if not item.startswith("!")]
    excluded = set(item[1:] for item in requested if item.startswith("!"))
    chosen = set()
    if "all" in positive or (not positive and "all" not in excluded):
        chosen.update(valid)
    chosen.update(item for item in positive if item in valid)
    if "all" in excluded:
        chosen = set(item for item in positive if item in valid)
    chosen -= excluded
    return sorted(chosen)
