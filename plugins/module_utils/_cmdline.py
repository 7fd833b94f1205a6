# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel command line as ordered tokens, and the bootloader back-ends that store it.

Pure standard library: the boot-time replay and the unit tests import this without Ansible.

Token semantics (one implementation, used for every back-end and for /proc/cmdline):

* ``key=value`` in ``ensure``: the result holds exactly one ``key=value``, at the place of the
  first old occurrence of ``key`` (bare or with any value); other occurrences are dropped.
* a bare flag in ``ensure``: added once (at the end, before a ``--`` separator) if missing.
* ``key`` in ``remove``: every occurrence of ``key``, bare or with any value, is dropped;
  ``key=value`` in ``remove``: only that exact argument is dropped.
* every other argument keeps its text and its place.

Commands go through ``runner(argv) -> (rc, stdout, stderr)``; nothing is built from a string.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import tempfile

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

BACKENDS = ("grub", "grubby", "kernel-install", "rpm-ostree")
GRUB_VARIABLES = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
GRUB_DEFAULT_FILE = "etc/default/grub"
KERNEL_CMDLINE_FILE = "etc/kernel/cmdline"


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


def edit_tokens(tokens, ensure, remove):
    """Apply validated (key, value) pairs to a token list; return a new list."""
    result = list(tokens)
    for key, value in remove:
        result = [t for t in result if not _removal_matches(t, key, value)]
    for key, value in ensure:
        parsed = [parse_token(t) if t != "--" else (None, None) for t in result]
        if value is None:
            if (key, None) not in parsed:
                result.insert(_insert_position(result), render_token(key, None))
            continue
        positions = [i for i, (k, _v) in enumerate(parsed) if k == key]
        if not positions:
            result.insert(_insert_position(result), render_token(key, value))
            continue
        first = positions[0]
        keep = result[first] if parsed[first] == (key, value) else render_token(key, value)
        drop = set(positions[1:])
        result = [keep if i == first else t for i, t in enumerate(result) if i not in drop]
    return result


def _removal_matches(token, key, value):
    if token == "--":
        return False
    tkey, tvalue = parse_token(token)
    if tkey != key:
        return False
    return value is None or tvalue == value


def satisfied(tokens, ensure, remove):
    return edit_tokens(tokens, ensure, remove) == list(tokens)


def edit_pair(target, other, ensure, remove):
    """Edit two variables that the bootloader joins (GRUB_CMDLINE_LINUX + ..._DEFAULT).

    The target gets the wanted arguments; the other one only loses what would contradict them
    (removed arguments, other values of a wanted key), so the joined command line is what was
    asked for. A bare flag already in the other variable is not added again.
    """
    other_ensure_keys = [(k, None) for k, v in ensure if v is not None]
    new_other = edit_tokens(other, [], list(remove) + other_ensure_keys)
    other_pairs = [parse_token(t) for t in new_other]
    target_ensure = [(k, v) for k, v in ensure if not (v is None and (k, None) in other_pairs)]
    new_target = edit_tokens(target, target_ensure, remove)
    return new_target, new_other


# --------------------------------------------------------------------------- files

def read_text(path):
    with open(path, "r") as handle:
        return handle.read()


def atomic_write(path, text):
    """Replace path by a temp file written in the same directory, keeping mode and owner."""
    directory = os.path.dirname(path) or "."
    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if stat is not None:
            os.chmod(tmp, stat.st_mode & 0o7777)
            if hasattr(os, "chown"):
                try:
                    os.chown(tmp, stat.st_uid, stat.st_gid)
                except OSError:
                    pass  # not root: the file keeps the writer's owner
        else:
            os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def under_root(root, relative):
    return os.path.join(root or "/", relative.lstrip("/"))


# --------------------------------------------------------------------------- /etc/default/grub

_ASSIGNMENT = re.compile(r"^(?P<prefix>\s*(?:export\s+)?)(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<rest>.*)$")


class ShellValue(object):
    """A shell word parsed from the right-hand side of an assignment."""

    def __init__(self, value, quote, expands, tail):
        self.value = value      # the string the shell assigns
        self.quote = quote      # "'" or '"' or "" (style of the first quoted part)
        self.expands = expands  # True: $VAR, $(..) or `..` outside single quotes
        self.tail = tail        # what follows the word (whitespace, comment)


