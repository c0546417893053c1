#!/usr/bin/env bash
# Make this machine ready for redis-cluster-kit's tests:
#   - a Docker daemon that answers (installs docker.io and starts dockerd if needed),
#   - Compose v2 (`docker compose`) and Compose v1 (`docker-compose`),
#   - the engines marked from=host in scripts/engines.json installed on the host from Debian's
#     packages, side by side and no service started: Redis 7.0.15 (redis-server, redis-cli) and
#     Valkey 8.0.1 from bookworm-backports (valkey-server, valkey-cli); the process runtime and
#     the local target run them,
#   - one local image per engine of scripts/engines.json (scripts/build-engine-images.sh).
#
# Idempotent and fast (well under a second) when everything is already there.
# Built for CI: a fresh Debian 12 machine, root, only the Docker CLI, no daemon,
# no image registry, only Debian's package mirrors.
#
# Env:
#   REDIS_CLUSTER_KIT_SKIP_ENGINE_SETUP=1  use the daemon you have; only build the images
#   REDIS_CLUSTER_IMAGE                    the image the tests will use: a note when it is
#                                          neither built here nor on this machine
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOG_PREFIX="[setup]"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

DOCKERD_LOG=/var/log/dockerd-redis-cluster-kit.log
DOCKERD_PIDFILE=/var/run/docker.pid
# dockerd 20.10 runs its own containerd and keeps its pid here.
CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid
COMPOSE_PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
# Debian 13's docker-compose package is the Compose v2 CLI plugin, a static Go
# binary that needs only libc >= 2.34, so it runs on Debian 12 (which has no v2).
COMPOSE_V2_DEB_SUITE=trixie
COMPOSE_V2_DEB_VERSION=2.26.1-4

T0=$(now_ms)

# One set-up at a time (lib.sh). fd 9 is closed for dockerd below so the daemon does not
# inherit (and hold) the lock.
setup_lock

# --- engine -------------------------------------------------------------------

# live_pid PIDFILE NAME: the pid in PIDFILE if a live process called NAME owns
# it, else nothing. A killed daemon can linger as a zombie (state Z) until
# its parent reaps it (PID 1 here reaps late): that one does not count.
live_pid() {
  local pid stat
  [ -r "$1" ] || return 0
  pid=$(cat "$1" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  stat=$(cat "/proc/$pid/stat" 2>/dev/null || true)
  # /proc/PID/stat is "PID (comm) STATE ...".
  case "$stat" in
    "$pid ($2) Z"*) ;;
    "$pid ($2) "*) echo "$pid" ;;
  esac
}

# Remove PIDFILE unless a live NAME owns it.
remove_stale_pidfile() {
  if [ -e "$1" ] && [ -z "$(live_pid "$1" "$2")" ]; then
    log "removing stale $1"
    rm -f "$1"
  fi
}

start_dockerd() {
  local pid
  pid=$(live_pid "$DOCKERD_PIDFILE" dockerd)
  if [ -n "$pid" ]; then
    # Another run (or a slow start) already has a daemon coming up: wait for it.
    log "dockerd already running (pid $pid), waiting for it to answer"
  else
    # A daemon killed with its session leaves its pid files behind. dockerd
    # refuses to start while its own exists, and if the pid in its
    # containerd's file still looks alive (a zombie, or a reused pid) it
    # waits for that containerd instead of starting one, then gives up.
    remove_stale_pidfile "$DOCKERD_PIDFILE" dockerd
    remove_stale_pidfile "$CONTAINERD_PIDFILE" containerd
    log "starting dockerd (log: $DOCKERD_LOG)"
    # setsid + nohup: own session, immune to SIGHUP, so the daemon outlives this
    # script and the shell that ran it. fd 9 (our lock) is not passed on.
    setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
  fi

  # Poll every 100 ms, up to 60 s.
  local start deadline
  start=$(now_ms)
  deadline=$((start + 60000))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    if docker_answers; then
      log "dockerd $(docker version --format '{{.Server.Version}}' 2>/dev/null) answers after $(($(now_ms) - start)) ms"
      return 0
    fi
    sleep 0.1
  done
  log "dockerd did not answer within 60 s; last lines of $DOCKERD_LOG:"
  tail -n 30 "$DOCKERD_LOG" >&2 || true
  exit 1
}

