# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The small shell lexer that ``_cmdline_shell`` evaluates the GRUB defaults files with.

Quotes, backslash continuations, comments, ``$VAR``/``${VAR}`` (command substitution and other
expansions are "unknown"), several commands per line, and which commands are nested (inside
``if``/``case``/loops/functions/subshells) or chained (pipelines, ``&&``/``||``). ``Lexer.commands``
returns each command's words, every word as parts with their source offsets, so that an edit can
rewrite one word and keep every other byte. A line a shell could not source is refused by file
and line.

Pure standard library.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import bisect
import re

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

_ASSIGN_RE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>\+?=)")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPENERS = {"if": "fi", "case": "esac", "for": "done", "while": "done", "until": "done",
            "select": "done", "{": "}", "(": ")"}
_CLOSERS = ("fi", "esac", "done", "}")
_RESERVED_PREFIXES = ("then", "else", "elif", "do", "!")
DECLARE = ("export", "readonly", "declare", "typeset")


class Part(object):
    """One piece of a shell word: kind "lit" (text), "var" (name) or "unknown"."""

    def __init__(self, kind, text, raw, quoted):
        self.kind = kind
        self.text = text      # literal text, or the variable name
        self.raw = raw        # the source text of this part
        self.quoted = quoted  # None, "'", '"' or "\\"


class Word(object):
    def __init__(self, start):
        self.start = start
        self.end = start
        self.parts = []
        self.assign = None       # (name, "=" or "+=") when the word starts NAME= / NAME+=
        self.value_start = start

    def literal(self):
        """The word's text when it has no expansion, else None."""
        if any(p.kind != "lit" for p in self.parts):
            return None
        return "".join(p.text for p in self.parts)


def command_name(words):
    """The command a list of words runs (its first word that is not an assignment), or None."""
    for word in words:
        if word.assign is None:
            return word.literal()
    return None


def _assignments_allowed(words):
    """True where the next word may be an assignment: before the command name, or after a
    declaring command (export, readonly, declare, typeset)."""
    words = [w for w in words if w.assign is not None or w.literal() not in _RESERVED_PREFIXES + ("if", "while", "until", "{")]
    return all(w.assign for w in words) or command_name(words) in DECLARE


class Command(object):
    def __init__(self, line):
        self.words = []
        self.line = line
        self.nested = False    # inside if/case/loop/function/subshell: may not run, or not here
        self.chained = False   # part of a pipeline or an && / || list


def _lex_error(path, line, what):
    raise SriovError("%s line %d: %s; it is not edited (grub-mkconfig could not source it "
                     "either)" % (path, line, what), field="grub_variable",
                     details={"file": path, "line": line})


