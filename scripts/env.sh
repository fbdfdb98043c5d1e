# Sourced by the other scripts: where the virtualenv and the collection link live.
# shellcheck shell=bash
VIRTBLOCK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VIRTBLOCK_VENV="${VIRTBLOCK_VENV:-$VIRTBLOCK_ROOT/.venv}"
VIRTBLOCK_BUILD="$VIRTBLOCK_ROOT/.build"
export VIRTBLOCK_ROOT VIRTBLOCK_VENV VIRTBLOCK_BUILD
export ANSIBLE_COLLECTIONS_PATH="$VIRTBLOCK_BUILD/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export ANSIBLE_PYTHON_INTERPRETER="$VIRTBLOCK_VENV/bin/python"
# os-brick takes its locks through oslo.concurrency, which needs a lock path.
export OSLO_LOCK_PATH="${OSLO_LOCK_PATH:-$VIRTBLOCK_BUILD/locks}"
export PATH="$VIRTBLOCK_VENV/bin:$PATH"
