# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/architecture.md against the code: its layer table, its file table and its plugin table.

The layer table (``| layer | files | what they are |``) gives each file of plugins/module_utils/ a
layer number; the real imports, read with ast (function-local ones too), must never go to a higher
layer nor round in a circle.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import importlib
import os
import re

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOC = os.path.join(ROOT, "docs", "architecture.md")
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
PACKAGE = "ansible_collections.directiron.sriov.plugins.module_utils"
LAYER_HEADER = "| layer | files | what they are |"
SYSFS_LAYER = ("_sysfs", "_sysfs_io", "_sysfs_scan", "_sysfs_iommu", "_sysfs_kmod")
# The doors into the sysfs layer and who may use them (None: anyone). _sysfs_kmod is imported by the
# _kmod files directly so that _sysfs, which the boot-time replay embeds, does not drag it in.
SYSFS_DOORS = {"_sysfs": None, "_sysfs_kmod": ("_kmod", "_kmod_build")}
LIBVIRT_BINDING = "_libvirt_conn"
# Controller-side plugins that must not reach the libvirt binding: every filter and these actions.
# (sriov_guest_plan plans migrations with _guest_policy, which reads domains through _domain_read.)
CONTROLLER_ACTIONS = ("validate_inventory", "sriov_report")
TABLE_HINT = "docs/architecture.md, table '%s'" % LAYER_HEADER


def _doc():
    with open(DOC) as handle:
        return handle.read()


def _table(text, header):
    """Rows (lists of cells) of the Markdown table starting with ``header``."""
    lines = text.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def layer_table(text):
    """{file stem: layer number} from the layer table; ValueError for a file listed twice."""
    layers = {}
    for row in _table(text, LAYER_HEADER):
        match = re.match(r"(\d+) ", row[0])
        if not match:
            raise ValueError("layer cell %r does not start with its number" % row[0])
        for name in re.findall(r"`([^`]+)`", row[1]):
            if name in layers:
                raise ValueError("%s is listed in two layers" % name)
            layers[name] = int(match.group(1))
    return layers


def module_utils_files():
    return sorted(name[:-3] for name in os.listdir(MODULE_UTILS) if name.endswith(".py") and name != "__init__.py")


