#!/usr/bin/env bash
# `compose up` that returns only when the cluster is usable, with Compose v2 or v1, then says
# in a few lines how to connect and how to stop.
# v2: `docker compose up -d --wait` (node healthchecks pass only once the cluster is usable).
# v1.29 has no --wait: `up -d`, then poll every node's health with one `docker inspect` per
# poll (bounded, no fixed sleep as readiness); fails at once when the init step exits.
# Usage: scripts/compose-up.sh path/to/compose.yaml [timeout-seconds]
# COMPOSE_UP_TOOL=v1 (or v2) picks the Compose version; by default v2 where it is installed.
set -euo pipefail
file=${1:?usage: compose-up.sh path/to/compose.yaml [timeout-seconds]}
timeout_s=${2:-120}
case "$timeout_s" in
  "" | *[!0-9]*)
    echo "compose-up.sh: timeout \"$timeout_s\": expected a whole number of seconds" >&2
    exit 2
    ;;
esac
[ -f "$file" ] || {
  echo "compose-up.sh: $file: no such file (generate it with pnpm gen:compose)" >&2
  exit 2
}
dir=$(dirname "$file")
started=$SECONDS

tool=${COMPOSE_UP_TOOL:-}
case "$tool" in
  "") if docker compose version >/dev/null 2>&1; then tool=v2; else tool=v1; fi ;;
  v1 | v2) ;;
  *)
    echo "compose-up.sh: COMPOSE_UP_TOOL=$tool: expected v1 or v2" >&2
    exit 2
    ;;
esac
if [ "$tool" = v2 ]; then
  compose=(docker compose -f "$file")
  echo "[compose-up] docker compose up -d --wait (every node healthy = cluster usable)" >&2
  "${compose[@]}" up -d --wait --wait-timeout "$timeout_s"
else
  compose=(docker-compose -f "$file")
  echo "[compose-up] docker-compose up -d, then wait until every node is healthy (cluster usable)" >&2
  "${compose[@]}" up -d
  mapfile -t ids < <("${compose[@]}" ps -q)
  deadline=$((SECONDS + timeout_s))
  last_report=$SECONDS
  while :; do
    # One line per container: service, state, health (or "-": the init step has none), exit code.
    states=$(docker inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}-{{end}} {{.State.ExitCode}}' "${ids[@]}")
    waiting=
    while read -r service status health code; do
      if [ "$health" = - ]; then
        # The init step stays up once the cluster is usable: exited means it failed.
        if [ "$status" != running ]; then
          echo "[compose-up] $service $status (exit code $code):" >&2
          "${compose[@]}" logs --no-color --tail 20 "$service" >&2
          exit 1
        fi
      elif [ "$health" != healthy ]; then
        waiting="$waiting $service:$health"
      fi
    done <<<"$states"
    [ -z "$waiting" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "[compose-up] cluster not healthy after ${timeout_s}s:$waiting" >&2
      "${compose[@]}" logs --no-color --tail 20 >&2
      exit 1
    fi
    if [ $((SECONDS - last_report)) -ge 5 ]; then
      echo "[compose-up] waiting ($((SECONDS - started)) s):$waiting" >&2
      last_report=$SECONDS
    fi
    sleep 0.2
  done
fi

# What a person needs next, from the cluster.json beside compose.yaml.
node - "$dir" "${compose[*]}" "$((SECONDS - started))" <<'EOF'
const [dir, compose, seconds] = process.argv.slice(2);
const path = require('node:path');
const json = path.join(dir, 'cluster.json');
const { plan } = require(path.resolve(json));
const first = plan.nodes[0];
const requirePath = path.isAbsolute(json) ? json : `./${json}`;
const masters = plan.nodes.filter((n) => n.role === 'master').length;
const lines = [
  `Redis Cluster is up and usable (${masters} masters, ${plan.nodes.length} nodes, ${seconds} s). Next:`,
];
if (plan.options.announce === 'loopback') {
  lines.push(`  redis-cli (host):   redis-cli -c -p ${first.port}`);
} else {
  lines.push(
    `  redis-cli (in the Compose network): ${compose} exec ${first.name} redis-cli -c -p ${first.port}`,
    `    (host redis-cli -c cannot follow redirects to node names: generate with --announce loopback for that)`,
  );
}
lines.push(
  `  ioredis (host):     const { startupNodes, natMap } = require('${requirePath}'); new Cluster(startupNodes, { natMap })`,
  `  node-redis (host):  createCluster({ rootNodes: startupNodes.map(({ host, port }) => ({ url: \`redis://\${host}:\${port}\` })), nodeAddressMap: natMap })`,
  ...(plan.options.auth
    ? [`  password:           the value of REDIS_PASSWORD in ${path.join(dir, '.env')} (clients: redisOptions: { password })`]
    : []),
  `  details:            ${json} (startupNodes, natMap, the plan); ${path.join(dir, 'README.md')}`,
  `  stop:               ${compose} down      (down -v also deletes the data)`,
);
console.log(lines.join('\n'));
EOF
