#!/usr/bin/env bash
# Throw-away containerd for tests: its own root, state and socket under CTRD_DIR, no CRI plugin,
# nothing under /var/lib/containerd or /run/containerd, no network of its own (it only pulls
# from the loopback registry the test names). Needs root (unpacking layers).
# Usage: CTRD_DIR=... containerd.sh start|stop
set -euo pipefail
. "$(dirname "$0")/pidfile.sh"

D=${CTRD_DIR:?CTRD_DIR is required}
case "$D" in /*) ;; *) echo "CTRD_DIR must be absolute" >&2; exit 2;; esac

stop() { stop_pidfile "$D/pid" 100; }

case "${1:-}" in
  start)
    mkdir -p "$D/root" "$D/state"
    cat > "$D/config.toml" <<CONF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
CONF
    containerd --config "$D/config.toml" > "$D/containerd.log" 2>&1 < /dev/null &
    echo $! > "$D/pid"
    for i in $(seq 1 100); do
      ctr --address "$D/containerd.sock" version > /dev/null 2>&1 && exit 0
      kill -0 "$(cat "$D/pid")" 2>/dev/null || { echo "containerd.sh: containerd exited" >&2; tail -n 20 "$D/containerd.log" >&2; rm -f "$D/pid"; exit 1; }
      sleep 0.1
    done
    echo "containerd.sh: no answer on $D/containerd.sock within 10 s" >&2; stop; exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
