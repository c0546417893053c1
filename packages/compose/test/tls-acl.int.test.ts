import { spawnSync } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { ACL_FILE, KIT_PASSWORD_ENV } from '../src/acl';
import { TLS_PATH } from '../src/targets/compose';
import { ComposeProject, composeTools, freeBasePort, imageUnderTest } from './compose-runner';
import { freeLocalBasePort, LocalCluster } from './local-runner';

// --tls and --acl-file end to end: the real CLI, real Docker Compose v2 (and the local target's
// cluster.sh with the real redis-server), real ioredis and node-redis on the host, real redis-cli
// in the Compose network. Every project is taken down (`down -v`) even when a test fails.

// A hang guard, not a measure: Compose's up and down, each bounded by the init step's own ready wait (120 s).
jest.setTimeout(300_000);
const v2 = composeTools().find((t) => t.name === 'v2');
if (!v2) throw new Error('These tests need Docker Compose v2 (`docker compose`): run scripts/setup-docker.sh');
const image = imageUnderTest();
// node-redis is the fixture's dev dependency: found from there (the generator has no use for it).
const { createCluster } = createRequire(join(__dirname, '..', '..', 'testcontainers', 'package.json'))('redis') as {
  createCluster: (options: unknown) => {
    on(event: 'error', fn: (e: unknown) => void): void;
    connect(): Promise<unknown>;
    set(key: string, value: string): Promise<unknown>;
    get(key: string): Promise<string | null>;
    quit(): Promise<unknown>;
  };
};

const APP_PASSWORD = 'App-Password_0123456789';
const ACL_TEXT =
  'user default off\n' +
  // ioredis's Cluster asks CLUSTER SLOTS to find the nodes, and INFO (its ready check).
  `user app on >${APP_PASSWORD} ~app:* +@read +@write +@connection +cluster|slots +info\n` +
  `user admin on >${APP_PASSWORD}-admin ~* &* +@all\n`;

const projects: ComposeProject[] = [];
afterEach(async () => {
  await Promise.all(projects.splice(0).map((p) => p.destroy()));
});

/** The ACL files the tests give the generator, as a user keeps one: mode 0600, in a folder of their own. */
let aclInputs: string | undefined;
function userAclFile(name: string): string {
  aclInputs ??= mkdtempSync(join(tmpdir(), 'rck-acl-input-'));
  const path = join(aclInputs, `${name}.acl`);
  writeFileSync(path, ACL_TEXT, { mode: 0o600 });
  return path;
}
afterAll(() => {
  if (aclInputs !== undefined) rmSync(aclInputs, { recursive: true, force: true });
});

/** A hash-tagged key whose slot `port`'s node does not serve, and the node (name:port) that does. */
async function keyElsewhere(probe: Redis | Cluster, notOn: number): Promise<string> {
  const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
  for (let i = 0; ; i++) {
    const key = `{app:m${i}}:k`;
    const slot = (await probe.call('CLUSTER', 'KEYSLOT', key)) as number;
    const owner = slots.find(([a, b]) => slot >= a && slot <= b)!;
    if (owner[2][1] !== notOn) return key;
  }
}

/** A plain (non-TLS) client of a TLS node gets no answer: the node closes the connection. */
async function expectPlainRefused(port: number): Promise<void> {
  const plain = new Redis({
    host: '127.0.0.1',
    port,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  plain.on('error', () => undefined);
  await expect(plain.connect().then(() => plain.ping()))
    .rejects.toThrow(/Connection is closed|ECONNRESET|socket hang up/)
    .finally(() => plain.disconnect());
}

/** The file's limited user on one node: a key outside its pattern gets NOPERM. */
async function expectAppNoPerm(port: number, tls?: { ca: Buffer }): Promise<void> {
  const app = new Redis({
    host: '127.0.0.1',
    port,
    ...(tls ? { tls } : {}),
    username: 'app',
    password: APP_PASSWORD,
    maxRetriesPerRequest: 0,
  });
  await expect(app.get('other:x'))
    .rejects.toThrow(/NOPERM/)
    .finally(() => app.quit());
}

/** Every file of a folder (relative paths), but those named. */
function filesBut(root: string, skip: (path: string) => boolean): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(root, p)).isFile() && !skip(p))
    .sort();
}

/**
 * None of `secrets` in a file of the output but its own ones (`own`), nor (in a file) anything
 * `alsoInFiles` finds; none in the logs or the process list sampled.
 */
function expectSecretsKept(
  dir: string,
  own: (path: string) => boolean,
  secrets: string[],
  logs: string,
  processes: string,
  alsoInFiles: (text: string) => boolean = () => false,
): void {
  for (const f of filesBut(dir, own)) {
    const text = readFileSync(join(dir, f), 'utf8');
    expect([f, alsoInFiles(text) || secrets.some((s) => text.includes(s))]).toEqual([f, false]);
  }
  for (const s of secrets) {
    expect(logs).not.toContain(s);
    expect(processes).not.toContain(s);
  }
}

