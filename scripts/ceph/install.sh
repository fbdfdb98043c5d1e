#!/usr/bin/env bash
# Installs what scripts/ceph/up.sh needs: Debian's Ceph (16.2 "Pacific" on Debian 12, 18.2
# "Reef" on Debian 13): ceph-mon and ceph-common (rbd, ceph, ceph-authtool) by apt; no ceph-mgr
# (rbd needs none; up.sh WITH_MGR=1 wants it installed).
#   install.sh [OSD_ROOT]      (default /opt/virtblock-ceph-osd)
# ceph-osd is not apt-installed: its package Depends on sudo, lvm2 and ceph-volume, which
# these machines do not have (no sudo, no device-mapper). Its .deb is unpacked into OSD_ROOT
# and the shared libraries it Depends on are apt-installed instead; up.sh runs the binary
# from there. Never 'dpkg --ignore-depends': that leaves dpkg broken for every later apt-get.
# Safe to run again: skips what is there.
set -euo pipefail
OSD_ROOT=${1:-${VIRTBLOCK_CEPH_OSD_ROOT:-/opt/virtblock-ceph-osd}}
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
want=()
for pkg in ceph-mon ceph-common; do installed "$pkg" || want+=("$pkg"); done
if [ "${#want[@]}" -gt 0 ]; then
  apt-cache policy ceph-mon 2>/dev/null | sed -n 's/ *Candidate: //p' | grep -qv none || apt-get update -qq
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  "${APT[@]}" "${want[@]}" >/dev/null
fi
version=$(dpkg-query -W -f='${Version}' ceph-common)
stamp="$OSD_ROOT/.version"
if [ ! -x "$OSD_ROOT/usr/bin/ceph-osd" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
  tmp=$(mktemp -d); chmod 755 "$tmp"   # apt's _apt user writes the download
  (cd "$tmp" && apt-get -o APT::Sandbox::User=root download -qq "ceph-osd=$version" >/dev/null)
  deb=$(ls "$tmp"/ceph-osd_*.deb)
  # the libraries ceph-osd links (libfuse2 on 12, libfuse2t64 on 13, ...), not its tools
  libs=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -E 's/^ *//; s/[ (].*//; s/\|.*//' |
         grep -E '^lib' || true)
  need=()
  for pkg in $libs; do installed "$pkg" || need+=("$pkg"); done
  [ "${#need[@]}" -eq 0 ] || "${APT[@]}" "${need[@]}" >/dev/null
  rm -rf "$OSD_ROOT"; mkdir -p "$OSD_ROOT"
  dpkg-deb -x "$deb" "$OSD_ROOT"
  echo "$version" > "$stamp"
  rm -rf "$tmp"
fi
"$OSD_ROOT/usr/bin/ceph-osd" --version >/dev/null
