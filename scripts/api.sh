#!/usr/bin/env bash
# The public API of each package, recorded: every package with an api-extractor.json has a
# committed report of its exported names and types (packages/<name>/etc/<name>.api.md), so that a
# change of the public surface shows up in review.
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
for config in packages/*/api-extractor.json; do
  pkg=$(dirname "$config")
  # --local writes the report; without it, any difference (or any warning) fails the run.
  if [ "$mode" = update ]; then args=(--local); else args=(); fi
  if pnpm exec api-extractor run "${args[@]}" --config "$config" >"$log" 2>&1; then
    [ "$mode" = update ] && echo "$pkg: $(ls "$pkg"/etc/*.api.md) is up to date"
  else
    status=1
    if [ "$mode" = check ] && grep -q 'You have changed the API signature' "$log"; then
      echo "$pkg: the public API differs from $(ls "$pkg"/etc/*.api.md): run \`pnpm api\` and commit the report" >&2
      diff -u "$pkg"/etc/*.api.md "$pkg"/node_modules/.cache/api-extractor/*.api.md >&2 || true
    else
      cat "$log" >&2
    fi
  fi
done
exit "$status"
