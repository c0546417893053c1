// Run by scripts/compose-up.sh once the cluster is usable: prints the LIVE cluster as a table
// (each node's role and slots as the node says now, its port on the host, its cluster_state)
// and, in a few lines, what a person needs next. Every command and snippet it prints stands on a
// line of its own under a "label:" line; packages/compose/test/newcomer.int.test.ts takes them
// from this output and runs each one.
// Usage: node scripts/compose-next.js OUT_DIR COMPOSE_COMMAND SECONDS
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const [dir, compose, seconds] = process.argv.slice(2);
const json = path.join(dir, 'cluster.json');
const { plan, natMap, auth } = JSON.parse(fs.readFileSync(json, 'utf8'));
// A host client's address of each node: what cluster.json maps its announced address to.
const hostOf = Object.fromEntries(
  plan.nodes.map((n) => [
    n.name,
    Object.values(natMap).find((to) => to.port === n.port) ?? { host: '127.0.0.1', port: n.port },
  ]),
);

/** The password, where cluster.json says it is (the variable, else its line in the .env file). */
function password() {
  if (!auth) return undefined;
  if (process.env[auth.passwordEnv]) return process.env[auth.passwordEnv];
  try {
    const line = fs
      .readFileSync(path.join(dir, auth.file), 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${auth.passwordEnv}=`));
    return line?.slice(auth.passwordEnv.length + 1);
  } catch {
    return undefined;
  }
}

/** ioredis from this repository's dependencies (quickstart.sh installs them), or undefined. */
function ioredis() {
  try {
    return require(require.resolve('ioredis', { paths: [path.join(__dirname, '..')] }));
  } catch {
    return undefined;
  }
}

/** One row per node: what the node says of itself now (role, slots), its port, its state. */
async function liveRows() {
  const { Redis } = ioredis() ?? {};
  if (!Redis) return undefined;
  const pass = password();
  const clients = plan.nodes.map(
    (n) =>
      new Redis({
        ...hostOf[n.name],
        password: pass,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 2000,
      }),
  );
  try {
    const answers = await Promise.all(
      clients.map(async (c) => {
        try {
          await c.connect();
          const [nodes, info] = await Promise.all([c.call('CLUSTER', 'NODES'), c.call('CLUSTER', 'INFO')]);
          return { nodes: String(nodes), info: String(info) };
        } catch (e) {
          return { error: e.message };
        }
      }),
    );
    const names = new Map();
    answers.forEach((a, i) => {
      const me = a.nodes?.split('\n').find((l) => l.includes(' myself,'));
      if (me) names.set(me.split(' ')[0], plan.nodes[i].name);
    });
    return plan.nodes.map((n, i) => {
      const a = answers[i];
      if (a.error) return [n.name, '-', '-', String(hostOf[n.name].port), `not answering (${a.error})`];
      const f =
        a.nodes
          .split('\n')
          .find((l) => l.includes(' myself,'))
          ?.split(' ') ?? [];
      const replica = /(^|,)(slave|replica)(,|$)/.test(f[2] ?? '');
      const role = replica ? `replica of ${names.get(f[3]) ?? f[3]}` : 'master';
      const slots = replica ? '-' : f.slice(8).join(',') || '-';
      const state = /^cluster_state:(\w+)/m.exec(a.info)?.[1] ?? '?';
      return [n.name, role, slots, String(hostOf[n.name].port), `cluster_state:${state}`];
    });
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

function table(rows) {
  const all = [['NODE', 'ROLE', 'SLOTS', 'PORT', 'STATE'], ...rows];
  const widths = all[0].map((_, k) => Math.max(...all.map((r) => r[k].length)));
  return all.map((r) => r.map((c, k) => (k === r.length - 1 ? c : c.padEnd(widths[k]))).join('  '));
}

async function main() {
  const first = plan.nodes[0];
  const masters = plan.nodes.filter((n) => n.role === 'master').length;
  const rel = path.isAbsolute(json) ? json : `./${path.normalize(json)}`;
  const lines = [`Redis Cluster is up and usable (${masters} masters, ${plan.nodes.length} nodes, ${seconds} s):`, ''];
  const rows = await liveRows();
  if (rows) lines.push(...table(rows), '');
  else lines.push('(install the dependencies, pnpm install, to see the live nodes here)', '');
  lines.push('Next:');
  if (plan.options.announce === 'loopback') {
    lines.push('  redis-cli (on the host, follows redirects):', `    redis-cli -c -p ${first.port}`);
  } else {
    lines.push(
      '  redis-cli (inside the Compose network, follows redirects):',
      `    ${compose} exec ${first.name} redis-cli -c -p ${first.port}`,
      '    (redis-cli -c on the host cannot follow redirects to node names: generate with --announce loopback for that)',
    );
  }
  const pass = auth ? `, redisOptions: { password: process.env.${auth.passwordEnv} }` : '';
  const defaults = auth ? `, defaults: { password: process.env.${auth.passwordEnv} }` : '';
  lines.push(
    '  ioredis (from the host, in Node.js with ioredis installed):',
    `    const { Cluster } = require('ioredis'); const { startupNodes, natMap } = require('${rel}'); const cluster = new Cluster(startupNodes, { natMap${pass} });`,
    '  node-redis (from the host, in Node.js with redis installed):',
    `    const { createCluster } = require('redis'); const { startupNodes, natMap } = require('${rel}'); const cluster = createCluster({ rootNodes: startupNodes.map(({ host, port }) => ({ url: \`redis://\${host}:\${port}\` })), nodeAddressMap: natMap${defaults} }); await cluster.connect();`,
  );
  if (auth) lines.push(`  password: the value of ${auth.passwordEnv} in ${path.join(dir, auth.file)}`);
  lines.push(
    `  details: ${json} (startupNodes, natMap, the plan) and ${path.join(dir, 'README.md')}`,
    '  stop (down -v also deletes the data):',
    `    ${compose} down`,
  );
  console.log(lines.join('\n'));
}

main().catch((e) => {
  console.error(`compose-next: ${e.message}`);
  process.exit(1);
});
