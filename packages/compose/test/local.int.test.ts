import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Cluster, Redis } from 'ioredis';
import { eventually } from './compose-runner';
import { freeLocalBasePort, LocalCluster } from './local-runner';

// A hang guard, not a measure: cluster.sh up and down, each bounded by its own ready wait (REDIS_CLUSTER_READY_TIMEOUT, 120 s by default), and a spare minute.
jest.setTimeout(180_000);

// The local target for real: the generated cluster.sh run by dash, with the redis-server and
// redis-cli on PATH (Redis 7.0.15 here), ioredis on 127.0.0.1. Every cluster is killed after its
// test by its pid files and by the processes on its ports, and none may be left.
const clusters: LocalCluster[] = [];
afterEach(async () => {
  const left = (await Promise.all(clusters.splice(0).map((c) => c.destroy()))).flat();
  expect(left).toEqual([]);
});

async function generated(
  masters: number,
  replicas: number,
  args: string[] = [],
  options: { stdin?: string } = {},
): Promise<LocalCluster> {
  const c = new LocalCluster();
  clusters.push(c);
  const base = await freeLocalBasePort(masters * (1 + replicas));
  const r = c.generate(
    ['--masters', String(masters), '--replicas', String(replicas), '--base-port', String(base), ...args],
    options,
  );
  if (r.status !== 0) throw new Error(`generator failed (${r.status}): ${r.stderr}`);
  return c;
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

/** One plain connection per node (closed by the caller). */
function nodeClients(c: LocalCluster, password?: string): Map<number, Redis> {
  return new Map(
    c.ports.map((port) => [port, new Redis({ host: '127.0.0.1', port, password, maxRetriesPerRequest: 1 })]),
  );
}

async function closeAll(clients: Iterable<Redis>): Promise<void> {
  await Promise.all([...clients].map((r) => r.quit().catch(() => r.disconnect())));
}

/**
 * Every node usable (the healthcheck's test), and the topology exactly the plan: CLUSTER SLOTS
 * has the planned ranges on the planned masters, CLUSTER NODES (every node's view) has each
 * replica following its planned master. Returns the node ids by port.
 */
async function expectAsPlanned(c: LocalCluster, password?: string): Promise<Map<number, string>> {
  const clients = nodeClients(c, password);
  try {
    const plan = c.cluster.plan;
    const ids = new Map<number, string>();
    for (const node of plan.nodes) {
      const r = clients.get(node.port)!;
      const info = (await r.call('CLUSTER', 'INFO')) as string;
      expect([
        node.name,
        field(info, 'cluster_state'),
        field(info, 'cluster_slots_assigned'),
        field(info, 'cluster_known_nodes'),
      ]).toEqual([node.name, 'ok', '16384', String(plan.nodes.length)]);
      if (node.role === 'replica')
        expect([node.name, field(await r.info('replication'), 'master_link_status')]).toEqual([node.name, 'up']);
      ids.set(node.port, (await r.call('CLUSTER', 'MYID')) as string);
    }
    const masters = plan.nodes.filter((n) => n.role === 'master');
    const slots = (
      (await clients.get(plan.nodes[0]!.port)!.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][]
    )
      .map(([start, end, [host, port]]) => ({ start, end, host, port }))
      .sort((a, b) => a.start - b.start);
    expect(slots).toEqual(
      masters.map((m) => ({ start: m.slots!.start, end: m.slots!.end, host: '127.0.0.1', port: m.port })),
    );
    const byName = new Map(plan.nodes.map((n) => [n.name, n]));
    /** A CLUSTER NODES line as [address, role, master id, slot ranges]. */
    const parse = (line: string) => {
      const [, address, flags, masterId, , , , , ...ranges] = line.split(' ');
      return [address!.split('@')[0], flags!.includes('slave') ? 'replica' : 'master', masterId, ranges] as const;
    };
    const planned = (n: (typeof plan.nodes)[number]) =>
      [
        `127.0.0.1:${n.port}`,
        n.role,
        n.role === 'replica' ? ids.get(byName.get(n.master!)!.port) : '-',
        n.slots ? [`${n.slots.start}-${n.slots.end}`] : [],
      ] as const;
    const view = async (port: number) =>
      ((await clients.get(port)!.call('CLUSTER', 'NODES')) as string).trim().split('\n');
    // Each node about itself (authoritative): a master has its planned range, a replica follows
    // its planned master.
    for (const n of plan.nodes) {
      const mine = (await view(n.port)).find((l) => l.includes(' myself,'))!;
      expect([n.name, ...parse(mine)]).toEqual([n.name, ...planned(n)]);
    }
    // Every node about every node: the same, once gossip has told each one which nodes became
    // replicas (a usable cluster can still be spreading that). Polled, bounded by three node
    // timeouts: Redis pings every node at least once per half node timeout (clusterCron), so
    // within one every node has heard from every other; two more for a busy machine.
    await eventually(
      async () => {
        for (const node of plan.nodes) {
          const lines = await view(node.port);
          expect(lines).toHaveLength(plan.nodes.length);
          for (const n of plan.nodes) {
            const line = lines.find((l) => l.startsWith(`${ids.get(n.port)} `))!;
            expect([node.name, n.name, ...parse(line)]).toEqual([node.name, n.name, ...planned(n)]);
          }
        }
      },
      3 * plan.options.nodeTimeoutMs,
      50,
    );
    return ids;
  } finally {
    await closeAll(clients.values());
  }
}

/** A key for each master that lands in its slot range. */
async function keysOnEveryMaster(c: LocalCluster, password?: string): Promise<string[]> {
  const probe = new Redis({ host: '127.0.0.1', port: c.ports[0]!, password });
  try {
    const keys: string[] = [];
    for (const m of c.cluster.plan.nodes.filter((n) => n.role === 'master')) {
      for (let i = 0; ; i++) {
        const slot = (await probe.call('CLUSTER', 'KEYSLOT', `{t${i}}:key`)) as number;
        if (slot >= m.slots!.start && slot <= m.slots!.end) {
          keys.push(`{t${i}}:key`);
          break;
        }
      }
    }
    return keys;
  } finally {
    await probe.quit();
  }
}

/** A cluster client exactly as the generated README says: startupNodes and natMap from cluster.json. */
async function withCluster<T>(c: LocalCluster, fn: (cluster: Cluster) => Promise<T>, password?: string): Promise<T> {
  const json = JSON.parse(readFileSync(join(c.dir, 'cluster.json'), 'utf8')) as LocalCluster['cluster'];
  const cluster = new Cluster(json.startupNodes, {
    natMap: json.natMap,
    redisOptions: { password, maxRetriesPerRequest: 2 },
  });
  try {
    return await fn(cluster);
  } finally {
    await cluster.quit().catch(() => cluster.disconnect());
  }
}

/** The rows of `cluster.sh status`'s table (after its header line NODE ROLE SLOTS PORT STATE). */
function statusRows(stdout: string): { name: string; role: string; slots: string; port: string; state: string }[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^NODE +ROLE +SLOTS +PORT +STATE$/.test(l));
  expect(header).toBeGreaterThanOrEqual(0);
  return lines
    .slice(header + 1)
    .filter((l) => !l.startsWith('cluster.sh:') && l !== '')
    .map((l) => {
      const m = /^(\S+) +(master|replica of \S+|-) +(\S+) +(\d+) +(.*)$/.exec(l);
      if (!m) throw new Error(`not a status row: ${l}`);
      return { name: m[1]!, role: m[2]!, slots: m[3]!, port: m[4]!, state: m[5]! };
    });
}

