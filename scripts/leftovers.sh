#!/usr/bin/env bash
# What test runs leave on the Docker daemon, and removing what dead runs left.
#
#   scripts/leftovers.sh reap             remove what test runs that have ended left behind
#   scripts/leftovers.sh snapshot FILE    write the project's resources that exist now to FILE
#   scripts/leftovers.sh check FILE       fail when a resource exists that FILE does not list:
#                                         something the run since the snapshot left behind
#
# The project's resources: fixture clusters (containers, networks and volumes labelled
# redis-cluster-kit, owner in redis-cluster-kit.pid / .host) and the Compose integration tests'
# projects, named rck-<pid of the test process>-<random>.
#
# Why reap before a run: a daemon whose processes were killed (a session ended, a CI machine
# made from a used one) starts again with the exited containers and the networks of the runs
# that were killed. They are not this run's leaks, but each network holds an address pool
# until the daemon has none left. Clusters kept for reuse (no pid label) are never reaped.
set -uo pipefail

host=$(hostname)

# alive PID: a process with that pid exists on this machine (whoever owns it).
alive() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; ps -p "$1" >/dev/null 2>&1; }

# Every project resource now, one "kind id name" line each.
resources() {
  docker ps -a --filter label=redis-cluster-kit --format 'container {{.ID}} {{.Names}}'
  docker network ls --filter label=redis-cluster-kit --format 'network {{.ID}} {{.Name}}'
  docker volume ls --filter label=redis-cluster-kit --format 'volume {{.Name}} {{.Name}}'
  docker ps -a --format 'container {{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$3 ~ /^rck-/'
  docker network ls --format 'network {{.ID}} {{.Name}}' | awk '$3 ~ /^rck-/'
  docker volume ls --format 'volume {{.Name}} {{.Name}}' | awk '$3 ~ /^rck-/'
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
    echo "[leftovers] none: the run left no container, network or volume of the project" >&2
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