class Lexer(object):
    def __init__(self, text, path):
        self.text = text
        self.path = path
        self.newlines = [i for i, c in enumerate(text) if c == "\n"]

    def line_of(self, offset):
        return bisect.bisect_left(self.newlines, offset) + 1

    def _single(self, i, word):
        end = self.text.find("'", i + 1)
        if end < 0:
            _lex_error(self.path, self.line_of(i), "unterminated single quote")
        word.parts.append(Part("lit", self.text[i + 1:end], self.text[i:end + 1], "'"))
        return end + 1

    def _expansion(self, i, word, quoted):
        """Parse $... at i; return the index after it."""
        text = self.text
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if nxt == "{":
            end = text.find("}", i + 2)
            if end < 0:
                _lex_error(self.path, self.line_of(i), "unterminated ${")
            inner = text[i + 2:end]
            if _NAME_RE.match(inner) and _NAME_RE.match(inner).end() == len(inner):
                word.parts.append(Part("var", inner, text[i:end + 1], quoted))
            else:
                word.parts.append(Part("unknown", inner, text[i:end + 1], quoted))
            return end + 1
        if nxt in ("'", '"') and quoted is None:
            # $'...' (ANSI-C escapes) and $"..." (translated): bash-only, not evaluated here.
            end = text.find(nxt, i + 2)
            if end < 0:
                _lex_error(self.path, self.line_of(i), "unterminated $%s" % nxt)
            word.parts.append(Part("unknown", text[i:end + 1], text[i:end + 1], quoted))
            return end + 1
        if nxt == "(":
            depth = 0
            j = i + 1
            while j < len(text):
                if text[j] == "(":
                    depth += 1
                elif text[j] == ")":
                    depth -= 1
                    if depth == 0:
                        word.parts.append(Part("unknown", text[i:j + 1], text[i:j + 1], quoted))
                        return j + 1
                j += 1
            _lex_error(self.path, self.line_of(i), "unterminated $(")
        match = _NAME_RE.match(text, i + 1)
        if match:
            word.parts.append(Part("var", match.group(0), text[i:match.end()], quoted))
            return match.end()
        if nxt and nxt in "0123456789@*#?$!-":
            word.parts.append(Part("unknown", text[i:i + 2], text[i:i + 2], quoted))
            return i + 2
        word.parts.append(Part("lit", "$", "$", quoted))
        return i + 1

    def _backtick(self, i, word, quoted):
        j = i + 1
        while j < len(self.text):
            if self.text[j] == "\\":
                j += 2
                continue
            if self.text[j] == "`":
                word.parts.append(Part("unknown", self.text[i:j + 1], self.text[i:j + 1], quoted))
                return j + 1
            j += 1
        _lex_error(self.path, self.line_of(i), "unterminated backquote")

    def _double(self, i, word):
        text = self.text
        j = i + 1
        buf = []
        buf_start = j

        def flush(upto):
            if buf:
                word.parts.append(Part("lit", "".join(buf), text[buf_start:upto], '"'))
                del buf[:]

        while j < len(text):
            char = text[j]
            if char == "\\" and j + 1 < len(text) and text[j + 1] in '$`"\\\n':
                if text[j + 1] != "\n":
                    buf.append(text[j + 1])
                j += 2
                continue
            if char == '"':
                flush(j)
                return j + 1
            if char == "$":
                flush(j)
                j = self._expansion(j, word, '"')
                buf_start = j
                continue
            if char == "`":
                flush(j)
                j = self._backtick(j, word, '"')
                buf_start = j
                continue
            buf.append(char)
            j += 1
        _lex_error(self.path, self.line_of(i), "unterminated double quote")

    def commands(self):
        """The file as a list of Command, with nesting marked."""
        text = self.text
        commands = []
        stack = []
        current = Command(1)
        word = None
        i = 0
        n = len(text)

        def end_word():
            if word is not None:
                word.end = i
                current.words.append(word)

        def end_command(separator):
            cmd = current
            if cmd.words:
                cmd.line = self.line_of(cmd.words[0].start)
                first = cmd.words[0].literal() if cmd.words[0].assign is None else None
                # Reserved words that start a compound or a branch of one.
                while cmd.words and first in _RESERVED_PREFIXES:
                    cmd.words = cmd.words[1:]
                    first = cmd.words[0].literal() if cmd.words and cmd.words[0].assign is None else None
                if first in _OPENERS and first != "(":
                    stack.append(first)
                    cmd.nested = True
                    cmd.words = [] if first in ("case", "for", "select") else cmd.words[1:]
                elif first in _CLOSERS:
                    closer_of = [k for k, v in _OPENERS.items() if v == first]
                    while stack and stack[-1] not in closer_of:
                        stack.pop()
                    if stack:
                        stack.pop()
                    cmd.words = cmd.words[1:]
            chained_to_next = separator in ("|", "&&", "||")
            cmd.nested = cmd.nested or bool(stack)
            cmd.chained = cmd.chained or chained_to_next or separator == "&"
            if cmd.words:
                commands.append(cmd)
            return chained_to_next

        while i < n:
            char = text[i]
            if word is None and char == "#":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            if char == "\\" and i + 1 < n and text[i + 1] == "\n":
                i += 2  # a continuation: the line goes on
                continue
            if char in " \t\r":
                end_word()
                word = None
                i += 1
                continue
            if char in "\n;&|()":
                end_word()
                word = None
                separator = char
                if text[i:i + 2] in ("&&", "||", ";;"):
                    separator = text[i:i + 2]
                if char == "(":
                    stack.append("(")
                elif char == ")" and stack and stack[-1] == "(":
                    stack.pop()
                chained = end_command(separator)
                current = Command(self.line_of(i))
                current.chained = chained
                i += len(separator)
                continue
            if word is None:
                word = Word(i)
                if _assignments_allowed(current.words):
                    match = _ASSIGN_RE.match(text, i)
                    if match:
                        word.assign = (match.group("name"), match.group("op"))
                        i = match.end()
                        word.value_start = i
                        if text[i:i + 1] == "(":
                            # A bash array: NAME=(a b c); its elements are not one string.
                            end = text.find(")", i)
                            if end < 0:
                                _lex_error(self.path, self.line_of(i), "unterminated array (")
                            word.parts.append(Part("array", text[i:end + 1], text[i:end + 1], None))
                            i = end + 1
                        continue
            if char == "'":
                i = self._single(i, word)
            elif char == '"':
                i = self._double(i, word)
            elif char == "$":
                i = self._expansion(i, word, None)
            elif char == "`":
                i = self._backtick(i, word, None)
            elif char == "\\":
                if i + 1 < n:
                    word.parts.append(Part("lit", text[i + 1], text[i:i + 2], "\\"))
                i += 2
            else:
                j = i
                while j < n and text[j] not in " \t\r\n;&|()'\"$`\\":
                    j += 1
                word.parts.append(Part("lit", text[i:j], text[i:j], None))
                i = j
        end_word()
        end_command("\n")
        return commands
