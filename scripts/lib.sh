# shellcheck shell=bash
# Shared helpers for scripts/setup-docker.sh and scripts/build-redis-image.sh.
# Sourced, never run. Callers set LOG_PREFIX before sourcing (e.g. "[setup]").

: "${LOG_PREFIX:=[setup]}"

# dockerd, runc, iptables, ldconfig and service live in sbin dirs, which a
# CI environment's PATH may lack. Appended, so /usr/local/bin/docker (the
# newer CLI) stays first.
for _d in /usr/local/sbin /usr/sbin /sbin; do
  case ":$PATH:" in *":$_d:"*) ;; *) PATH="$PATH:$_d" ;; esac
done
export PATH
unset _d

# Progress goes to stderr so callers can keep stdout for data.
log() { printf '%s %s\n' "$LOG_PREFIX" "$*" >&2; }
die() { printf '%s ERROR: %s\n' "$LOG_PREFIX" "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# Milliseconds since the epoch, for the timing lines.
now_ms() { date +%s%3N; }

# --- cleanup on exit -------------------------------------------------------
# One EXIT trap runs every registered action, so helpers can add their own
# cleanups (temp dirs, temporary apt files) without overwriting each other's.
_CLEANUPS=()
on_exit() { _CLEANUPS+=("$1"); }
_run_cleanups() {
  local i
  for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${_CLEANUPS[i]}" || true
  done
}
trap _run_cleanups EXIT
# Turn signals into a normal exit so the EXIT trap runs.
trap 'exit 130' INT
trap 'exit 143' TERM

# --- docker ----------------------------------------------------------------
# True when a Docker daemon answers the CLI (DOCKER_HOST/context respected).
# `docker version` needs the daemon just like `docker info` but takes ~70 ms
# instead of ~200 ms (info also scans every CLI plugin).
docker_answers() {
  have docker && timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# --- apt ---------------------------------------------------------------------
# Exported so that build-redis-image.sh, run by setup-docker.sh, does not
# update the package lists a second time.
apt_update_once() {
  if [ "${REDIS_CLUSTER_KIT_APT_UPDATED:-0}" != 1 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    export REDIS_CLUSTER_KIT_APT_UPDATED=1
  fi
}

# Package maintainer scripts try to start the services they install
# (dockerd, redis-server on :6379). We start dockerd ourselves, with our own
# log, and want no Redis listening on the host at all, so a policy-rc.d that
# answers 101 ("action forbidden") keeps invoke-rc.d from starting anything
# during the install. An existing policy-rc.d is left alone.
_POLICY_RC=/usr/sbin/policy-rc.d
_with_no_service_starts() {
  local created=0
  if [ ! -e "$_POLICY_RC" ]; then
    printf '#!/bin/sh\n# temporary, from redis-cluster-kit scripts/lib.sh\nexit 101\n' >"$_POLICY_RC"
    chmod 0755 "$_POLICY_RC"
    created=1
    on_exit "[ -e '$_POLICY_RC' ] && grep -q redis-cluster-kit '$_POLICY_RC' && rm -f '$_POLICY_RC'"
  fi
  local rc=0
  "$@" || rc=$?
  if [ "$created" -eq 1 ]; then rm -f "$_POLICY_RC"; fi
  return "$rc"
}

# apt_install PKG... : install Debian packages without recommends and without
# starting their services.
apt_install() {
  is_root || die "need root to install $* (or install them yourself)"
  apt_update_once
  log "apt-get install $*"
  _with_no_service_starts env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- redis binaries on the host ------------------------------------------------
# redis-server and redis-cli on this machine: the local image is built from them, and the
# process runtime and the local target run them directly. Debian's packages (Redis 7.0.15 on
# Debian 12); the policy-rc.d in apt_install keeps the package from starting a Redis on 6379.
ensure_redis_binaries() {
  if have redis-server && have redis-cli; then
    return 0
  fi
  is_root || die "redis-server/redis-cli are missing: install Redis >= 7.0 (e.g. apt-get install redis-server redis-tools), or run this as root"
  apt_install redis-server redis-tools
  # Belt and braces: if a service got started anyway, stop it.
  if [ -x /etc/init.d/redis-server ]; then
    service redis-server stop >/dev/null 2>&1 || true
  fi
}
