#!/usr/bin/env bash
# Install the host packages the lab and the docsite tier (headless Chromium) need (Debian 12 or
# 13). Idempotent: does nothing when all tools are present. QEMU >= 8.0 is required for the
# emulated igb SR-IOV NIC: lab/qemu-suite.sh
# decides where it comes from (Debian 13: the machine's own release; Debian 12, which ships 7.2:
# bookworm-backports of the mirror already configured). Releases are never mixed.
set -euo pipefail

need_qemu() {
    command -v qemu-system-x86_64 >/dev/null || return 0
    qemu-system-x86_64 -device help 2>/dev/null | grep -q '"igb"' && return 1
    return 0
}

missing=()
for tool in debootstrap sfdisk mkfs.ext4 qemu-img ssh ssh-keygen shellcheck rsync chromium; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if [ ${#missing[@]} -eq 0 ] && ! need_qemu; then
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "lab: missing host tools (${missing[*]:-qemu with igb}); run this script as root" >&2
    exit 1
fi

qemu_suite=$(bash "$(dirname "$0")/qemu-suite.sh")
export DEBIAN_FRONTEND=noninteractive
qemu_target=()
if [ -n "$qemu_suite" ]; then
    # Find the Debian mirror the machine already uses (not a comment, not the security suite)
    # and add its backports suite.
    mirror=$( (grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}';
               grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
               awk '{print $2}') | grep -E '/debian/?$' | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    if ! grep -rqsE "^[^#]*$qemu_suite" /etc/apt/sources.list /etc/apt/sources.list.d/ \
            --exclude=directiron-sriov-lab.list; then
        echo "deb ${mirror%/} $qemu_suite main" > /etc/apt/sources.list.d/directiron-sriov-lab.list
    fi
    qemu_target=(-t "$qemu_suite")
else
    # A machine upgraded from Debian 12 keeps no entry of ours for the older release.
    rm -f /etc/apt/sources.list.d/directiron-sriov-lab.list
fi
apt-get update -q
apt-get install -y -q --no-install-recommends debootstrap fdisk e2fsprogs openssh-client \
    ca-certificates shellcheck rsync chromium
apt-get install -y -q --no-install-recommends "${qemu_target[@]}" qemu-system-x86 qemu-utils
