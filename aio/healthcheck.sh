#!/bin/sh
# The AIO container's HEALTHCHECK: healthy when every supervised program is RUNNING, none went
# FATAL since this start (aio/fatal-listener.py records those), and the app answers on :3000.
# Before the hand-off (first boot still running) there is no supervisord yet: unhealthy.
set -eu
dir="${GIGI_DATA_DIR:-/data}/gigi-boot"
conf="$dir/supervisord.conf"
if [ -s "$dir/fatal-programs" ]; then
  echo "FATAL programs: $(tr '\n' ' ' <"$dir/fatal-programs")" >&2
  exit 1
fi
# supervisorctl status exits non-zero when a program is not RUNNING.
supervisorctl -c "$conf" status >&2
port="${GIGI_HEALTH_PORT:-3000}"
node -e "fetch('http://127.0.0.1:$port/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