def imports_of(source):
    """module_utils stems a Python source imports (module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found.update(alias.name for alias in node.names)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module[len(PACKAGE) + 1:].split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name[len(PACKAGE) + 1:].split(".")[0])
    return found


def _read(path):
    with open(path) as handle:
        return handle.read()


def import_graph():
    return dict((name, imports_of(_read(os.path.join(MODULE_UTILS, name + ".py")))) for name in module_utils_files())


def upward_imports(layers, graph):
    """["a (layer 1) imports b (layer 3)", ...] for every import into a higher layer."""
    return ["%s (layer %d) imports %s (layer %d)" % (name, layers[name], target, layers[target])
            for name in sorted(graph) for target in sorted(graph[name])
            if name in layers and target in layers and layers[target] > layers[name]]


def circles(graph):
    """Every import circle found by a depth-first walk, as "a -> b -> a"."""
    found, state = [], {}

    def visit(name, path):
        state[name] = "open"
        for target in sorted(graph.get(name, ())):
            if state.get(target) == "open":
                found.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return found


def reachable(graph, start):
    seen, todo = set(), list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def test_every_module_utils_file_has_a_layer():
    missing = sorted(set(module_utils_files()) - set(layer_table(_doc())))
    assert not missing, "add these files to a layer in %s: %s" % (TABLE_HINT, ", ".join(missing))


def test_every_file_of_the_layer_table_exists():
    gone = sorted(set(layer_table(_doc())) - set(module_utils_files()))
    assert not gone, "%s names files that do not exist: %s" % (TABLE_HINT, ", ".join(gone))


def test_no_import_goes_upwards():
    upward = upward_imports(layer_table(_doc()), import_graph())
    assert not upward, "imports into a higher layer (%s):\n%s" % (TABLE_HINT, "\n".join(upward))


def test_no_import_circle():
    found = circles(import_graph())
    assert not found, "import circles in module_utils:\n" + "\n".join(found)


def test_the_sysfs_layer_is_entered_through_sysfs_only():
    graph = import_graph()
    wrong = ["%s imports %s" % (name, target) for name in sorted(graph) if name not in SYSFS_LAYER
             for target in sorted(graph[name] & set(SYSFS_LAYER))
             if target not in SYSFS_DOORS or (SYSFS_DOORS[target] is not None and name not in SYSFS_DOORS[target])]
    assert not wrong, "outside the sysfs layer import _sysfs (or a door of SYSFS_DOORS) only:\n" + "\n".join(wrong)


def _controller_plugins():
    filters = os.path.join(ROOT, "plugins", "filter")
    paths = [os.path.join(filters, name) for name in sorted(os.listdir(filters)) if name.endswith(".py")]
    paths += [os.path.join(ROOT, "plugins", "action", name + ".py") for name in CONTROLLER_ACTIONS]
    return paths


@pytest.mark.parametrize("path", _controller_plugins(), ids=os.path.basename)
def test_controller_plugins_do_not_reach_libvirt(path):
    graph = import_graph()
    assert LIBVIRT_BINDING not in reachable(graph, imports_of(_read(path)))


def test_every_module_utils_file_has_a_row_saying_what_it_owns():
    text = _doc()
    rows = set()
    for row in _table(text, "| file | owns |"):
        rows.update(name[:-3] for name in re.findall(r"`([^`]+\.py)`", row[0]))
    missing = sorted(set(module_utils_files()) - rows)
    assert not missing, "docs/architecture.md's '| file | owns |' table lacks: %s" % ", ".join(missing)


def test_every_plugin_is_in_the_plugin_table():
    named = set()
    for row in _table(_doc(), "| plugin | kind | drives |"):
        named.update(re.findall(r"`([^`]+)`", row[0]))
    plugins = set()
    for kind in ("modules", "action", "filter"):
        directory = os.path.join(ROOT, "plugins", kind)
        plugins.update(name[:-3] for name in os.listdir(directory) if name.endswith(".py") and name != "__init__.py")
    missing = sorted(plugins - named)
    assert not missing, "docs/architecture.md's plugin table lacks: %s" % ", ".join(missing)


def rule_owner_names(text):
    """[(file stem, name)] the rule table gives as owners: ```_x.py` (`name`, `Class.method`; remarks)``."""
    found = []
    for row in _table(text, "| rule | the one file that owns it |"):
        for stem, inner in re.findall(r"`(_\w+)\.py` \(([^)]*)\)", row[1]):
            found.extend((stem, name) for name in re.findall(r"`([A-Za-z_][\w.]*)`", inner.split(";")[0]))
    return found


def _resolve(stem, name):
    """The object ``name`` names in module_utils/<stem>.py (``_other.name`` in another file)."""
    parts = name.split(".")
    if len(parts) > 1 and parts[0] in module_utils_files():
        stem, parts = parts[0], parts[1:]
    target = importlib.import_module(PACKAGE + "." + stem)
    for part in parts:
        target = getattr(target, part)
    return target


def test_the_rule_owners_exist():
    names = rule_owner_names(_doc())
    assert len(names) > 40
    gone = []
    for stem, name in names:
        try:
            _resolve(stem, name)
        except AttributeError:
            gone.append("%s.py: %s" % (stem, name))
    assert not gone, "docs/architecture.md's rule table names what its file does not have:\n" + "\n".join(gone)


# The checks themselves, on made-up graphs: they find what they claim to find.

def test_an_upward_import_is_reported():
    assert upward_imports({"_rules": 0, "_vf": 4}, {"_rules": set(["_vf"]), "_vf": set(["_rules"])}) == [
        "_rules (layer 0) imports _vf (layer 4)"]


def test_a_circle_is_reported():
    assert circles({"_a": set(["_b"]), "_b": set(["_c"]), "_c": set(["_a"])}) == ["_a -> _b -> _c -> _a"]


def test_a_function_local_import_counts():
    source = ("def f():\n    from %s._domain import GuestInterfaceManager\n"
              "from %s import _rules, _sysfs\n" % (PACKAGE, PACKAGE))
    assert imports_of(source) == set(["_domain", "_rules", "_sysfs"])


def test_a_file_listed_twice_is_refused():
    text = "%s\n|---|---|---|\n| 1 a | `_x` | |\n| 2 b | `_x` | |\n" % LAYER_HEADER
    with pytest.raises(ValueError):
        layer_table(text)
