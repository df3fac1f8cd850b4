#!/usr/bin/env bash
# Throw-away single-node Ceph RadosGW (S3) for tests: 1 mon + 1 OSD + radosgw, no cephx, no mgr.
# Usage: RGW_DIR=... RGW_PORT=... MON_PORT=... rgw.sh start|stop|stop-rgw|start-rgw
# stop-rgw/start-rgw stop and start the radosgw daemon alone (a store that goes away and comes
# back): mon and OSD keep running, so the memstore objects are still there when it returns.
# scripts/services/README.md has the background; the comments below say why each non-obvious
# setting is there.
set -euo pipefail

D=${RGW_DIR:?RGW_DIR is required}
case "$D" in /*) ;; *) echo "RGW_DIR must be absolute" >&2; exit 2;; esac   # ceph.conf needs absolute paths
[ "$D" != / ] || exit 2                                                      # start does rm -rf "$D"
ACCESS=${RGW_ACCESS_KEY:-TESTACCESSKEY}; SECRET=${RGW_SECRET_KEY:-testsecretkey}
STORE=${RGW_OBJECTSTORE:-memstore}
case "$STORE" in memstore|bluestore) ;; *) echo "RGW_OBJECTSTORE must be memstore or bluestore" >&2; exit 2;; esac  # ceph-osd silently falls back to bluestore
C=(-c "$D/ceph.conf")

# One daemon at a time, rgw -> osd -> mon: SIGTERMing all three together hung ~120 s,
# one at a time takes ~2 s each. State is disposable, so SIGKILL after 10 s is fine.
stop_daemon() {
  local f=$D/run/$1.pid p i
  [ -f "$f" ] || return 0; p=$(cat "$f")
  kill "$p" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then
    kill -9 "$p" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

stop() {
  local d
  for d in rgw osd mon; do stop_daemon "$d"; done
}

# radosgw in the foreground (-f) in our background, stdio detached (see start), then wait until it answers.
start_rgw() {
  local i d
  radosgw "${C[@]}" -n client.rgw -f >>"$D/log/rgw.out" 2>&1 </dev/null & echo $! >"$D/run/rgw.pid"
  for i in $(seq 1 600); do   # <= 60 s; fail early if a daemon died
    curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null && break
    for d in mon osd rgw; do kill -0 "$(cat "$D/run/$d.pid")" 2>/dev/null || fail "$d exited during startup"; done
    sleep 0.1
  done
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null || fail "radosgw not ready on 127.0.0.1:$RGW_PORT after 60 s"
}

fail() {
  echo "rgw.sh: $*" >&2
  for f in "$D"/log/*; do [ -s "$f" ] && { echo "==> $f <==" >&2; tail -n 20 "$f" >&2; }; done
  stop; exit 1
}

start() {
  : "${RGW_PORT:?RGW_PORT is required}" "${MON_PORT:?MON_PORT is required}"
  stop   # a previous run in the same dir must not be orphaned by the rm -rf below
  rm -rf "$D"; mkdir -p "$D"/{run,log,mon.a,osd.0}
  trap 'fail "command failed at line $LINENO"' ERR
  local fsid osd i
  fsid=$(cat /proc/sys/kernel/random/uuid)
  # auth none: only crc framing is possible, hence "crc secure" (else rgw loops on -13).
  # paxos propose interval: default 1 s per pool change makes the first start ~11 s.
  cat > "$D/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
ms mon cluster mode = crc secure
ms mon service mode = crc secure
ms client mode = crc secure
ms cluster mode = crc secure
ms service mode = crc secure
ms bind ipv6 = false
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
keyring = $D/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
osd crush chooseleaf type = 0
osd fast shutdown notify mon = false
[mon]
mon data = $D/mon.\$id
mon cluster log file = $D/log/cluster.log
paxos propose interval = 0.01
paxos min wait = 0.001
[osd]
osd data = $D/osd.\$id
osd objectstore = $STORE
# memstore keeps objects in OSD RAM; 3 GiB lets a 1 GiB test object fit next to the rest.
memstore device bytes = 3221225472
# bluestore variant (RGW_OBJECTSTORE=bluestore): path must not be osd.N/block (mkfs symlinks that).
bluestore block path = $D/osd.\$id.block
bluestore block create = true
bluestore block size = 21474836480
bluestore fsck on mkfs = false
bluestore block db create = false
bluestore block wal create = false
[client.rgw]
# tcp_nodelay: avoids a constant ~44 ms per GET (Nagle + delayed ACK on loopback).
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw dns name = s3.localhost
CONF
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$D/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring" >"$D/log/mon-mkfs.out" 2>&1
  # Daemons run in the foreground (-f) in our background, stdio detached, so we own exactly their PIDs
  # and callers waiting on our stdout/stderr are not held open by them.
  ceph-mon "${C[@]}" -i a -f >"$D/log/mon.out" 2>&1 </dev/null & echo $! >"$D/run/mon.pid"
  osd=$(timeout 30 ceph "${C[@]}" osd create 2>>"$D/log/ceph-cli.out")
  ceph-osd "${C[@]}" -i "$osd" --mkfs >"$D/log/osd-mkfs.out" 2>&1
  ceph-osd "${C[@]}" -i "$osd" -f >"$D/log/osd.out" 2>&1 </dev/null & echo $! >"$D/run/osd.pid"
  # Start rgw only once the OSD is up: started together, rgw stalled ~5 s during init in about
  # half the starts (its first RADOS ops waiting on an OSD that was not up yet), ~6 s instead of <1 s.
  for i in $(seq 1 300); do   # <= 15 s
    grep -qs 'state: booting -> active' "$D/log/osd.$osd.log" && break
    kill -0 "$(cat "$D/run/osd.pid")" 2>/dev/null || fail "osd exited during startup"
    sleep 0.05
  done
  grep -qs 'state: booting -> active' "$D/log/osd.$osd.log" || fail "osd.$osd not up after 15 s"
  start_rgw
  timeout 30 radosgw-admin "${C[@]}" user create --uid=test --display-name=test \
    --access-key="$ACCESS" --secret="$SECRET" >"$D/log/user.json" 2>>"$D/log/ceph-cli.out"
  trap - ERR
}

# Only for a cluster that start set up in $D (its mon and OSD still running).
restart_prereqs() {
  : "${RGW_PORT:?RGW_PORT is required}"
  [ -f "$D/ceph.conf" ] || { echo "rgw.sh: no cluster in $D (run start first)" >&2; exit 1; }
  local d
  for d in mon osd; do kill -0 "$(cat "$D/run/$d.pid" 2>/dev/null)" 2>/dev/null || { echo "rgw.sh: $d is not running" >&2; exit 1; }; done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  stop-rgw) restart_prereqs; stop_daemon rgw ;;
  start-rgw) restart_prereqs; [ ! -f "$D/run/rgw.pid" ] || { echo "rgw.sh: radosgw is running" >&2; exit 1; }; start_rgw ;;
  *) echo "usage: RGW_DIR=... RGW_PORT=... MON_PORT=... $0 start|stop|stop-rgw|start-rgw" >&2; exit 2 ;;
esac
