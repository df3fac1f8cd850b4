#!/usr/bin/env bash
# Throw-away nginx for tests, run entirely out of its own prefix (never /etc/nginx or
# /var/lib/nginx): NGINX_DIR holds nginx.conf, logs/ and tmp/. The caller writes nginx.conf.
# Usage: NGINX_DIR=... NGINX_PORT=... nginx.sh start|stop
set -euo pipefail
. "$(dirname "$0")/pidfile.sh"

N=${NGINX_DIR:?NGINX_DIR is required}
case "$N" in /*) ;; *) echo "NGINX_DIR must be absolute" >&2; exit 2;; esac
PORT=${NGINX_PORT:?NGINX_PORT is required}

stop() { stop_pidfile "$N/run.pid" 50; }

case "${1:-}" in
  start)
    mkdir -p "$N/logs" "$N/tmp"
    # -e stderr: the compiled-in error log (/var/log/nginx) is never opened, even before the config is read.
    nginx -p "$N" -c "$N/nginx.conf" -e stderr -t > "$N/logs/configtest.out" 2>&1 || { cat "$N/logs/configtest.out" >&2; exit 1; }
    nginx -p "$N" -c "$N/nginx.conf" -e stderr > "$N/logs/nginx.out" 2>&1 < /dev/null &
    echo $! > "$N/run.pid"
    for i in $(seq 1 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && exit 0
      kill -0 "$(cat "$N/run.pid")" 2>/dev/null || { echo "nginx.sh: nginx exited" >&2; tail -n 20 "$N/logs/nginx.out" >&2; rm -f "$N/run.pid"; exit 1; }
      sleep 0.05
    done
    echo "nginx.sh: nothing listens on 127.0.0.1:$PORT within 5 s" >&2; stop; exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
