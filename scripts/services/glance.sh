#!/usr/bin/env bash
# Throw-away standalone OpenStack glance-api (v2 only) for tests: sqlite, file store, no Keystone.
# Usage: GLANCE_DIR=... GLANCE_PORT=... [GLANCE_FLAVOR=fakeauth] glance.sh start|stop
# scripts/services/README.md has the background; the comments below say why each setting is there.
set -euo pipefail

G=${GLANCE_DIR:?GLANCE_DIR is required}
case "$G" in /*) ;; *) echo "GLANCE_DIR must be absolute" >&2; exit 2;; esac   # config needs absolute paths
[ "$G" != / ] || exit 2                                                        # start does rm -rf "$G"

# glance-api forks a worker, so signal the whole process group (setsid made the parent its leader).
stop() {
  local f=$G/run/api.pid p i
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  kill -TERM -- "-$p" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 -- "-$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 -- "-$p" 2>/dev/null; then
    kill -KILL -- "-$p" 2>/dev/null || true
    for i in $(seq 1 20); do kill -0 -- "-$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$f"
}

fail() {
  echo "glance.sh: $*" >&2
  for f in "$G/log/db_sync.log" "$G/log/api.log"; do [ -s "$f" ] && { echo "==> $f <==" >&2; tail -n 30 "$f" >&2; }; done
  stop; exit 1
}

start() {
  : "${GLANCE_PORT:?GLANCE_PORT is required}"
  stop   # a previous run in the same dir must not be orphaned by the rm -rf below
  rm -rf "$G"; mkdir -p "$G"/{images,staging,lock,log,run}
  trap 'fail "command failed at line $LINENO"' ERR

  # Default pipeline: no auth (admin context, owner null). The "fakeauth" flavor trusts the
  # X-Identity-Status/X-User-Id/X-Project-Id/X-Roles headers keystonemiddleware would set.
  cat > "$G/glance-api-paste.ini" <<'INI'
[pipeline:glance-api]
pipeline = healthcheck versionnegotiation unauthenticated-context rootapp
[pipeline:glance-api-fakeauth]
pipeline = healthcheck versionnegotiation context rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:healthcheck]
paste.filter_factory = oslo_middleware:Healthcheck.factory
backends = disable_by_file
disable_by_file_path = /nonexistent/healthcheck_disable
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:unauthenticated-context]
paste.filter_factory = glance.api.middleware.context:UnauthenticatedContextMiddleware.factory
INI

  cat > "$G/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $GLANCE_PORT
workers = 1
use_stderr = true
node_staging_uri = file://$G/staging
[paste_deploy]
config_file = $G/glance-api-paste.ini
flavor = ${GLANCE_FLAVOR:-}
[database]
connection = sqlite:///$G/glance.sqlite
[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $G/images/
[oslo_concurrency]
lock_path = $G/lock
[oslo_policy]
policy_file = $G/policy.yaml
enforce_new_defaults = false
enforce_scope = false
CONF

  # Zed's default publicize_image is role:admin; the no-auth context is admin but has no roles,
  # so "visibility":"public" would get 403 without this.
  printf '%s\n' '"publicize_image": ""' '"communitize_image": ""' > "$G/policy.yaml"

  glance-manage --config-file "$G/glance-api.conf" db_sync >"$G/log/db_sync.log" 2>&1
  # setsid: own process group, so stop can reach the forked worker too. Foreground process,
  # stdio detached, so callers waiting on our stdout/stderr are not held open by it.
  setsid glance-api --config-file "$G/glance-api.conf" >"$G/log/api.log" 2>&1 </dev/null & echo $! >"$G/run/api.pid"
  local i
  for i in $(seq 1 600); do   # <= 60 s; fail early if it died
    curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$GLANCE_PORT/healthcheck" 2>/dev/null && break
    kill -0 "$(cat "$G/run/api.pid")" 2>/dev/null || fail "glance-api exited during startup"
    sleep 0.1
  done
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$GLANCE_PORT/healthcheck" 2>/dev/null \
    || fail "glance-api not ready on 127.0.0.1:$GLANCE_PORT after 60 s"
  trap - ERR
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: GLANCE_DIR=... GLANCE_PORT=... $0 start|stop" >&2; exit 2 ;;
esac
