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
#   gigi-aio-test/aio        Dockerfile.aio built with all of the above
#
# Usage: test/support/aio-images.sh [--no-aio]   (needs root, a Docker engine, debootstrap)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
WORK="${GIGI_AIO_WORK:-/var/tmp/gigi-aio}"
MIRROR="${GIGI_AIO_MIRROR:-http://deb.debian.org/debian}"
P=gigi-aio-test
mkdir -p "$WORK"
log() { echo "aio-images: $*" >&2; }
build() { # tag context [docker build args...]
  local tag=$1 ctx=$2; shift 2
  log "building $tag"
  docker build --network=host -q -t "$tag" "$@" "$ctx" >/dev/null
}

# 1. The bookworm base, once.
if ! docker image inspect "$P/bookworm:latest" >/dev/null 2>&1; then
  rootfs="$WORK/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    log "debootstrap --variant=minbase bookworm (a few minutes)"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
      { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
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
  # As debian:bookworm-slim: no docs/man pages, apt lists cleaned.
  rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/archives/"*.deb
  log "docker import $P/bookworm"
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$P/bookworm:latest" >/dev/null
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
build "$P/postgres:latest" test/support/aio-stand-ins/postgres --build-arg "BASE_IMAGE=$P/bookworm:latest"

# 7. The AIO image itself, from the real Dockerfile.aio.
if [ "${1:-}" != --no-aio ]; then
  build "$P/aio:latest" "$REPO" -f Dockerfile.aio \
    --build-arg "BASE_IMAGE=$P/bookworm:latest" \
    --build-arg "NODE_IMAGE=$P/node:latest" \
    --build-arg "DOCKER_CLI_IMAGE=$P/docker-cli:latest" \
    --build-arg "GITEA_IMAGE=$P/gitea:latest" \
    --build-arg "GIGI_IMAGE=$P/app:latest"
fi
log "done"
