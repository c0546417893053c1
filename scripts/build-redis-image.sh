#!/usr/bin/env bash
# Build the Redis image the cluster runs on, from this machine's own files.
#
# Why not `docker build FROM redis:7`? No image registry can be reached here
# (CI included): nothing can be pulled, not even a base image. So we take
# Debian's redis-server/redis-cli (Redis 7.0.15), a /bin/sh, and exactly the
# shared libraries they load, lay them out in an empty folder and
# `docker import` that folder as a one-layer image (~20 MB).
#
# Usage: scripts/build-redis-image.sh [--rebuild]
# Env:   REDIS_CLUSTER_IMAGE (default redis-cluster-kit/redis:7.0.15)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX="[setup]"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

IMAGE=${REDIS_CLUSTER_IMAGE:-redis-cluster-kit/redis:7.0.15}

REBUILD=0
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (usage: $0 [--rebuild])" ;;
  esac
done

docker_answers || die "no Docker daemon answers: run scripts/setup-docker.sh (or start Docker / set DOCKER_HOST)"

if [ "$REBUILD" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE exists"
  exit 0
fi

T0=$(now_ms)
# With --rebuild the old image loses its tag; removed once the new one works.
OLD_ID=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)

# --- host binaries ------------------------------------------------------------
ensure_host_engines

# Debian ships redis-server as a symlink (e.g. /usr/bin/redis-server ->
# redis-check-rdb). Redis picks its mode from argv[0], so copy the real file
# under the name redis-server.
SERVER_BIN=$(readlink -f "$(command -v redis-server)")
CLI_BIN=$(readlink -f "$(command -v redis-cli)")
SH_BIN=$(readlink -f "$(command -v dash || command -v sh)")
# Ask through the redis-server name: run as redis-check-rdb it would not answer.
HOST_VERSION=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
log "building $IMAGE from $SERVER_BIN (Redis $HOST_VERSION), $CLI_BIN, $SH_BIN"
case "$IMAGE" in
  *:"$HOST_VERSION") ;;
  *) log "warning: image tag of $IMAGE does not name this host's Redis version $HOST_VERSION" ;;
esac

# --- root filesystem ----------------------------------------------------------
ROOT=$(mktemp -d /tmp/redis-cluster-kit-rootfs.XXXXXX)
on_exit "rm -rf '$ROOT'"

install -D -m 0755 "$SERVER_BIN" "$ROOT/usr/local/bin/redis-server"
install -D -m 0755 "$CLI_BIN" "$ROOT/usr/local/bin/redis-cli"
install -D -m 0755 "$SH_BIN" "$ROOT/bin/dash"
ln -s dash "$ROOT/bin/sh"

# Every library ldd lists (with its dependencies, ldd resolves them all) and
# the dynamic loader, at the same path as on the host. The loader finds them
# in its built-in multiarch dirs, so no ld.so.cache is needed.
libs_of() {
  ldd "$1" | awk '
    /not found/ { print "MISSING " $1; next }
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }'
}
LIBS=$( { libs_of "$SERVER_BIN"; libs_of "$CLI_BIN"; libs_of "$SH_BIN"; } | sort -u)
if grep -q '^MISSING' <<<"$LIBS"; then
  die "missing libraries: $(grep '^MISSING' <<<"$LIBS" | tr '\n' ' ')"
fi
# Loaded with dlopen, so ldd does not list them:
# - libgcc_s: glibc needs it for pthread_cancel/unwinding (Redis cancels its
#   background threads when it crashes or is killed).
# - libnss_files/libnss_dns: name resolution. Since glibc 2.34 (Debian 12
#   has 2.36) both are built into libc and these files are 14 KB
#   compatibility stubs that are never loaded; copied anyway, it costs nothing.
EXTRA=$(ldconfig -p | awk '$1 ~ /^(libgcc_s\.so\.1|libnss_files\.so\.2|libnss_dns\.so\.2)$/ && $NF ~ /^\// { print $NF }' | sort -u)
for lib in $LIBS $EXTRA; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done

# Enough of /etc for Redis and getaddrinfo: container names are resolved
# through Docker's DNS (/etc/resolv.conf and /etc/hosts are mounted by Docker).
mkdir -p "$ROOT/etc" "$ROOT/root"
cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$ROOT/etc/nsswitch.conf"
install -d -m 1777 "$ROOT/tmp"
install -d -m 0777 "$ROOT/data"   # Redis's working dir (nodes.conf, dumps)
chmod 0755 "$ROOT"

# --- import -------------------------------------------------------------------
log "importing $IMAGE ($(du -sh "$ROOT" | cut -f1) rootfs, $(wc -w <<<"$LIBS $EXTRA") libraries)"
tar -C "$ROOT" --numeric-owner --owner=0 --group=0 -c . |
  docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'WORKDIR /data' \
    -c 'CMD ["redis-server"]' \
    -c "LABEL org.opencontainers.image.title=redis-cluster-kit-redis org.opencontainers.image.version=$HOST_VERSION" \
    -m "redis-cluster-kit: Debian's Redis $HOST_VERSION, built by scripts/build-redis-image.sh" \
    - "$IMAGE" >/dev/null

# --- verify ---------------------------------------------------------------------
# A broken image must not stay behind: the next run would take it as built.
verify_failed() {
  docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
  die "$1"
}
V=$(docker run --rm "$IMAGE" redis-server --version) || verify_failed "redis-server --version fails in $IMAGE"
docker run --rm "$IMAGE" sh -c 'redis-cli --version' >/dev/null || verify_failed "redis-cli fails in $IMAGE"
# Start a real server and ping it: catches libraries loaded only at run time.
# (The image has no `sleep`: the loop just retries, ~2 ms a try.)
docker run --rm "$IMAGE" sh -c '
  redis-server --port 6379 --save "" --appendonly no >/dev/null &
  i=0
  while [ "$i" -lt 2500 ]; do
    if [ "$(redis-cli ping 2>/dev/null)" = PONG ]; then redis-cli shutdown nosave >/dev/null 2>&1; exit 0; fi
    i=$((i + 1))
  done
  exit 1' || verify_failed "redis-server does not answer PING in $IMAGE"

NEW_ID=$(docker image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$OLD_ID" ] && [ "$OLD_ID" != "$NEW_ID" ]; then
  docker image rm "$OLD_ID" >/dev/null 2>&1 || log "note: previous image $OLD_ID is still in use, left in place"
fi

SIZE=$(docker image inspect --format '{{.Size}}' "$IMAGE")
log "built $IMAGE ($((SIZE / 1000 / 1000)) MB) in $(($(now_ms) - T0)) ms: $V"
