# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write the documentation copies of the sriov_vf option table (``plugins/module_utils/_spec.py``).

Two copies must exist as files, because Ansible reads them as YAML:

- ``plugins/doc_fragments/vf_options.py``: the options of ``sriov_vf`` (its DOCUMENTATION takes them
  through ``extends_documentation_fragment``) and the ``suboptions`` of ``sriov_host``'s
  ``sriov_pfs`` (the same options, one entry per PF);
- ``roles/sriov_vfs/meta/argument_specs.yml``: the ``options`` of ``sriov_vfs_pfs`` (the block after
  the comment that names this script; the rest of the file is written by hand).

``version_added`` is written for an option newer than the module or role that documents it.
``make generate`` runs this; ``tests/unit/test_generated_docs.py`` fails when a checked-in copy
differs from what this writes. ``--check`` reports the stale files and exits 1 instead of writing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys
import textwrap

import yaml

from ansible_collections.directiron.sriov.plugins.module_utils import _spec

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FRAGMENT = "plugins/doc_fragments/vf_options.py"
ROLE_SPEC = "roles/sriov_vfs/meta/argument_specs.yml"
WIDTH = 120
# The version that added each document (an option newer than it gets version_added).
SRIOV_VF_VERSION = "0.1.0"
SRIOV_HOST_VERSION = "2.0.0"
ROLE_VERSION = "0.1.0"
ROLE_MARK = "# Generated from plugins/module_utils/_spec.py by tests/utils/generate_option_docs.py (make generate)."

FRAGMENT_HEAD = '''# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Generated from plugins/module_utils/_spec.py by tests/utils/generate_option_docs.py (make generate): edit the
# table, not this file.
"""The options of sriov_vf, as the option table (_spec.PF_OPTIONS, _spec.VF_OPTIONS) describes them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # directiron.sriov.vf_options: the options of sriov_vf.
    DOCUMENTATION = r"""
options:
%s"""

    # directiron.sriov.vf_options.sriov_pfs: the options of each entry of sriov_host's sriov_pfs.
    SRIOV_PFS = r"""
options:
  sriov_pfs:
    suboptions:
%s"""
'''


def _version(text):
    return tuple(int(part) for part in text.split("."))


def _plain(text):
    """Whether ``text`` reads back as itself as a plain YAML scalar."""
    try:
        return yaml.safe_load("- %s" % text) == [text] and "\n" not in text
    except yaml.YAMLError:
        return False


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[%s]" % ", ".join(_scalar(item) for item in value)
    if isinstance(value, str) and not _plain(value):
        return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')
    return str(value)


def _paragraph(text, indent):
    """One description paragraph as a YAML list item, wrapped at WIDTH (double-quoted when a plain
    scalar would not read back as the same text; a quoted scalar folds its line breaks too)."""
    if not _plain(text):
        text = '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent + "- ", subsequent_indent=" " * (indent + 2),
                         break_long_words=False, break_on_hyphens=False)


def option_lines(option, indent, children_key, since):
    """The YAML lines of one table entry (and of the VF entries under ``vfs``)."""
    pad = " " * indent
    lines = [pad + option["name"] + ":", pad + "  description:"]
    for text in option["description"]:
        lines.extend(_paragraph(text, indent + 4))
    lines.append(pad + "  type: " + option["type"])
    if option.get("elements"):
        lines.append(pad + "  elements: " + option["elements"])
    if option.get("required"):
        lines.append(pad + "  required: true")
    if option.get("default") is not None:
        lines.append(pad + "  default: " + _scalar(option["default"]))
    if option.get("choices"):
        lines.append(pad + "  choices: " + _scalar(option["choices"]))
    if _version(option["version_added"]) > _version(since):
        lines.append(pad + "  version_added: " + option["version_added"])
    if option["name"] == "vfs":
        lines.append(pad + "  %s:" % children_key)
        for vf_option in _spec.VF_OPTIONS:
            lines.extend(option_lines(vf_option, indent + 4, children_key, since))
    return lines


def options_text(indent, children_key, since):
    lines = []
    for option in _spec.PF_OPTIONS:
        lines.extend(option_lines(option, indent, children_key, since))
    return "\n".join(lines) + "\n"


def fragment_text():
    return FRAGMENT_HEAD % (options_text(2, "suboptions", SRIOV_VF_VERSION),
                            options_text(6, "suboptions", SRIOV_HOST_VERSION))


def role_spec_text(current):
    """The role's argument_specs.yml with the options of ``sriov_vfs_pfs`` written from the table."""
    lines = current.split("\n")
    start = lines.index("      sriov_vfs_pfs:")
    mark = [n for n in range(start, len(lines)) if lines[n].strip() in ("options:", ROLE_MARK)][0]
    end = mark + 1
    while lines[end].strip() in ("options:", ROLE_MARK):
        end += 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > 8):
        end += 1
    block = ["        " + ROLE_MARK, "        options:"] + options_text(10, "options", ROLE_VERSION).rstrip("\n").split("\n")
    return "\n".join(lines[:mark] + block + lines[end:])


def wanted_files():
    """{path under the collection: the text the generator writes}."""
    with open(os.path.join(ROOT, ROLE_SPEC)) as handle:
        role = handle.read()
    return {FRAGMENT: fragment_text(), ROLE_SPEC: role_spec_text(role)}


def stale_files():
    stale = []
    for path, text in sorted(wanted_files().items()):
        full = os.path.join(ROOT, path)
        current = None
        if os.path.exists(full):
            with open(full) as handle:
                current = handle.read()
        if current != text:
            stale.append(path)
    return stale


def main(argv):
    if "--check" in argv:
        stale = stale_files()
        for path in stale:
            print("%s differs from the option table: run make generate" % path)
        return 1 if stale else 0
    for path, text in sorted(wanted_files().items()):
        with open(os.path.join(ROOT, path), "w") as handle:
            handle.write(text)
        print("wrote %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
