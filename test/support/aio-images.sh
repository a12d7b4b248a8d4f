#!/usr/bin/env bash
# Builds the local stand-ins for Dockerfile.aio's build args (no registry can be pulled here),
# then the real Dockerfile.aio with them. Idempotent and cached: the debootstrap base is made
# once per Docker engine; the rest are ordinary `docker build`s whose layers Docker caches.
#
#   gigi-aio-test/bookworm   BASE_IMAGE    debootstrap --variant=minbase bookworm + docker import,
#                                          with bookworm-slim's apt sources (main, updates, security)
#   gigi-aio-test/node       NODE_IMAGE    the host's Node ≥ 20 (node + npm from its nodejs package)
#                                          under /usr/local, on the base
#   gigi-aio-test/docker-cli DOCKER_CLI_IMAGE  the host's static docker CLI
#   gigi-aio-test/gitea      GITEA_IMAGE   the project's Gitea simulator, bundled to /app/gitea/gitea
#   gigi-aio-test/app        GIGI_IMAGE    the test app (test/support/aio-stand-ins/app) + tsx
#   gigi-aio-test/postgres   postgres:16   Debian's PostgreSQL with the official image's env
#   gigi-aio-test/aio        Dockerfile.aio built with all of the above (GIGI_AIO_TEST_IMAGE names
#                            another tag: a branch's image beside main's on a shared engine)
#
# Debian packages (debootstrap's and the builds' apt-get) go through test/support/apt-proxy.ts,
# which serves the ones the host's apt already downloaded from /var/cache/apt/archives (CI
# installs Chromium, Xvfb, nginx, PostgreSQL… on the host first) and fetches the rest once. The
# builds get it as Docker's predefined `http_proxy` build arg: Dockerfile.aio is unchanged, and
# its value is neither in the image's history nor in the layer cache key (a new port each run
# still finds the layers cached). GIGI_AIO_APT_PROXY names a proxy of your own instead (an
# apt-cacher-ng, say).
#
# Usage: test/support/aio-images.sh [--background | --stop] [--no-aio]
#   (needs root, a Docker engine, debootstrap and this checkout's node_modules)
#   --background  start the build detached and return (CI starts it before `npm test`, so it
#                 overlaps the other suites); its output goes to $WORK/build.log. Builds take
#                 $WORK/lock: a later run (the container suite's) waits for this one to end, then
#                 finds every image cached — or, if it failed, fails the same way, in its own output.
#   --stop        end a background build still running (CI's exit trap, when `npm test` ended early).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WORK="${GIGI_AIO_WORK:-/var/tmp/gigi-aio}"
MIRROR="${GIGI_AIO_MIRROR:-http://deb.debian.org/debian}"
P=gigi-aio-test
mkdir -p "$WORK"
log() { echo "aio-images: $*" >&2; }
build() { # tag context [docker build args...]
  local tag=$1 ctx=$2 t0=$SECONDS; shift 2
  log "building $tag"
  # Quiet unless it fails (the legacy builder's deprecation notice is not news).
  docker build --network=host -q -t "$tag" "$@" "$ctx" >/dev/null 2>"$WORK/docker-build.err" ||
    { cat "$WORK/docker-build.err" >&2; exit 1; }
  log "built $tag in $((SECONDS - t0)) s"
}

