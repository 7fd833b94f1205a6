# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Versions that agree.

- No ``version_added`` anywhere in the collection's documentation (modules and the action plugins
  they document, filter docs, doc fragments, role argument specs, at any option depth) is above
  the version of the next release (galaxy.yml's ``version``, or the next one that the pending
  changelog fragments call for), and each is a plain semantic version.
- The ansible-core floor is the same in meta/runtime.yml's ``requires_ansible``, every role's
  ``min_ansible_version``, the execution environment's ``ansible-core`` pin and the lowest row of
  the README's tested table; the EE pin's upper bound is the minor after the newest tested row; the
  table's rows are the dev venv's ansible-core and the Makefile's ``MATRIX``, each with its Python.
- The roles' meta platforms and the README's Platforms paragraph name exactly the Debian releases
  of the lab images that the default lab scenarios run on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ast
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SEMVER_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")
DEBIAN_RELEASES = {"bookworm": 12, "trixie": 13}


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def _version(text):
    match = SEMVER_RE.match(str(text))
    assert match, "not a semantic version: %r" % (text,)
    return tuple(int(part) for part in match.groups())


def _minor(text):
    return tuple(int(part) for part in str(text).split(".")[:2])


def galaxy_version():
    return _version(yaml.safe_load(_read("galaxy.yml"))["version"])


def versions_added(node, where):
    """Every (where, value) of a ``version_added`` key in a documentation tree, at any depth."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "version_added":
                found.append((where, value))
            else:
                found.extend(versions_added(value, "%s.%s" % (where, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(versions_added(value, "%s[%d]" % (where, index)))
    return found


def _python_doc_strings(path):
    """The YAML documentation strings of a module or doc fragment file, read without importing it."""
    tree = ast.parse(_read(path))
    strings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name.isupper() and name not in ("EXAMPLES",) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                strings.append((name, node.value.value))
    return strings


def documented_versions():
    """(file:where, version_added) for every documentation source the collection ships."""
    found = []
    sources = sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                     + glob.glob(os.path.join(ROOT, "plugins", "doc_fragments", "*.py")))
    for path in sources:
        rel = os.path.relpath(path, ROOT)
        for name, text in _python_doc_strings(rel):
            found.extend(versions_added(yaml.safe_load(text), "%s:%s" % (rel, name)))
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "*.yml"))
                       + glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        rel = os.path.relpath(path, ROOT)
        found.extend(versions_added(yaml.safe_load(_read(rel)), rel))
    return found


def above(found, version):
    return ["%s: version_added %s" % (where, value) for where, value in found if _version(value) > version]


def test_the_walk_finds_version_added_at_any_depth_and_flags_a_later_one():
    doc = {"version_added": "1.0.0", "options": {"a": {"suboptions": {"b": {"version_added": "1.2.0"}}},
                                                 "c": {"choices": [{"version_added": "0.1.0"}]}}}
    found = versions_added(doc, "m")
    assert sorted(found) == [("m", "1.0.0"), ("m.options.a.suboptions.b", "1.2.0"), ("m.options.c.choices[0]", "0.1.0")]
    assert above(found, (1, 1, 0)) == ["m.options.a.suboptions.b: version_added 1.2.0"]
    assert above(found, (1, 2, 0)) == []


def test_every_module_filter_and_role_documents_when_it_was_added():
    found = dict(documented_versions())
    modules = [os.path.relpath(path, ROOT) for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))]
    filters = [os.path.relpath(path, ROOT) for path in glob.glob(os.path.join(ROOT, "plugins", "filter", "*.yml"))]
    assert modules and filters
    for rel in modules:
        assert "%s:DOCUMENTATION" % rel in found, rel
    for rel in filters:
        assert "%s.DOCUMENTATION" % rel in found, rel


def next_version():
    """The version the next release takes (semantic versioning over the pending changelog fragments):
    galaxy.yml's when none is pending, its next major with breaking changes or removals, else its next
    minor with new features or deprecations, else its next patch."""
    major, minor, patch = galaxy_version()
    sections = set()
    for path in glob.glob(os.path.join(ROOT, "changelogs", "fragments", "*.yml")):
        with open(path) as handle:
            sections.update(yaml.safe_load(handle) or {})
    sections.discard("trivial")
    if not sections:
        return major, minor, patch
    if sections & {"breaking_changes", "removed_features"}:
        return major + 1, 0, 0
    if sections & {"major_changes", "minor_changes", "deprecated_features"}:
        return major, minor + 1, 0
    return major, minor, patch + 1


def test_no_version_added_is_above_the_next_release():
    """An option added since the last release names the release that brings it, no later one."""
    version = next_version()
    found = documented_versions()
    assert len(found) >= 20
    for _where, value in found:
        _version(value)
    assert above(found, version) == []


def test_the_next_release_is_in_the_changelog_or_its_fragments():
    """galaxy.yml's version is released in changelogs/changelog.yaml (make release)."""
    version = yaml.safe_load(_read("galaxy.yml"))["version"]
    releases = yaml.safe_load(_read("changelogs", "changelog.yaml"))["releases"]
    assert version in releases
    assert "v%s" % version in _read("CHANGELOG.rst")


# ansible-core: the floor, the EE pin and the README's tested table.

