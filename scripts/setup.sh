#!/usr/bin/env bash
# Installs everything the collection, its demo and its tests need on a fresh Debian 12
# (bookworm) or Debian 13 (trixie) machine: the apt packages, a virtualenv with the pinned Python dependencies, and the
# link that makes this tree importable as ansible_collections.virtblock.volumes.
# Safe to run again: it skips what is already there.
set -euo pipefail
. "$(dirname "$0")/env.sh"

# The release decides a few package lines (apt-packages.txt: "NAME debian=N").
debian=$(. /etc/os-release 2>/dev/null && [ "${ID:-}" = debian ] && echo "${VERSION_ID:-}")
case "$debian" in
  12|13) echo "setup: Debian $debian" ;;
  *) echo "setup: not Debian 12 or 13 (/etc/os-release: ${debian:-other}); trying the Debian 12 names" >&2
     debian=12 ;;
esac
missing=()
while read -r pkg only; do
  [ -z "$pkg" ] && continue
  [ -n "${only:-}" ] && [ "$only" != "debian=$debian" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < <(grep -v '^\s*#' "$VIRTBLOCK_ROOT/scripts/apt-packages.txt")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Debian's postgresql and libvirt packages try to start services through an init
  # system these machines do not have; policy-rc.d tells them not to.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Ceph for the rbd backend's tests and the demo's RBD mode (VIRTBLOCK_WITH_CEPH=0 skips it;
# the rbd tests then skip, saying so).
if [ "${VIRTBLOCK_WITH_CEPH:-1}" = 1 ]; then
  "$VIRTBLOCK_ROOT/scripts/ceph/install.sh" || echo "setup: Ceph could not be installed; the rbd tests will skip" >&2
fi

if [ ! -x "$VIRTBLOCK_VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VIRTBLOCK_VENV"
  python3 -m venv "$VIRTBLOCK_VENV"
fi
stamp="$VIRTBLOCK_VENV/.requirements.sha256"
want=$(sha256sum "$VIRTBLOCK_ROOT/requirements.txt" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python requirements"
  "$VIRTBLOCK_VENV/bin/pip" install -q --disable-pip-version-check -r "$VIRTBLOCK_ROOT/requirements.txt"
  echo "$want" > "$stamp"
fi

mkdir -p "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/virtblock" "$OSLO_LOCK_PATH"
link="$ANSIBLE_COLLECTIONS_PATH/ansible_collections/virtblock/volumes"
[ -L "$link" ] || ln -s "$VIRTBLOCK_ROOT" "$link"
echo "setup: done"
