/**
 * The process runtime's own parts (the API it shares with Docker is tested on both runtimes in
 * start-redis-cluster.int.test.ts and scenarios/): choosing a runtime with `auto`, finding
 * redis-server, its folder and processes, ports, and what a killed owner leaves behind. Real
 * redis-server processes and real clients throughout.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ClusterStartError,
  DEFAULT_FIXTURE_OPTIONS,
  NoRuntimeAvailableError,
  RedisServerUnavailableError,
  startRedisCluster,
  waitUntil,
  type ClusterLogEvent,
} from './index';
import { OWNER_FILE, parseOwnerFile, parsePidFile, PID_FILE } from './runtime/process/dirs';
import { MAX_PORT_ATTEMPTS } from './start-redis-cluster';
import { portFree, portProbe } from './runtime/process/ports';
import { parseServerVersion } from './runtime/process/redis-server';
import { NOTHING, processDirs, redisServersUnder, resourcesOf, resourcesOfThisProcess } from '../test/helpers/runtimes';
import { withNode } from '../test/helpers/docker';

// A hang guard, not a measure: twice a start's own limit (startupTimeoutMs, 60 s by default).
jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../../..');
const INTERRUPTED_SUITE = join(ROOT, 'packages/testcontainers/test/interrupted-suite/jest.config.js');
/** The redis-server on PATH (CI installs it), and its version. */
const REDIS_SERVER = execFileSync('sh', ['-c', 'command -v redis-server']).toString().trim();
const VERSION = parseServerVersion(execFileSync(REDIS_SERVER, ['--version']).toString())!;

