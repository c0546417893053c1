#!/usr/bin/env bash
# `pnpm lint` (CI runs it from scripts/test.sh): every check that needs no Docker besides the tests.
#   1. ESLint (eslint.config.mjs) and Prettier's check (.prettierrc.json) over $CODE (and the configs)
#   2. the public API reports (scripts/api.sh --check)
#   3. shellcheck over scripts/*.sh and the shell scripts the generator writes: the committed
#      compose/redis-cluster/init-cluster.sh and, rendered into a temporary folder, the local
#      target's cluster.sh and both scripts with --auth and a single master
# Debian's shellcheck package is installed with apt-get when it is missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX="[lint]"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# What ESLint and Prettier check: the whole repository's code (every package, scripts/, the root
# configs). Markdown is left out: Prettier would re-pad every table, the generated ones too.
CODE=(packages scripts jest.config.ts eslint.config.mjs)
CONFIGS=(package.json pnpm-workspace.yaml tsconfig.json tsconfig.base.json tsdoc.json .prettierrc.json)

status=0
pnpm exec eslint "${CODE[@]}" || status=1
pnpm exec prettier --check --log-level warn "${CODE[@]}" "${CONFIGS[@]}" || status=1
bash scripts/api.sh --check || status=1

have shellcheck || apt_install shellcheck
generated=$(mktemp -d)
on_exit "rm -rf '$generated'"
gen() { env -u REDIS_PASSWORD -u REDIS_CLUSTER_IMAGE node packages/compose/bin/redis-cluster-compose.js "$@" >/dev/null; }
gen --target local --out "$generated/local"
gen --target local --auth --masters 1 --replicas 0 --out "$generated/local-auth"
gen --auth --masters 1 --replicas 0 --out "$generated/compose-auth"
# The Kubernetes target's scripts live in its manifests: the Job's forming script (a ConfigMap
# key) and each node's start (`sh -c`), taken out of kubernetes.yaml.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, for node
kube_scripts() {
  gen --target kubernetes "${@:2}" --out "$1.out" && mkdir -p "$1" && node -e '
    const [dir, file] = process.argv.slice(1);
    const docs = require("yaml").parseAllDocuments(require("fs").readFileSync(file, "utf8")).map((d) => d.toJS());
    const put = (name, text) => require("fs").writeFileSync(`${dir}/${name}`, text);
    put("form-cluster.sh", docs.find((d) => d.kind === "ConfigMap").data["form-cluster.sh"]);
    put("node-start.sh", `#!/bin/sh\n${docs.find((d) => d.kind === "StatefulSet").spec.template.spec.containers[0].command[2]}`);
  ' "$1" "$1.out/kubernetes.yaml"
}
kube_scripts "$generated/kubernetes" && kube_scripts "$generated/kubernetes-auth" --auth || status=1
shellcheck scripts/*.sh compose/redis-cluster/init-cluster.sh "$generated"/*/*.sh || status=1

if [ "$status" -ne 0 ]; then log "lint failed"; fi
exit "$status"
