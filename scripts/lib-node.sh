# shellcheck shell=bash
# Sourced by the entry scripts: makes sure pnpm (the version package.json pins) and the
# workspace's dependencies are there. A fresh machine has Node 20 and npm but no pnpm, and
# Node 20's corepack cannot verify pnpm's signatures here, so pnpm comes from npm.
ensure_pnpm() {
  local want
  want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
    echo "[setup] installing pnpm $want with npm" >&2
    npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null
  fi
}

ensure_deps() {
  ensure_pnpm
  # Fast when node_modules is already in step with the lockfile.
  pnpm install --frozen-lockfile --reporter=silent
}