/** Samples every process's command line on this machine (containers' included) until stopped. */
function sampleProcesses(): { stop(): string } {
  let seen = '';
  const take = () => {
    seen += spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
  };
  take();
  const timer = setInterval(take, 200);
  return {
    stop() {
      clearInterval(timer);
      take();
      return seen;
    },
  };
}

/**
 * The secrets of an output, as they could leak into a text: each private key's secret scalar (hex,
 * base64, base64url) and its PEM's second line (the scalar's end; the other lines are the same for
 * every P-256 key or hold the public key, which the certificate has too), and the passwords given.
 */
function secretsOf(dir: string, passwords: string[]): string[] {
  const keys = readdirSync(join(dir, 'tls'))
    .filter((f) => f.endsWith('.key'))
    .flatMap((f) => {
      const pem = readFileSync(join(dir, 'tls', f), 'utf8');
      const d = Buffer.from((createPrivateKey(pem).export({ format: 'jwk' }) as { d: string }).d, 'base64url');
      return [pem.split('\n')[2]!, d.toString('hex'), d.toString('base64'), d.toString('base64url')];
    });
  return [...keys, ...passwords];
}

describe('--tls and --acl-file with Compose v2', () => {
  it('--tls 3x1: up --wait; ioredis and node-redis on the host with tls/ca.crt through natMap; redis-cli --tls -c in the network follows a MOVED; a plain client fails; no key in any other file, log or process list; down -v leaves nothing', async () => {
    const p = new ComposeProject(v2, image);
    projects.push(p);
    p.generate([
      '--masters',
      '3',
      '--replicas',
      '1',
      '--announce',
      'hostname',
      '--tls',
      '--base-port',
      String(await freeBasePort(6)),
    ]);
    const ps = sampleProcesses();
    let processes = '';
    try {
      await p.up();
      const ca = readFileSync(join(p.dir, p.cluster.tls!.ca));
      const first = p.cluster.plan.nodes[0]!;

      // ioredis on the host: the natMap sends each redirect to 127.0.0.1, which every certificate names.
      const cluster = new Cluster(p.cluster.startupNodes, { natMap: p.cluster.natMap, redisOptions: { tls: { ca } } });
      try {
        const keys = await Promise.all(
          p.cluster.plan.nodes
            .filter((n) => n.slots)
            .map(async ({ slots }) => {
              for (let i = 0; ; i++) {
                const key = `{t${i}}:k`;
                const slot = (await cluster.call('CLUSTER', 'KEYSLOT', key)) as number;
                if (slot >= slots!.start && slot <= slots!.end) return key;
              }
            }),
        );
        for (const key of keys) await cluster.set(key, `v-${key}`);
        for (const key of keys) expect(await cluster.get(key)).toBe(`v-${key}`);
      } finally {
        await cluster.quit().catch(() => cluster.disconnect());
      }

      // node-redis with the same CA and natMap.
      const client = createCluster({
        rootNodes: p.cluster.startupNodes.map(({ host, port }) => ({ url: `rediss://${host}:${port}` })),
        defaults: { socket: { tls: true, ca } },
        nodeAddressMap: p.cluster.natMap,
      });
      client.on('error', () => undefined);
      await client.connect();
      try {
        for (let i = 0; i < 6; i++) await client.set(`{nr${i}}:k`, `nr-${i}`);
        for (let i = 0; i < 6; i++) expect(await client.get(`{nr${i}}:k`)).toBe(`nr-${i}`);
      } finally {
        await client.quit();
      }

      // redis-cli --tls in the network: a key of another master gets MOVED (to a name), and -c follows it.
      const probe = new Redis({ host: '127.0.0.1', port: first.port, tls: { ca }, maxRetriesPerRequest: 1 });
      const key = await keyElsewhere(probe, first.port).finally(() => probe.quit());
      // (In the first node's container, as the output README says; the CA is mounted there.)
      const cli = (...args: string[]) =>
        p.cliInNetwork('--tls', '--cacert', `${TLS_PATH}/ca.crt`, '-h', first.name, '-p', String(first.port), ...args);
      expect(await cli('SET', key, 'in-network')).toMatch(/^MOVED \d+ redis-node-\d:\d+$/);
      expect(await cli('-c', 'SET', key, 'in-network')).toBe('OK');
      expect(await cli('-c', 'GET', key)).toBe('in-network');

      // A plain client gets no answer: the node closes the connection.
      await expectPlainRefused(first.port);
      const plainCli = await p.cliInNetwork('-h', first.name, '-p', String(first.port), 'PING').then(
        (out) => out,
        (e: Error) => e.message,
      );
      expect(plainCli).not.toContain('PONG');
      expect(plainCli).toMatch(/closed|reset/i);

      // No private key anywhere but in its own file: not in the other files, the logs, or a process's arguments.
      const secrets = secretsOf(p.dir, []);
      const logs = await p.compose('logs', '--no-color');
      processes = ps.stop();
      expectSecretsKept(
        p.dir,
        (f) => f.endsWith('.key'),
        secrets,
        `${logs.stdout}${logs.stderr}`,
        processes,
        (text) => text.includes('PRIVATE KEY'),
      );
    } finally {
      ps.stop();
    }
    await p.down('-v');
    expect(await p.leftovers()).toEqual([]);
  });

  it('--acl-file (default off): every node has the users, a limited user gets NOPERM, no login gets NOAUTH, replicas are linked; no password in another file, a log or a process list', async () => {
    const p = new ComposeProject(v2, image);
    projects.push(p);
    const aclPath = userAclFile(p.project);
    p.generate([
      '--masters',
      '3',
      '--replicas',
      '1',
      '--acl-file',
      aclPath,
      '--base-port',
      String(await freeBasePort(6)),
    ]);
    expect((statSync(join(p.dir, ACL_FILE)).mode & 0o777).toString(8)).toBe('600');
    const kitPassword = new RegExp(`^${KIT_PASSWORD_ENV}=(.+)$`, 'm').exec(
      readFileSync(join(p.dir, '.env'), 'utf8'),
    )![1]!;
    const ps = sampleProcesses();
    try {
      // up --wait: the generator's own user formed it and its healthchecks (replicas linked) passed.
      await p.up();
      for (const n of p.cluster.plan.nodes) {
        // No ready check (its INFO would be refused too): the GET itself gets NOAUTH.
        const anonymous = new Redis({
          host: '127.0.0.1',
          port: n.port,
          maxRetriesPerRequest: 0,
          enableReadyCheck: false,
        });
        anonymous.on('error', () => undefined);
        await expect(anonymous.get('app:x'))
          .rejects.toThrow(/NOAUTH/)
          .finally(() => anonymous.disconnect());
        // The same users on every node: the ACL check comes before a redirect, so each node answers itself.
        await expectAppNoPerm(n.port);
      }
      // A cluster client as a user of the file with every right works across all masters.
      const admin = new Cluster(p.cluster.startupNodes, {
        natMap: p.cluster.natMap,
        redisOptions: { username: 'admin', password: `${APP_PASSWORD}-admin` },
        clusterRetryStrategy: () => null,
      });
      try {
        for (let i = 0; i < 6; i++) await admin.set(`{app:${i}}:k`, String(i));
        expect(await admin.get('{app:5}:k')).toBe('5');
      } finally {
        await admin.quit().catch(() => admin.disconnect());
      }
      const logs = await p.compose('logs', '--no-color');
      const processes = ps.stop();
      expectSecretsKept(
        p.dir,
        (f) => f === ACL_FILE || f === '.env',
        [APP_PASSWORD, kitPassword],
        `${logs.stdout}${logs.stderr}`,
        processes,
      );
    } finally {
      ps.stop();
    }
    await p.down('-v');
    expect(await p.leftovers()).toEqual([]);
  });
});

