#!/usr/bin/env bash
# Wait until no other process holds apt's or dpkg's locks, for at most APT_LOCK_TIMEOUT seconds
# (default 600). A fresh machine often runs unattended-upgrades (apt-daily) shortly after boot,
# and apt-get fails at once with "Could not get lock" while it does.
#
# apt and dpkg take fcntl() locks, which flock(1) cannot test; /proc/locks lists both kinds
# with the holder's pid. Files are matched by inode number only: on overlayfs (containers)
# the device in /proc/locks is that of the layer underneath, not the one stat(1) reports.
#
# APT_LOCK_FILES (space-separated) replaces the list of lock files, for tests.
set -euo pipefail

TIMEOUT=${APT_LOCK_TIMEOUT:-600}
read -r -a FILES <<< "${APT_LOCK_FILES:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock}"

# Prints "<file> <pid>" for the first lock file some process holds; nothing when all are free.
held() {
  local f ino pid
  for f in "${FILES[@]}"; do
    [ -e "$f" ] || continue
    ino=$(stat -L -c %i "$f")
    # "1: POSIX  ADVISORY  WRITE 1234 fe:00:5678 0 EOF"; a waiting request has "->" after "1:".
    pid=$(awk -v ino="$ino" '{ o = ($2 == "->") } { n = split($(6 + o), id, ":") } n == 3 && id[3] == ino { print $(5 + o); exit }' /proc/locks)
    if [ -n "$pid" ] && [ "$pid" != "$$" ]; then
      echo "$f $pid"
      return
    fi
  done
}

describe() { # "<file> <pid>" → "<file> is held by pid <pid> (<command>)"
  local comm
  comm=$(cat "/proc/$2/comm" 2>/dev/null || echo '?')
  echo "$1 is held by pid $2 ($comm)"
}

start=$SECONDS
said=
while holder=$(held) && [ -n "$holder" ]; do
  # shellcheck disable=SC2086 # "<file> <pid>" splits into two arguments on purpose
  what=$(describe $holder)
  if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
    echo "apt-lock-wait: gave up after ${TIMEOUT} s: $what; run the install again once it has finished (APT_LOCK_TIMEOUT sets the wait)" >&2
    exit 1
  fi
  if [ -z "$said" ]; then
    echo "apt-lock-wait: $what; waiting up to ${TIMEOUT} s for it to finish" >&2
    said=1
  fi
  sleep 1
done
