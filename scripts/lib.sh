# shellcheck shell=bash
# Shared helpers for scripts/setup-docker.sh and scripts/build-engine-images.sh.
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

# --- one set-up at a time ----------------------------------------------------
# Several test workers may run the set-up at once: one at a time. The lock is fd 9 on one file
# per user (another user's file in /tmp may not be writable). A script run by one that holds
# the lock inherits fd 9, the same open file, so its flock returns at once instead of waiting
# for its parent. Daemons started under the lock must not inherit fd 9 (`9>&-`).
SETUP_LOCK_FILE="/tmp/redis-cluster-kit-setup.$(id -u).lock"
setup_lock() {
  if [ "$(readlink /proc/$$/fd/9 2>/dev/null)" != "$SETUP_LOCK_FILE" ]; then
    exec 9>>"$SETUP_LOCK_FILE"
  fi
  flock 9
}

# --- docker ----------------------------------------------------------------
# True when a Docker daemon answers the CLI (DOCKER_HOST/context respected).
# `docker version` needs the daemon just like `docker info` but takes ~70 ms
# instead of ~200 ms (info also scans every CLI plugin).
docker_answers() {
  have docker && timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# --- apt ---------------------------------------------------------------------
# Exported so that build-engine-images.sh, run by setup-docker.sh, does not
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

# apt_install PKG... : install Debian packages (names, or paths of .deb files) without
# recommends and without starting their services. --no-remove: apt stops rather than remove
# a package that is in the way (e.g. the host's Redis).
apt_install() {
  is_root || die "need root to install $* (or install them yourself)"
  apt_update_once
  log "apt-get install $*"
  _with_no_service_starts env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends --no-remove "$@" </dev/null >/dev/null
  _INSTALLED=""
}

# --- one more Debian suite, for one step ----------------------------------------
# Some packages come from a suite this machine does not use (Debian 13 for Compose v2 and the
# newer engines, bookworm-backports for Valkey 8.0). Adding that suite to /etc/apt would
# upgrade the whole system on its next upgrade, so it never goes there: a temporary sources
# file and its package lists live in a temp dir that apt is pointed at with -o options. The
# system's sources and lists are never touched, so there is nothing to restore, and a run
# killed half-way cannot leave the suite behind in /etc/apt.

# The Debian mirror this machine's apt sources name (deb822 .sources first, then one-line
# .list files). There is no built-in fallback: a machine whose sources name none is told so.
debian_mirror() {
  local mirror
  mirror=$(grep -hoE '^[[:space:]]*URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '{print $2}' | head -n 1 || true)
  if [ -z "$mirror" ]; then
    mirror=$(grep -hoE '^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?([[:space:]]|$)' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '{print $NF}' | head -n 1 || true)
  fi
  [ -n "$mirror" ] ||
    die "no Debian mirror in this machine's apt sources: looked for a 'URIs: <url>/debian' line in /etc/apt/sources.list.d/*.sources and a 'deb <url>/debian' line in /etc/apt/sources.list and /etc/apt/sources.list.d/*.list"
  printf '%s\n' "${mirror%/}"
}

# suite_apt_init SUITE DIR: make DIR (an empty temp dir the caller removes) an apt set-up
# that sees only SUITE of this machine's Debian mirror, and fetch its package lists. Sets
# SUITE_APT_OPTS, the options that point apt-get and apt-cache there.
SUITE_APT_OPTS=()
suite_apt_init() {
  local suite=$1 dir=$2 mirror arch
  mirror=$(debian_mirror) || exit 1
  arch=$(dpkg --print-architecture)
  mkdir -p "$dir/lists/partial" "$dir/sourceparts" "$dir/deb"
  # apt downloads as the unprivileged _apt user: let it write there.
  chmod 0755 "$dir"
  if id _apt >/dev/null 2>&1; then chown _apt "$dir/deb"; fi
  printf '%s\n' "Types: deb" "URIs: $mirror" "Suites: $suite" "Components: main" "Architectures: $arch" \
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" >"$dir/sourceparts/$suite.sources"
  SUITE_APT_OPTS=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$dir/sourceparts"
    -o "Dir::State::Lists=$dir/lists"
    -o "Dir::Cache::pkgcache="
    -o "Dir::Cache::srcpkgcache="
    -o "Acquire::Languages=none"
  )
  log "apt-get update for Debian $suite alone ($mirror; lists in $dir)"
  apt-get "${SUITE_APT_OPTS[@]}" update -qq >/dev/null || die "apt-get update for Debian $suite failed (mirror $mirror)"
}

# suite_candidate PKG: the version of PKG that the suite of suite_apt_init offers (empty when
# it has none).
suite_candidate() {
  apt-cache "${SUITE_APT_OPTS[@]}" policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# suite_download DIR PKG[=VERSION]...: download those .debs (not their dependencies) from the
# suite of suite_apt_init into DIR/deb.
suite_download() {
  local dir=$1
  shift
  (cd "$dir/deb" && apt-get "${SUITE_APT_OPTS[@]}" download -qq "$@" >/dev/null)
}

# upstream_version DEBIAN_VERSION: 5:8.0.2-3+deb13u3 -> 8.0.2, 8.0.1+dfsg1-1~bpo12+1 -> 8.0.1
# (no epoch, no Debian revision, no +dfsg/~ suffix of a repacked source).
upstream_version() {
  local v=${1#*:}
  v=${v%-*}
  printf '%s\n' "${v%%[+~]*}"
}

# --- the engines --------------------------------------------------------------------
# scripts/engines.json is the one list of engines (Redis and Valkey versions) that the images,
# the host's servers, the tests and the docs are made from. JSON rather than a shell file:
# TypeScript (tests, bench, docs) reads it with JSON.parse, and the scripts read it through
# Node, which this Node project needs anyway.
ENGINES_JSON="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/engines.json"

# load_engines: sets REDIS_CLUSTER_KIT_ENGINES to one tab-separated line per engine, in the file's order:
#   engine version image suite from packages(comma-separated) server cli
# A malformed entry fails with one line naming it. Read once per run and exported to the
# scripts this one runs (Node takes 0.1-0.3 s to start on a loaded machine).
load_engines() {
  if [ -z "${REDIS_CLUSTER_KIT_ENGINES:-}" ]; then
    REDIS_CLUSTER_KIT_ENGINES=$(_read_engines_json) || exit 1
  fi
  export REDIS_CLUSTER_KIT_ENGINES
}
_read_engines_json() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    const file = process.argv[1];
    const fail = (m) => { console.error(`'"$LOG_PREFIX"' ERROR: ${file}: ${m}`); process.exit(1); };
    let table;
    try { table = JSON.parse(require("fs").readFileSync(file, "utf8")); } catch (e) { fail(e.message); }
    if (!Array.isArray(table.engines) || table.engines.length === 0) fail("expected a non-empty \"engines\" list");
    const word = /^[A-Za-z0-9][A-Za-z0-9._:\/+-]*$/;
    for (const [i, e] of table.engines.entries()) {
      const at = `engines[${i}]`;
      for (const k of ["engine", "version", "image", "suite", "from", "server", "cli"]) {
        if (typeof e[k] !== "string" || !word.test(e[k])) fail(`${at}.${k} ${JSON.stringify(e[k])}: expected a word (letters, digits, . _ : / + -)`);
      }
      if (!["host", "rootfs"].includes(e.from)) fail(`${at}.from "${e.from}": expected "host" or "rootfs"`);
      if (!e.image.endsWith(`:${e.version}`)) fail(`${at}.image "${e.image}": expected its tag to be the version "${e.version}"`);
      if (!Array.isArray(e.packages) || e.packages.length === 0 || !e.packages.every((p) => typeof p === "string" && word.test(p))) fail(`${at}.packages: expected a list of Debian package names`);
      console.log([e.engine, e.version, e.image, e.suite, e.from, e.packages.join(","), e.server, e.cli].join("\t"));
    }' "$ENGINES_JSON"
}

# The version of Debian package PKG installed on this machine; nothing when it is not.
# load_installed asks dpkg once for every package of the table (~40 ms a call) and must run in
# the calling shell (not in a $(...)) for the answer to stay; apt_install forgets it.
_INSTALLED=""
load_installed() {
  [ -n "$_INSTALLED" ] && return 0
  load_engines
  # shellcheck disable=SC2046 # one argument per package name
  _INSTALLED=$({ dpkg-query -W -f '${Package} ${db:Status-Abbrev}|${Version}\n' \
    $(cut -f6 <<<"$REDIS_CLUSTER_KIT_ENGINES" | tr ',' '\n' | sort -u) 2>/dev/null || true; } |
    sed -n 's/^\([^ ]*\) ii *|/\1 /p')$'\n.'
}
installed_version() {
  load_installed
  awk -v p="$1" '$1 == p { print $2; exit }' <<<"$_INSTALLED"
}

# ensure_host_engines: every engine of the table with from=host is installed on this machine
# from its Debian packages: Redis 7.0.15 (bookworm) and Valkey 8.0.1 (bookworm-backports),
# side by side. The process runtime and the local target run them, and their images are made
# of the same files. No service is started (policy-rc.d in apt_install).
ensure_host_engines() {
  local engine version suite from packages
  load_engines
  # The table's columns: engine, version, image, suite, from, packages, server, cli (_: not used here).
  while IFS=$'\t' read -r -u 3 engine version _ suite from packages _ _; do
    [ "$from" = host ] || continue
    # shellcheck disable=SC2086 # packages is a comma list of package names: split on purpose
    ensure_host_engine "$engine" "$version" "$suite" ${packages//,/ }
  done 3<<<"$REDIS_CLUSTER_KIT_ENGINES"
}

# ensure_host_engine ENGINE VERSION SUITE PKG...
ensure_host_engine() {
  local engine=$1 version=$2 suite=$3
  shift 3
  local pkg v missing=()
  load_installed
  for pkg in "$@"; do
    v=$(installed_version "$pkg")
    if [ -z "$v" ]; then
      missing+=("$pkg")
    elif [ "$(upstream_version "$v")" != "$version" ]; then
      die "$pkg $v is installed, but scripts/engines.json has $engine $version from Debian $suite: install that version, or change the table"
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  is_root || die "$engine $version is missing on this machine: install Debian's ${missing[*]} (from $suite), or run this as root"

  local codename
  # shellcheck source=/dev/null # the system's own file
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  if [ "$suite" = "$codename" ]; then
    apt_install "${missing[@]}"
  else
    # Download from that suite alone; their dependencies come from the system's own suites.
    local tmp cand wanted=()
    tmp=$(mktemp -d /tmp/redis-cluster-kit-apt.XXXXXX)
    on_exit "rm -rf '$tmp'"
    suite_apt_init "$suite" "$tmp"
    for pkg in "${missing[@]}"; do
      cand=$(suite_candidate "$pkg")
      [ -n "$cand" ] || die "Debian $suite has no package $pkg (scripts/engines.json: $engine $version)"
      [ "$(upstream_version "$cand")" = "$version" ] ||
        die "Debian $suite has $pkg $cand, not $engine $version: change scripts/engines.json"
      wanted+=("$pkg=$cand")
    done
    log "downloading ${wanted[*]} from Debian $suite"
    suite_download "$tmp" "${wanted[@]}" || die "could not download ${wanted[*]} from Debian $suite"
    apt_install "$tmp"/deb/*.deb
  fi
  load_installed
  # Belt and braces: if a service got started anyway, stop it.
  for pkg in "${missing[@]}"; do
    if [ -x "/etc/init.d/$pkg" ]; then service "$pkg" stop >/dev/null 2>&1 || true; fi
  done
  for pkg in "$@"; do
    v=$(installed_version "$pkg")
    [ "$(upstream_version "$v")" = "$version" ] || die "installing $pkg did not give $engine $version (found: ${v:-nothing})"
  done
  log "$engine $version on this machine: $* $(installed_version "$1")"
}
