#!/usr/bin/env bash
# The README's test command: set up this machine, start the daemons the tests use,
# run the test suite. Extra arguments go to pytest (e.g. -k iscsi).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/env.sh
# The tests start their own tgtd (own control port, 127.0.0.2) and PostgreSQL; libvirtd
# is one per machine.
scripts/services.sh start libvirt
exec python -m pytest "$@"
