#!/usr/bin/env bash
# Fails when a test run left a container, network or volume of this project behind:
# fixture clusters carry the label redis-cluster-kit=true, Compose tests use projects named rck-*.
set -uo pipefail
left=0
report() {
  if [ -n "$2" ]; then
    echo "[leftovers] $1:" >&2
    printf '  %s\n' "$2" >&2
    left=1
  fi
}
report "containers" "$(docker ps -a --filter label=redis-cluster-kit --format '{{.ID}} {{.Names}}')"
report "networks" "$(docker network ls --filter label=redis-cluster-kit --format '{{.ID}} {{.Name}}')"
report "volumes" "$(docker volume ls --filter label=redis-cluster-kit --format '{{.Name}}')"
report "compose containers" "$(docker ps -a --format '{{.ID}} {{.Label "com.docker.compose.project"}}' | awk '$2 ~ /^rck-/')"
report "compose networks" "$(docker network ls --format '{{.Name}}' | grep '^rck-' || true)"
report "compose volumes" "$(docker volume ls --format '{{.Name}}' | grep '^rck-' || true)"
if [ "$left" -ne 0 ]; then
  echo "[leftovers] the test run leaked the resources above" >&2
  exit 1
fi
echo "[leftovers] none: no container, network or volume of the project remains" >&2
