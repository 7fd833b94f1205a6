# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module's ``main()`` shares: the host options, the command runner, the ending.

- ``host_options("sysfs_root", "proc_root", "uri")``: the argument-spec entries of the options the
  ``directiron.sriov.sysfs`` and ``directiron.sriov.libvirt`` doc fragments document (declared
  here once, composed per module);
- ``command_runner(module)``: ``runner(argv) -> (rc, stdout, stderr)`` over ``run_command`` in
  the C locale, so the service layer can map error texts (strerror) to advice;
- ``run_module(module, call, actions=None)``: runs ``call()``, turns ``SriovError`` (and a
  bare ``OSError``) into ``fail_json`` with the actions done so far, sends the result's
  ``warnings`` through ``module.warn``, keeps ``diff`` only in diff mode, and exits. Before
  ``call()`` it refuses an ``int`` option given as text that is not ASCII decimal
  (``raw_int_problem``): Ansible's own int type reads ``"٣"`` as 3.

Takes the ``AnsibleModule`` instance but does not import ``ansible.module_utils.basic``, so
it stays a plain module_utils file like the others.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError
from ansible_collections.directiron.sriov.plugins.module_utils._rules import HOST_ROOTS, INT_TEXT_RE, LIBVIRT_URI

# The argument-spec entries of the host roots (the sysfs doc fragment documents them) and of the
# libvirt connection (the libvirt doc fragment documents it).
HOST_OPTIONS = dict((name, {"type": "path", "default": default}) for name, default in HOST_ROOTS.items())
LIBVIRT_OPTIONS = {"uri": {"type": "str", "default": LIBVIRT_URI}}
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LC_MESSAGES": "C"}


def host_options(*names):
    """Argument-spec entries for the named host or libvirt options (fresh dicts, safe to change)."""
    table = dict(HOST_OPTIONS, **LIBVIRT_OPTIONS)
    return dict((name, dict(table[name])) for name in names)


def command_runner(module):
    """runner(argv) -> (rc, out, err) over run_command, C locale, never raising on rc != 0."""
    def runner(argv):
        return module.run_command(argv, check_rc=False, handle_exceptions=False, environ_update=C_LOCALE)
    return runner


def require_libvirt(module, binding, unchecked_in_check_mode=None):
    """fail_json with the usual missing-library message when the libvirt binding is absent.

    ``unchecked_in_check_mode``: what the caller's role installs the binding for; in check mode
    (a preflight or ``--check`` before that role ran) the module then ends unchanged with a
    warning that it could not check, instead of failing a host that the converge would fix.
    """
    if binding is None and unchecked_in_check_mode and module.check_mode:
        module.warn("%s not checked: the libvirt Python binding (python3-libvirt) is missing; %s"
                    % (getattr(module, "_name", "module"), unchecked_in_check_mode))
        module.exit_json(changed=False, skipped=True)
    if binding is None:
        from ansible.module_utils.basic import missing_required_lib
        from ansible_collections.directiron.sriov.plugins.module_utils._libvirt_conn import LIBVIRT_IMPORT_ERROR
        module.fail_json(msg=missing_required_lib("libvirt (python3-libvirt)"), exception=LIBVIRT_IMPORT_ERROR)


def raw_int_problem(raw, spec, prefix=""):
    """The first ``int`` option of ``spec`` that ``raw`` (the arguments as sent) gives as text other
    than ASCII decimal digits, as a SriovError naming it; None when there is none.

    Ansible converts int options with ``decimal.Decimal``, which takes Unicode digits
    (``num_vfs: "٣"`` would be 3 VFs); the collection's rule (``_rules.INT_TEXT_RE``) does not.
    Sub-options (``options``) of dicts and lists of dicts are walked too.
    """
    if not isinstance(raw, dict):
        return None
    for name, option in sorted(spec.items()):
        value = raw.get(name)
        field = prefix + name
        if value is None:
            continue
        if option.get("type") == "int" and isinstance(value, str) and not INT_TEXT_RE.match(value):
            return SriovError("%s must be an integer in ASCII digits, got %r" % (field, value), field=field)
        if option.get("options"):
            items = value if isinstance(value, list) else [value]
            for index, item in enumerate(items):
                where = "%s[%d]." % (field, index) if isinstance(value, list) else field + "."
                problem = raw_int_problem(item, option["options"], where)
                if problem is not None:
                    return problem
    return None


def _raw_arguments():
    """The module arguments as sent, before the argument spec converted them ({} when unknown)."""
    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    if getattr(basic, "_ANSIBLE_ARGS", None) is None:  # not read yet: reading would wait for stdin
        return {}
    try:
        return basic._load_params()  # pylint: disable=protected-access
    except (Exception, SystemExit):  # pylint: disable=broad-except
        return {}


def run_module(module, call, actions=None):
    """Run ``call() -> result dict`` and end the module with it.

    ``actions``: the manager's list of actions, returned with a failure so a user sees what was
    done before it. The result's ``warnings`` become module warnings; its ``diff`` is returned
    only when the user asked for diffs (``--diff``).
    """
    problem = raw_int_problem(_raw_arguments(), getattr(module, "argument_spec", None) or {})
    if problem is not None:
        module.fail_json(**problem.to_result())
    try:
        result = call()
    except SriovError as err:
        failure = err.to_result()
        if actions is not None:
            failure["actions"] = list(actions)
        module.fail_json(**failure)
    except (IOError, OSError) as err:
        failure = {"msg": "%s: %s" % (getattr(module, "_name", "module"), err)}
        if actions is not None:
            failure["actions"] = list(actions)
        module.fail_json(**failure)
    for warning in result.pop("warnings", None) or []:
        module.warn(warning)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)
