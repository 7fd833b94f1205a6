#!/usr/bin/env bash
# Print the apt suite that lab/host-deps.sh installs QEMU from, for the Debian release described
# by an os-release file (default /etc/os-release). The lab needs QEMU >= 8.0 (the emulated igb
# SR-IOV NIC). Debian 13 (trixie, QEMU 10.0) and later, testing and unstable ship it: the output is
# empty, QEMU comes from the machine's own release. Debian 12 (bookworm) ships 7.2: the output is
# bookworm-backports (QEMU 10.0 there). Anything else is an error naming the field; releases are
# never mixed.
# Usage: qemu-suite.sh [OS_RELEASE]
set -euo pipefail
os_release=${1:-/etc/os-release}
[ -r "$os_release" ] || { echo "lab: cannot read $os_release" >&2; exit 2; }
ID='' VERSION_ID='' VERSION_CODENAME=''
# shellcheck disable=SC1090  # os-release is shell assignments by its specification
. "$os_release"
if [ "$ID" != debian ]; then
    echo "lab: ID=$ID in $os_release: the lab's host set-up supports Debian 12 and 13" >&2
    exit 2
fi
case "$VERSION_ID" in
    '') ;;  # testing or unstable: newer than any stable, QEMU >= 8 in the release itself
    12) echo "${VERSION_CODENAME:-bookworm}-backports" ;;
    *[!0-9]*) echo "lab: VERSION_ID=$VERSION_ID in $os_release is not a Debian release number" >&2; exit 2 ;;
    *) if [ "$VERSION_ID" -lt 12 ]; then
           echo "lab: VERSION_ID=$VERSION_ID in $os_release: Debian $VERSION_ID has no QEMU >= 8.0 (igb); use Debian 12 or 13" >&2
           exit 2
       fi ;;
esac
