#!/usr/bin/env bash
# The test command (README: `bash scripts/test.sh`, also `pnpm test`): sets up everything the
# tests need on a fresh machine, then runs every test, unit and integration.
#   1. pnpm and the workspace's dependencies (lib-node.sh)
#   2. a Docker engine, both Compose versions, the host's engines and one local image per
#      engine of scripts/engines.json (setup-docker.sh)
#   3. build, typecheck, the unit project, then the integration project
#   4. a lean pass on each other engine of scripts/engines.json (see "the other engines" below)
#   5. a check that the run left no container, network or volume of the project behind
#      (what ended runs left before it is reaped first, and not counted)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-node.sh
source scripts/lib-node.sh
LOG_PREFIX="[test]"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# The image every test uses; built locally because no registry may be reachable.
export REDIS_CLUSTER_IMAGE="${REDIS_CLUSTER_IMAGE:-redis-cluster-kit/redis:7.0.15}"
# Ryuk's image cannot be pulled without a registry; the fixture cleans up without it.
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"

ensure_deps
bash scripts/setup-docker.sh
pnpm --silent build
pnpm --silent typecheck
pnpm --silent lint

unit_results=$(mktemp)
int_results=$(mktemp)
before=$(mktemp)
on_exit "rm -f '$unit_results' '$int_results' '$before'"
engine_results=()
bash scripts/leftovers.sh reap
bash scripts/leftovers.sh snapshot "$before"
status=0
# Unit tests need no Docker: both cores. Integration tests start many containers each (a 5x2
# Compose cluster runs 12): one file at a time keeps a 2-core machine responsive, so that no
# readiness budget is eaten by another file's containers.
pnpm exec jest --ci --selectProjects unit --maxWorkers=2 --json --outputFile="$unit_results" "$@" || status=$?
pnpm exec jest --ci --selectProjects integration --maxWorkers=1 --json --outputFile="$int_results" "$@" || status=$?

# --- the other engines ---------------------------------------------------------------------
# The run above is on REDIS_CLUSTER_IMAGE (Redis 7.0.15) and the host's redis-server (the same
# Redis). Every other engine of scripts/engines.json then gets a lean pass (docs/testing.md,
# "What runs on each engine"), one integration run each, one file at a time:
#   - its image: the fixture's API tests and fault scenarios on the Docker runtime, and the lean
#     Compose end-to-end test (RCK_COMPOSE_LEAN=1: v2, 3x1, ioredis on the host through natMap,
#     redis-cli -c in the network);
#   - an engine installed on the host (from=host): the same API tests and fault scenarios on the
#     process runtime, with its server (REDIS_CLUSTER_SERVER_PATH, e.g. valkey-server).
# Not when test.sh is given Jest arguments (a narrowed run). Their counts join the closing line.
ENGINE_DOCKER_TESTS=(
  packages/testcontainers/src/start-redis-cluster.int.test.ts
  packages/testcontainers/src/scenarios
  packages/testcontainers/src/migration-epochs.int.test.ts
  packages/compose/test/compose.int.test.ts
)
ENGINE_PROCESS_TESTS=(
  packages/testcontainers/src/start-redis-cluster.int.test.ts
  packages/testcontainers/src/scenarios
  packages/testcontainers/src/migration-epochs.int.test.ts
)
# engine_pass LABEL VAR=VALUE... -- TEST_PATH...: one integration run with those variables set.
engine_pass() {
  local label=$1 out t0
  shift
  local vars=()
  while [ "$1" != -- ]; do
    vars+=("$1")
    shift
  done
  shift
  out=$(mktemp)
  engine_results+=("$out")
  on_exit "rm -f '$out'"
  t0=$(date +%s)
  log "engine pass: $label"
  # stdin from /dev/null: the loop below reads the engines from its own stdin.
  env "${vars[@]}" pnpm exec jest --ci --selectProjects integration --maxWorkers=1 --json --outputFile="$out" "$@" \
    </dev/null || status=$?
  log "engine pass: $label took $(($(date +%s) - t0)) s"
}
if [ "$#" -eq 0 ]; then
  load_engines
  while IFS=$'\t' read -r engine version image _suite from _packages server _cli; do
    [ "$image" = "$REDIS_CLUSTER_IMAGE" ] && continue # the run above
    engine_pass "$engine $version, image $image (Docker runtime, Compose)" \
      REDIS_CLUSTER_IMAGE="$image" RCK_TEST_RUNTIMES=docker RCK_COMPOSE_LEAN=1 -- "${ENGINE_DOCKER_TESTS[@]}"
    if [ "$from" = host ]; then
      engine_pass "$engine $version, $server (process runtime)" \
        REDIS_CLUSTER_SERVER_PATH="$server" RCK_TEST_RUNTIMES=process -- "${ENGINE_PROCESS_TESTS[@]}"
    fi
  done <<<"$REDIS_CLUSTER_KIT_ENGINES"
fi

bash scripts/leftovers.sh check "$before" || status=1

# One plain closing line that any CI reader understands.
# shellcheck disable=SC2016 # JavaScript, not shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const file of process.argv.slice(1)) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (!text) { failed += 1; console.error(`no Jest results in ${file}: the run crashed`); continue; }
    const r = JSON.parse(text);
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$unit_results" "$int_results" "${engine_results[@]}" || status=1
exit "$status"
