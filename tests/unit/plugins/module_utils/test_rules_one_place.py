# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name and number rules live in _rules only, and every one of them refuses what it should.

Two kinds of drift fail here: a pattern literal elsewhere in plugins/ that ends with ``$`` (it also
matches before a trailing newline) or spells digits ``\\d`` (it takes Unicode digits), and a copy of
one of _rules' patterns outside _rules. Parsing patterns that read program output (not user input)
are named in PARSERS with why they may live where they are.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os
import re

import pytest

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
PLUGINS = os.path.join(ROOT, "plugins")
RULES_FILE = os.path.join("plugins", "module_utils", "_rules.py")
RE_FUNCTIONS = ("compile", "match", "search", "fullmatch", "sub", "subn", "split", "findall", "finditer")
# Module-level *_RE outside _rules: lexers and output parsers, not rules for names or numbers.
PARSERS = {
    ("plugins/module_utils/_cmdline_lexer.py", "_ASSIGN_RE"): "the shell lexer's assignment token",
    ("plugins/module_utils/_cmdline_lexer.py", "_NAME_RE"): "the shell lexer's variable name token",
    ("plugins/action/validate_inventory.py", "PLAYBOOK_VARIABLE_RE"): "finds sriov_ names in playbook text",
    ("plugins/filter/versionlock.py", "DNF4_LOCK_RE"): "parses a dnf4 versionlock list line",
    ("plugins/filter/versionlock.py", "DNF5_PACKAGE_RE"): "parses dnf5 versionlock list's Package name line",
    ("plugins/filter/versionlock.py", "DNF5_CONDITION_RE"): "parses a dnf5 versionlock list condition line",
}


def _python_files():
    for top, _dirs, files in os.walk(PLUGINS):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(top, name)
                yield os.path.relpath(path, ROOT), path


def _pattern_calls(tree):
    """(pattern text, multiline?, node) of every re.<function>("literal", ...) call."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in RE_FUNCTIONS and node.args):
            continue
        first = node.args[0]
        if isinstance(first, ast.BinOp) and isinstance(first.left, ast.Constant):  # "...%s..." % name
            first = first.left
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        flags = ast.dump(node)
        yield first.value, "MULTILINE" in flags or first.value.startswith("(?m)"), node


def _module_patterns(tree):
    """{NAME: node} of module-level ``NAME_RE = re.compile(...)``."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            target = node.targets[0]
            func = node.value.func
            if (isinstance(target, ast.Name) and isinstance(func, ast.Attribute) and func.attr == "compile"
                    and isinstance(func.value, ast.Name) and func.value.id == "re"):
                found[target.id] = node
    return found


def _rules_patterns():
    return dict((name, value.pattern) for name, value in vars(_rules).items()
                if isinstance(value, type(re.compile(""))))


def _has_dollar_anchor(pattern):
    """A ``$`` outside character classes and not escaped."""
    outside = re.sub(r"\[\^?\]?(?:\\.|[^\]\\])*\]", "", pattern)
    return re.search(r"(?<!\\)\$", outside) is not None


def _drift(relative, text):
    """Problems of one file: dollar anchors, \\d, copies of _rules' patterns, rule patterns outside _rules."""
    tree = ast.parse(text)
    problems = []
    if relative == RULES_FILE:
        for name, pattern in _rules_patterns().items():
            if _has_dollar_anchor(pattern) or "\\d" in pattern:
                problems.append("%s: %s %r uses $ or \\d" % (relative, name, pattern))
        return problems
    known = set(_rules_patterns().values())
    for pattern, multiline, node in _pattern_calls(tree):
        where = "%s:%d" % (relative, node.lineno)
        if "\\d" in pattern:
            problems.append("%s: %r spells digits \\d (takes Unicode digits); use [0-9]" % (where, pattern))
        if _has_dollar_anchor(pattern) and not multiline:
            problems.append("%s: %r ends with $ (passes a trailing newline); use \\Z" % (where, pattern))
        if pattern in known:
            problems.append("%s: %r is a copy of a _rules pattern; import it" % (where, pattern))
    for name, node in _module_patterns(tree).items():
        if (relative, name) not in PARSERS:
            problems.append("%s:%d: %s is a name or number rule outside _rules; move it there"
                            % (relative, node.lineno, name))
    return problems


