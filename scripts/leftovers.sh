#!/usr/bin/env bash
# What test runs leave on the Docker daemon and on this machine, and removing what dead runs left.
#
#   scripts/leftovers.sh reap             remove what test runs that have ended left behind
#   scripts/leftovers.sh snapshot FILE    write the project's resources that exist now to FILE
#   scripts/leftovers.sh check FILE       fail when a resource exists that FILE does not list:
#                                         something the run since the snapshot left behind
#
# The project's resources: fixture clusters (containers, networks and volumes labelled
# redis-cluster-kit, owner in redis-cluster-kit.pid / .host), the Compose integration tests'
# projects, named rck-<pid of the test process>-<random>, and the process runtime's clusters:
# folders $TMPDIR/redis-cluster-kit-process-<cluster>-XXXXXX (owner in their owner.json) and the
# redis-server processes working in them, and the host iptables chains of their partitions
# (rck-<cluster id>-<n>, networkFaults: true; Docker's chains live in the containers' namespaces).
#
# Why reap before a run: a daemon whose processes were killed (a session ended, a CI machine
# made from a used one) starts again with the exited containers and the networks of the runs
# that were killed. They are not this run's leaks, but each network holds an address pool
# until the daemon has none left. Clusters kept for reuse (no pid label) are never reaped.
set -uo pipefail

host=$(hostname)
tmp=${TMPDIR:-/tmp}
tmp=${tmp%/}
process_dirs="$tmp/redis-cluster-kit-process-"

# alive PID: a process with that pid runs on this machine (whoever owns it). A zombie (ended,
# not yet reaped by its parent, which PID 1 here may do late) has ended: it never cleans up.
alive() {
  case "$1" in '' | *[!0-9]*) return 1 ;; esac
  case "$(ps -p "$1" -o stat= 2>/dev/null)" in
    '' | Z*) return 1 ;;
  esac
}

# redis-server (or valkey-server) processes working in a folder of the process runtime (also one removed
# meanwhile): "pid<TAB>folder" lines (a folder may hold spaces). Linux only (/proc); elsewhere
# none are listed.
process_servers() {
  local dir pid cwd
  [ -d /proc ] || return 0
  for dir in /proc/[0-9]*; do
    case "$(cat "$dir/comm" 2>/dev/null)" in redis-server | valkey-server) ;; *) continue ;; esac
    cwd=$(readlink "$dir/cwd" 2>/dev/null) || continue
    case "$cwd" in "$process_dirs"*) ;; *) continue ;; esac
    pid=${dir#/proc/}
    printf '%s\t%s\n' "$pid" "${cwd% (deleted)}"
  done
}

# The owner pid in a process-runtime folder's owner.json; "other-host" when another machine's;
# nothing when it has no readable owner. Read as JSON (node is there wherever the tests run).
process_dir_owner() {
  local file=$1/owner.json
  [ -f "$file" ] || return 0
  # shellcheck disable=SC2016 # JavaScript, not shell
  node -e '
    try {
      const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      if (typeof o.host === "string" && o.host !== process.argv[2]) console.log("other-host");
      else if (Number.isInteger(o.pid) && o.pid > 0) console.log(o.pid);
    } catch {}
  ' "$file" "$host"
}

# The host's partition chains of process-runtime clusters (rck-<12 hex>-<n>), one per line;
# none where iptables is missing or not usable (not root).
partition_chains() {
  command -v iptables >/dev/null 2>&1 || return 0
  iptables -w -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^rck-[0-9a-f]+-[0-9]+$/ { print $2 }'
}

# Every project resource now, one "kind id name" line each.
resources() {
  docker ps -a --filter label=redis-cluster-kit --format 'container {{.ID}} {{.Names}}'
  docker network ls --filter label=redis-cluster-kit --format 'network {{.ID}} {{.Name}}'
  docker volume ls --filter label=redis-cluster-kit --format 'volume {{.Name}} {{.Name}}'
  docker ps -a --format 'container {{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$3 ~ /^rck-/'
  docker network ls --format 'network {{.ID}} {{.Name}}' | awk '$3 ~ /^rck-/'
  docker volume ls --format 'volume {{.Name}} {{.Name}}' | awk '$3 ~ /^rck-/'
  local dir
  for dir in "$process_dirs"*; do
    [ -d "$dir" ] && printf 'process-folder %s %s\n' "$dir" "$(basename "$dir")"
  done
  process_servers | awk -F '\t' '{ print "redis-server", $1, $2 }'
  partition_chains | awk '{ print "iptables-chain", $1, $1 }'
}

# The pid in a Compose test project's name (rck-<pid>-<hex>); nothing for older names.
project_pid() {
  local rest=${1#rck-}
  case "$rest" in
    *-*) printf '%s' "${rest%%-*}" ;;
  esac
}

