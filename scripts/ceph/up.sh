#!/usr/bin/env bash
# A throw-away single-node Ceph (one mon, one bluestore OSD on a sparse file, optionally a
# mgr) on one loopback address, started by hand: no systemd, ceph-volume, LVM or sudo.
#
#   up.sh DIR IP        DIR on a disk filesystem (bluestore uses O_DIRECT: not tmpfs)
#
# Leaves in DIR: ceph.conf, admin.keyring, $CLIENT.keyring (0600; client.$CLIENT with
# 'profile rbd' on the pools volumes and images, as a Cinder deployment's client.cinder),
# pids ("name pid" a line) and fsid. Every wait is bounded; exits non-zero on failure
# (the caller runs down.sh DIR then). Env: CLIENT (default cinder), WITH_MGR (default 0:
# rbd needs no mgr; 'ceph df' and 'pg stat' do), OSD_SIZE (default 4G, sparse), PG_NUM (8),
# CEPH_OSD_BIN (default: ceph-osd on PATH, else what install.sh unpacked).
set -euo pipefail
D=$(realpath -m "${1:?usage: up.sh DIR IP}")
IP=${2:?usage: up.sh DIR IP}
OSD_BIN=${CEPH_OSD_BIN:-$(command -v ceph-osd || echo "${VIRTBLOCK_CEPH_OSD_ROOT:-/opt/virtblock-ceph-osd}/usr/bin/ceph-osd")}
WITH_MGR=${WITH_MGR:-0}
OSD_SIZE=${OSD_SIZE:-4G}
PG_NUM=${PG_NUM:-8}
CLIENT=${CLIENT:-cinder}
umask 077

[ -e "$D/pids" ] && { echo "$D/pids exists: cluster already up? run down.sh first" >&2; exit 1; }
mkdir -p "$D"/{run,log,crash,mon.a,mgr.x,osd0}
FSID=$(cat /proc/sys/kernel/random/uuid)
echo "$FSID" > "$D/fsid"
: > "$D/pids"

cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = [v2:$IP:3300,v1:$IP:6789]
mon initial members = a
public addr = $IP
cluster addr = $IP
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
mon cluster log file = $D/log/cluster.log
crash dir = $D/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = $PG_NUM
osd pool default pgp num = $PG_NUM
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
mon data avail warn = 2
mon data avail crit = 1
[client.admin]
keyring = $D/admin.keyring
[mon]
mon data = $D/mon.\$id
# Ceph's default 1 s: each mon write (pool, auth, osd new) waits up to that
paxos propose interval = 0.1
keyring = $D/mon.\$id/keyring
[mgr]
mgr data = $D/mgr.\$id
keyring = $D/mgr.\$id/keyring
mgr initial modules =
[osd]
osd data = $D/osd\$id
keyring = $D/osd\$id/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = $OSD_SIZE
bluestore fsck on mount = false
bluestore fsck on mkfs = false
bluestore cache autotune = false
bluestore cache size = 64M
osd memory target = 896M
osd op num shards = 1
osd op num threads per shard = 2
osd class load list = *
osd class default list = *
CONF

C=(-c "$D/ceph.conf")
ceph() { timeout 60 /usr/bin/ceph "${C[@]}" --connect-timeout 30 "$@"; }
start() {  # start NAME CMD...: a foreground daemon in its own session; its pid goes to DIR/pids
  local name=$1; shift
  setsid "$@" -f </dev/null >>"$D/log/$name.out" 2>&1 &
  echo "$name $!" >> "$D/pids"
}

ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$D/admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$D/mon.keyring" --import-keyring "$D/admin.keyring" >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:$IP:3300,v1:$IP:6789]" "$D/monmap" >/dev/null
ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring"
start mon.a ceph-mon "${C[@]}" -i a
ceph -s >/dev/null

if [ "$WITH_MGR" = 1 ]; then
  ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$D/mgr.x/keyring"
  start mgr.x ceph-mgr "${C[@]}" -i x
fi

# bluestore on a sparse file, as vstart.sh does it (no ceph-volume)
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_SECRET=$(ceph-authtool --gen-print-key)
printf '{"cephx_secret": "%s"}' "$OSD_SECRET" > "$D/osd0/new.json"
ceph osd new "$OSD_UUID" -i "$D/osd0/new.json" >/dev/null
rm -f "$D/osd0/new.json"
"$OSD_BIN" "${C[@]}" -i 0 --mkfs --key "$OSD_SECRET" --osd-uuid "$OSD_UUID" >>"$D/log/osd.0.out" 2>&1
printf '[osd.0]\n\tkey = %s\n' "$OSD_SECRET" > "$D/osd0/keyring"   # mkfs keeps it as osd_key only
start osd.0 "$OSD_BIN" "${C[@]}" -i 0

for pool in volumes images; do
  ceph osd pool create "$pool" "$PG_NUM" "$PG_NUM" >/dev/null 2>&1
  ceph osd pool application enable "$pool" rbd >/dev/null 2>&1
done
ceph auth get-or-create "client.$CLIENT" mon 'profile rbd' \
  osd 'profile rbd pool=volumes, profile rbd pool=images' mgr 'profile rbd pool=volumes' \
  -o "$D/$CLIENT.keyring"
chmod 600 "$D/$CLIENT.keyring" "$D/admin.keyring"

# ready when a write through the new user lands (the OSD up, its PGs active)
ok=0
for _ in $(seq 240); do   # <= ~60 s
  if echo ping | timeout 10 rados "${C[@]}" --id "$CLIENT" --keyring "$D/$CLIENT.keyring" \
       -p volumes put vbtest-probe - 2>/dev/null; then
    timeout 10 rados "${C[@]}" --id "$CLIENT" --keyring "$D/$CLIENT.keyring" -p volumes rm vbtest-probe
    ok=1; break
  fi
  sleep 0.25
done
[ $ok = 1 ] || { echo "Ceph never became writable" >&2; ceph -s >&2 || true; exit 1; }