def _requires_ansible_floor():
    spec = yaml.safe_load(_read("meta", "runtime.yml"))["requires_ansible"]
    match = re.match(r"^>=\s*([0-9.]+)\Z", spec)
    assert match, "requires_ansible is a plain floor: %r" % spec
    return _minor(match.group(1))


def _ee_pin():
    ee = yaml.safe_load(_read("execution-environment", "execution-environment.yml"))
    pin = ee["dependencies"]["ansible_core"]["package_pip"]
    match = re.match(r"^ansible-core>=([0-9.]+),<([0-9.]+)\Z", pin)
    assert match, "the EE pins ansible-core to a range of minors: %r" % pin
    return _minor(match.group(1)), _minor(match.group(2))


def _readme_tested_rows():
    """(minor, python, tested version) of each row of the README's tested table."""
    rows = re.findall(r"^\| (2\.[0-9]+) \| (3\.[0-9]+) \| (2\.[0-9]+\.[0-9]+):", _read("README.md"), re.M)
    assert rows, "the README's tested table"
    return [(_minor(minor), python, tested) for minor, python, tested in rows]


def _tested_versions():
    """The ansible-core versions the test tiers install: the dev venv's and the Makefile's MATRIX."""
    venv = re.search(r"^ansible-core==([0-9.]+)$", _read("requirements-dev.txt"), re.M).group(1)
    matrix = re.search(r"^MATRIX \?= (.*)$", _read("Makefile"), re.M).group(1).split()
    return venv, [tuple(entry.split(":")) for entry in matrix]


def test_the_ansible_core_floor_agrees_everywhere():
    floor = _requires_ansible_floor()
    ee_low, _ee_high = _ee_pin()
    rows = _readme_tested_rows()
    assert ee_low == floor
    assert min(row[0] for row in rows) == floor
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml"))):
        meta = yaml.safe_load(_read(os.path.relpath(path, ROOT)))
        assert _minor(meta["galaxy_info"]["min_ansible_version"]) == floor, path


def test_the_ee_pin_stops_after_the_newest_tested_minor():
    _ee_low, ee_high = _ee_pin()
    newest = max(row[0] for row in _readme_tested_rows())
    assert ee_high == (newest[0], newest[1] + 1)


def test_the_readme_table_is_what_the_tiers_install():
    venv, matrix = _tested_versions()
    rows = _readme_tested_rows()
    assert [tested for _minor_, _python, tested in rows] == [venv] + [version for version, _python in matrix]
    for (minor, python, tested), (version, matrix_python) in zip(rows[1:], matrix):
        assert minor == _minor(version) and python == matrix_python, tested
    for minor, _python, tested in rows:
        assert _minor(tested) == minor, tested
    # Every minor from the floor to the newest has a row: no maintained minor is skipped.
    minors = [row[0] for row in rows]
    assert minors == [(2, n) for n in range(minors[0][1], minors[-1][1] + 1)]


# Platforms: what the default lab scenarios run on.

def _lab_default_scenarios():
    return re.search(r"^LAB_SCENARIOS \?= (.*)$", _read("lab", "lab.mk"), re.M).group(1).split()


def _lab_suites():
    """The Debian suite of each lab image variant (lab/image.py's VARIANTS, SUITE the default)."""
    tree = ast.parse(_read("lab", "image.py"))
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in ("SUITE", "VARIANTS"):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return dict((name, variant.get("suite", values["SUITE"])) for name, variant in values["VARIANTS"].items())


def proven_releases():
    """The Debian suites the default lab scenarios' platforms boot (a platform without lab_variant is base)."""
    suites = _lab_suites()
    proven = set()
    for scenario in _lab_default_scenarios():
        molecule = yaml.safe_load(_read("extensions", "molecule", scenario, "molecule.yml"))
        for platform in molecule.get("platforms") or []:
            proven.add(suites[platform.get("lab_variant", "base")])
    return proven


def test_the_lab_proves_debian_12():
    assert "bookworm" in proven_releases()


@pytest.mark.parametrize("path", sorted(os.path.relpath(path, ROOT)
                                        for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml"))))
def test_role_platforms_are_what_the_lab_proves(path):
    # A role lists Debian 12 and what else a default scenario that runs it boots: no role claims a release
    # the lab does not boot (site-trixie runs only some roles; the others say why in their meta comments).
    platforms = yaml.safe_load(_read(path))["galaxy_info"]["platforms"]
    assert [platform["name"] for platform in platforms] == ["Debian"]
    assert "bookworm" in platforms[0]["versions"]
    assert set(platforms[0]["versions"]) <= proven_releases()


def test_every_proven_release_is_listed_by_a_role():
    listed = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml")):
        listed.update(yaml.safe_load(_read(os.path.relpath(path, ROOT)))["galaxy_info"]["platforms"][0]["versions"])
    assert listed == proven_releases()


def test_the_readme_names_the_proven_releases():
    paragraph = re.search(r"^\*\*Platforms\.\*\*(.*?)\n\n", _read("README.md"), re.M | re.S).group(1)
    paragraph = " ".join(paragraph.split())
    for suite in proven_releases():
        assert "Debian %d (%s)" % (DEBIAN_RELEASES[suite], suite) in paragraph, suite