reap() {
  local removed=0 project pid id labels
  # Compose test projects whose test process has ended (or that carry no pid: older runs).
  for project in $(
    {
      docker ps -a --format '{{.Label "com.docker.compose.project"}}'
      docker network ls --format '{{.Name}}' | sed 's/_default$//'
      docker volume ls --format '{{.Label "com.docker.compose.project"}}'
    } | grep '^rck-' | sort -u
  ); do
    pid=$(project_pid "$project")
    if [ -n "$pid" ] && alive "$pid"; then continue; fi
    docker ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r docker rm -f -v >/dev/null 2>&1
    docker network ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker network rm >/dev/null 2>&1
    docker network rm "${project}_default" >/dev/null 2>&1
    docker volume ls -q --filter "label=com.docker.compose.project=$project" | xargs -r docker volume rm -f >/dev/null 2>&1
    echo "[leftovers] removed Compose test project $project (its test process has ended)" >&2
    removed=$((removed + 1))
  done
  # Fixture clusters of this host whose owner process has ended (what the fixture's own
  # reaper does at every start; here before the run, so that the snapshot does not hold them).
  while read -r id labels; do
    [ -n "$id" ] || continue
    pid=${labels%% *}
    if alive "$pid"; then continue; fi
    docker rm -f -v "$id" >/dev/null 2>&1 && removed=$((removed + 1))
  done < <(docker ps -aq --filter label=redis-cluster-kit --filter "label=redis-cluster-kit.host=$host" |
    xargs -r docker inspect --format '{{.Id}} {{index .Config.Labels "redis-cluster-kit.pid"}}' | awk 'NF == 2')
  while read -r id labels; do
    [ -n "$id" ] || continue
    pid=${labels%% *}
    if alive "$pid"; then continue; fi
    docker network rm "$id" >/dev/null 2>&1 && removed=$((removed + 1))
  done < <(docker network ls -q --filter label=redis-cluster-kit --filter "label=redis-cluster-kit.host=$host" |
    xargs -r docker network inspect --format '{{.Id}} {{index .Labels "redis-cluster-kit.pid"}}' | awk 'NF == 2')
  # Process-runtime clusters whose owner has ended (what every start of the process runtime
  # does first): their redis-servers (those working in the folder: a pid alone may have been
  # reused), then the folder. A folder without an owner file is left for 10 minutes (a start
  # in progress writes it right after creating the folder).
  local dir owner servers
  for dir in "$process_dirs"*; do
    [ -d "$dir" ] || continue
    owner=$(process_dir_owner "$dir")
    if [ "$owner" = other-host ]; then continue; fi
    if [ -n "$owner" ] && alive "$owner"; then continue; fi
    if [ -z "$owner" ] && [ -z "$(find "$dir" -maxdepth 0 -mmin +10)" ]; then continue; fi
    servers=$(process_servers | awk -F '\t' -v d="$dir/" 'index($2, d) == 1 { print $1 }')
    if [ -n "$servers" ]; then
      # shellcheck disable=SC2086 # one pid per word
      kill -9 $servers 2>/dev/null && removed=$((removed + $(printf '%s\n' $servers | wc -l)))
    fi
    rm -rf "$dir" && removed=$((removed + 1))
  done
  # Partition chains whose cluster has no folder left here or in a folder of TMPDIR (the soak
  # gives each run one): its owner ended without lifting them, and they would cut the traffic
  # of a later cluster that draws the same loopback addresses.
  local chain id folders
  for chain in $(partition_chains); do
    id=${chain#rck-}
    id=${id%-*}
    folders=$(find "$tmp" -maxdepth 2 -type d -name "redis-cluster-kit-process-$id*" 2>/dev/null | head -1)
    [ -n "$folders" ] && continue
    printf '*filter\n-D INPUT -j %s\n-F %s\n-X %s\nCOMMIT\n' "$chain" "$chain" "$chain" |
      iptables-restore -w --noflush 2>/dev/null && removed=$((removed + 1))
  done
  echo "[leftovers] reaped: $removed resources of ended test runs" >&2
}

case "${1:-}" in
  reap) reap ;;
  snapshot)
    file=${2:?usage: leftovers.sh snapshot FILE}
    resources | sort -u >"$file"
    ;;
  check)
    file=${2:?usage: leftovers.sh check FILE}
    now=$(resources | sort -u)
    new=$(comm -13 "$file" <(printf '%s\n' "$now" | sed '/^$/d'))
    old=$(comm -12 "$file" <(printf '%s\n' "$now" | sed '/^$/d') | wc -l)
    if [ "$old" -gt 0 ]; then
      echo "[leftovers] $old resources from before this run are still there (not this run's; see: $0 reap)" >&2
    fi
    if [ -n "$new" ]; then
      echo "[leftovers] this run left behind (kind, id, name):" >&2
      printf '  %s\n' "$new" >&2
      echo "[leftovers] the test run leaked the resources above" >&2
      exit 1
    fi
    echo "[leftovers] none: the run left no container, network, volume, redis-server process, process-runtime folder or partition chain of the project" >&2
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
