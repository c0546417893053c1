#!/usr/bin/env bash
# The public API of each package, recorded: every package with an api-extractor.json has a
# committed report of its exported names and types (packages/<name>/etc/<name>.api.md), so that a
# change of the public surface shows up in review. api-extractor reads one entry point per config:
# a package with more entry points (packages/testcontainers: ./jest, ./jest/global-setup, ...) has
# an api-extractor.<entry>.json per extra entry, each naming its own report (apiReport.reportFileName).
#   pnpm api           # build, then update the reports (commit what changed)
#   pnpm api --check   # build, then fail if a package's API differs from its report (pnpm lint)
# A package joins by adding its api-extractor.json and tsdoc.json (see packages/plan).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=update
if [ "${1:-}" = --check ]; then mode=check; fi

pnpm --silent build
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for config in packages/*/api-extractor*.json; do
  pkg=$(dirname "$config")
  # The report's name: apiReport.reportFileName, else api-extractor's default (the unscoped package name).
  report=$(node -p "require('./$config').apiReport?.reportFileName ?? require('./$pkg/package.json').name.split('/').pop() + '.api.md'")
  # --local writes the report; without it, any difference (or any warning) fails the run.
  if [ "$mode" = update ]; then args=(--local); else args=(); fi
  if pnpm exec api-extractor run "${args[@]}" --config "$config" >"$log" 2>&1; then
    [ "$mode" = update ] && echo "$pkg: etc/$report is up to date"
  else
    status=1
    if [ "$mode" = check ] && grep -q 'You have changed the API signature' "$log"; then
      echo "$pkg: the public API differs from etc/$report: run \`pnpm api\` and commit the report" >&2
      diff -u "$pkg/etc/$report" "$pkg/node_modules/.cache/api-extractor/$report" >&2 || true
    else
      cat "$log" >&2
    fi
  fi
done
exit "$status"