if [ "${1:-}" = --stop ]; then
  pid=$(cat "$WORK/build.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && grep -qs aio-images "/proc/$pid/cmdline"; then
    log "stopping the background build (pid $pid)"
    kill -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$WORK/build.pid"
  exit 0
fi
if [ "${1:-}" = --locked ]; then
  shift # started by --background, which handed over the lock on fd 9
  echo $$ >"$WORK/build.pid"
  trap 'rm -f "$WORK/build.pid"' EXIT
else
  background=0
  if [ "${1:-}" = --background ]; then background=1; shift; fi
  exec 9>"$WORK/lock"
  if ! flock -n 9; then
    log "another build of the images is running (log: $WORK/build.log); waiting for it"
    t0=$SECONDS
    flock 9
    log "waited $((SECONDS - t0)) s; that build said:"
    sed 's/^/  | /' "$WORK/build.log" >&2 || true
  fi
  if [ $background = 1 ]; then
    # The detached build inherits fd 9, so the lock is held from now until it ends.
    log "building in the background; log: $WORK/build.log"
    setsid bash "$REPO/test/support/aio-images.sh" --locked "$@" >"$WORK/build.log" 2>&1 </dev/null &
    exit 0
  fi
fi
started=$SECONDS

# The apt proxy, for as long as this script runs.
if [ -n "${GIGI_AIO_APT_PROXY:-}" ]; then
  APT_PROXY=$GIGI_AIO_APT_PROXY
else
  rm -f "$WORK/apt-proxy.port"
  node --import tsx test/support/apt-proxy.ts "$WORK/apt-proxy.port" "$WORK/apt-cache" \
    /var/cache/apt/archives 2>>"$WORK/apt-proxy.log" 9>&- &
  proxy_pid=$!
  trap 'kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null; tail -n 1 "$WORK/apt-proxy.log" >&2; rm -f "$WORK/build.pid"' EXIT
  for _ in $(seq 1 100); do [ -s "$WORK/apt-proxy.port" ] && break; sleep 0.1; done
  [ -s "$WORK/apt-proxy.port" ] || { log "the apt proxy did not start:"; cat "$WORK/apt-proxy.log" >&2; exit 1; }
  APT_PROXY="http://127.0.0.1:$(cat "$WORK/apt-proxy.port")"
fi

# 1. The bookworm base, once (again when BASE_REV, the revision of its configuration, changes).
BASE_REV=2
if [ "$(docker image inspect -f '{{index .Config.Labels "gigi-aio-test.base"}}' "$P/bookworm:latest" 2>/dev/null)" != $BASE_REV ]; then
  rootfs="$WORK/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    log "debootstrap --variant=minbase bookworm"
    t0=$SECONDS
    rm -rf "$rootfs"
    http_proxy=$APT_PROXY debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" \
      >"$WORK/debootstrap.log" 2>&1 || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
    log "debootstrap done in $((SECONDS - t0)) s"
  fi
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  # Configured as the official debian:bookworm-slim is (its build, debuerreotype, does the same):
  # services are not started by package installs, dpkg skips fsync (a build layer does not
  # survive a power cut anyway), docs/man pages/locales are not installed, apt keeps no .debs,
  # no translations and compressed lists. Beside fidelity, the image builds get faster.
  printf '#!/bin/sh\n# no services start during image builds\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
  echo force-unsafe-io >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  {
    for d in doc groff info linda lintian/overrides locale man; do echo "path-exclude /usr/share/$d/*"; done
    echo 'path-include /usr/share/doc/*/copyright'
  } >"$rootfs/etc/dpkg/dpkg.cfg.d/docker"
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/archives/"*.deb \
    "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/locale/"*
  find "$rootfs/usr/share/doc" ! -type d ! -name copyright -delete
  log "docker import $P/bookworm"
  t0=$SECONDS
  tar -C "$rootfs" -c . |
    docker import -c 'CMD ["bash"]' -c "LABEL gigi-aio-test.base=$BASE_REV" - "$P/bookworm:latest" >/dev/null
  log "imported in $((SECONDS - t0)) s"
fi

# 2. Node: the host's node binary and npm, laid out as the official node image has them.
ctx="$WORK/node"
rm -rf "$ctx" && mkdir -p "$ctx"
node_bin=$(command -v node)
node -e 'const [a]=process.versions.node.split(".");if(+a<20){console.error("node >= 20 needed");process.exit(1)}'
cp "$(readlink -f "$node_bin")" "$ctx/node"
cp -r "$(npm root -g)/npm" "$ctx/npm"
# The host's trust store: npm in the gigi-boot build stage must trust what the host trusts (a CI
# network may intercept TLS with its own CA).
cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ca-certificates.crt"
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $P/bookworm:latest
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca-certificates.crt /etc/ssl/certs/host-ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx && node --version && npm --version
DOCKERFILE
build "$P/node:latest" "$ctx"

# 3. The docker CLI (static binary).
ctx="$WORK/docker-cli"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$(command -v docker)" "$ctx/docker"
printf 'FROM scratch\nCOPY docker /usr/local/bin/docker\n' >"$ctx/Dockerfile"
build "$P/docker-cli:latest" "$ctx"

# 4. Gitea: the simulator as one executable file.
ctx="$WORK/gitea"
rm -rf "$ctx" && mkdir -p "$ctx"
node_modules/.bin/esbuild test/support/aio-gitea-entry.ts --bundle --platform=node --format=esm \
  --target=node20 --log-level=warning --banner:js='#!/usr/bin/env node' --outfile="$ctx/gitea"
chmod 0755 "$ctx/gitea"
printf 'FROM scratch\nCOPY gitea /app/gitea/gitea\n' >"$ctx/Dockerfile"
build "$P/gitea:latest" "$ctx"

# 5. The test app, with tsx (and its esbuild) from this checkout's node_modules.
ctx="$WORK/app"
rm -rf "$ctx" && mkdir -p "$ctx/app/node_modules/@esbuild"
cp -r test/support/aio-stand-ins/app/. "$ctx/app/"
cp -r node_modules/tsx node_modules/esbuild "$ctx/app/node_modules/"
cp -r node_modules/@esbuild/linux-* "$ctx/app/node_modules/@esbuild/"
[ -d node_modules/get-tsconfig ] && cp -r node_modules/get-tsconfig node_modules/resolve-pkg-maps "$ctx/app/node_modules/" 2>/dev/null || true
printf 'FROM scratch\nCOPY app /app\n' >"$ctx/Dockerfile"
build "$P/app:latest" "$ctx"

# 6. Postgres.
build "$P/postgres:latest" test/support/aio-stand-ins/postgres --build-arg "BASE_IMAGE=$P/bookworm:latest" \
  --build-arg "http_proxy=$APT_PROXY"

# 7. The AIO image itself, from the real Dockerfile.aio.
if [ "${1:-}" != --no-aio ]; then
  build "${GIGI_AIO_TEST_IMAGE:-$P/aio:latest}" "$REPO" -f Dockerfile.aio \
    --build-arg "BASE_IMAGE=$P/bookworm:latest" \
    --build-arg "NODE_IMAGE=$P/node:latest" \
    --build-arg "DOCKER_CLI_IMAGE=$P/docker-cli:latest" \
    --build-arg "GITEA_IMAGE=$P/gitea:latest" \
    --build-arg "GIGI_IMAGE=$P/app:latest" \
    --build-arg "http_proxy=$APT_PROXY"
fi
log "done in $((SECONDS - started)) s"
