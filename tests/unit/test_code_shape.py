# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code stays in pieces a reader can hold: a check of the source, not of behaviour.

- no file under plugins/module_utils/ is longer than MAX_FILE_LINES;
- no class under plugins/ is longer than MAX_CLASS_LINES (its ``class`` line to its last line),
  except under plugins/doc_fragments/ (documentation text in a class attribute, not code);
- no import circle among plugins/ (imports anywhere in a file count, a function-local one too),
  nor among lab/ (the test harness) where it is present.

A file or class that needs more is split by job (see docs/architecture.md), not listed here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import os

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTION = "ansible_collections.directiron.sriov."
MAX_FILE_LINES = 500
MAX_CLASS_LINES = 250


def _python_files(top):
    for directory, _dirs, files in os.walk(os.path.join(ROOT, top)):
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(directory, name)
                yield os.path.relpath(path, ROOT).replace(os.sep, "/"), path


def _read(path):
    with open(path) as handle:
        return handle.read()


def long_classes(source, limit=MAX_CLASS_LINES):
    """[(name, lines)] of the classes longer than ``limit`` lines (nested ones too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            last = max(getattr(sub, "lineno", node.lineno) for sub in ast.walk(node))
            last = max(last, getattr(node, "end_lineno", None) or last)
            lines = last - node.lineno + 1
            if lines > limit:
                found.append((node.name, lines))
    return found


def module_name(relative):
    """lab/vm.py -> lab.vm; plugins/module_utils/_x.py -> plugins.module_utils._x; a package's __init__ -> the package."""
    name = relative[:-len(".py")].replace("/", ".")
    return name[:-len(".__init__")] if name.endswith(".__init__") else name


def imported_names(source, name, is_package=False):
    """Every module a source imports, as dotted names (collection prefix dropped, relative ones resolved)."""
    package = name if is_package else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names.add(base)
            names.update(base + "." + alias.name for alias in node.names)
    return set(n[len(COLLECTION):] if n.startswith(COLLECTION) else n for n in names)


def import_graph(sources):
    """{module: set of modules it imports} among ``sources`` ({relative path: source})."""
    modules = dict((module_name(relative), relative) for relative in sources)
    graph = {}
    for module, relative in modules.items():
        imported = imported_names(sources[relative], module, relative.endswith("__init__.py"))
        graph[module] = set(other for other in imported if other in modules and other != module)
    return graph


def circles(graph):
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(start):
        # iterative: a deep chain of imports does not hit the recursion limit
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def test_no_module_utils_file_is_too_long():
    long_files = ["%s: %d lines" % (relative, len(_read(path).splitlines()))
                  for relative, path in _python_files("plugins/module_utils")
                  if len(_read(path).splitlines()) > MAX_FILE_LINES]
    assert not long_files, "module_utils files over %d lines (split them by job):\n%s" % (
        MAX_FILE_LINES, "\n".join(long_files))


def test_no_class_is_too_long():
    found = ["%s: class %s, %d lines" % (relative, name, lines)
             for relative, path in _python_files("plugins") if not relative.startswith("plugins/doc_fragments/")
             for name, lines in long_classes(_read(path))]
    assert not found, "classes over %d lines (split them by job):\n%s" % (MAX_CLASS_LINES, "\n".join(found))


@pytest.mark.parametrize("top", ["plugins", "lab"])
def test_no_import_circles(top):
    if not os.path.isdir(os.path.join(ROOT, top)):
        pytest.skip("%s is not in this copy of the collection" % top)
    sources = dict((relative, _read(path)) for relative, path in _python_files(top))
    assert sources, top
    assert not circles(import_graph(sources)), "import circles in %s/" % top


def test_the_module_utils_graph_is_seen():
    """The check is not blind: real imports between module_utils files are edges of the graph."""
    sources = dict((relative, _read(path)) for relative, path in _python_files("plugins/module_utils"))
    graph = import_graph(sources)
    assert "plugins.module_utils._errors" in graph["plugins.module_utils._rules"]
    assert "plugins.module_utils._domain_request" in graph["plugins.module_utils._domain"]


def test_a_circle_is_found_even_through_a_function_local_import():
    sources = {
        "plugins/module_utils/_a.py": "from ansible_collections.directiron.sriov.plugins.module_utils._b import x\n",
        "plugins/module_utils/_b.py": "def f():\n    from ansible_collections.directiron.sriov.plugins.module_utils import _c\n",
        "plugins/module_utils/_c.py": "from ansible_collections.directiron.sriov.plugins.module_utils import _a\n",
        "plugins/module_utils/_d.py": "from ansible_collections.directiron.sriov.plugins.module_utils import _a\n",
        "lab/image.py": "from lab import vm\n",
        "lab/vm.py": "from . import image\n",
    }
    assert circles(import_graph(sources)) == [
        ["lab.image", "lab.vm"],
        ["plugins.module_utils._a", "plugins.module_utils._b", "plugins.module_utils._c"],
    ]


def test_a_long_class_is_found():
    body = "".join("    def m%d(self):\n        return %d\n\n" % (n, n) for n in range(130))
    source = "class Small(object):\n    pass\n\n\nclass Big(object):\n" + body
    assert long_classes(source) == [("Big", 1 + 130 * 3 - 1)]
