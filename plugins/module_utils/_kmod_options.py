# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A kernel module's options as ``driver_module`` keeps them in modprobe.d, and as the kernel reads them.

- ``validate_entry(entry, field)``: one ``{module, options, state}`` entry, checked before
  anything changes (module name by ``_rules.DRIVER_RE``; option names and values without blanks,
  quotes, ``#``, ``$``, ``;`` or newlines); returns the canonical module name (``-`` -> ``_``)
  and the option words. ``entries_errors`` checks a list of them (the inventory check calls it);
- ``options_path``/``render_options``: one collection-owned file per kernel module;
- ``same_value``: an option word against the running parameter's sysfs text, read the way the
  kernel reads it (booleans as Y/N, integers in any base, arrays element by element).

No /sys access here: the inventory check on the controller imports this file.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._rules import (
    DRIVER_RE,
    OPTION_NAME_RE,
    OPTION_VALUE_RE,
    yaml_type,
)

ENTRY_KEYS = ("module", "options", "state")
STATES = ("present", "absent")
FILE_PREFIX = "directiron-sriov-"
HEADER = "# Managed by directiron.sriov (driver_options): module options for %s. Do not edit.\n"


def canonical(name):
    """The module name as the kernel spells it (modprobe treats - and _ alike)."""
    return name.replace("-", "_")


def _value_word(value, field):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if not value:
            _refuse(field, "an empty list is not a value")
        return ",".join(_value_word(item, "%s[%d]" % (field, index)) for index, item in enumerate(value))
    if isinstance(value, str) and OPTION_VALUE_RE.match(value):
        return value
    return _refuse(field, "%r is not a safe module option value (one word of letters, digits and _.:,+/@=-; "
                          "a list for comma-separated values)" % (value,))


def _at(field, key):
    return "%s.%s" % (field, key) if field else key


def _refuse(where, msg):
    raise SriovError("%s: %s" % (where, msg), field=where)


def validate_entry(entry, field=None):
    """(module, state, [name=value, ...]) of one entry, or SriovError naming the field.

    field: the entry's place (``sriov_driver_options[1]``); None for the module's own options.
    """
    if not isinstance(entry, dict):
        _refuse(field, "must be a mapping {module, options, state}, got %r" % (entry,))
    unknown = sorted(set(entry) - set(ENTRY_KEYS), key=str)
    if unknown:
        _refuse(_at(field, unknown[0]), "unknown key (known: %s)" % ", ".join(ENTRY_KEYS))
    module = entry.get("module")
    if not isinstance(module, str) or not DRIVER_RE.match(module):
        _refuse(_at(field, "module"), "%r is not a kernel module name (letters, digits, _ and -)" % (module,))
    state = entry.get("state") or "present"
    if state not in STATES:
        _refuse(_at(field, "state"), "must be present or absent, got %r" % (state,))
    options = entry.get("options")
    if options is None:
        options = {}
    if not isinstance(options, dict):
        _refuse(_at(field, "options"), "must be a mapping {name: value}, got %r" % (options,))
    if state == "present" and not options:
        _refuse(_at(field, "options"), "a present entry needs at least one option (state: absent removes the file)")
    words = []
    for name in sorted(options, key=str):
        where = _at(field, "options.%s" % name)
        if not isinstance(name, str) or not OPTION_NAME_RE.match(name):
            _refuse(where, "%r is not a module parameter name" % (name,))
        if options[name] is None:
            _refuse(where, "no value")
        words.append("%s=%s" % (name, _value_word(options[name], where)))
    return canonical(module), state, words


def entries_errors(entries, name="sriov_driver_options"):
    """[(field, message)] of a list of entries: each entry's rules, and each module once."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        return [(name, "must be a list of {module, options, state}, got %s" % yaml_type(entries))]
    errors, seen = [], {}
    for index, entry in enumerate(entries):
        field = "%s[%d]" % (name, index)
        try:
            module = validate_entry(entry, field)[0]
        except SriovError as err:
            errors.append((err.field, err.msg[len(err.field) + 2:]))
            continue
        if module in seen:
            errors.append((field + ".module", "%s already has options at %s[%d]" % (module, name, seen[module])))
        seen.setdefault(module, index)
    return errors


def options_path(modprobe_dir, module):
    return os.path.join(modprobe_dir, "%s%s.conf" % (FILE_PREFIX, module))


def render_options(module, words):
    return HEADER % module + "options %s %s\n" % (module, " ".join(words))


def _kernel_int(word):
    """The integer kstrtoint(word, 0) reads (0x hex, 0 octal, else decimal), or None."""
    match = re.match(r"^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z", word)
    if not match:
        return None
    digits = match.group(2)
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8) if digits[:1] == "0" else int(digits)
    return -value if match.group(1) == "-" else value


def _kernel_bool(word):
    """The boolean kstrtobool reads (y/t/1/on, n/f/0/off), or None."""
    lowered = word.lower()
    if lowered[:1] in ("y", "t", "1") or lowered == "on":
        return True
    if lowered[:1] in ("n", "f", "0") or lowered == "off":
        return False
    return None


def same_value(wanted, running):
    """Whether a parameter's sysfs value (``running``) is the option word ``wanted``.

    sysfs prints booleans as Y or N, integers in decimal (hexint as 0x...) and arrays joined by
    commas; a string parameter (charp) prints the word itself.
    """
    if wanted == running:
        return True
    wanted_items, running_items = wanted.split(","), running.split(",")
    if len(wanted_items) != len(running_items):
        return False
    for want, have in zip(wanted_items, running_items):
        if want == have:
            continue
        want_int, have_int = _kernel_int(want), _kernel_int(have)
        if want_int is not None and have_int is not None:
            if want_int != have_int:
                return False
        elif have in ("Y", "N"):
            if _kernel_bool(want) != (have == "Y"):
                return False
        else:
            return False
    return True
