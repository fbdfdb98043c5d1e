#!/usr/bin/env bash
# The README's demo command: set up this machine, start tgtd (127.0.0.1:3260) and libvirtd,
# start a small VM, and attach a volume to it with the collection's playbook
# virtblock.volumes.demo_attach_volume (playbooks/demo_attach_volume.yml).
# Run it again: the second run changes nothing.
# VIRTBLOCK_COLLECTIONS_PATH=DIR runs the collection installed in DIR (e.g. by
# `ansible-galaxy collection install -p DIR virtblock-volumes-*.tar.gz`) instead of this
# source tree; scripts/check.sh does that with the built artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
if [ -n "${VIRTBLOCK_COLLECTIONS_PATH:-}" ]; then
  export ANSIBLE_COLLECTIONS_PATH="$VIRTBLOCK_COLLECTIONS_PATH"
fi
scripts/services.sh start tgtd
scripts/services.sh start libvirt
console=/var/lib/virtblock/demo-console.log
uuid=$(python scripts/demo_domain.py virtblock-demo "$console")
echo "demo VM virtblock-demo: $uuid"
echo "collection: $(ansible-galaxy collection list virtblock.volumes 2>/dev/null | sed -n 's/^# //p' | head -n1)"
ansible-playbook -i localhost, virtblock.volumes.demo_attach_volume -e "demo_instance_uuid=$uuid" "$@"
# What the guest saw: its /init prints a line for each disk, with the serial (the volume id,
# cut to 20 characters) and the first bytes on it. A TCG guest takes a while to boot.
volume=5f2a3c1e-7b8d-4e6f-9a01-23456789abcd
for _ in $(seq 120); do
  seen=$(grep -a "VBTEST-DISK .* serial=${volume:0:20}" "$console" | tail -n1) && break
  sleep 1
done
if [ -z "${seen:-}" ]; then
  echo "in the VM: the guest has not reported the disk yet (console: $console)"; exit 1
fi
echo "in the VM: ${seen#*VBTEST-DISK }"