const RUNTIME = /^\d+\/(nodes\.conf|redis\.log|redis\.pid|dump\.rdb|appendonlydir\/.*|temp-.*)$/;

describe.each([
  ['3 masters x 1 replica', 3, 1],
  ['a single master', 1, 0],
])('%s, local processes', (_label, masters, replicas) => {
  it('comes up usable as planned, serves keys on every master, survives form again and stop + start, and clean leaves only the generated files', async () => {
    const c = await generated(masters, replicas);
    const generatedFiles = c.files();
    const total = masters * (1 + replicas);

    const up = await c.ok('up');
    console.log(`local: ${masters}x${replicas} up (start + form, until usable) took ${up.ms} ms`);
    expect(up.stdout).toContain(`cluster.sh: cluster formed and ok: `);
    expect(up.stdout.match(/ started, pid \d+\n/g)).toHaveLength(total);
    const ids = await expectAsPlanned(c);
    expect(new Set(c.pidFiles()).size).toBe(total);
    expect(c.servers().sort()).toEqual(c.pidFiles().sort());

    const keys = await keysOnEveryMaster(c);
    await withCluster(c, async (cluster) => {
      for (const key of keys) await cluster.set(key, `value of ${key}`);
      for (const key of keys) expect(await cluster.get(key)).toBe(`value of ${key}`);
    });
    // redis-cli -c follows redirects to 127.0.0.1 with no mapping.
    for (const key of keys) {
      expect(
        spawnSync('redis-cli', ['-c', '-p', String(c.ports[0]), 'GET', key], { encoding: 'utf8' }).stdout.trim(),
      ).toBe(`value of ${key}`);
    }

    const check = await c.ok('check');
    expect(check.stdout.split('\n').filter((l) => l.endsWith('(as planned)'))).toHaveLength(total);
    expect(check.stdout).toContain('cluster.sh: the cluster is usable');
    // status: the live cluster as a table, the roles and slots as the nodes say, as planned here.
    const status = await c.ok('status');
    expect(status.stdout).toContain(`cluster.sh: ${total} of ${total} nodes run\n`);
    expect(statusRows(status.stdout)).toEqual(
      c.cluster.plan.nodes.map((n) => ({
        name: n.name,
        role: n.master ? `replica of ${n.master}` : 'master',
        slots: n.slots ? `${n.slots.start}-${n.slots.end}` : '-',
        port: String(n.port),
        state: expect.stringMatching(/^cluster_state:ok, pid \d+$/),
      })),
    );

    // Again: start is a no-op, form keeps the cluster (same ids, same data).
    const pids = c.pidFiles();
    const again = await c.ok('up');
    expect(again.stdout.match(/ runs already, pid \d+\n/g)).toHaveLength(total);
    expect(again.stdout).toContain('cluster.sh: cluster was already formed');
    expect(c.pidFiles()).toEqual(pids);
    expect((await c.ok('form')).stdout).toContain('cluster was already formed');
    expect(await expectAsPlanned(c)).toEqual(ids);

    // stop, stop again, then start + form: the same nodes with their data (aof).
    expect((await c.ok('stop')).stdout).toBe(`cluster.sh: stopped ${total} node(s)\n`);
    expect(c.servers()).toEqual([]);
    expect(c.pidFiles()).toEqual([]);
    expect((await c.ok('stop')).stdout).toBe('cluster.sh: no node runs\n');
    const stopped = await c.run('status');
    expect(stopped.code).toBe(3);
    expect(statusRows(stopped.stdout).map((r) => [r.name, r.role, r.state])).toEqual(
      c.cluster.plan.nodes.map((n) => [n.name, '-', 'stopped']),
    );
    const start = await c.ok('start');
    const form = await c.ok('form');
    console.log(
      `local: ${masters}x${replicas} start after stop took ${start.ms} ms, form (already formed) ${form.ms} ms`,
    );
    expect(await expectAsPlanned(c)).toEqual(ids);
    await withCluster(c, async (cluster) => {
      for (const key of keys) expect(await cluster.get(key)).toBe(`value of ${key}`);
    });
    await c.ok('check');

    // clean: nothing runs, the runtime files are gone, the generated files are as generated.
    const before = Object.fromEntries(generatedFiles.map((f) => [f, readFileSync(join(c.dir, f), 'utf8')]));
    expect(c.files().filter((f) => RUNTIME.test(f)).length).toBeGreaterThan(0);
    await c.ok('clean');
    expect(c.servers()).toEqual([]);
    expect(c.files()).toEqual(generatedFiles);
    for (const f of generatedFiles) expect([f, readFileSync(join(c.dir, f), 'utf8')]).toEqual([f, before[f]]);
    await c.ok('clean');

    // After clean, a new cluster (new ids, no data).
    await c.ok('up');
    const fresh = await expectAsPlanned(c);
    for (const [port, id] of fresh) expect([port, id === ids.get(port)]).toEqual([port, false]);
    await c.ok('clean');
  });
});

