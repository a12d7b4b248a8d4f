#!/usr/bin/env bash
# CI helper for the AIO suites (test/aio): installs what they run for real — supervisord, nginx,
# headless Chromium (never a downloaded browser), the Xvfb/VNC/noVNC stack, debootstrap for the
# stand-in base image, docker-compose 1.29, docker-registry (the image workflow pushes to it) and
# caddy (the prod Caddyfile in front of the container) — then makes sure a Docker engine answers and builds
# the stand-in images and the AIO image (cached: a second run takes seconds).
# Idempotent. Needs root. Set GIGI_AIO_SKIP_IMAGES=1 to install the packages only.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive

packages=(supervisor nginx chromium xvfb x11vnc novnc websockify debootstrap docker-compose python3 docker-registry caddy)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "aio-setup: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packages' own services are not wanted on a CI machine (the tests start their own).
for svc in nginx supervisor; do
  if [ -f "/run/$svc.pid" ] && kill -0 "$(cat "/run/$svc.pid")" 2>/dev/null; then
    service "$svc" stop >/dev/null 2>&1 || true
  fi
done

bash test/support/start-dockerd.sh
if [ "${GIGI_AIO_SKIP_IMAGES:-0}" != 1 ]; then
  bash test/support/aio-images.sh
fi