def test_no_rule_drifts_out_of_rules():
    problems = []
    for relative, path in _python_files():
        with open(path) as handle:
            problems.extend(_drift(relative, handle.read()))
    assert problems == []


@pytest.mark.parametrize("text, expected", [
    ('import re\nX = re.compile(r"^[a-z]+$")\n', "ends with $"),
    ('import re\ndef f(v):\n    return re.match(r"^[0-9]+\\Z", v)\n', "copy of a _rules pattern"),
    ('import re\ndef f(v):\n    return re.match(r"^\\d+\\Z", v)\n', "spells digits"),
    ('import re\nNAME_RE = re.compile(r"^[a-z]+\\Z")\n', "outside _rules"),
])
def test_the_drift_check_sees_each_kind_of_copy(text, expected):
    problems = _drift("plugins/module_utils/_elsewhere.py", text)
    assert any(expected in problem for problem in problems), problems


def test_a_dollar_in_a_character_class_is_no_anchor():
    assert not _has_dollar_anchor(r'([\\"$`])')
    assert not _has_dollar_anchor(r"[]$]x")
    assert _has_dollar_anchor(r"[a-z]+$")


def test_the_drift_check_takes_a_multiline_dollar_in_output_parsing():
    text = 'import re\ndef f(p):\n    return re.compile(r"(^|/)%s\\.ko$" % p, re.MULTILINE)\n'
    assert _drift("plugins/module_utils/_elsewhere.py", text) == []


# -- every rule refuses a trailing newline and Unicode digits -----------------------------------------
GOOD = {
    "NETWORK_NAME_RE": "sriov-pool0", "SELECTOR_IDS_RE": "4-7,9", "BARE_IDS_RE": "12",
    "PACKAGE_RE": "mlnx-ofed", "VERSION_RE": "1:2.10-1", "OPTION_NAME_RE": "max_vfs",
    "OPTION_VALUE_RE": "4,4", "USER_ALIAS_RE": "ua-vf0", "MAC_RE": "02:00:00:00:00:01",
    "PCI_ADDRESS_RE": "0000:01:10.0", "PCI_ID_RE": "0x8086", "DRIVER_RE": "vfio-pci", "SAFE_NAME_RE": "enp1s0",
    "INT_TEXT_RE": "12", "ASCII_NUMBER_RE": "12", "INTERPRETER_RE": "/usr/bin/python3",
}


def test_every_rule_pattern_has_a_good_example():
    assert set(GOOD) == set(_rules_patterns()) - {"_PCI_ADDRESS_ANY_CASE_RE"}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_rule_refuses_a_trailing_newline(name):
    pattern = getattr(_rules, name)
    assert _rules.matches(pattern, GOOD[name])
    assert not _rules.matches(pattern, GOOD[name] + "\n")
    assert not _rules.matches(pattern, "\n" + GOOD[name])


@pytest.mark.parametrize("name", ["SELECTOR_IDS_RE", "BARE_IDS_RE", "INT_TEXT_RE", "ASCII_NUMBER_RE"])
def test_number_rules_take_ascii_digits_only(name):
    pattern = getattr(_rules, name)
    for digits in (u"\u0663", u"\u0663\u0664", u"\uff13", u"\u00b2"):  # Arabic-Indic 3, 34, fullwidth 3, superscript 2
        assert not _rules.matches(pattern, digits)


@pytest.mark.parametrize("value", [u"\u0663", u"\uff13", u"\u00b2", "3\n\n", "3.0", 3.0, 5.7, True, "0x3", "+3", ""])
def test_parse_int_refuses_what_is_not_an_ascii_decimal_integer(value):
    with pytest.raises(SriovError) as info:
        _rules.parse_int(value, "num_vfs")
    assert info.value.field == "num_vfs"


def test_parse_int_takes_ascii_digits_with_blanks():
    assert _rules.parse_int(" 3 ", "num_vfs") == 3
    assert _rules.parse_int("012", "num_vfs") == 12


def test_is_ascii_number():
    assert _rules.is_ascii_number("42")
    for bad in (u"\u0663", u"\u00b2", "4\n", "", None, 4, "-1"):
        assert not _rules.is_ascii_number(bad)