/** Run `fn` with some environment variables set (undefined: unset), then put them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(before);
  }
}

function logInto(events: ClusterLogEvent[]) {
  return (e: ClusterLogEvent) => events.push(e);
}

const NO_DAEMON = 'unix:///nonexistent/docker.sock';

afterEach(async () => {
  // Whatever a test did, nothing of this process is left: no redis-server, no folder, no container.
  expect(await resourcesOfThisProcess('process')).toEqual(NOTHING);
  expect(await resourcesOfThisProcess('docker')).toEqual(NOTHING);
});

describe('runtime "auto"', () => {
  it('uses redis-server when no Docker daemon answers (DOCKER_HOST names a socket that does not exist), and says why', async () => {
    const events: ClusterLogEvent[] = [];
    await withEnv({ DOCKER_HOST: NO_DAEMON }, async () => {
      await using rc = await startRedisCluster({ runtime: 'auto', masters: 1, logger: logInto(events) });
      expect(rc.runtime).toBe('process');
      await rc.cluster.set('k', 'v');
      expect(await rc.cluster.get('k')).toBe('v');
    });
    const chosen = events.find((e) => e.phase === 'runtime')!.message;
    expect(chosen).toContain(
      `runtime "process" (auto: no Docker daemon answered at DOCKER_HOST=${NO_DAEMON} within ${DEFAULT_FIXTURE_OPTIONS.dockerCheckTimeoutMs} ms (dockerCheckTimeoutMs): `,
    );
    expect(chosen).toContain(`: Redis ${VERSION.version} at ${REDIS_SERVER}`);
  });

  it('uses Docker when a daemon answers, and says which options it ignores there', async () => {
    const events: ClusterLogEvent[] = [];
    await withEnv({ DOCKER_HOST: undefined, REDIS_CLUSTER_RUNTIME: 'auto' }, async () => {
      await using rc = await startRedisCluster({ masters: 1, redisServerPath: REDIS_SERVER, logger: logInto(events) });
      expect(rc.runtime).toBe('docker');
      expect((await resourcesOf('docker', rc.id)).nodes).toHaveLength(1);
    });
    expect(events.find((e) => e.phase === 'runtime')!.message).toBe(
      'runtime "docker" (auto: a Docker daemon answered); ignored for this runtime: redisServerPath',
    );
  });

  it('with neither, fails at once with one message that explains both ways to fix it', async () => {
    const events: ClusterLogEvent[] = [];
    const error = await withEnv({ DOCKER_HOST: NO_DAEMON }, () =>
      startRedisCluster({
        runtime: 'auto',
        redisServerPath: '/nonexistent/redis-server',
        logger: logInto(events),
      }).catch((e: unknown) => e),
    );
    // "At once": it failed while choosing a runtime, so nothing was started or waited for (no wall-clock bound).
    expect(events).toEqual([
      expect.objectContaining({
        phase: 'cleanup',
        message: expect.stringMatching(/^start failed while choosing a runtime/) as unknown,
      }),
    ]);
    expect(error).toBeInstanceOf(NoRuntimeAvailableError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^Cannot start Redis Cluster with runtime "auto": no Docker daemon answered at DOCKER_HOST=${NO_DAEMON} \\(.+\\), and no usable redis-server was found \\("/nonexistent/redis-server": no such file\\)\\. `,
      ),
    );
    expect(message).toContain(
      'Either start Docker (Docker Desktop, `sudo systemctl start docker` or `sudo dockerd &`) or set DOCKER_HOST to a daemon that answers;',
    );
    expect(message).toContain(
      'or install Redis >= 7.0 or Valkey >= 7.2 (e.g. `apt-get install redis-server` or `valkey-server`, `brew install redis`) and put redis-server on PATH, or point REDIS_CLUSTER_SERVER_PATH (or the redisServerPath option) at one (e.g. valkey-server).',
    );
    expect(message).not.toContain('\n');
  });
});

describe('runtime "process": which redis-server', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rck-redis-bin-'));
    symlinkSync(REDIS_SERVER, join(dir, 'redis-server-7'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the one redisServerPath or REDIS_CLUSTER_SERVER_PATH names (the option first), and REDIS_CLUSTER_RUNTIME=process picks the runtime', async () => {
    const own = join(dir, 'redis-server-7');
    for (const [env, options, ignored] of [
      [{ REDIS_CLUSTER_SERVER_PATH: undefined }, { runtime: 'process' as const, redisServerPath: own }, ''],
      // The runtime from the environment: an image given in the code is ignored (and said so), not refused.
      [
        { REDIS_CLUSTER_SERVER_PATH: own, REDIS_CLUSTER_RUNTIME: 'process' },
        { image: 'redis:7.2' },
        '; ignored for this runtime: image',
      ],
      [
        { REDIS_CLUSTER_SERVER_PATH: '/nonexistent/redis-server' },
        { runtime: 'process' as const, redisServerPath: own },
        '',
      ],
    ] as const) {
      const events: ClusterLogEvent[] = [];
      await withEnv(env, async () => {
        await using rc = await startRedisCluster({ ...options, masters: 1, logger: logInto(events) });
        expect(rc.runtime).toBe('process');
        const [folder] = processDirs(`${rc.id}-`);
        expect(parseOwnerFile(readFileSync(join(folder!, OWNER_FILE), 'utf8'))?.server).toBe(own);
      });
      expect(events.find((e) => e.phase === 'runtime')!.message).toMatch(
        new RegExp(`: Redis ${VERSION.version.replace(/\./g, '\\.')} at ${own}${ignored}$`),
      );
    }
  });

  it('fails before anything starts when redis-server is missing, saying how to get one', async () => {
    const onPath = await withEnv({ PATH: '/nonexistent' }, () =>
      startRedisCluster({ runtime: 'process' }).catch((e: unknown) => e),
    );
    expect(onPath).toBeInstanceOf(RedisServerUnavailableError);
    expect((onPath as Error).message).toBe(
      'Cannot run redis-server "redis-server" for the process runtime: it is not on PATH. To fix it, install Redis >= 7.0 or Valkey >= 7.2 (e.g. `apt-get install redis-server` or `valkey-server`, `brew install redis`) ' +
        'and put redis-server on PATH, or point REDIS_CLUSTER_SERVER_PATH (or the redisServerPath option) at one (e.g. valkey-server); or use runtime "docker".',
    );
    const given = await startRedisCluster({ runtime: 'process', redisServerPath: join(dir, 'missing') }).catch(
      (e: unknown) => e,
    );
    expect(given).toBeInstanceOf(RedisServerUnavailableError);
    expect((given as Error).message).toContain(
      `Cannot run redis-server "${join(dir, 'missing')}" for the process runtime: no such file.`,
    );
  });
});

describe('runtime "process": a cluster\'s folder and processes', () => {
  it('keeps owner, pid, config (0600, the only place of the password), nodes.conf and log per node in a 0700 temp folder; stop() also kills paused nodes and removes it', async () => {
    const password = 'pass word "quoted" \\ #not-a-comment';
    const rc = await startRedisCluster({ runtime: 'process', masters: 1, replicas: 1, password, name: 'folder-test' });
    try {
      const [folder, ...more] = processDirs(`${rc.id}-`);
      expect(more).toEqual([]);
      expect(statSync(folder!).mode & 0o777).toBe(0o700);
      const owner = parseOwnerFile(readFileSync(join(folder!, OWNER_FILE), 'utf8'))!;
      expect(owner).toMatchObject({
        pid: process.pid,
        host: hostname(),
        cluster: rc.id,
        name: 'folder-test',
        server: REDIS_SERVER,
      });
      expect(owner.nodes).toEqual(Object.fromEntries(rc.plan.nodes.map((n) => [n.name, n.port])));
      expect(owner.ports).toEqual([
        { start: rc.plan.nodes[0]!.port, end: rc.plan.nodes[1]!.port },
        { start: rc.plan.nodes[0]!.busPort, end: rc.plan.nodes[1]!.busPort },
      ]);
      for (const node of rc.plan.nodes) {
        const dir = join(folder!, node.name);
        const pid = parsePidFile(readFileSync(join(dir, PID_FILE), 'utf8'))!;
        expect(redisServersUnder(`${folder}/`)).toContainEqual({ pid, cwd: dir });
        expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('pass word');
        expect(statSync(join(dir, 'redis.conf')).mode & 0o777).toBe(0o600);
        expect(readFileSync(join(dir, 'redis.conf'), 'utf8')).toContain(
          'requirepass "pass word \\"quoted\\" \\\\ #not-a-comment"',
        );
        expect(existsSync(join(dir, 'nodes.conf'))).toBe(true);
        expect(readFileSync(join(dir, 'redis.log'), 'utf8')).toContain('Ready to accept connections');
      }
      // The password, quoted in redis.conf, is the one the nodes require.
      await rc.cluster.set('k', 'v');
      expect(await withNode(rc.nodes[1]!, (r) => r.call('INFO', 'replication'), { password })).toContain(
        'master_link_status:up',
      );

      await rc.pauseNode('redis-node-2'); // SIGSTOP: stop() must still end it
      expect(rc.nodeState('redis-node-2')).toBe('paused');
    } finally {
      await rc.stop();
    }
    expect(await resourcesOf('process', rc.id)).toEqual(NOTHING);
  });

  it("fails a start whose node exits at once with redis-server's own last lines, and leaves nothing", async () => {
    const error = await startRedisCluster({
      runtime: 'process',
      masters: 1,
      replicas: 1,
      redisConfig: { 'maxmemory-policy': 'not-a-policy' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterStartError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /^Redis Cluster failed while starting redis-server processes: redis-server of node "redis-node-1" exited before it accepted connections: \*\*\* FATAL CONFIG FILE ERROR/,
    );
    // The line as the node's redis.conf holds it (a plain word is written unquoted).
    expect(message).toContain(`'maxmemory-policy not-a-policy'`);
    expect(message).toContain('Everything started was removed.');
    expect(message).not.toContain('\n');
  });
});

/**
 * Stand in for another process that takes a port right after the runtime found it free: the
 * first port probed of each block (its first node's client port) is taken, `times` times.
 */
