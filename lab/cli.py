# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: python -m lab build|up|down|ssh|status|inventory."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import sys

from lab import image, inventory, nested, vm
from lab.common import LabError, log


def _parser():
    parser = argparse.ArgumentParser(prog="python -m lab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build or reuse the cached guest image; print its path")
    build.add_argument("--variant", choices=sorted(image.VARIANTS), default="base")

    up = sub.add_parser("up", help="start a VM and wait until SSH answers")
    up.add_argument("name")
    up.add_argument("--variant", choices=sorted(image.VARIANTS), default="base")
    up.add_argument("--without-pf", type=int, choices=(1, 2), action="append", default=[],
                    help="leave igb PF 1 or 2 out (repeatable); its root port stays")
    up.add_argument("--memory", type=int, default=vm.DEFAULT_MEMORY_MIB, help="MiB")
    up.add_argument("--timeout", type=int, default=vm.DEFAULT_TIMEOUT_S, help="seconds to SSH")
    up.add_argument("--fresh", action="store_true", help="discard the VM's existing overlay")
    up.add_argument("--iommu", choices=("intel", "amd"), default="intel",
                    help="emulated IOMMU (amd: experimental, see lab/README.md)")
    up.add_argument("--l2", metavar="SEGMENT",
                    help="join L2 segment SEGMENT (two VMs) with a virtio NIC at 00:08.0 (enp0s8)")

    down = sub.add_parser("down", help="stop VMs by pid")
    target = down.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?")
    target.add_argument("--all", action="store_true")
    down.add_argument("--no-sync", action="store_true",
                      help="skip the guest `sync` before stopping (faster; for throwaway VMs)")
    down.add_argument("--destroy", action="store_true",
                      help="also remove lab/run/NAME (overlay, logs)")

    ssh = sub.add_parser("ssh", help="ssh into a VM, optionally running a command")
    ssh.add_argument("name")
    ssh.add_argument("cmd", nargs=argparse.REMAINDER)

    status = sub.add_parser("status", help="list VMs and their state")
    status.add_argument("--json", action="store_true")

    inv = sub.add_parser("inventory", help="write an Ansible YAML inventory of running VMs")
    inv.add_argument("--output", help="file to write (default: stdout)")
    inv.add_argument("--all", action="store_true", help="include stopped VMs")

    prune = sub.add_parser("prune", help="remove cached images no VM overlay uses and that "
                                         "are not current")
    prune.add_argument("--dry-run", action="store_true")

    moved = sub.add_parser("nested-migration", help="what a live migration cost a nested guest, from the "
                           "source's serial log before it and the destination's after it")
    moved.add_argument("before")
    moved.add_argument("after")
    report = sub.add_parser("nested-report", help="parse a nested guest's serial log (stdin); "
                                                  "print its last complete report as JSON")
    report.add_argument("--audit-guest", metavar="NAME",
                        help="print it as an sriov_audit_extra_guests entry named NAME instead")
    report.add_argument("--guest-nics", action="store_true",
                        help="print it as guest_nic_facts' guest_nics (for sriov_migrate)")
    report.add_argument("--pin", action="append", default=[], metavar="MODULE=VERSION",
                        help="with --audit-guest: a guest driver pin (repeatable)")

    accel = sub.add_parser("accel", help="print the accelerator the lab uses (probe if needed)")
    accel.add_argument("--refresh", action="store_true", help="probe KVM again")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except LabError as exc:
        log("error: %s", exc)
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130


def _dispatch(args):
    if args.command == "build":
        print(image.build(args.variant, vm.accel_args()))
        return 0
    if args.command == "up":
        port = vm.Vm(args.name).up(variant=args.variant, without_pf=tuple(args.without_pf),
                                   memory=args.memory, timeout=args.timeout, fresh=args.fresh,
                                   iommu=args.iommu, l2=args.l2)
        print(port)
        return 0
    if args.command == "down":
        targets = vm.all_vms() if args.all else [vm.Vm(args.name)]
        for machine in targets:
            if args.destroy:
                machine.destroy()
            else:
                machine.down(sync=not args.no_sync)
        return 0
    if args.command == "ssh":
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        argv = vm.Vm(args.name).ssh_argv(cmd)
        sys.stdout.flush()
        os.execvp(argv[0], argv)
    if args.command == "status":
        rows = [machine.status() for machine in vm.all_vms()]
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                print("%-16s %-8s pid=%-7s port=%-6s variant=%-6s accel=%-4s without_pf=%s" % (
                    row["name"], "running" if row["running"] else "stopped", row["pid"] or "-",
                    row["port"] or "-", row["variant"] or "-", row["accel"] or "-",
                    ",".join(str(i) for i in row["without_pf"]) or "-"))
        return 0
    if args.command == "inventory":
        text = inventory.render(vm.all_vms(), include_stopped=args.all)
        inventory.write_ansible_cfg()
        if args.output:
            inventory.write_file(args.output, text)
            log("inventory written to %s", args.output)
        else:
            sys.stdout.write(text)
        return 0
    if args.command == "prune":
        referenced = {machine.meta().get("image") for machine in vm.all_vms()}
        for path in image.prune(referenced, dry_run=args.dry_run):
            print(path)
        return 0
    if args.command == "nested-migration":
        with open(args.before) as before, open(args.after) as after:
            try:
                figures = nested.migration_figures(before.read(), after.read())
            except ValueError as exc:
                raise LabError(str(exc))
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    if args.command == "nested-report":
        parsed = nested.parse_report(sys.stdin.read())
        if parsed is None:
            raise LabError("no complete report round in the serial log")
        if args.guest_nics:
            parsed = nested.guest_nics(parsed)
        elif args.audit_guest:
            pins = [dict(zip(("module", "version"), pin.split("=", 1))) for pin in args.pin]
            parsed = nested.audit_guest(parsed, args.audit_guest, pins)
        print(json.dumps(parsed, indent=2, sort_keys=True))
        return 0
    if args.command == "accel":
        print(vm.accel_args(refresh=args.refresh)[1].split(",")[0])
        return 0
    raise LabError("unknown command %s" % args.command)
