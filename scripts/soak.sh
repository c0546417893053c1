#!/usr/bin/env bash
# The soak (`pnpm soak`, not part of CI): the integration project, start cycles on each runtime
# and the fault scenarios, on a machine with one core kept busy; one summary table at the end.
# Run it before calling a change to the start path, readiness or the fault helpers done.
#   pnpm soak                                  # everything (~45 minutes on 2 cores)
#   pnpm soak --only starts --cycles 5         # a quick try
#   pnpm soak --help                           # sections, counts, --hog on|off|both
# The same environment as scripts/test.sh; builds first (the soak uses the packages' dist).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-node.sh
source scripts/lib-node.sh

export REDIS_CLUSTER_IMAGE="${REDIS_CLUSTER_IMAGE:-redis-cluster-kit/redis:7.0.15}"
export TESTCONTAINERS_RYUK_DISABLED="${TESTCONTAINERS_RYUK_DISABLED:-true}"

# Bad options (a one-line error, exit 2) and --help answer at once, before the set-up and the build.
node -r ts-node/register/transpile-only scripts/soak/options.ts "$@" || exit $?
case " $* " in *' --help '* | *' -h '*) exit 0 ;; esac
ensure_deps
bash scripts/setup-docker.sh
pnpm --silent build
# exec: Ctrl-C and kill reach the soak itself, which stops the hog and cleans up in order.
exec node -r ts-node/register/transpile-only scripts/soak/soak.ts "$@"
