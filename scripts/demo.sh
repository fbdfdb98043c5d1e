#!/usr/bin/env bash
# The README's demo command: set up this machine, start tgtd (127.0.0.1:3260) and libvirtd,
# start a small VM, and attach a volume to it with playbooks/demo_attach_volume.yml.
# Run it again: the second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
scripts/services.sh start tgtd
scripts/services.sh start libvirt
uuid=$(python scripts/demo_domain.py virtblock-demo)
echo "demo VM virtblock-demo: $uuid"
exec ansible-playbook -i localhost, playbooks/demo_attach_volume.yml -e "demo_instance_uuid=$uuid" "$@"
