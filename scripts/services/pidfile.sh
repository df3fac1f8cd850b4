# Sourced by the service scripts: stop the process a PID file names (TERM, up to `tenths`
# tenths of a second for it to go, then KILL) and remove the file. Nothing else is signalled.
# Usage: stop_pidfile FILE [tenths]
stop_pidfile() {
  local f=$1 tenths=${2:-50} p i
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 1 "$tenths"); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$f"
}