def parse_shell_word(text, field="value"):
    """Parse one POSIX shell word at the start of text (no word splitting, no expansion).

    Raises SriovError for what cannot be edited safely: unterminated quotes, a second word
    (``A=b c`` runs command c) or a trailing ``;``/``&&``.
    """
    out = []
    quote_style = ""
    expands = False
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise SriovError("unterminated single quote in %s" % field, field=field)
            out.append(text[i + 1:end])
            quote_style = quote_style or "'"
            i = end + 1
        elif char == '"':
            quote_style = quote_style or '"'
            i += 1
            closed = False
            while i < n:
                char = text[i]
                if char == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        out.append(text[i + 1])
                    i += 2
                    continue
                if char == '"':
                    closed = True
                    i += 1
                    break
                if char in "$`":
                    expands = True
                out.append(char)
                i += 1
            if not closed:
                raise SriovError("unterminated double quote in %s" % field, field=field)
        elif char == "\\":
            if i + 1 < n:
                out.append(text[i + 1])
            i += 2
        elif char.isspace() or char in ";&|":
            break
        else:
            if char in "$`":
                expands = True
            out.append(char)
            i += 1
    tail = text[i:]
    stripped = tail.strip()
    if stripped and not stripped.startswith("#"):
        raise SriovError(
            "%s is followed by %r: only a comment may follow the value" % (field, stripped),
            field=field)
    return ShellValue("".join(out), quote_style, expands, tail)


def shell_quote(value, style='"'):
    """Quote value for a shell assignment in the given style ('"' or "'")."""
    if style == "'" and "'" not in value:
        return "'%s'" % value
    escaped = re.sub(r'([\\"$`])', r"\\\1", value)
    return '"%s"' % escaped


class GrubDefaults(object):
    """The lines of /etc/default/grub, with the assignments of the cmdline variables."""

    def __init__(self, text, path="/etc/default/grub"):
        self.path = path
        self.lines = text.splitlines(True)
        self.trailing_newline = text.endswith("\n") or not text

    def _last_assignment(self, name):
        # The file is sourced by a shell: the last assignment wins.
        found = None
        for index, line in enumerate(self.lines):
            match = _ASSIGNMENT.match(line.rstrip("\n"))
            if match and match.group("name") == name:
                found = (index, match)
        return found

    def read(self, name):
        """Return (tokens, ShellValue or None, line index or None) for variable name."""
        found = self._last_assignment(name)
        if found is None:
            return [], None, None
        index, match = found
        word = parse_shell_word(match.group("rest"), field="%s in %s" % (name, self.path))
        if word.expands:
            raise SriovError(
                "%s in %s uses shell expansion ($ or `): its value is only known at "
                "update-grub time, so it is not edited; write it as a plain quoted string"
                % (name, self.path), field="grub_variable",
                details={"line": match.group(0)})
        return split_cmdline(word.value), word, index

    def write(self, name, tokens):
        """Set variable name to tokens; return True when the text changed."""
        value = join_cmdline(tokens)
        found = self._last_assignment(name)
        if found is None:
            if not tokens:
                return False
            if self.lines and not self.lines[-1].endswith("\n"):
                self.lines[-1] += "\n"
            self.lines.append("%s=%s\n" % (name, shell_quote(value)))
            return True
        index, match = found
        word = parse_shell_word(match.group("rest"), field="%s in %s" % (name, self.path))
        if split_cmdline(word.value) == tokens:
            return False
        newline = "\n" if self.lines[index].endswith("\n") else ""
        self.lines[index] = "%s%s=%s%s%s" % (
            match.group("prefix"), name, shell_quote(value, word.quote or '"'),
            word.tail, newline)
        return True

    def text(self):
        return "".join(self.lines)


def grub_d_overrides(root, name):
    """Files under /etc/default/grub.d that assign name: update-grub reads them after."""
    directory = under_root(root, "etc/default/grub.d")
    found = []
    if not os.path.isdir(directory):
        return found
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith(".cfg"):
            continue
        path = os.path.join(directory, entry)
        try:
            text = read_text(path)
        except (IOError, OSError):
            continue
        for line in text.splitlines():
            match = _ASSIGNMENT.match(line)
            if match and match.group("name") == name:
                found.append(os.path.join("/etc/default/grub.d", entry))
                break
    return found


