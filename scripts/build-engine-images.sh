#!/usr/bin/env bash
# Build the images the clusters run on, one per engine of scripts/engines.json
# (redis-cluster-kit/redis:7.0.15, redis:8.0.2, valkey:8.0.1, valkey:8.1.1), from Debian's
# packages, each with its server, its CLI, a /bin/sh (dash) and /data (the working dir).
#
# Why not `docker build FROM redis:8`? No image registry can be reached here (CI included):
# nothing can be pulled, not even a base image. So each image is one layer that `docker import`
# makes of an empty folder holding the two binaries, dash, and exactly the shared libraries
# their dynamic loader lists (~20 MB). The binaries come, by the table's "from", from:
#   host    the engine's Debian packages installed on this machine (ensure_host_engines in
#           lib.sh; the process runtime runs the same files);
#   rootfs  the engine's suite unpacked into a temp dir by `mmdebstrap --variant=extract`
#           (packages and their dependencies unpacked, no maintainer script run): Debian 13's
#           builds need Debian 13's libc, which their image then carries.
#
# Up to date or not: every image is labelled redis-cluster-kit.image.recipe, a hash of this
# script, the engine's row of the table and, for a host engine, the Debian version installed
# here. An image whose label is what this run would write is kept, so a cached run costs one
# `docker image inspect` for all the images; editing this script or the table rebuilds, and so
# does an upgrade of the host's package. A new Debian revision of the same upstream version in
# a rootfs engine's suite (a security fix) is not looked up on every run (that is an apt-get
# update, seconds): --rebuild takes it. redis-cluster-kit.image.package records the package
# version an image was built from.
#
# Usage: scripts/build-engine-images.sh [--rebuild] [IMAGE...]   (default: every image)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
LOG_PREFIX="[setup]"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$SCRIPT_DIR/lib.sh"

RECIPE_LABEL=redis-cluster-kit.image.recipe
PACKAGE_LABEL=redis-cluster-kit.image.package

REBUILD=0
WANTED=()
for arg in "$@"; do
  case "$arg" in
    --rebuild) REBUILD=1 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    -*) die "unknown option: $arg (usage: $0 [--rebuild] [IMAGE...])" ;;
    *) WANTED+=("$arg") ;;
  esac
done

docker_answers || die "no Docker daemon answers: run scripts/setup-docker.sh (or start Docker / set DOCKER_HOST)"
setup_lock
load_engines

# The rows to build: every engine, or the ones named.
ROWS=()
while IFS= read -r row; do
  image=$(cut -f3 <<<"$row")
  if [ "${#WANTED[@]}" -eq 0 ] || printf '%s\n' "${WANTED[@]}" | grep -qxF "$image"; then ROWS+=("$row"); fi
done <<<"$REDIS_CLUSTER_KIT_ENGINES"
for image in "${WANTED[@]}"; do
  grep -qF "$(printf '\t%s\t' "$image")" <<<"$REDIS_CLUSTER_KIT_ENGINES" ||
    die "unknown image \"$image\": expected one of $(cut -f3 <<<"$REDIS_CLUSTER_KIT_ENGINES" | paste -sd, - | sed 's/,/, /g') (scripts/engines.json)"
done

# --- what is there ------------------------------------------------------------------
# recipe ROW DEB_VERSION: the label value an image built now from ROW would carry.
recipe() {
  { cat "$SELF"; printf '%s\n' "$1" "$2"; } | sha256sum | cut -c1-16
}

# One inspect for all the images: "tag,tag,...|recipe" per image that exists.
# shellcheck disable=SC2046 # one argument per image name
EXISTING=$(docker image inspect --format "{{join .RepoTags \",\"}}|{{index .Config.Labels \"$RECIPE_LABEL\"}}" \
  $(cut -f3 <<<"$REDIS_CLUSTER_KIT_ENGINES") 2>/dev/null || true)
existing_recipe() {
  local tags label
  while IFS='|' read -r tags label; do
    case ",$tags," in *",$1,"*) printf '%s\n' "$label"; return 0 ;; esac
  done <<<"$EXISTING"
}

# --- building ----------------------------------------------------------------------
# The dynamic loader's path (PT_INTERP), the same for every build of one architecture: e.g.
# /lib64/ld-linux-x86-64.so.2, the one line of ldd's output that is an absolute path alone.
host_interp() {
  ldd "$(readlink -f /bin/sh)" | awk '$1 ~ /^\// { print $1; exit }'
}

