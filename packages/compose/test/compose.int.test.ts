import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import {
  ComposeProject,
  composeTools,
  eventually,
  freeBasePort,
  imageUnderTest,
  type ComposeTool,
} from './compose-runner';

// A hang guard, not a measure: Compose's up and down, each bounded by the init step's own ready wait (120 s).
jest.setTimeout(300_000);
const run = promisify(execFile);

// Real Docker, real Compose (v2 and v1), real ioredis on the host. Each test generates into a
// temp folder with a unique project name and random free ports, and always runs `down -v`.
const tools = composeTools();
const image = imageUnderTest();
const v2 = tools.find((t) => t.name === 'v2') ?? tools[0]!;
/**
 * scripts/test.sh's passes on the other engines of scripts/engines.json set RCK_COMPOSE_LEAN=1:
 * then this file defines only the lean end-to-end test (the last describe), and no other test
 * (none is skipped); the main run, on Redis 7.0.15, defines every test but that one.
 */
const LEAN = process.env['RCK_COMPOSE_LEAN'] === '1';
/** describe() when `defined`, else nothing: the tests are not defined at all (none is skipped). */
const describeIf = (defined: boolean) => (defined ? describe : (_name: string, _fn: () => void) => undefined);

/** One plain connection per node, on the published port (closed by the caller). */
function nodeClients(p: ComposeProject): Map<string, Redis> {
  return new Map(
    p.cluster.plan.nodes.map((n) => [
      n.name,
      new Redis({ host: '127.0.0.1', port: n.port, lazyConnect: false, maxRetriesPerRequest: 1 }),
    ]),
  );
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

async function closeAll(clients: Iterable<Redis>): Promise<void> {
  await Promise.all([...clients].map((c) => c.quit().catch(() => c.disconnect())));
}

/** Every node: cluster ok, all slots, every node known; every replica linked. Returns node ids by name. */
async function expectClusterUsable(p: ComposeProject): Promise<Map<string, string>> {
  const clients = nodeClients(p);
  try {
    const total = p.cluster.plan.nodes.length;
    const ids = new Map<string, string>();
    for (const node of p.cluster.plan.nodes) {
      const c = clients.get(node.name)!;
      const info = (await c.call('CLUSTER', 'INFO')) as string;
      expect([node.name, field(info, 'cluster_state')]).toEqual([node.name, 'ok']);
      expect(field(info, 'cluster_slots_assigned')).toBe('16384');
      expect(field(info, 'cluster_known_nodes')).toBe(String(total));
      if (node.role === 'replica') {
        const repl = await c.info('replication');
        expect([node.name, field(repl, 'master_link_status')]).toEqual([node.name, 'up']);
      }
      ids.set(node.name, (await c.call('CLUSTER', 'MYID')) as string);
    }
    // CLUSTER SLOTS: the planned ranges, each served by its master...
    const first = clients.get(p.cluster.plan.nodes[0]!.name)!;
    const slotMap = async () =>
      ((await first.call('CLUSTER', 'SLOTS')) as [number, number, ...unknown[][]][])
        .map((s) => [s[0], s[1], s.length - 3])
        .sort((a, b) => a[0]! - b[0]!);
    const masters = p.cluster.plan.nodes.filter((n) => n.role === 'master');
    const ranges = await slotMap();
    expect(ranges.map(([a, b]) => [a, b])).toEqual(masters.map((m) => [m.slots!.start, m.slots!.end]));
    expect(ranges.reduce((sum, [a, b]) => sum + (b! - a! + 1), 0)).toBe(16384);
    // ...and its replicas. Redis 7.0 leaves a replica out of CLUSTER SLOTS while its replication
    // offset is 0, i.e. until the master's first replication PING (repl-ping-replica-period,
    // 10 s) or write reaches it, although the replica is linked and serves reads: poll for it,
    // for three such periods (the first PING is due within one; two more for a busy machine).
    const replicas = p.cluster.plan.options.replicas;
    const REPL_PING_REPLICA_PERIOD_MS = 10_000; // Redis's default, which the generated redis.conf keeps
    await eventually(
      async () => expect((await slotMap()).map((r) => r[2])).toEqual(masters.map(() => replicas)),
      3 * REPL_PING_REPLICA_PERIOD_MS,
    );
    return ids;
  } finally {
    await closeAll(clients.values());
  }
}

/** A hash tag for each master whose slot that master serves. */
async function keysOnEveryMaster(p: ComposeProject): Promise<string[]> {
  const probe = new Redis({ host: '127.0.0.1', port: p.cluster.plan.nodes[0]!.port });
  try {
    const keys: string[] = [];
    for (const m of p.cluster.plan.nodes.filter((n) => n.role === 'master')) {
      for (let i = 0; ; i++) {
        const key = `{t${i}}:key`;
        const slot = (await probe.call('CLUSTER', 'KEYSLOT', key)) as number;
        if (slot >= m.slots!.start && slot <= m.slots!.end) {
          keys.push(key);
          break;
        }
      }
    }
    return keys;
  } finally {
    await probe.quit();
  }
}

async function withCluster<T>(p: ComposeProject, fn: (c: Cluster) => Promise<T>): Promise<T> {
  const cluster = new Cluster(p.cluster.startupNodes, {
    natMap: p.cluster.natMap,
    redisOptions: { maxRetriesPerRequest: 2 },
  });
  try {
    return await fn(cluster);
  } finally {
    await cluster.quit().catch(() => cluster.disconnect());
  }
}

/**
 * Host: ioredis with cluster.json's startupNodes and natMap writes and reads a key on every
 * master; in the network: redis-cli -c by node name reads them back, following redirects.
 * Resolves with the keys.
 */
async function expectHostAndNetworkClients(p: ComposeProject): Promise<string[]> {
  const keys = await keysOnEveryMaster(p);
  await withCluster(p, async (c) => {
    for (const key of keys) await c.set(key, `value of ${key}`);
    for (const key of keys) expect(await c.get(key)).toBe(`value of ${key}`);
  });
  const first = p.cluster.plan.nodes[0]!;
  for (const key of keys) {
    expect(await p.cliInNetwork('-c', '-h', first.name, '-p', String(first.port), 'GET', key)).toBe(`value of ${key}`);
  }
  return keys;
}

async function generated(tool: ComposeTool, args: string[]): Promise<ComposeProject> {
  const p = new ComposeProject(tool, image);
  const count = args.includes('--masters')
    ? Number(args[args.indexOf('--masters') + 1]) * (1 + Number(args[args.indexOf('--replicas') + 1]))
    : 6;
  p.generate(['--base-port', String(await freeBasePort(count)), ...args]);
  return p;
}

for (const tool of LEAN ? [] : tools)
  describe(`3 masters x 1 replica with Compose ${tool.name}`, () => {
    let p: ComposeProject;
    afterAll(async () => {
      if (p) {
        await p.destroy();
        expect(await p.leftovers()).toEqual([]);
      }
    });

    it('is accepted by `config`, comes up usable from the host and from inside the network, survives up again and restart, and down -v leaves nothing', async () => {
      p = await generated(tool, ['--masters', '3', '--replicas', '1']);
      await p.compose('config', '-q');

      const upMs = await p.up();
      console.log(`compose ${tool.name}: 3x1 up${tool.hasWait ? ' --wait' : ' + health poll'} took ${upMs} ms`);
      expect(Object.values(await p.health()).filter((h) => h === 'healthy')).toHaveLength(6);
      const ids = await expectClusterUsable(p);

      const keys = await expectHostAndNetworkClients(p);

      // `up` again runs the init step again: same node ids, data kept.
      await p.up();
      expect(await expectClusterUsable(p)).toEqual(ids);
      await withCluster(p, async (c) => {
        for (const key of keys) expect(await c.get(key)).toBe(`value of ${key}`);
      });

      // `restart`: the cluster is usable again (polled), same ids and data.
      await p.compose('restart');
      await p.waitHealthy();
      expect(await eventually(() => expectClusterUsable(p))).toEqual(ids);
      await withCluster(p, async (c) => {
        for (const key of keys) expect(await c.get(key)).toBe(`value of ${key}`);
      });

      // `down` keeping the volumes, then `up`: new containers on a new network, so the nodes
      // usually get other IPs than their nodes.conf remembers; the init step meets them again.
      const before = await p.addresses();
      await p.down('-t', '2');
      await p.up();
      console.log(
        `compose ${tool.name}: node IPs before/after down+up: ${JSON.stringify(before)} / ${JSON.stringify(await p.addresses())}`,
      );
      expect(await expectClusterUsable(p)).toEqual(ids);
      await withCluster(p, async (c) => {
        for (const key of keys) expect(await c.get(key)).toBe(`value of ${key}`);
      });

      await p.down('-v', '--remove-orphans', '-t', '2');
      expect(await p.leftovers()).toEqual([]);
    });
  });

describeIf(!LEAN)('the moment `up -d --wait` returns (Compose v2)', () => {
  const projects: ComposeProject[] = [];
  afterAll(async () => {
    await Promise.all(projects.map((p) => p.destroy()));
    for (const p of projects) expect(await p.leftovers()).toEqual([]);
  });

  it('every master takes a write and every replica has it, with no retry and no wait', async () => {
    const p = await generated(v2, ['--masters', '3', '--replicas', '1']);
    projects.push(p);
    await p.compose('up', '-d', '--wait');
    // Straight after: one plain connection per node, no retries, each command once.
    const clients = new Map(
      p.cluster.plan.nodes.map((n) => [
        n.name,
        new Redis({ host: '127.0.0.1', port: n.port, maxRetriesPerRequest: 0, retryStrategy: () => null }),
      ]),
    );
    try {
      const keys = await keysOnEveryMaster(p);
      const masters = p.cluster.plan.nodes.filter((n) => n.role === 'master');
      for (const [i, m] of masters.entries()) {
        const c = clients.get(m.name)!;
        // A key of the master's own slots: it answers itself (a CLUSTERDOWN or MOVED would fail).
        expect(await c.set(keys[i]!, `value ${i}`)).toBe('OK');
        // WAIT's bound is the cluster's own node timeout: a linked replica acknowledges well within it.
        expect(
          await c.call('WAIT', String(p.cluster.plan.options.replicas), String(p.cluster.plan.options.nodeTimeoutMs)),
        ).toBe(p.cluster.plan.options.replicas);
      }
      for (const r of p.cluster.plan.nodes.filter((n) => n.role === 'replica')) {
        const c = clients.get(r.name)!;
        const i = masters.findIndex((m) => m.name === r.master);
        await c.call('READONLY');
        expect([r.name, await c.get(keys[i]!)]).toEqual([r.name, `value ${i}`]);
      }
    } finally {
      await closeAll(clients.values());
    }
  });

  it('with --announce loopback, redis-cli -c on the host follows redirects to every master', async () => {
    const p = await generated(v2, ['--masters', '3', '--replicas', '0', '--announce', 'loopback']);
    projects.push(p);
    await p.compose('up', '-d', '--wait');
    const first = String(p.cluster.plan.nodes[0]!.port);
    const cli = async (...args: string[]) => (await run('redis-cli', ['-c', '-p', first, ...args])).stdout.trim();
    const keys = await keysOnEveryMaster(p);
    for (const key of keys) expect(await cli('SET', key, `host ${key}`)).toBe('OK');
    for (const key of keys) expect(await cli('GET', key)).toBe(`host ${key}`);
    // The other masters' keys were redirects to 127.0.0.1 that the host followed (without -c: MOVED).
    for (const key of keys.slice(1)) {
      const { stdout } = await run('redis-cli', ['-p', first, 'GET', key]);
      expect(stdout).toMatch(/MOVED \d+ 127\.0\.0\.1:\d+/);
    }
  });
});

describeIf(!LEAN)('other shapes (Compose v2)', () => {
  const projects: ComposeProject[] = [];
  afterAll(async () => {
    await Promise.all(projects.map((p) => p.destroy()));
    for (const p of projects) expect(await p.leftovers()).toEqual([]);
  });

  it.each([
    ['5 masters x 2 replicas', '5', '2'],
    ['a single master', '1', '0'],
  ])('%s comes up usable and serves keys on every master', async (_label, masters, replicas) => {
    const p = await generated(v2, ['--masters', masters, '--replicas', replicas]);
    projects.push(p);
    const upMs = await p.up();
    console.log(`compose ${v2.name}: ${masters}x${replicas} up took ${upMs} ms`);
    await expectClusterUsable(p);
    const keys = await keysOnEveryMaster(p);
    await withCluster(p, async (c) => {
      for (const key of keys) await c.set(key, key);
      for (const key of keys) expect(await c.get(key)).toBe(key);
    });
  });

  it('with --auth: the generated .env holds the password; nodes, healthchecks, init and clients use it; no other file has it', async () => {
    const password = `Pw-${randomBytes(12).toString('base64url')}`;
    const p = new ComposeProject(v2, image);
    projects.push(p);
    p.generate(
      ['--base-port', String(await freeBasePort(2)), '--masters', '1', '--replicas', '1', '--password-stdin'],
      { stdin: `${password}\n` },
    );
    const auth = p.cluster.auth!;
    expect(auth).toEqual({ passwordEnv: 'REDIS_PASSWORD', file: '.env' });
    const envFile = join(p.dir, auth.file);
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain(`\nREDIS_PASSWORD=${password}\n`);
    for (const file of [
      'compose.yaml',
      'init-cluster.sh',
      'cluster.json',
      'README.md',
      '.gitignore',
      'nodes/redis-node-1/redis.conf',
      'nodes/redis-node-2/redis.conf',
    ]) {
      expect([file, readFileSync(join(p.dir, file), 'utf8').includes(password)]).toEqual([file, false]);
    }

    // Both Compose versions accept the file and take the password from .env (not printed here).
    for (const tool of tools) {
      await p.composeUsing(tool, 'config', '-q');
      const { stdout } = await p.composeUsing(tool, 'config');
      // In the nodes' environment (REDISCLI_AUTH), which the server reads on its standard input.
      expect([tool.name, stdout.includes('--requirepass'), stdout.includes(password)]).toEqual([
        tool.name,
        false,
        true,
      ]);
      // Without the password, Compose refuses to start and says where to put it.
      renameSync(envFile, `${envFile}.away`);
      try {
        await expect(p.composeUsing(tool, 'config', '-q')).rejects.toThrow(/set REDIS_PASSWORD in \.env/);
      } finally {
        renameSync(`${envFile}.away`, envFile);
      }
    }

    await p.up();
    // No process shows it: the nodes' servers, healthchecks and init step run on this host.
    const processes = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
    expect(processes).toContain('redis-server');
    expect(processes.includes(password)).toBe(false);
    const [master, replica] = p.cluster.plan.nodes;
    // Refused clients: their connection errors are expected, not logged as unhandled.
    const anonymous = new Redis({ host: '127.0.0.1', port: master!.port, maxRetriesPerRequest: 1 }).on(
      'error',
      () => undefined,
    );
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const wrong = new Redis({
      host: '127.0.0.1',
      port: master!.port,
      password: 'wrong-password',
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    }).on('error', () => undefined);
    await expect(wrong.ping()).rejects.toThrow(/WRONGPASS|invalid password/i);
    wrong.disconnect();
    const c = new Redis({ host: '127.0.0.1', port: replica!.port, password });
    expect(field(await c.info('replication'), 'master_link_status')).toBe('up');
    expect(field((await c.call('CLUSTER', 'INFO')) as string, 'cluster_state')).toBe('ok');
    expect(((await c.call('CONFIG', 'GET', 'protected-mode')) as string[])[1]).toBe('yes');
    await c.quit();

    // A host client as the README says: password from the variable cluster.json names, read from .env.
    const fromEnvFile = new RegExp(`^${auth.passwordEnv}=(.*)$`, 'm').exec(readFileSync(envFile, 'utf8'))?.[1];
    const cluster = new Cluster(p.cluster.startupNodes, {
      natMap: p.cluster.natMap,
      redisOptions: { password: fromEnvFile, maxRetriesPerRequest: 2 },
    });
    try {
      await cluster.set('{auth}:key', 'secret value');
      expect(await cluster.get('{auth}:key')).toBe('secret value');
    } finally {
      await cluster.quit().catch(() => cluster.disconnect());
    }

    // Nothing on the way printed it: the generator's output and Compose's logs.
    const { stdout: logs } = await p.compose('logs', '--no-color');
    expect(logs).not.toContain(password);
  });
});

// The lean end-to-end test of the engine passes (RCK_COMPOSE_LEAN=1, image REDIS_CLUSTER_IMAGE):
// the generated files on this engine's image, with Compose v2.
describeIf(LEAN)('3 masters x 1 replica on this image with Compose v2 (lean)', () => {
  let p: ComposeProject | undefined;
  afterAll(async () => {
    if (p) {
      await p.destroy();
      expect(await p.leftovers()).toEqual([]);
    }
  });

  it(`comes up usable: ioredis on the host through natMap, redis-cli -c in the network; down -v leaves nothing (${image})`, async () => {
    p = await generated(v2, ['--masters', '3', '--replicas', '1']);
    const upMs = await p.up();
    console.log(`compose ${v2.name} on ${image}: 3x1 up --wait took ${upMs} ms`);
    expect(Object.values(await p.health()).filter((h) => h === 'healthy')).toHaveLength(6);
    await expectClusterUsable(p);
    await expectHostAndNetworkClients(p);
    await p.down('-v', '--remove-orphans', '-t', '2');
    expect(await p.leftovers()).toEqual([]);
  });
});
