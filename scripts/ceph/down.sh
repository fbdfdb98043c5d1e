#!/usr/bin/env bash
# Stop the cluster up.sh DIR started (by the pids it recorded, osd first) and remove DIR.
#   down.sh DIR [--keep]     (KILL=1: SIGKILL instead of TERM; both take < 0.1 s a
#                                   daemon. VERBOSE=1: time each.)
set -uo pipefail
D=$(realpath -m "${1:?usage: down.sh DIR [--keep]}")
T0=$(date +%s.%N)
# alive PID: running and not a zombie (a daemon whose starter exited is reaped by PID 1,
# which may take a while; kill -0 succeeds on a zombie)
alive() { local st; st=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null); [ -n "$st" ] && [ "$st" != Z ]; }
if [ -f "$D/pids" ]; then
  # reverse start order: osd, mgr, mon
  tac "$D/pids" | while read -r name pid; do
    [ -n "$pid" ] || continue
    # only a ceph daemon of ours: its command line must name our conf
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$D/ceph.conf"; then
      sig=TERM; [ -n "${KILL:-}" ] && sig=KILL
      s=$(date +%s.%N); kill -$sig "$pid" 2>/dev/null
      for _ in $(seq 200); do alive "$pid" || break; sleep 0.05; done   # <= 10 s
      alive "$pid" && { echo "$name ($pid) ignored TERM: KILL" >&2; kill -KILL "$pid"; }
      [ -n "${VERBOSE:-}" ] && printf '  %s stopped in %.2f s\n' "$name" "$(echo "$(date +%s.%N) - $s" | bc)"
    fi
  done
  rm -f "$D/pids"
fi
[ "${2:-}" = --keep ] || rm -rf "$D"
printf 'teardown %.2f s\n' "$(echo "$(date +%s.%N) - $T0" | bc)"