# inside ROOT PATH: PATH resolved (symlinks followed) inside ROOT ("" = this machine), as a
# path of this machine. A link that leads out of ROOT is an error, not a host file.
inside() {
  local real
  real=$(readlink -f "$1$2") || die "$2 is missing in ${1:-this machine}"
  [ -e "$real" ] || die "$2 is missing in ${1:-this machine}"
  case "$real" in "$1"/*) ;; *) die "$2 in $1 leads out of it ($real)" ;; esac
  printf '%s\n' "$real"
}

# libs_of ROOT BIN: "SOURCE DEST" per shared object that BIN (a path in ROOT) loads, as the
# dynamic loader of ROOT lists them: ldd on this machine, the root's own loader in a chroot
# for a root filesystem. DEST is where it goes in the image (for the loader: its PT_INTERP).
libs_of() {
  if [ -z "$1" ]; then ldd "$2"; else chroot "$1" "$INTERP" --list "$2"; fi | awk '
    /not found/ { print "MISSING " $1; next }
    $2 == "=>" && $3 ~ /^\// { print $3, ($1 ~ /^\// ? $1 : $3); next }
    $1 ~ /^\// { print $1, $1 }'
}

# put ROOT SRC DEST: copy SRC (a path in ROOT) to DEST in the image's folder $OUT.
put() {
  local src
  [ -e "$OUT$3" ] && return 0
  src=$(inside "$1" "$2") || exit 1
  mkdir -p "$OUT$(dirname "$3")"
  cp "$src" "$OUT$3"
}

# build ROW: build one image into an untagged image, check it, then tag it.
build() {
  local engine version image suite from packages server cli
  IFS=$'\t' read -r engine version image suite from packages server cli <<<"$1"
  local t0 work root pkgs deb_version pkg_label
  t0=$(now_ms)
  IFS=, read -r -a pkgs <<<"$packages"
  work=$(mktemp -d /tmp/redis-cluster-kit-image.XXXXXX)
  on_exit "rm -rf '$work'"
  OUT="$work/image"

  if [ "$from" = host ]; then
    root=""
    deb_version=$(installed_version "${pkgs[0]}")
  else
    is_root || die "building $image needs root (mmdebstrap and chroot): run this as root"
    have mmdebstrap || apt_install mmdebstrap
    local mirror
    mirror=$(debian_mirror) || exit 1
    root="$work/root"
    INTERP=$(host_interp)
    [ -n "$INTERP" ] || die "cannot tell the dynamic loader's path from ldd /bin/sh"
    log "unpacking ${pkgs[*]} and their dependencies from Debian $suite ($mirror)"
    # cleanup/apt/cache kept: the .debs tell which versions were unpacked.
    mmdebstrap --quiet --mode=root --variant=extract --skip=cleanup/apt/cache \
      --include="$packages,dash" "$suite" "$root" "deb $mirror $suite main" ||
      die "mmdebstrap of ${pkgs[*]} from Debian $suite failed"
    local deb
    deb=$(find "$root/var/cache/apt/archives" -maxdepth 1 -name "${pkgs[0]}_*.deb" | head -n 1)
    [ -n "$deb" ] || die "mmdebstrap did not fetch ${pkgs[0]} from Debian $suite"
    deb_version=$(dpkg-deb -f "$deb" Version)
    # The loader runs in the chroot by its PT_INTERP path: give the root the /lib64 -> usr/lib64
    # (etc.) links that Debian 13's base-files would make (extract installs no base-files).
    local d
    for d in bin sbin lib lib64; do
      if [ -d "$root/usr/$d" ] && [ ! -e "$root/$d" ]; then ln -s "usr/$d" "$root/$d"; fi
    done
  fi
  [ "$(upstream_version "$deb_version")" = "$version" ] ||
    die "${pkgs[0]} $deb_version from Debian $suite is not $engine $version: change scripts/engines.json"
  pkg_label="${pkgs[0]}=$deb_version"
  log "building $image from ${pkgs[0]} $deb_version ($from)"

  # The image's tree is merged-/usr like Debian's: /bin, /lib and /lib64 link into /usr.
  mkdir -p "$OUT/usr/bin" "$OUT/usr/lib" "$OUT/usr/lib64" "$OUT/usr/local/bin"
  ln -s usr/bin "$OUT/bin"
  ln -s usr/lib "$OUT/lib"
  ln -s usr/lib64 "$OUT/lib64"

  # Debian ships the server as a symlink (redis-server -> redis-check-rdb, valkey-server ->
  # valkey-check-rdb), and the binary picks its mode from argv[0]: the real file is copied
  # under the server's name.
  put "$root" "/usr/bin/$server" "/usr/local/bin/$server"
  put "$root" "/usr/bin/$cli" "/usr/local/bin/$cli"
  put "$root" /usr/bin/dash /usr/bin/dash
  ln -s dash "$OUT/usr/bin/sh"

  local bin real libs="" src dest libdir name
  for bin in "/usr/bin/$server" "/usr/bin/$cli" /usr/bin/dash; do
    real=$(inside "$root" "$bin") || exit 1
    libs+=$(libs_of "$root" "${real#"$root"}")$'\n'
  done
  libs=$(sort -u <<<"$libs" | sed '/^$/d')
  if grep -q '^MISSING' <<<"$libs"; then
    die "libraries missing for $image: $(grep '^MISSING' <<<"$libs" | cut -d' ' -f2 | tr '\n' ' ')"
  fi
  while read -r src dest; do put "$root" "$src" "$dest"; done <<<"$libs"
  # Loaded with dlopen, so the loader does not list them: libgcc_s (glibc needs it for
  # pthread_cancel and unwinding: Redis cancels its background threads when it is killed);
  # libnss_files/libnss_dns (14 KB stubs since glibc 2.34, where both are built into libc;
  # copied when there, it costs nothing).
  libdir=$(awk '$1 ~ /\/libc\.so\.6$/ { print $1; exit }' <<<"$libs")
  libdir=$(dirname "$libdir")
  for name in libgcc_s.so.1 libnss_files.so.2 libnss_dns.so.2; do
    if [ -e "$root$libdir/$name" ]; then put "$root" "$libdir/$name" "$libdir/$name"; fi
  done

  # Enough of /etc for the server and getaddrinfo: container names are resolved through
  # Docker's DNS (Docker mounts /etc/resolv.conf and /etc/hosts).
  mkdir -p "$OUT/etc" "$OUT/root"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh' >"$OUT/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$OUT/etc/group"
  printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$OUT/etc/nsswitch.conf"
  install -d -m 1777 "$OUT/tmp"
  # The working dir (nodes.conf, dumps); Redis refuses `dir /data` when it does not exist.
  install -d -m 0777 "$OUT/data"
  chmod 0755 "$OUT"

  local id
  id=$(tar -C "$OUT" --numeric-owner --owner=0 --group=0 -c . |
    docker import \
      -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      -c 'WORKDIR /data' \
      -c "CMD [\"$server\"]" \
      -c "LABEL org.opencontainers.image.title=redis-cluster-kit-$engine org.opencontainers.image.version=$version $PACKAGE_LABEL=$pkg_label $RECIPE_LABEL=$2" \
      -m "redis-cluster-kit: Debian's $pkg_label ($suite), built by scripts/build-engine-images.sh" \
      -) || die "docker import of $image failed"
  verify "$id" "$image" "$version" "$server" "$cli"

  # The new image takes the tag; the one it replaced is pruned at the end (see there).
  docker tag "$id" "$image"
  BUILT=$((BUILT + 1))
  rm -rf "$work"
  log "built $image ($(($(docker image inspect --format '{{.Size}}' "$id") / 1000 / 1000)) MB) in $(($(now_ms) - t0)) ms"
}

# verify ID IMAGE VERSION SERVER CLI: the image answers as the engine it is named after, and
# its server serves. A failed image is removed (untagged, it never replaced a good one).
verify() {
  local id=$1 image=$2 version=$3 server=$4 cli=$5 v
  failed() {
    docker image rm -f "$id" >/dev/null 2>&1 || true
    die "$image: $1"
  }
  v=$(docker run --rm "$id" "$server" --version) || failed "$server --version fails"
  case "$v" in *" v=$version "*) ;; *) failed "$server --version says \"$v\", not v=$version" ;; esac
  v=$(docker run --rm "$id" "$cli" --version) || failed "$cli --version fails"
  case "$v" in *" $version"*) ;; *) failed "$cli --version says \"$v\", not $version" ;; esac
  # Start a real server and ping it: catches libraries loaded only at run time. (The image
  # has no `sleep`: the loop just retries, ~2 ms a try.)
  docker run --rm "$id" sh -c "
    $server --port 6379 --save '' --appendonly no >/dev/null &
    i=0
    while [ \"\$i\" -lt 2500 ]; do
      if [ \"\$($cli ping 2>/dev/null)\" = PONG ]; then $cli shutdown nosave >/dev/null 2>&1; exit 0; fi
      i=\$((i + 1))
    done
    exit 1" || failed "$server does not answer PING"
}

# --- main ---------------------------------------------------------------------------
BUILT=0
for row in "${ROWS[@]}"; do
  IFS=$'\t' read -r engine version image suite from packages server cli <<<"$row"
  deb_version=""
  if [ "$from" = host ]; then
    # shellcheck disable=SC2086 # packages is a comma list of package names: split on purpose
    ensure_host_engine "$engine" "$version" "$suite" ${packages//,/ }
    deb_version=$(installed_version "${packages%%,*}")
  fi
  want=$(recipe "$row" "$deb_version")
  if [ "$REBUILD" -eq 0 ] && [ "$(existing_recipe "$image")" = "$want" ]; then
    continue
  fi
  build "$row" "$want"
done
# Images this script built that lost their tag to a newer build: removed once no container
# uses them (a test may still run on one; it goes with a later build). Labelled ones only.
if [ "$BUILT" -gt 0 ]; then
  docker image prune -f --filter "label=$RECIPE_LABEL" >/dev/null 2>&1 || true
fi
log "up to date: $(printf '%s\n' "${ROWS[@]}" | cut -f3 | paste -sd' ' -)"
