#!/usr/bin/env bash
# `make demo`: run the main job. With INVENTORY set, converge those hosts with
# playbooks/site.yml. Without it, boot a lab VM (no IOMMU on its kernel cmdline yet), converge
# it from playbooks/demo/host_vars/demo.yml (IOMMU on with a reboot, VFs, vfio, a libvirt
# pool), end with the fleet report, and stop the VM again, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-$PWD/.venv}/bin

if [ -n "${INVENTORY:-}" ]; then
    read -r -a extra <<<"${DEMO_ARGS:-}"
    exec "$bin/ansible-playbook" -i "$INVENTORY" playbooks/site.yml "${extra[@]}"
fi

run=lab/run/demo-inventory
"$bin/python" -m lab build --variant base >/dev/null
trap '"$bin/python" -m lab down demo || true' EXIT
"$bin/python" -m lab up demo --variant base --fresh
rm -rf "$run" && mkdir -p "$run"
cp -r playbooks/demo/host_vars "$run/"
# Other lab VMs may be running: the plays are limited to the demo VM.
"$bin/python" -m lab inventory --output "$run/hosts.yml"
export ANSIBLE_CONFIG=$PWD/lab/run/ansible.cfg
# site.yml ends with the fleet report: printed, and as Markdown and JSON in lab/run/demo-report
"$bin/ansible-playbook" -i "$run/hosts.yml" -l demo -e sriov_report_dir="$PWD/lab/run/demo-report" playbooks/site.yml
