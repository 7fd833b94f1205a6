# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel command line as ordered tokens: split, validate a request, edit, check.

The files that store a command line and the bootloader back-ends are elsewhere:
``_cmdline_shell`` (the shell-sourced GRUB defaults files), ``_cmdline_grubby`` (grubby and
rpm-ostree output) and ``_cmdline_backends`` (the manager that reads, edits and writes).
Pure standard library, like every module_utils file; ``_iommu_facts`` reads /proc/cmdline
through ``split_cmdline`` and ``parse_token``.

Token semantics (one implementation, used for every back-end and for /proc/cmdline):

* ``key=value`` in ``ensure``: the result holds exactly one ``key=value``, at the place of the
  first old occurrence of ``key`` (bare or with any value); other occurrences are dropped.
* a bare flag in ``ensure``: added once (at the end, before a ``--`` separator) if missing; of
  several copies the first stays.
* ``key`` in ``remove``: every occurrence of ``key``, bare or with any value, is dropped;
  ``key=value`` in ``remove``: only that exact argument is dropped.
* every other argument keeps its text and its place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# COMMAND_LINE_SIZE on x86 (arch/x86/include/asm/setup.h), the terminating NUL included: the
# kernel silently cuts a longer line, so arguments past it would be lost without a word.
KERNEL_CMDLINE_LIMIT = 2048


# --------------------------------------------------------------------------- tokens

def split_cmdline(text):
    """Split a kernel command line the way the kernel's next_arg() does.

    Whitespace separates arguments except inside double quotes; the quotes stay in the token
    so that untouched arguments are written back exactly as they were.
    """
    tokens = []
    current = []
    in_quote = False
    for char in text or "":
        if char == '"':
            in_quote = not in_quote
            current.append(char)
        elif char.isspace() and not in_quote:
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def join_cmdline(tokens):
    return " ".join(tokens)


def parse_token(token):
    """Return (key, value) of one argument; value is None for a bare flag.

    Quotes are not part of the meaning: ``foo="a b"`` and ``"foo=a b"`` are the same argument.
    """
    plain = token.replace('"', "")
    if "=" in plain:
        key, value = plain.split("=", 1)
        return key, value
    return plain, None


def render_token(key, value):
    """Canonical text of an argument, quoting a value that holds whitespace."""
    if value is None:
        return key
    if value == "" or any(c.isspace() for c in value):
        return '%s="%s"' % (key, value)
    return "%s=%s" % (key, value)


def _check_request_token(raw, field):
    if not isinstance(raw, str) or not raw.strip():
        raise SriovError("an empty kernel argument is not allowed", field=field)
    if "\n" in raw or "\r" in raw:
        raise SriovError("kernel argument %r holds a line break" % raw, field=field)
    if "\x00" in raw:
        raise SriovError("kernel argument %r holds a NUL byte: the kernel would end its command "
                         "line there" % raw, field=field)
    control = [c for c in raw if ord(c) < 0x20 and c != "\t" or ord(c) == 0x7f]
    if control:
        raise SriovError("kernel argument %r holds the control character %r" % (raw, control[0]),
                         field=field)
    if raw.strip() == "--":
        raise SriovError("the '--' separator cannot be added or removed", field=field)
    key, value = parse_token(raw.strip())
    if not key or any(c.isspace() for c in key):
        raise SriovError("kernel argument %r has no usable key" % raw, field=field)
    if raw.count('"') % 2:
        raise SriovError("kernel argument %r has an unbalanced double quote" % raw, field=field)
    return key, value


def validate_request(ensure, remove):
    """Check the whole request before anything is read or changed.

    Returns (ensure, remove) as lists of (key, value) pairs.
    """
    ensure_pairs = []
    seen = {}
    for index, raw in enumerate(ensure or []):
        field = "args[%d]" % index
        key, value = _check_request_token(raw, field)
        if key in seen and seen[key] != value and (value is not None and seen[key] is not None):
            raise SriovError(
                "args asks for %s twice with different values (%s and %s)"
                % (key, render_token(key, seen[key]), render_token(key, value)), field=field)
        if value is not None or key not in seen:
            seen[key] = value
        if (key, value) not in ensure_pairs:
            ensure_pairs.append((key, value))
    remove_pairs = []
    for index, raw in enumerate(remove or []):
        field = "remove[%d]" % index
        key, value = _check_request_token(raw, field)
        for ekey, evalue in ensure_pairs:
            if ekey == key and (value is None or value == evalue):
                raise SriovError(
                    "%s is both wanted (args) and to be removed (remove)" % render_token(key, value),
                    field=field)
        if (key, value) not in remove_pairs:
            remove_pairs.append((key, value))
    return ensure_pairs, remove_pairs


