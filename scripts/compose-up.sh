#!/usr/bin/env bash
# `compose up` that returns only when the cluster is usable, with Compose v2 or v1, then says
# the live cluster as a table and, in a few lines, how to connect and how to stop.
# Long steps say what runs and for how long (scripts/lib-progress.sh).
# v2: `docker compose up -d --wait` (node healthchecks pass only once the cluster is usable).
# v1.29 has no --wait: `up -d`, then poll every node's health with one `docker inspect` per
# poll (bounded, no fixed sleep as readiness); fails at once when the init step exits.
# Usage: scripts/compose-up.sh path/to/compose.yaml [timeout-seconds]
# COMPOSE_UP_TOOL=v1 (or v2) picks the Compose version; by default v2 where it is installed.
set -euo pipefail
file=${1:?usage: compose-up.sh path/to/compose.yaml [timeout-seconds]}
timeout_s=${2:-120}
case "$timeout_s" in
  "" | *[!0-9]*)
    echo "compose-up.sh: timeout \"$timeout_s\": expected a whole number of seconds" >&2
    exit 2
    ;;
esac
[ -f "$file" ] || {
  echo "compose-up.sh: $file: no such file (generate it with pnpm gen:compose)" >&2
  exit 2
}
dir=$(dirname "$file")
started=$SECONDS
here=$(cd "$(dirname "$0")" && pwd)
PROGRESS_PREFIX="[compose-up]"
# shellcheck source=scripts/lib-progress.sh
source "$here/lib-progress.sh"

tool=${COMPOSE_UP_TOOL:-}
case "$tool" in
  "") if docker compose version >/dev/null 2>&1; then tool=v2; else tool=v1; fi ;;
  v1 | v2) ;;
  *)
    echo "compose-up.sh: COMPOSE_UP_TOOL=$tool: expected v1 or v2" >&2
    exit 2
    ;;
esac
if [ "$tool" = v2 ]; then
  compose=(docker compose -f "$file")
  step "docker compose up -d --wait (returns when every node is healthy: the cluster is usable)" \
    "${compose[@]}" up -d --wait --wait-timeout "$timeout_s"
else
  compose=(docker-compose -f "$file")
  step "docker-compose up -d" "${compose[@]}" up -d
  echo "[compose-up] waiting until every node is healthy (the cluster is usable) ..." >&2
  mapfile -t ids < <("${compose[@]}" ps -q)
  deadline=$((SECONDS + timeout_s))
  last_report=$SECONDS
  while :; do
    # One line per container: service, state, health (or "-": the init step has none), exit code.
    states=$(docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' "${ids[@]}")
    waiting=
    while read -r service status health code; do
      if [ "$health" = - ]; then
        # The init step stays up once the cluster is usable: exited means it failed.
        if [ "$status" != running ]; then
          echo "[compose-up] $service $status (exit code $code):" >&2
          "${compose[@]}" logs --no-color --tail 20 "$service" >&2
          exit 1
        fi
      elif [ "$health" != healthy ]; then
        waiting="$waiting $service:$health"
      fi
    done <<<"$states"
    [ -z "$waiting" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "[compose-up] cluster not healthy after ${timeout_s}s:$waiting" >&2
      "${compose[@]}" logs --no-color --tail 20 >&2
      exit 1
    fi
    if [ $((SECONDS - last_report)) -ge 5 ]; then
      echo "[compose-up] waiting ($((SECONDS - started)) s):$waiting" >&2
      last_report=$SECONDS
    fi
    sleep 0.2
  done
fi

# The live cluster as a table, then what a person needs next (scripts/compose-next.js).
node "$here/compose-next.js" "$dir" "${compose[*]}" "$((SECONDS - started))"
