#!/bin/sh
# The AIO container's entrypoint (behind tini, PID 1). Kept thin on purpose: gigi-boot runs or
# resumes the first boot (checkpointed in Postgres), then hands off to supervisord, forwarding
# SIGTERM/SIGINT/SIGHUP to it and exiting with its exit code — so `docker stop` reaches every
# program and the container's exit code is supervisord's. Arguments go to `gigi-boot run`
# (e.g. --no-handoff when another process manager starts the programs).
set -eu
exec node /opt/gigi-boot/bin/gigi-boot.js run "$@"
