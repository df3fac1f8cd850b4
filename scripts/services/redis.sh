#!/usr/bin/env bash
# Throw-away redis-server for tests: 127.0.0.1 only, no persistence.
# Usage: REDIS_DIR=... REDIS_PORT=... redis.sh start|stop
# scripts/services/README.md has the background.
set -euo pipefail
. "$(dirname "$0")/pidfile.sh"

R=${REDIS_DIR:?REDIS_DIR is required}
case "$R" in /*) ;; *) echo "REDIS_DIR must be absolute" >&2; exit 2;; esac
PORT=${REDIS_PORT:?REDIS_PORT is required}

stop() { stop_pidfile "$R/pid" 50; }

case "${1:-}" in
  start)
    mkdir -p "$R"
    redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly no --dir "$R" > "$R/redis.log" 2>&1 < /dev/null &
    echo $! > "$R/pid"
    for i in $(seq 1 100); do
      redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && exit 0
      kill -0 "$(cat "$R/pid")" 2>/dev/null || { echo "redis.sh: redis-server exited" >&2; tail -n 20 "$R/redis.log" >&2; rm -f "$R/pid"; exit 1; }
      sleep 0.05
    done
    echo "redis.sh: no PONG on 127.0.0.1:$PORT within 5 s" >&2; stop; exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
