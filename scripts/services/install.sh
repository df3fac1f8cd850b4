#!/usr/bin/env bash
# Install the Debian packages the test suites need: RGW (S3), Glance, skopeo (a V2 client),
# docker-registry (the reference registry:2, for layout interoperability), openssl, curl.
# Idempotent: does nothing when every binary is already present.
set -euo pipefail

# openssl makes the STARTTLS test certificate; curl does the readiness checks.
# xz-utils: the xz program reads Docker 0.4-0.5 xz layers for /v1/images/<id>/files.
# redis-server: the cache_lru tests. nginx-light: the shipped nginx example (contrib/nginx);
# apache2-utils: htpasswd, which makes its password file. containerd: a real containerd (1.6) pulls
# V1-pushed images through the bridge. chromium: the browser the web page's test (test/e2e/ui.test.ts) drives.
PKGS=(radosgw ceph-mon ceph-osd glance-api skopeo docker-registry openssl curl xz-utils redis-server nginx-light apache2-utils containerd chromium)
BINS=(radosgw ceph-mon ceph-osd glance-api skopeo docker-registry openssl curl xz redis-server nginx htpasswd containerd ctr chromium)
missing=()
for b in "${BINS[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing+=("$b")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$EUID" -ne 0 ]; then
  echo "missing: ${missing[*]}" >&2
  echo "install with: sudo bash scripts/services/install.sh" >&2
  echo "  (runs: apt-get update -qq && apt-get install -y -qq --no-install-recommends ${PKGS[*]})" >&2
  exit 1
fi

# Package init scripts would otherwise start system-wide daemons on default ports;
# exit code 101 tells invoke-rc.d "not allowed", so apt only unpacks.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
fi

# glance-common asks debconf questions; the defaults are fine since we never read /etc/glance.
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended-upgrades on a fresh machine) may hold the locks: wait for it, bounded
# by APT_LOCK_TIMEOUT (600 s). apt's own DPkg::Lock::Timeout covers the race after the wait.
LOCK_WAIT="$(dirname "$0")/apt-lock-wait.sh"
LOCK_OPT=(-o "DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT:-600}")
bash "$LOCK_WAIT"
apt-get "${LOCK_OPT[@]}" update -qq
bash "$LOCK_WAIT"
apt-get "${LOCK_OPT[@]}" install -y -qq --no-install-recommends "${PKGS[@]}"
