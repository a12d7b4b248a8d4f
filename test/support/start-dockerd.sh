#!/usr/bin/env bash
# CI helper for the docker tests: make sure a Docker engine answers on /var/run/docker.sock
# (install Debian's docker.io and start dockerd --iptables=false if not), and that the static
# busybox the tests copy into their FROM-scratch build contexts is present.
# Idempotent: a daemon that already answers is left alone. Needs root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SOCKET=/var/run/docker.sock
LOG="${DOCKERD_LOG:-${TMPDIR:-/tmp}/gigi-boot-dockerd.log}"
WAIT_SECONDS="${DOCKERD_WAIT_SECONDS:-60}"

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "start-dockerd: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

answers() { docker -H "unix://$SOCKET" info >/dev/null 2>&1; }

if answers; then
  echo "start-dockerd: a Docker engine already answers on $SOCKET"
  exit 0
fi

echo "start-dockerd: starting dockerd --iptables=false (log: $LOG)"
# setsid: the daemon outlives this script and the CI step's process group.
setsid dockerd --iptables=false --host "unix://$SOCKET" >"$LOG" 2>&1 </dev/null &

for _ in $(seq 1 $((WAIT_SECONDS * 4))); do
  if answers; then
    echo "start-dockerd: dockerd answers on $SOCKET"
    exit 0
  fi
  sleep 0.25
done
echo "start-dockerd: dockerd did not answer on $SOCKET within ${WAIT_SECONDS}s; last log lines:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
