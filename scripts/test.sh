#!/usr/bin/env bash
# The test command (README: `bash scripts/test.sh`, also `pnpm test`): sets up everything the
# tests need on a fresh machine, then runs every test, unit and integration.
#   1. pnpm and the workspace's dependencies (lib-node.sh)
#   2. a Docker engine, both Compose versions and the local Redis image (setup-docker.sh)
#   3. build, typecheck, every Jest project
#   4. a check that no container, network or volume of the project is left behind
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-node.sh
source scripts/lib-node.sh

# The image every test uses; built locally because no registry may be reachable.
export REDIS_CLUSTER_IMAGE="${REDIS_CLUSTER_IMAGE:-redis-cluster-kit/redis:7.0.15}"
# Ryuk's image cannot be pulled without a registry; the fixture cleans up without it.
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"

ensure_deps
bash scripts/setup-docker.sh
pnpm --silent build
pnpm --silent typecheck

results=$(mktemp)
trap 'rm -f "$results"' EXIT
status=0
# Every project in one run; two workers fit the 2-core machines CI uses.
pnpm exec jest --ci --maxWorkers=2 --json --outputFile="$results" "$@" || status=$?

bash scripts/check-leftovers.sh || status=1

# One plain closing line that any CI reader understands.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$results" || status=1
exit "$status"
