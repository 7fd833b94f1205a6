# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB defaults files read as grub-mkconfig reads them: sourced by a shell, in order.

grub-mkconfig (``update-grub``) sources ``/etc/default/grub``, then every
``/etc/default/grub.d/*.cfg`` in sorted order, then joins ``GRUB_CMDLINE_LINUX`` and
``GRUB_CMDLINE_LINUX_DEFAULT`` into the normal boot entry's command line. This file evaluates
those variables the same way and says where each argument of their final value was written:

* the words of each command from a small shell lexer (``_cmdline_lexer``: quotes, backslash
  continuations, comments, ``$VAR``/``${VAR}``; command substitution and other expansions are
  "unknown");
* statements: ``NAME=word`` (several per line too), ``NAME+=word``, ``export``/``readonly``/
  ``declare``/``typeset`` with assignments, ``unset``; an assignment of a tracked variable
  inside ``if``/``case``/loops/functions/pipelines, or a line that sources or evals other
  code, makes the value unknowable and is refused by name and line;
* the value of a variable is a chain of pieces: the last plain assignment, then the appends
  after it (``NAME+=" x"`` or ``NAME="$NAME x"``); every argument of the final value belongs
  to one piece, so an edit rewrites only the pieces whose arguments change.

``GrubDefaults.plan`` returns the new bytes of every file to change; all other bytes (line
endings, comments, other variables, non-UTF-8 bytes) stay as they were.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.directiron.sriov.plugins.module_utils._cmdline import (
    edit_pair_located, join_cmdline, split_cmdline, tokens_of)
from ansible_collections.directiron.sriov.plugins.module_utils._cmdline_lexer import DECLARE, Lexer, command_name
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

GRUB_VARIABLES = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")

# declare/typeset flags that only mark the variable (export, read-only, global).
_PLAIN_FLAGS = set("xrg")
# Commands that run other code in this shell: whatever it sets cannot be known here.
_OPAQUE_COMMANDS = (".", "source", "eval")
# Builtins that can assign a variable named in their arguments.
_ASSIGNING_COMMANDS = ("read", "mapfile", "readarray", "getopts", "let", "local")


# --------------------------------------------------------------------------- evaluation

class Piece(object):
    """One assignment that contributes to a tracked variable's final value."""

    def __init__(self, source, command, word, kind):
        self.source = source    # the DefaultsFile
        self.line = command.line
        self.word = word        # its Word (None for unset)
        self.kind = kind        # "set", "append" (NAME+=), "self" (NAME="$NAME ..."), "unset"
        self.value = None       # what it contributes (None: unknown)
        self.literal = None     # the literal text it holds, when editable
        self.lead = ""          # whitespace in front of an appended literal
        self.prefix_raw = ""    # "$NAME" of a self-append, as written
        self.style = '"'
        self.reason = None      # why it cannot be edited, or None
        self.tokens = []

    def where(self):
        return "%s line %d" % (self.source.display, self.line)


class DefaultsFile(object):
    """One sourced file: display path (as grub-mkconfig names it) and decoded text."""

    def __init__(self, display, text):
        self.display = display
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"


def _quote_style(word):
    for part in word.parts:
        if part.quoted in ("'", '"'):
            return part.quoted
    return '"'


class Evaluation(object):
    """The tracked variables after every file was sourced, with their chains of pieces."""

    def __init__(self, files, names=GRUB_VARIABLES, dash=False):
        self.files = files
        self.names = names
        self.dash = dash
        self.env = {}          # name -> value (None: unknown)
        self.chains = dict((name, []) for name in names)
        self.readonly = {}     # name -> where
        for source in files:
            for command in Lexer(source.text, source.display).commands():
                self._command(source, command)

    # -- helpers
    def _value(self, parts):
        out = []
        for part in parts:
            if part.kind == "lit":
                out.append(part.text)
            elif part.kind == "var" and self.env.get(part.text, "") is not None:
                out.append(self.env.get(part.text, ""))
            else:
                return None
        return "".join(out)

    def _mentions(self, source, command):
        text = source.text
        start = command.words[0].start
        end = command.words[-1].end
        segment = text[start:end]
        return [name for name in self.names if re.search(r"\b%s\b" % name, segment)]

    def _refuse(self, source, command, what):
        raise SriovError("%s line %d: %s" % (source.display, command.line, what),
                         field="grub_variable", details={"file": source.display, "line": command.line})

    # -- statements
    def _command(self, source, command):
        words = command.words
        name = command_name(words)
        mentioned = self._mentions(source, command)
        if self.dash and (name in ("declare", "typeset") or any(w.assign and w.assign[1] == "+=" for w in words)):
            self._refuse(source, command, "update-grub runs /bin/sh, which is dash here and does not "
                         "understand %s: this line makes update-grub fail, so no edit would boot"
                         % (name if name in ("declare", "typeset") else "'+='"))
        if command.nested or command.chained:
            assigned = [w.assign[0] for w in words if w.assign and w.assign[0] in self.names]
            if assigned or (mentioned and name in DECLARE + ("unset", "read") + _OPAQUE_COMMANDS):
                self._refuse(source, command, "%s is set inside a condition, loop, function, subshell or "
                             "pipeline: its value depends on run time, so it is not edited; write it as "
                             "a plain assignment" % (assigned or mentioned)[0])
            for w in words:
                if w.assign:
                    self.env[w.assign[0]] = None
            return
        if all(w.assign for w in words):
            for w in words:
                self._assign(source, command, w)
            return
        if name in DECLARE:
            self._declare(source, command, name, words[1:])
            return
        if name == "unset":
            for w in words[1:]:
                target = w.literal()
                if target in self.names:
                    self._check_readonly(source, command, target)
                    piece = Piece(source, command, None, "unset")
                    piece.value = ""
                    piece.reason = "unset at %s line %d" % (source.display, command.line)
                    self.chains[target] = [piece]
                if target:
                    self.env[target] = ""
            return
        if name in _OPAQUE_COMMANDS:
            self._refuse(source, command, "runs %r: what it sets cannot be known without running it, so "
                         "%s are not edited" % (name, " and ".join(self.names)))
        # Reading the value ($NAME in echo, test, [ ...) changes nothing; a command that can
        # assign it (read, printf -v, ${NAME:=...}, a prefix assignment) is not followed.
        assigning = [w.assign[0] for w in words if w.assign and w.assign[0] in self.names]
        printf_v = name == "printf" and any(w.literal() == "-v" for w in words)
        if mentioned and (name in _ASSIGNING_COMMANDS or printf_v or self._expands_unknown(words, mentioned)):
            assigning.extend(mentioned)
        if assigning:
            self._refuse(source, command, "a command may set %s: its effect on the value is not known, "
                         "so it is not edited" % assigning[0])

    @staticmethod
    def _expands_unknown(words, names):
        return any(p.kind == "unknown" and re.search(r"\b(%s)\b" % "|".join(names), p.text)
                   for w in words for p in w.parts)

    def _declare(self, source, command, keyword, words):
        readonly = keyword == "readonly"
        for w in words:
            flag = w.literal() if w.assign is None else None
            if flag and flag[0] in "-+" and len(flag) > 1:
                letters = set(flag[1:])
                if keyword in ("declare", "typeset") and not letters <= _PLAIN_FLAGS:
                    if self._mentions(source, command):
                        self._refuse(source, command, "%s %s changes how the value is stored; it is "
                                     "not edited" % (keyword, flag))
                if flag[0] == "-" and "r" in letters:
                    readonly = True
                continue
            if w.assign:
                self._assign(source, command, w)
                target = w.assign[0]
            else:
                target = flag
            if readonly and target:
                self.readonly.setdefault(target, "%s line %d" % (source.display, command.line))

    def _check_readonly(self, source, command, name):
        if name in self.readonly:
            self._refuse(source, command, "%s is read-only since %s: this assignment makes "
                         "update-grub fail, so no edit would boot" % (name, self.readonly[name]))

    def _assign(self, source, command, word):
        name, op = word.assign
        self._check_readonly(source, command, name)
        parts = word.parts
        if name in self.names and any(p.kind == "array" for p in parts):
            self._refuse(source, command, "%s is assigned a bash array: grub-mkconfig uses only "
                         "its first element; it is not edited" % name)
        value = self._value(parts)
        if op == "+=":
            old = self.env.get(name, "")
            self.env[name] = None if value is None or old is None else old + value
        else:
            self.env[name] = value
        if name not in self.names:
            return
        self_ref = bool(parts) and parts[0].kind == "var" and parts[0].text == name and op == "="
        if op == "=" and not self_ref:
            piece = Piece(source, command, word, "set")
            self.chains[name] = [piece]
        else:
            piece = Piece(source, command, word, "append" if op == "+=" else "self")
            self.chains[name].append(piece)
        piece.style = _quote_style(word)
        rest = parts[1:] if self_ref else parts
        piece.value = self._value(rest)
        literal = None
        if all(p.kind == "lit" for p in rest):
            literal = "".join(p.text for p in rest)
        if literal is None:
            piece.reason = "%s uses a shell expansion in the part to change" % piece.where()
            return
        if self_ref:
            piece.prefix_raw = parts[0].raw
        if piece.kind != "set":
            stripped = literal.lstrip()
            piece.lead = literal[:len(literal) - len(stripped)]
            if literal and not piece.lead:
                piece.reason = ("%s appends %r without a space in front: it joins the previous "
                                "argument" % (piece.where(), literal))
        if literal.count('"') % 2:
            piece.reason = "%s holds an unbalanced double quote" % piece.where()
        piece.literal = literal
        piece.tokens = split_cmdline(literal)

    # -- results
    def value(self, name):
        chain = self.chains[name]
        if not chain:
            return ""
        values = [p.value for p in chain]
        if any(v is None for v in values):
            return None
        return "".join(values)

    def located(self, name):
        """[(token, piece index)] of name's final value, or raise naming what is unknown."""
        chain = self.chains[name]
        value = self.value(name)
        if value is None:
            bad = [p for p in chain if p.value is None][0]
            raise SriovError(
                "%s at %s uses a shell expansion whose value is only known when update-grub "
                "runs; it is not edited: write it as a plain quoted string"
                % (name, bad.where()), field="grub_variable",
                details={"file": bad.source.display, "line": bad.line})
        entries = []
        for index, piece in enumerate(chain):
            if piece.literal is None or piece.reason:
                entries = None
                break
            entries.extend((t, index) for t in piece.tokens)
        if entries is None or tokens_of(entries) != split_cmdline(value):
            # Arguments cannot be told apart by piece: the last one stands for them all.
            entries = [(t, len(chain) - 1) for t in split_cmdline(value)]
            last = chain[-1]
            if not last.reason:
                last.reason = "%s builds %s from several pieces that cannot be edited apart" % (
                    last.where(), name)
        return entries


# --------------------------------------------------------------------------- editing

def escape_double(value):
    return re.sub(r'([\\"$`])', r"\\\1", value)


def shell_quote(value, style='"'):
    """Quote value for a shell assignment in the given style ('"' or "'")."""
    if style == "'" and "'" not in value:
        return "'%s'" % value
    return '"%s"' % escape_double(value)


def render_piece(piece, tokens):
    """The new source text of a piece's value word holding tokens."""
    text = join_cmdline(tokens)
    if piece.kind == "set":
        return shell_quote(text, piece.style)
    literal = (piece.lead or " ") + text if tokens else ""
    if piece.kind == "append":
        return shell_quote(literal, piece.style)
    return '"%s%s"' % (piece.prefix_raw, escape_double(literal))


class GrubDefaults(object):
    """/etc/default/grub and its drop-ins, evaluated; plans the edit of the cmdline variables.

    files: [(display path, decoded text)] in the order grub-mkconfig sources them; the first
    is /etc/default/grub, where a variable assigned nowhere is added.
    dash: /bin/sh is dash (``+=`` and ``declare`` break update-grub there).
    """

    def __init__(self, files, dash=False):
        self.files = [DefaultsFile(display, text) for display, text in files]
        self.evaluation = Evaluation(self.files, dash=dash)
        self.edited = []   # "file line N" of every assignment the last plan rewrites or adds

    def lines(self):
        """"file line N" of every assignment that makes up the two variables' values."""
        return ["%s line %d" % (p.source.display, p.line)
                for name in GRUB_VARIABLES for p in self.evaluation.chains[name]]

    def tokens(self, name):
        return tokens_of(self.evaluation.located(name))

    def joined(self):
        """The normal boot entry's arguments: GRUB_CMDLINE_LINUX then ..._DEFAULT."""
        return self.tokens("GRUB_CMDLINE_LINUX") + self.tokens("GRUB_CMDLINE_LINUX_DEFAULT")

    def plan(self, target_name, ensure, remove):
        """Return ({display: new text} of the files to change, before tokens, after tokens)."""
        other_name = [v for v in GRUB_VARIABLES if v != target_name][0]
        target = self.evaluation.located(target_name)
        other = self.evaluation.located(other_name)
        new_target, new_other = edit_pair_located(target, other, ensure, remove)
        edits = {}
        self._edits(target_name, target, new_target, edits)
        self._edits(other_name, other, new_other, edits)
        texts = {}
        for source in self.files:
            changes = edits.get(source.display)
            if not changes:
                continue
            text = source.text
            for start, end, new in sorted(changes, key=lambda c: c[0], reverse=True):
                text = text[:start] + new + text[end:]
            if text != source.text:
                texts[source.display] = text

        def joined(tokens_target, tokens_other):
            if target_name == "GRUB_CMDLINE_LINUX":
                return tokens_target + tokens_other
            return tokens_other + tokens_target

        return (texts, joined(tokens_of(target), tokens_of(other)),
                joined(tokens_of(new_target), tokens_of(new_other)))

    def _edits(self, name, old, new, edits):
        if tokens_of(old) == tokens_of(new):
            return
        chain = self.evaluation.chains[name]
        if not chain:
            main = self.files[0]
            text = main.text
            prefix = "" if not text or text.endswith("\n") else main.newline
            line = "%s=%s%s" % (name, shell_quote(join_cmdline(tokens_of(new))), main.newline)
            self.edited.append("%s line %d (added)" % (main.display, main.text.count("\n") + 1 + bool(prefix)))
            edits.setdefault(main.display, []).append((len(text), len(text), prefix + line))
            return
        # An added argument belongs to the piece of the argument after it (before "--"),
        # else to the last piece.
        resolved = []
        following = len(chain) - 1
        for token, origin in reversed(new):
            if origin is None:
                origin = following
            following = origin
            resolved.append((token, origin))
        resolved.reverse()
        for index, piece in enumerate(chain):
            before = [t for t, o in old if o == index]
            after = [t for t, o in resolved if o == index]
            if before == after:
                continue
            if piece.reason or piece.word is None:
                raise SriovError(
                    "%s: the arguments of %s written there would have to change, but %s; it is "
                    "not edited" % (piece.where(), name, piece.reason or "it is not an assignment"),
                    field="grub_variable", details={"file": piece.source.display, "line": piece.line})
            self.edited.append(piece.where())
            edits.setdefault(piece.source.display, []).append(
                (piece.word.value_start, piece.word.end, render_piece(piece, after)))