ensure_engine() {
  if docker_answers; then
    return 0
  fi
  if [ "${REDIS_CLUSTER_KIT_SKIP_ENGINE_SETUP:-}" = 1 ]; then
    die "REDIS_CLUSTER_KIT_SKIP_ENGINE_SETUP=1 but no Docker daemon answers: start Docker or set DOCKER_HOST"
  fi
  if ! is_root; then
    die "no Docker daemon answers: start Docker (or set DOCKER_HOST to a running daemon), or run this script as root to install and start one"
  fi
  # Starting a local dockerd would not help a CLI pointed elsewhere.
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != unix:///var/run/docker.sock ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer: start that daemon, or unset DOCKER_HOST to use a local one"
  fi
  have docker || die "the docker CLI is missing: install it first"
  if ! have dockerd; then
    # docker.io brings dockerd 20.10 + containerd + runc; docker-compose is
    # Compose v1.29. /usr/local/bin/docker (the newer CLI) stays first in PATH
    # and negotiates down to the daemon's API 1.41.
    apt_install docker.io docker-compose
  fi
  start_dockerd
}

# --- compose ------------------------------------------------------------------

compose_v2_version() {
  # Asking our own plugin file directly is fast (~10 ms); `docker compose`
  # (~200 ms) is the fallback for a plugin installed elsewhere.
  if [ -x "$COMPOSE_PLUGIN_DIR/docker-compose" ] &&
    "$COMPOSE_PLUGIN_DIR/docker-compose" version --short 2>/dev/null; then
    return 0
  fi
  docker compose version --short 2>/dev/null || true
}

# Fetch the one .deb from Debian 13 without adding Debian 13 to this system's apt sources
# (suite_apt_init in lib.sh: a temp apt set-up, /etc/apt untouched).
install_compose_v2() {
  is_root || die "Compose v2 ('docker compose') is missing: install the Docker Compose plugin, or run this script as root"
  local tmp deb
  tmp=$(mktemp -d /tmp/redis-cluster-kit-compose.XXXXXX)
  on_exit "rm -rf '$tmp'"
  suite_apt_init "$COMPOSE_V2_DEB_SUITE" "$tmp"

  log "fetching docker-compose $COMPOSE_V2_DEB_VERSION (Compose v2) from Debian $COMPOSE_V2_DEB_SUITE"
  if ! suite_download "$tmp" "docker-compose=$COMPOSE_V2_DEB_VERSION"; then
    # A stable point release may have replaced that exact version; any 2.x
    # from the same suite is just as good.
    log "docker-compose=$COMPOSE_V2_DEB_VERSION not found; taking $COMPOSE_V2_DEB_SUITE's current docker-compose"
    suite_download "$tmp" docker-compose
  fi
  deb=$(find "$tmp/deb" -name 'docker-compose_*.deb' | head -n 1)
  [ -n "$deb" ] || die "could not download docker-compose from $COMPOSE_V2_DEB_SUITE"

  dpkg -x "$deb" "$tmp/x"
  install -D -m 0755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" "$COMPOSE_PLUGIN_DIR/docker-compose"

  local v
  v=$(docker compose version --short 2>/dev/null || true)
  case "$v" in
    2.*) log "docker compose $v installed in $COMPOSE_PLUGIN_DIR" ;;
    *) die "docker compose does not answer after installing $COMPOSE_PLUGIN_DIR/docker-compose" ;;
  esac
}

ensure_compose() {
  local v
  v=$(compose_v2_version)
  case "$v" in
    2.* | v2.*) ;;
    *) install_compose_v2 ;;
  esac

  # Compose v1 comes with docker.io above; a machine whose daemon was already
  # running may lack it. (`command -v`, not `docker-compose version`: v1 is
  # Python and takes ~0.5 s to start.)
  if ! have docker-compose; then
    if is_root; then
      apt_install docker-compose
    else
      log "warning: Compose v1 (docker-compose) is missing; tests will use 'docker compose'"
    fi
  fi
}

# --- main -------------------------------------------------------------------

if [ "${REDIS_CLUSTER_KIT_SKIP_ENGINE_SETUP:-}" = 1 ] && docker_answers; then
  log "REDIS_CLUSTER_KIT_SKIP_ENGINE_SETUP=1: using the running daemon as it is"
else
  ensure_engine
  ensure_compose
fi

ensure_host_engines
"$SCRIPT_DIR/build-engine-images.sh"
# An image of another name (e.g. redis:7.2) is not built here; Docker pulls it when a test
# needs it, where a registry can be reached.
if [ -n "${REDIS_CLUSTER_IMAGE:-}" ] && ! grep -qF "$(printf '\t%s\t' "$REDIS_CLUSTER_IMAGE")" <<<"$REDIS_CLUSTER_KIT_ENGINES" &&
  ! docker image inspect "$REDIS_CLUSTER_IMAGE" >/dev/null 2>&1; then
  log "note: REDIS_CLUSTER_IMAGE=$REDIS_CLUSTER_IMAGE is not one of scripts/engines.json's images and is not on this machine: Docker will try to pull it"
fi

log "ready in $(($(now_ms) - T0)) ms"