# --------------------------------------------------------------------------- grubby output

def parse_grubby_info(text):
    """Parse ``grubby --info=ALL`` into a list of dicts (index, kernel, args, ...)."""
    entries = []
    current = None
    for line in text.splitlines():
        line = line.strip()
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key == "index":
            current = {"index": value}
            entries.append(current)
        elif current is not None:
            current[key] = value
    return [e for e in entries if "args" in e]


# --------------------------------------------------------------------------- the manager

class KernelCmdline(object):
    """Read the stored command line once, compute the change, write it outside check mode.

    root: files are edited below it; with a root other than "/" no command is run
    (live=True/False overrides that, for tests).
    proc_root: where the running kernel's cmdline is read (None: not compared).
    which: callable(name) -> path or None (shutil.which in real use).
    write_file: callable(path, text), atomic (atomic_write by default).
    """

    def __init__(self, runner, ensure=None, remove=None, backend="auto",
                 grub_variable="GRUB_CMDLINE_LINUX", root="/", proc_root="/proc",
                 update_bootloader=True, check_mode=False, which=None, write_file=None,
                 kernel_release=None, live=None):
        self.runner = runner
        self.ensure_raw = list(ensure or [])
        self.remove_raw = list(remove or [])
        self.backend = backend or "auto"
        self.grub_variable = grub_variable
        self.root = root or "/"
        self.proc_root = proc_root
        self.update_bootloader = update_bootloader
        self.check_mode = check_mode
        self.which = which or shutil.which
        self.write_file = write_file or atomic_write
        self.kernel_release = kernel_release or os.uname()[2]
        self.actions = []
        self.warnings = []
        # live: commands may run and act on the running system (root is "/").
        self._live = live

    # ---- helpers
    @property
    def live(self):
        if self._live is not None:
            return self._live
        return os.path.realpath(self.root) == "/"

    def _path(self, relative):
        return under_root(self.root, relative)

    def _run(self, argv, what):
        rc, out, err = self.runner(argv)
        if rc != 0:
            raise SriovError(
                "%s failed (rc=%s): %s" % (what, rc, (err or out or "").strip()),
                details={"argv": argv, "rc": rc, "stdout": out, "stderr": err})
        return out

    def detect_backend(self):
        if self.backend != "auto":
            if self.backend not in BACKENDS:
                raise SriovError("unknown backend %r" % self.backend, field="backend")
            return self.backend
        if self.live and os.path.exists(self._path("run/ostree-booted")) and self.which("rpm-ostree"):
            return "rpm-ostree"
        if self.live and self.which("grubby"):
            return "grubby"
        has_grub_defaults = os.path.isfile(self._path(GRUB_DEFAULT_FILE))
        grub_cfg = any(os.path.isfile(self._path(p)) for p in ("boot/grub/grub.cfg", "boot/grub2/grub.cfg"))
        if has_grub_defaults and grub_cfg:
            return "grub"
        if os.path.isfile(self._path(KERNEL_CMDLINE_FILE)):
            return "kernel-install"
        if has_grub_defaults:
            return "grub"
        raise SriovError(
            "no bootloader back-end found below %s (no /etc/default/grub, /etc/kernel/cmdline, "
            "grubby or rpm-ostree); set backend" % self.root, field="backend")

    def running_tokens(self):
        if not self.proc_root:
            return None
        path = os.path.join(self.proc_root, "cmdline")
        try:
            return split_cmdline(read_text(path).strip())
        except (IOError, OSError):
            return None

    # ---- entry point
    def run(self):
        ensure, remove = validate_request(self.ensure_raw, self.remove_raw)
        backend = self.detect_backend()
        if backend in ("grubby", "rpm-ostree") and not self.live:
            raise SriovError(
                "backend %s edits the running system through its command; it cannot prepare "
                "root %s" % (backend, self.root), field="root")
        handler = getattr(self, "_apply_" + backend.replace("-", "_"))
        before, after, diff, changed = handler(ensure, remove)
        running = self.running_tokens()
        reboot_required = False
        if running is not None:
            reboot_required = not satisfied(running, ensure, remove)
        return {
            "changed": changed,
            "backend": backend,
            "args_before": join_cmdline(before),
            "args_after": join_cmdline(after),
            "running_args": join_cmdline(running) if running is not None else None,
            "reboot_required": reboot_required,
            "diff": diff,
            "actions": self.actions,
            "warnings": self.warnings,
        }

    # ---- grub
    def _grub_mkconfig_argv(self):
        if self.which("update-grub"):
            return ["update-grub"]
        for tool, default in (("grub2-mkconfig", "boot/grub2/grub.cfg"),
                              ("grub-mkconfig", "boot/grub/grub.cfg")):
            if self.which(tool):
                output = default
                for candidate in ("boot/grub2/grub.cfg", "boot/grub/grub.cfg"):
                    if os.path.isfile(self._path(candidate)):
                        output = candidate
                        break
                return [tool, "-o", "/" + output]
        raise SriovError("neither update-grub nor grub2-mkconfig nor grub-mkconfig was found; "
                         "set update_bootloader=false to only edit /etc/default/grub",
                         field="update_bootloader")

    def _apply_grub(self, ensure, remove):
        path = self._path(GRUB_DEFAULT_FILE)
        try:
            text = read_text(path)
        except (IOError, OSError) as exc:
            raise SriovError("cannot read %s: %s" % (path, exc), field="backend")
        defaults = GrubDefaults(text, "/" + GRUB_DEFAULT_FILE)
        other_name = [v for v in GRUB_VARIABLES if v != self.grub_variable][0]
        target, _w, _i = defaults.read(self.grub_variable)
        other, other_word, _i = defaults.read(other_name)
        new_target, new_other = edit_pair(target, other, ensure, remove)
        defaults.write(self.grub_variable, new_target)
        if other_word is not None:
            defaults.write(other_name, new_other)
        new_text = defaults.text()

        # The normal boot entry gets GRUB_CMDLINE_LINUX followed by ..._DEFAULT.
        def joined(linux_var, tokens_a, tokens_b):
            return tokens_a + tokens_b if linux_var == "GRUB_CMDLINE_LINUX" else tokens_b + tokens_a

        before = joined(self.grub_variable, target, other)
        after = joined(self.grub_variable, new_target, new_other)
        for override in grub_d_overrides(self.root, self.grub_variable):
            self.warnings.append("%s also sets %s and is read after /etc/default/grub: "
                                 "check that it keeps these arguments" % (override, self.grub_variable))
        if new_text != text:
            self.actions.append("edit /%s" % GRUB_DEFAULT_FILE)
            if not self.check_mode:
                self.write_file(path, new_text)
            self._grub_regenerate()
        diff = {"before": text, "after": new_text,
                "before_header": "/" + GRUB_DEFAULT_FILE, "after_header": "/" + GRUB_DEFAULT_FILE}
        return before, after, diff, new_text != text

    def _grub_regenerate(self):
        if not self.update_bootloader:
            return
        if not self.live:
            self.actions.append("grub configuration not regenerated: root is %s" % self.root)
            return
        argv = self._grub_mkconfig_argv()
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, argv[0])

    # ---- kernel-install (/etc/kernel/cmdline)
    def _kernel_install_base(self):
        for relative in (KERNEL_CMDLINE_FILE, "usr/lib/kernel/cmdline"):
            path = self._path(relative)
            if os.path.isfile(path):
                return split_cmdline(read_text(path).strip()), relative == KERNEL_CMDLINE_FILE
        running = self.running_tokens() if self.live else None
        if running is None:
            return [], False
        # kernel-install starts from /proc/cmdline when no file exists; these are per boot.
        return [t for t in running if parse_token(t)[0] not in ("BOOT_IMAGE", "initrd")], False

    def _apply_kernel_install(self, ensure, remove):
        path = self._path(KERNEL_CMDLINE_FILE)
        before, exists = self._kernel_install_base()
        after = edit_tokens(before, ensure, remove)
        old_text = read_text(path) if exists else ""
        new_text = old_text
        if after != before:
            new_text = join_cmdline(after) + "\n"
            self.actions.append("write /%s" % KERNEL_CMDLINE_FILE)
            if not self.check_mode:
                if not os.path.isdir(os.path.dirname(path)):
                    os.makedirs(os.path.dirname(path))
                self.write_file(path, new_text)
            self._kernel_install_regenerate()
        diff = {"before": old_text, "after": new_text,
                "before_header": "/" + KERNEL_CMDLINE_FILE, "after_header": "/" + KERNEL_CMDLINE_FILE}
        return before, after, diff, old_text != new_text

    def _kernel_install_regenerate(self):
        if not self.update_bootloader:
            return
        if not self.live:
            self.actions.append("boot entries not regenerated: root is %s" % self.root)
            return
        release = self.kernel_release
        image = None
        for base in ("/usr/lib/modules", "/lib/modules"):
            candidate = os.path.join(base, release, "vmlinuz")
            if os.path.isfile(candidate):
                image = candidate
                break
        if image is None:
            image = "/boot/vmlinuz-%s" % release
        if not self.which("kernel-install"):
            raise SriovError("kernel-install not found; set update_bootloader=false to only "
                             "edit /etc/kernel/cmdline", field="update_bootloader")
        argv = ["kernel-install", "add", release, image]
        self.actions.append("run %s" % " ".join(argv))
        if not self.check_mode:
            self._run(argv, "kernel-install")

    # ---- grubby (BLS entries on RHEL and Fedora)
    def _grubby_entries(self):
        entries = parse_grubby_info(self._run(["grubby", "--info=ALL"], "grubby --info=ALL"))
        if not entries:
            raise SriovError("grubby --info=ALL listed no boot entry with args", field="backend")
        return entries

    def _apply_grubby(self, ensure, remove):
        entries = self._grubby_entries()
        before = split_cmdline(entries[0]["args"])
        after = edit_tokens(before, ensure, remove)
        pending = [e for e in entries if not satisfied(split_cmdline(e["args"]), ensure, remove)]
        if pending:
            add, drop = self._delta(entries, ensure, remove)
            argv = ["grubby", "--update-kernel=ALL"]
            if add:
                argv.append("--args=%s" % join_cmdline(add))
            if drop:
                argv.append("--remove-args=%s" % join_cmdline(drop))
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "grubby")
                for entry in self._grubby_entries():
                    if not satisfied(split_cmdline(entry["args"]), ensure, remove):
                        raise SriovError("grubby left entry %s with args %r" % (
                            entry.get("kernel", entry["index"]), entry["args"]),
                            details={"entry": entry})
        diff = {"before": join_cmdline(before) + "\n", "after": join_cmdline(after) + "\n",
                "before_header": "grubby default entry args", "after_header": "grubby default entry args"}
        return before, after, diff, bool(pending)

    @staticmethod
    def _delta(entries, ensure, remove):
        """Arguments to add and to remove so that every entry satisfies the request."""
        add = []
        drop = []
        for entry in entries:
            old = split_cmdline(entry["args"])
            new = edit_tokens(old, ensure, remove)
            for token in old:
                if token not in new and token not in drop:
                    drop.append(token)
            for token in new:
                if token not in old and token not in add:
                    add.append(token)
        # grubby --args=key=value already replaces the old value of key: no need to remove it.
        added_keys = set(parse_token(t)[0] for t in add if parse_token(t)[1] is not None)
        drop = [t for t in drop if parse_token(t)[0] not in added_keys]
        return add, drop

    # ---- rpm-ostree kargs
    def _apply_rpm_ostree(self, ensure, remove):
        before = split_cmdline(self._run(["rpm-ostree", "kargs"], "rpm-ostree kargs").strip())
        after = edit_tokens(before, ensure, remove)
        if after != before:
            argv = ["rpm-ostree", "kargs"]
            for token in before:
                if token not in after:
                    argv.append("--delete-if-present=%s" % token)
            for token in after:
                if token not in before:
                    argv.append("--append-if-missing=%s" % token)
            self.actions.append("run %s" % " ".join(argv))
            if not self.check_mode:
                self._run(argv, "rpm-ostree kargs")
                staged = split_cmdline(self._run(["rpm-ostree", "kargs"], "rpm-ostree kargs").strip())
                if not satisfied(staged, ensure, remove):
                    raise SriovError("rpm-ostree kargs left %r" % join_cmdline(staged))
                after = staged
        diff = {"before": join_cmdline(before) + "\n", "after": join_cmdline(after) + "\n",
                "before_header": "rpm-ostree kargs", "after_header": "rpm-ostree kargs"}
        return before, after, diff, after != before
