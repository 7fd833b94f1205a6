# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The libvirt connection: the binding, opening and closing a connection, libvirt's error codes.

The ``libvirt`` Python binding (python3-libvirt) is imported here once, or None with the import
error (``_ansible_module.require_libvirt`` refuses its absence); services get it handed in, so
unit tests hand in a fake.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import traceback

from ansible_collections.directiron.sriov.plugins.module_utils import _rules
from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

# The libvirt Python binding (python3-libvirt) of the managed host, or None with the import
# error. Modules bind it to their own ``libvirt`` name, which unit tests swap for a fake.
LIBVIRT_IMPORT_ERROR = None
try:
    import libvirt as LIBVIRT  # pylint: disable=unused-import
except ImportError:
    LIBVIRT = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()

VIR_ERR_NO_DOMAIN = 42
VIR_ERR_NO_NETWORK = 43


def open_connection(libvirt_mod, uri):
    """``libvirt_mod.open(uri)`` (default ``qemu:///system``); SriovError(field="uri") when it fails."""
    uri = uri or _rules.LIBVIRT_URI
    try:
        conn = libvirt_mod.open(uri)
    except libvirt_mod.libvirtError as exc:
        raise SriovError("cannot connect to libvirt at %s: %s" % (uri, exc), field="uri")
    if conn is None:
        raise SriovError("cannot connect to libvirt at %s" % uri, field="uri")
    return conn


def close_connection(libvirt_mod, conn):
    """Close ``conn`` if it is open; a failing close changes nothing for the caller."""
    close = getattr(conn, "close", None)
    if close is not None:
        try:
            close()
        except libvirt_mod.libvirtError:
            pass


def error_code(exc):
    """The libvirt error code of a ``libvirtError`` (None when it carries none)."""
    return exc.get_error_code() if hasattr(exc, "get_error_code") else None