describe('--tls and --acl-file with --target local', () => {
  let local: LocalCluster | undefined;
  afterEach(async () => {
    if (local) expect(await local.destroy()).toEqual([]);
    local = undefined;
  });

  it('cluster.sh up forms a TLS cluster with the users of the file: a TLS client as a user of the file writes its keys, gets NOPERM for others; plain TCP fails; clean stops it', async () => {
    local = new LocalCluster();
    const aclPath = userAclFile('local');
    try {
      const base = await freeLocalBasePort(6);
      const r = local.generate([
        '--masters',
        '3',
        '--replicas',
        '1',
        '--base-port',
        String(base),
        '--tls',
        '--acl-file',
        aclPath,
      ]);
      if (r.status !== 0) throw new Error(`generator failed (${r.status}): ${r.stderr}`);
      const ps = sampleProcesses();
      const up = await local.ok('up');
      const processes = ps.stop();
      expect(up.stdout).toContain('cluster formed and ok');
      const ca = readFileSync(join(local.dir, 'tls', 'ca.crt'));
      const kitPassword = new RegExp(`^${KIT_PASSWORD_ENV}=(.+)$`, 'm').exec(
        readFileSync(join(local.dir, '.env'), 'utf8'),
      )![1]!;
      for (const s of secretsOf(local.dir, [APP_PASSWORD, kitPassword])) expect(processes).not.toContain(s);

      const cluster = new Cluster(local.cluster.startupNodes, {
        natMap: local.cluster.natMap,
        redisOptions: { tls: { ca }, username: 'admin', password: `${APP_PASSWORD}-admin` },
      });
      try {
        for (let i = 0; i < 6; i++) await cluster.set(`{app:${i}}:k`, String(i));
      } finally {
        await cluster.quit().catch(() => cluster.disconnect());
      }
      const first = local.cluster.plan.nodes[0]!;
      await expectAppNoPerm(first.port, { ca });
      await expectPlainRefused(first.port);
      await local.ok('clean');
      expect(local.servers()).toEqual([]);
    } finally {
      spawnSync('rm', ['-f', aclPath]);
    }
  });
});