async function withPortThief<T>(times: number, fn: (stolen: number[]) => Promise<T>): Promise<T> {
  const original = portProbe.isFree;
  const servers: Server[] = [];
  const stolen: number[] = [];
  let inBatch = false;
  portProbe.isFree = async (port) => {
    // The ports of one block are probed in one synchronous burst: its first is the block's base.
    const first = !inBatch;
    if (first) {
      inBatch = true;
      setImmediate(() => (inBatch = false));
    }
    const free = await portFree(port);
    if (free && first && stolen.length < times) {
      stolen.push(port);
      const server = createServer();
      servers.push(server);
      await new Promise<void>((done) => server.listen({ port, host: '127.0.0.1' }, done));
    }
    return free;
  };
  try {
    return await fn(stolen);
  } finally {
    portProbe.isFree = original;
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  }
}

describe('runtime "process": ports', () => {
  it('starts again on another block when a port it found free is taken before its node listens', async () => {
    const events: ClusterLogEvent[] = [];
    await withPortThief(1, async (stolen) => {
      await using rc = await startRedisCluster({ runtime: 'process', masters: 3, logger: logInto(events) });
      expect(stolen).toHaveLength(1);
      expect(rc.nodes.map((n) => n.port)).not.toContain(stolen[0]);
      const retry = events.find((e) => e.message.startsWith('attempt 1: '));
      expect(retry?.message).toMatch(
        new RegExp(
          `^attempt 1: port ${stolen[0]} of node "redis-node-1" is in use on 127\\.0\\.0\\.1 \\(redis-server: .*Address already in use.*\\); another process took it after it was found free; trying other ports$`,
        ),
      );
      await rc.cluster.set('k', 'v');
    });
  });

  it(`gives up after ${MAX_PORT_ATTEMPTS} blocks that each lost a port, saying so`, async () => {
    const error = await withPortThief(MAX_PORT_ATTEMPTS, () =>
      startRedisCluster({ runtime: 'process', masters: 1 }).catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(ClusterStartError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Redis Cluster failed while starting redis-server processes: port \\d+ of node "redis-node-1" is in use on 127\\.0\\.0\\.1 .*; ${MAX_PORT_ATTEMPTS} blocks of ports were found free and each lost a port to another process before its node listened\\. Everything started was removed\\.$`,
      ),
    );
  });

  it('uses a given basePort as it is, and says so (no retry) when one of its ports is taken', async () => {
    // A free block of 2 client ports (and their bus ports) in the process runtime's range.
    let base = 19000 + Math.floor(Math.random() * 2000);
    while (!(await Promise.all([base, base + 1, base + 10000, base + 10001].map((p) => portFree(p)))).every(Boolean))
      base += 2;
    {
      await using rc = await startRedisCluster({ runtime: 'process', masters: 1, replicas: 1, basePort: base });
      expect(rc.nodes.map((n) => n.port)).toEqual([base, base + 1]);
    }
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen({ port: base + 10001, host: '127.0.0.1' }, done)); // the replica's bus port
    try {
      const events: ClusterLogEvent[] = [];
      const error = await startRedisCluster({
        runtime: 'process',
        masters: 1,
        replicas: 1,
        basePort: base,
        logger: logInto(events),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClusterStartError);
      expect((error as Error).message).toContain(
        `port ${base + 10001} of node "redis-node-2" is in use on 127.0.0.1 (redis-server: `,
      );
      expect((error as Error).message).toContain(
        `; basePort ${base} was given: choose free ports, or leave basePort out so that the process runtime picks them.`,
      );
      expect(events.filter((e) => e.message.startsWith('attempt '))).toEqual([]);
    } finally {
      await new Promise((done) => blocker.close(done));
    }
  });
});

describe('runtime "process": a test run killed while its cluster runs', () => {
  it('leaves redis-servers and a folder of a dead process, which the next start kills and removes', async () => {
    const name = `killed-owner-${process.pid}`;
    // A real Jest run in a process group of its own (so that a failure here can still end all of it).
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', INTERRUPTED_SUITE, '--runInBand', '--ci'],
      {
        cwd: ROOT,
        env: { ...process.env, SUITE_CLUSTER_NAME: name, REDIS_CLUSTER_RUNTIME: 'process' },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((done) => child.once('exit', done));
    const folderOf = () =>
      processDirs().find((dir) => {
        try {
          return parseOwnerFile(readFileSync(join(dir, OWNER_FILE), 'utf8'))?.name === name;
        } catch {
          return false;
        }
      });
    let folder: string | undefined;
    let orphans: number[] = [];
    try {
      // As soon as its 3 masters run (a 3x1 start takes ~2 s more).
      folder = await waitUntil(
        () => {
          const found = folderOf();
          return found !== undefined && redisServersUnder(`${found}/`).length >= 3 ? found : undefined;
        },
        {
          timeoutMs: 60_000, // a limit, not a measure: a start's own limit (startupTimeoutMs, 60 s)
          intervalMs: 5,
          description: () => `the run to start its first redis-server; its output so far:\n${output.slice(-2000)}`,
        },
      );
      // Only the Jest process is killed: its redis-servers live on, as after a crash.
      process.kill(child.pid!, 'SIGKILL');
      await exited;
      orphans = redisServersUnder(`${folder}/`).map((p) => p.pid);
      expect(orphans.length).toBeGreaterThan(0);
      expect(output).not.toContain('CLUSTER STARTED');
      console.log(`[killed owner] left ${orphans.length} redis-server processes and ${folder}`);

      const events: ClusterLogEvent[] = [];
      await using next = await startRedisCluster({ runtime: 'process', masters: 1, logger: logInto(events) });
      expect(existsSync(folder)).toBe(false);
      expect(redisServersUnder(`${folder}/`)).toEqual([]);
      expect(events.find((e) => e.phase === 'reap')?.message).toMatch(
        /^removed \d+ cluster folders and \d+ redis-server processes of dead processes$/,
      );
      await next.cluster.set('k', 'v');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // anything of the run still alive (only when the test failed)
      } catch {
        // the group is gone
      }
      for (const pid of orphans) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // reaped
        }
      }
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    }
  });
});