describe('local processes, failures and re-generation', () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    blocker = undefined;
  });

  it('refuses to start when a bus port is taken, names it, and stops again the nodes it had started', async () => {
    const c = await generated(2, 1);
    const taken = c.cluster.plan.nodes[2]!;
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(taken.busPort, '127.0.0.1', resolve));
    const r = await c.run('up');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cluster.sh: error: ${taken.name} cannot start: port ${taken.port} or its cluster bus port ${taken.busPort} is taken by another process (redis-server: `,
    );
    expect(r.stderr).toContain('Address already in use');
    expect(r.stdout).toContain('cluster.sh: stopped again the nodes this start had started');
    expect(c.servers()).toEqual([]);
    expect((await c.run('status')).stdout).toContain('cluster.sh: 0 of 4 nodes run');

    // Once the port is free, the same folder comes up.
    await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    blocker = undefined;
    await c.ok('up');
    await expectAsPlanned(c);
    await c.ok('clean');
  });

  it('refuses to start when a client port is answered by another Redis server', async () => {
    const c = await generated(1, 0);
    const other = new LocalCluster();
    clusters.push(other);
    // Another cluster on the same port: it is not this folder's node, so this one cannot start.
    expect(
      other.generate([
        '--masters',
        '1',
        '--replicas',
        '0',
        '--base-port',
        String(c.ports[0]),
        '--bus-port-offset',
        '1000',
      ]).status,
    ).toBe(0);
    await other.ok('start');
    const r = await c.run('start');
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining(`is taken by another process`)]);
    expect(c.pidFiles()).toEqual([]);
    await other.ok('stop');
  });

  it('regenerating while it runs keeps nodes.conf, data, logs and pid files, which never count as edited', async () => {
    const c = await generated(1, 1, ['--node-timeout', '2000']);
    await c.ok('up');
    await withCluster(c, async (cluster) => cluster.set('{regen}:key', 'kept'));
    const ids = await expectAsPlanned(c);
    const runtime = c.files().filter((f) => RUNTIME.test(f));
    expect(runtime).toEqual(
      expect.arrayContaining([`${c.ports[0]}/nodes.conf`, `${c.ports[0]}/redis.log`, `${c.ports[0]}/redis.pid`]),
    );

    const args = ['--masters', '1', '--replicas', '1', '--base-port', String(c.ports[0]), '--node-timeout', '2000'];
    const same = c.generate(args);
    expect([same.status, same.stderr]).toEqual([0, '']);
    expect(same.stdout).toContain(': 0 created, 0 overwritten, 6 unchanged');

    // Another setting: refused without --force (the files differ), then written with it; the
    // nodes keep running with their data, and use the new redis.conf from their next start.
    const refused = c.generate([...args.slice(0, -1), '1000']);
    expect([refused.status, refused.stderr]).toEqual([
      2,
      expect.stringMatching(
        /^Refusing to overwrite ".*\/\d+\/redis\.conf" \(and \d+ more\): it differs from the generated file\. Use --force to overwrite\.\n$/,
      ),
    ]);
    const forced = c.generate([...args.slice(0, -1), '1000', '--force']);
    expect([forced.status, forced.stderr]).toEqual([0, '']);
    for (const f of runtime) expect(c.files()).toContain(f);
    await c.ok('stop');
    await c.ok('up');
    expect(await expectAsPlanned(c)).toEqual(ids);
    const probe = new Redis({ host: '127.0.0.1', port: c.ports[0]! });
    expect(await probe.call('CONFIG', 'GET', 'cluster-node-timeout')).toEqual(['cluster-node-timeout', '1000']);
    await probe.quit();
    await withCluster(c, async (cluster) => expect(await cluster.get('{regen}:key')).toBe('kept'));
    await c.ok('clean');
  });

  it('with --auth: the password is only in .env, never in a process argument or another file; nodes, scripts and clients use it', async () => {
    const password = `Pw-${randomBytes(12).toString('base64url')}`;
    const c = await generated(1, 1, ['--password-stdin'], { stdin: `${password}\n` });
    expect(statSync(join(c.dir, '.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(c.dir, '.env'), 'utf8')).toContain(`\nREDIS_PASSWORD=${password}\n`);
    const up = await c.ok('up');
    expect(up.stdout + up.stderr).not.toContain(password);

    // No process shows it: not redis-server, not anything else on the machine.
    expect(spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout).not.toContain(password);
    const [master] = c.ports;
    const anonymous = new Redis({
      host: '127.0.0.1',
      port: master!,
      maxRetriesPerRequest: 1,
      retryStrategy: () => null,
    }).on('error', () => undefined);
    await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    await expectAsPlanned(c, password);
    await withCluster(
      c,
      async (cluster) => {
        await cluster.set('{auth}:key', 'secret value');
        expect(await cluster.get('{auth}:key')).toBe('secret value');
      },
      password,
    );
    expect((await c.ok('check')).stdout).toContain('cluster.sh: the cluster is usable');

    // The nodes' environments do not have it either (REDISCLI_AUTH is set for redis-cli alone).
    for (const pid of c.pidFiles()) expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain(password);
    // Every file but .env, the nodes' logs and data included.
    for (const f of c.files().filter((f) => f !== '.env'))
      expect([f, readFileSync(join(c.dir, f)).includes(password)]).toEqual([f, false]);

    // The environment's variable wins over .env; a wrong one is refused and named as such.
    const wrong = await c.run('form', { REDIS_PASSWORD: 'a-wrong-password-1' });
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('refuses the password')]);
    writeFileSync(join(c.dir, '.env'), 'REDIS_CLUSTER_IMAGE=unrelated\n');
    expect((await c.run('status')).stderr).toContain('cluster.sh: error: no password: set REDIS_PASSWORD in');
    // stop needs no password.
    await c.ok('stop');
    expect(c.servers()).toEqual([]);
  });
});