def _insert_position(tokens):
    # Arguments after "--" belong to init, not to the kernel: new ones go before it.
    return tokens.index("--") if "--" in tokens else len(tokens)


def edit_located(entries, ensure, remove):
    """Apply validated (key, value) pairs to [(token, origin), ...]; return a new list.

    origin is opaque (where the token is stored, for example a line of a file): a kept or
    replaced-in-place argument keeps its origin, an added one has origin None.
    """
    result = list(entries)
    for key, value in remove:
        result = [e for e in result if not _removal_matches(e[0], key, value)]
    for key, value in ensure:
        tokens = [t for t, _o in result]
        parsed = [parse_token(t) if t != "--" else (None, None) for t in tokens]
        if value is None:
            if (key, None) not in parsed:
                result.insert(_insert_position(tokens), (render_token(key, None), None))
            else:
                # Each wanted argument once: later copies of the flag go.
                first = parsed.index((key, None))
                result = [e for i, e in enumerate(result) if i <= first or parsed[i] != (key, None)]
            continue
        positions = [i for i, (k, _v) in enumerate(parsed) if k == key]
        if not positions:
            result.insert(_insert_position(tokens), (render_token(key, value), None))
            continue
        first = positions[0]
        keep = result[first] if parsed[first] == (key, value) else (render_token(key, value), result[first][1])
        drop = set(positions[1:])
        result = [keep if i == first else e for i, e in enumerate(result) if i not in drop]
    return result


def locate(tokens, origin=None):
    return [(t, origin) for t in tokens]


def tokens_of(entries):
    return [t for t, _o in entries]


def edit_tokens(tokens, ensure, remove):
    """Apply validated (key, value) pairs to a token list; return a new list."""
    return tokens_of(edit_located(locate(tokens), ensure, remove))


def _removal_matches(token, key, value):
    if token == "--":
        return False
    tkey, tvalue = parse_token(token)
    if tkey != key:
        return False
    return value is None or tvalue == value


def satisfied(tokens, ensure, remove):
    return edit_tokens(tokens, ensure, remove) == list(tokens)


def edit_pair_located(target, other, ensure, remove):
    """Edit two variables that the bootloader joins (GRUB_CMDLINE_LINUX + ..._DEFAULT).

    target and other are [(token, origin), ...] (see edit_located). The target gets the wanted
    arguments; the other one only loses what would contradict them (removed arguments, other
    values of a wanted key, extra copies of a wanted flag), so the joined command line is what
    was asked for, each wanted argument once. A bare flag already in the other variable stays
    there and leaves the target.
    """
    other_ensure_keys = [(k, None) for k, v in ensure if v is not None]
    other_pairs = [parse_token(t) for t in tokens_of(edit_located(other, [], list(remove) + other_ensure_keys))]
    # A wanted flag the other variable holds stays there (once) and leaves the target.
    flags_there = [(k, v) for k, v in ensure if v is None and (k, None) in other_pairs]
    new_other = edit_located(other, flags_there, list(remove) + other_ensure_keys)
    target_ensure = [(k, v) for k, v in ensure if (k, v) not in flags_there]
    new_target = [e for e in edit_located(target, target_ensure, remove)
                  if e[0] == "--" or parse_token(e[0]) not in flags_there]
    return new_target, new_other


def edit_pair(target, other, ensure, remove):
    """edit_pair_located on plain token lists."""
    new_target, new_other = edit_pair_located(locate(target), locate(other), ensure, remove)
    return tokens_of(new_target), tokens_of(new_other)


def check_length(tokens, where, extra=()):
    """Refuse a command line longer than the kernel keeps (KERNEL_CMDLINE_LIMIT).

    extra: arguments the bootloader adds in front (BOOT_IMAGE=, root=), counted too.
    """
    line = join_cmdline(list(extra) + list(tokens))
    size = len(line.encode("utf-8", "surrogateescape")) + 1
    if size > KERNEL_CMDLINE_LIMIT:
        raise SriovError(
            "the command line in %s would be %d bytes with its terminating NUL%s, over the "
            "kernel's limit of %d (COMMAND_LINE_SIZE on x86): the kernel would cut it; nothing "
            "was changed" % (where, size, " (with %d bytes the bootloader adds)" % (
                len(join_cmdline(extra)) + 1) if extra else "", KERNEL_CMDLINE_LIMIT),
            field="args", details={"bytes": size, "limit": KERNEL_CMDLINE_LIMIT})
