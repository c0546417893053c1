#!/usr/bin/env bash
# The newcomer's first command (README: `bash scripts/quickstart.sh`): installs what is
# missing, generates the default cluster (3 masters x 1 replica) into compose/redis-cluster/
# and starts it, returning once every node reports cluster_state:ok.
# Extra arguments go to the generator, e.g. `bash scripts/quickstart.sh --masters 1 --replicas 0 --out /tmp/c1`.
# Each long step says what runs and for how long (scripts/lib-progress.sh); the end is the live
# cluster as a table and the commands to connect and stop (scripts/compose-next.js).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib-node.sh
source scripts/lib-node.sh
PROGRESS_PREFIX="[quickstart]"
# shellcheck source=scripts/lib-progress.sh
source scripts/lib-progress.sh
step "1/4 dependencies (pnpm install)" ensure_deps

# A Docker engine: use the one that answers; on a bare Debian machine as root, install one.
if ! timeout 5 docker info >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing Docker (scripts/setup-docker.sh)" bash scripts/setup-docker.sh
  else
    echo "No Docker daemon answers. Start Docker (Docker Desktop, or 'sudo systemctl start docker'), or set DOCKER_HOST, then run this again." >&2
    exit 1
  fi
fi

pull_quietly() { timeout 60 docker pull -q "$1" >/dev/null 2>&1; }
# The image: REDIS_CLUSTER_IMAGE if set; else the default if it can be had; else build one locally
# from Debian's Redis (machines with no registry, like this project's CI).
if [ -z "${REDIS_CLUSTER_IMAGE:-}" ]; then
  default_image=$(node -p 'require("./packages/plan/dist/index.js").DEFAULT_PLAN_OPTIONS.image' 2>/dev/null || true)
  [ -n "$default_image" ] || { step "building the packages" pnpm --silent build; default_image=$(node -p 'require("./packages/plan/dist/index.js").DEFAULT_PLAN_OPTIONS.image'); }
  if docker image inspect "$default_image" >/dev/null 2>&1; then
    echo "[quickstart] 2/4 the image $default_image is here" >&2
  elif ! step "2/4 pulling $default_image" pull_quietly "$default_image"; then
    export REDIS_CLUSTER_IMAGE=redis-cluster-kit/redis:7.0.15
    echo "[quickstart] $default_image cannot be pulled here; using the local image $REDIS_CLUSTER_IMAGE" >&2
    step "2/4 building the image $REDIS_CLUSTER_IMAGE from Debian's Redis (scripts/build-engine-images.sh)" \
      bash scripts/build-engine-images.sh "$REDIS_CLUSTER_IMAGE"
  fi
else
  echo "[quickstart] 2/4 the image: $REDIS_CLUSTER_IMAGE (from REDIS_CLUSTER_IMAGE)" >&2
fi

out=compose/redis-cluster
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --out) out="${args[$((i + 1))]:-$out}" ;;
    --out=*) out="${args[$i]#--out=}" ;;
  esac
done

step "3/4 generating $out (pnpm gen:compose: builds, then writes)" pnpm --silent gen:compose "$@"
echo "[quickstart] 4/4 starting the cluster (scripts/compose-up.sh)" >&2
bash scripts/compose-up.sh "$out/compose.yaml"
