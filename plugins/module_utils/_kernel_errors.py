# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a failed kernel write means: its errno, in words a user can act on.

``kernel_error`` builds the ``SriovError`` for a failed sysfs write or ``ip`` call: what was
tried, the errno and advice for it, and the actions already done. ``errno_from_text`` maps
iproute2's strerror() text back to an errno. Pure standard library (the boot-time replay).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno

from ansible_collections.directiron.sriov.plugins.module_utils._errors import SriovError

ERRNO_ADVICE = {
    errno.EBUSY: "the device is busy: a VF is still in use (a guest, a vfio user, a bound driver), or the "
                 "kernel refused to change a non-zero VF count directly; free the VFs, then retry",
    errno.ENOMEM: "not enough memory or PCI BAR space for the VFs: boot with pci=realloc (kernel "
                  "cmdline), or enable SR-IOV and 'above 4G decoding' in the firmware, or ask for fewer VFs",
    errno.ENOSPC: "not enough MSI-X vectors or interrupt resources for this many VFs: ask for fewer VFs "
                  "or free interrupt vectors (fewer PF queues)",
    errno.EINVAL: "the kernel or the driver rejected the value: check it against the driver's limits "
                  "(dmesg shows the driver's reason)",
    errno.EPERM: "not permitted: run as root (become: true); a locked-down kernel (secure boot) may also refuse",
    errno.EACCES: "permission denied: run as root (become: true)",
    errno.EIO: "I/O error from the device or its firmware: check dmesg and the NIC firmware",
    errno.ENODEV: "the device vanished while being configured: check dmesg",
    errno.ENOENT: "the sysfs attribute does not exist: the device vanished or the driver lacks the feature",
    errno.EOPNOTSUPP: "the driver does not support this setting",
}

# iproute2 prints strerror() text; map it back to an errno for the same advice.
STRERROR_TO_ERRNO = (
    ("Device or resource busy", errno.EBUSY),
    ("Cannot allocate memory", errno.ENOMEM),
    ("No space left on device", errno.ENOSPC),
    ("Invalid argument", errno.EINVAL),
    ("Operation not permitted", errno.EPERM),
    ("Permission denied", errno.EACCES),
    ("Input/output error", errno.EIO),
    ("No such device", errno.ENODEV),
    ("Operation not supported", errno.EOPNOTSUPP),
    ("Not supported", errno.EOPNOTSUPP),
)


def kernel_error(err_no, what, detail="", actions=None):
    """SriovError for a failed write: what was tried, the kernel's errno and what to do about it."""
    name = errno.errorcode.get(err_no, "errno %s" % err_no)
    advice = ERRNO_ADVICE.get(err_no, "see dmesg for the kernel's reason")
    msg = "%s failed with %s%s: %s" % (what, name, " (%s)" % detail if detail else "", advice)
    details = {"errno": name}
    if actions:
        details["actions_done"] = list(actions)
    return SriovError(msg, details=details)


def errno_from_text(text):
    for needle, value in STRERROR_TO_ERRNO:
        if needle.lower() in (text or "").lower():
            return value
    return None
