#!/usr/bin/env bash
# Starts and stops the daemons the collection drives, on machines with no init system.
#
#   services.sh start|stop|restart|status [tgtd|libvirt|all]
#
# tgtd is configured by environment variables (defaults in brackets):
#   TGT_CONTROL_PORT [0]               tgtd -C: a second tgtd needs its own
#   TGT_PORTAL       [127.0.0.1:3260]  always a loopback address here: without
#                                      portal= tgtd listens on every interface
#   TGT_CONF         [/etc/tgt/targets.conf]  read on start (tgt-admin -e) so that the
#                                      per-volume target files come back after a restart
#   TGT_LOG          [/var/log/virtblock-tgtd-$TGT_CONTROL_PORT.log]
set -euo pipefail

TGT_CONTROL_PORT="${TGT_CONTROL_PORT:-0}"
TGT_PORTAL="${TGT_PORTAL:-127.0.0.1:3260}"
TGT_CONF="${TGT_CONF:-/etc/tgt/targets.conf}"
TGT_LOG="${TGT_LOG:-/var/log/virtblock-tgtd-$TGT_CONTROL_PORT.log}"
LIBVIRT_SOCK=/var/run/libvirt/libvirt-sock

wait_for() {  # wait_for SECONDS COMMAND...: poll until COMMAND succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

tgtd_up() { tgtadm -C "$TGT_CONTROL_PORT" --op show --mode system; }

tgtd_start() {
  if tgtd_up >/dev/null 2>&1; then echo "tgtd (control port $TGT_CONTROL_PORT) already running"; return 0; fi
  case "${TGT_PORTAL%:*}" in
    127.*|\[::1\]) ;;
    *) echo "refusing to start tgtd on non-loopback portal $TGT_PORTAL" >&2; return 1 ;;
  esac
  # tgtd starts even when another process holds its portal, and then serves nothing
  # there: refuse up front so a test never talks to someone else's tgtd.
  if ss -Hltn "sport = :${TGT_PORTAL##*:}" | awk '{print $4}' | grep -qxF "$TGT_PORTAL"; then
    echo "portal $TGT_PORTAL is already in use by another process; stop it or pick another address" >&2
    return 1
  fi
  mkdir -p "$(dirname "$TGT_LOG")"
  setsid tgtd -f -C "$TGT_CONTROL_PORT" --iscsi "portal=$TGT_PORTAL" >>"$TGT_LOG" 2>&1 < /dev/null &
  if ! wait_for 10 tgtd_up; then echo "tgtd did not start; see $TGT_LOG" >&2; return 1; fi
  # Debian's init script does the same: bring back every target kept in the config.
  if [ -f "$TGT_CONF" ]; then
    tgt-admin -C "$TGT_CONTROL_PORT" -c "$TGT_CONF" -e >>"$TGT_LOG" 2>&1 || {
      echo "tgt-admin -e failed for $TGT_CONF; see $TGT_LOG" >&2; return 1; }
  fi
  echo "tgtd started (control port $TGT_CONTROL_PORT, portal $TGT_PORTAL)"
}

tgtd_stop() {
  tgtd_up >/dev/null 2>&1 || { echo "tgtd (control port $TGT_CONTROL_PORT) not running"; return 0; }
  tgtadm -C "$TGT_CONTROL_PORT" --op update --mode sys --name State -v offline || true
  # Drop the running targets only (an empty config), never the files on disk.
  tgt-admin -C "$TGT_CONTROL_PORT" --update ALL -c /dev/null -f >/dev/null 2>&1 || true
  tgtadm -C "$TGT_CONTROL_PORT" --op delete --mode system || true
  wait_for 10 bash -c "! tgtadm -C $TGT_CONTROL_PORT --op show --mode system" || true
  echo "tgtd (control port $TGT_CONTROL_PORT) stopped"
}

libvirt_up() { [ -S "$LIBVIRT_SOCK" ] && pgrep -x libvirtd; }

libvirt_start() {
  if libvirt_up >/dev/null 2>&1; then echo "libvirtd already running"; return 0; fi
  # libvirtd does not start virtlogd itself when run as root without an init system.
  pgrep -x virtlogd >/dev/null || virtlogd -d
  libvirtd -d
  wait_for 30 test -S "$LIBVIRT_SOCK" || { echo "libvirtd did not start" >&2; return 1; }
  echo "libvirtd started"
}

libvirt_stop() {
  pkill -x libvirtd || true
  pkill -x virtlogd || true
  wait_for 10 bash -c '! pgrep -x libvirtd' || true
  rm -f /var/run/libvirtd.pid
  echo "libvirtd stopped"
}

status() {
  if tgtd_up >/dev/null 2>&1; then echo "tgtd: running (control port $TGT_CONTROL_PORT)"; else echo "tgtd: stopped"; fi
  if libvirt_up >/dev/null 2>&1; then echo "libvirtd: running"; else echo "libvirtd: stopped"; fi
}

action="${1:-status}"; what="${2:-all}"
case "$action:$what" in
  start:tgtd) tgtd_start ;;
  start:libvirt) libvirt_start ;;
  start:all) tgtd_start; libvirt_start ;;
  stop:tgtd) tgtd_stop ;;
  stop:libvirt) libvirt_stop ;;
  stop:all) tgtd_stop; libvirt_stop ;;
  restart:tgtd) tgtd_stop; tgtd_start ;;
  restart:libvirt) libvirt_stop; libvirt_start ;;
  restart:all) tgtd_stop; libvirt_stop; tgtd_start; libvirt_start ;;
  status:*) status ;;
  *) echo "usage: $0 start|stop|restart|status [tgtd|libvirt|all]" >&2; exit 2 ;;
esac
