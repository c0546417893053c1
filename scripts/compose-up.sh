#!/usr/bin/env bash
# `compose up` that returns only when the cluster is usable, with Compose v2 or v1.
# v2: `docker compose up -d --wait` (node healthchecks pass only once the cluster is formed).
# v1.29 has no --wait: start, then poll every node's health (bounded, no fixed sleep as readiness).
# Usage: scripts/compose-up.sh path/to/compose.yaml [timeout-seconds]
set -euo pipefail
file=${1:?usage: compose-up.sh path/to/compose.yaml [timeout-seconds]}
timeout_s=${2:-120}
if docker compose version >/dev/null 2>&1; then
  docker compose -f "$file" up -d --wait --wait-timeout "$timeout_s"
else
  docker-compose -f "$file" up -d
  deadline=$((SECONDS + timeout_s))
  while :; do
    mapfile -t ids < <(docker-compose -f "$file" ps -q)
    unhealthy=$(docker inspect --format '{{if .State.Health}}{{if ne .State.Health.Status "healthy"}}{{.Name}} {{.State.Health.Status}}{{end}}{{end}}' "${ids[@]}" | sed '/^$/d')
    [ -z "$unhealthy" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "Cluster not healthy after ${timeout_s}s: $unhealthy" >&2
      docker-compose -f "$file" logs --tail 20 >&2
      exit 1
    fi
    sleep 0.5
  done
fi
echo "Redis Cluster is up. Connection details: $(dirname "$file")/cluster.json; stop it with: docker compose -f $file down -v" >&2
