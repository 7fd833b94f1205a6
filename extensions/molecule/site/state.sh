#!/usr/bin/env bash
# Everything site.yml could change on the host, as the host's own tools print it: kernel
# arguments (booted and stored), VFs and their settings, drivers, units, libvirt networks,
# package holds. prepare.yml compares this output before and after `site.yml --check --diff`.
# No pager: the script module runs this on a terminal.
export SYSTEMD_PAGER=cat PAGER=cat
echo "cmdline: $(cat /proc/cmdline)"
md5sum /etc/default/grub /boot/grub/grub.cfg
for pf in 0000:01:00.0 0000:02:00.0; do
    d=/sys/bus/pci/devices/$pf
    echo "$pf numvfs=$(cat $d/sriov_numvfs) autoprobe=$(cat $d/sriov_drivers_autoprobe)"
done
ip -d -j link show dev enp1s0; echo
ip -d -j link show dev enp2s0; echo
lspci -Dk | grep -E '^[0-9a-f]|Kernel driver in use'
for f in /sys/bus/pci/devices/*/driver_override; do echo "$f $(cat "$f")"; done | grep -v '(null)$'
# Names and device links, not `ls -l`: sysfs timestamps are those of the first lookup.
for n in /sys/class/net/*; do echo "$n -> $(readlink "$n")"; done
systemctl --no-pager list-unit-files --no-legend 'directiron*'
systemctl is-enabled libvirtd.service
ls -la /etc/libvirt/qemu/networks /etc/libvirt/qemu/networks/autostart /etc/modules-load.d \
    /etc/udev/rules.d /etc/directiron-sriov /usr/local/libexec 2>&1
virsh -c qemu:///system net-list --all
dpkg --get-selections | awk '$2 != "install"'
lsmod | awk '{print $1}' | sort
