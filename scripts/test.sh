#!/usr/bin/env bash
# The test command (README: `bash scripts/test.sh`, also `pnpm test`): sets up everything the
# tests need on a fresh machine, then runs every test, unit and integration.
#   1. pnpm and the workspace's dependencies (lib-node.sh)
#   2. a Docker engine, both Compose versions, the host's engines and one local image per
#      engine of scripts/engines.json (setup-docker.sh)
#   3. build, typecheck, the unit project, then the integration project
#   4. a check that the run left no container, network or volume of the project behind
#      (what ended runs left before it is reaped first, and not counted)
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
pnpm --silent lint

unit_results=$(mktemp)
int_results=$(mktemp)
before=$(mktemp)
trap 'rm -f "$unit_results" "$int_results" "$before"' EXIT
bash scripts/leftovers.sh reap
bash scripts/leftovers.sh snapshot "$before"
status=0
# Unit tests need no Docker: both cores. Integration tests start many containers each (a 5x2
# Compose cluster runs 12): one file at a time keeps a 2-core machine responsive, so that no
# readiness budget is eaten by another file's containers.
pnpm exec jest --ci --selectProjects unit --maxWorkers=2 --json --outputFile="$unit_results" "$@" || status=$?
pnpm exec jest --ci --selectProjects integration --maxWorkers=1 --json --outputFile="$int_results" "$@" || status=$?

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
' "$unit_results" "$int_results" || status=1
exit "$status"
