import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeKeptClusters } from './index';
import { docker, resourcesOfCluster } from '../test/helpers/docker';
import { randomBytes } from 'node:crypto';
import { NOTHING, resourcesNamed, resourcesOf, RUNTIMES } from '../test/helpers/runtimes';

// A hang guard, not a measure: two suite runs' own limit (SUITE_RUN_TIMEOUT_MS below).
jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const SUITE_CONFIG = join(ROOT, 'packages/testcontainers/test/jest-suite/jest.config.js');
const OWN_CLUSTER_SUITE_CONFIG = join(ROOT, 'packages/testcontainers/test/own-cluster-suite/jest.config.js');
const TIMEOUT_SUITE_CONFIG = join(ROOT, 'packages/testcontainers/test/timeout-suite/jest.config.js');
const TLS_SUITE_CONFIG = join(ROOT, 'packages/testcontainers/test/tls-suite/jest.config.js');
/** A suite run that has not ended after this long is killed: a hang guard, not a measure (two starts' own limit, startupTimeoutMs, and Jest's start-up). */
const SUITE_RUN_TIMEOUT_MS = 150_000;
// The suite's cluster options (its jest.config globals), for removing what reuse kept.
const SUITE_OPTIONS = { masters: 3, replicas: 1, namePrefix: 'suite' };

interface SuiteRun {
  code: number | null;
  output: string;
  files: {
    file: string;
    worker: string;
    cluster: string;
    shared: boolean;
    namespace: string;
    ports?: number[];
    network?: string;
  }[];
  setupMs: number;
}

/** Fail with the suite's own output, which says what went wrong inside it. */
function expectPassed(run: SuiteRun, tests = 7): void {
  if (run.code !== 0 || !run.output.includes(`Tests:       ${tests} passed, ${tests} total`)) {
    throw new Error(`The suite failed (exit code ${run.code}):\n${run.output.slice(-4000)}`);
  }
}

/**
 * Run an example suite in its own Jest process on 2 workers, as a user would (with
 * `detectOpenHandles`: Jest's --detectOpenHandles, which runs the files in band).
 */
async function runSuite(
  env: Record<string, string> = {},
  config = SUITE_CONFIG,
  detectOpenHandles = false,
): Promise<SuiteRun> {
  const reportDir = mkdtempSync(join(tmpdir(), 'rck-suite-'));
  // A cache of its own: with timings of an earlier run, Jest may run quick files in band.
  const cacheDir = mkdtempSync(join(tmpdir(), 'rck-suite-cache-'));
  try {
    const args = [
      '--config',
      config,
      '--cacheDirectory',
      cacheDir,
      ...(detectOpenHandles ? ['--detectOpenHandles'] : ['--maxWorkers=2']),
    ];
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, SUITE_REPORT_DIR: reportDir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: a run that does not end is killed with its workers
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    // A run that never ends (something it started keeps Jest alive) fails here, saying so,
    // rather than at this test's own timeout.
    const killer = setTimeout(() => {
      output += `\n[the Jest run did not end within ${SUITE_RUN_TIMEOUT_MS} ms: killed]`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }, SUITE_RUN_TIMEOUT_MS);
    const code = await new Promise<number | null>((done) => child.on('close', done));
    clearTimeout(killer);
    const lines = (name: string) =>
      readFileSync(join(reportDir, name), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    let files: SuiteRun['files'] = [];
    let setupMs = Number.NaN;
    try {
      files = lines('files.jsonl') as unknown as SuiteRun['files'];
      if (config === SUITE_CONFIG) setupMs = Number(lines('setup.jsonl')[0]?.['setupMs']);
    } catch {
      // Reported below through the exit code and output.
    }
    return { code, output, files, setupMs };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** A cluster's containers with the time each last started, sorted by id. */
async function containersOf(clusterId: string): Promise<{ id: string; startedAt: string }[]> {
  const { containers } = await resourcesOfCluster(clusterId);
  const started = await Promise.all(
    containers.map(async (id) => ({ id, startedAt: (await docker.getContainer(id).inspect()).State.StartedAt })),
  );
  return started.sort((a, b) => (a.id < b.id ? -1 : 1));
}

describe('Jest integration (globalSetup + useRedisCluster) in a real multi-file suite', () => {
  afterAll(async () => {
    await removeKeptClusters(SUITE_OPTIONS);
  });

  it('runs 4 files on 2 workers against one cluster started once, and removes it at the end', async () => {
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0' });
    expectPassed(run);
    expect(run.files.map((f) => f.file).sort()).toEqual(['hashes', 'isolation', 'node-redis', 'strings']);
    expect(new Set(run.files.map((f) => f.worker)).size).toBe(2);
    const clusters = new Set(run.files.map((f) => f.cluster));
    expect(clusters.size).toBe(1);
    expect(run.files.every((f) => f.shared)).toBe(true);
    expect(new Set(run.files.map((f) => f.namespace)).size).toBe(4);
    // Every worker knows the cluster's network, for a container of its own to join.
    expect(run.files.map((f) => f.network)).toEqual(run.files.map(() => `redis-cluster-kit-${[...clusters][0]!}`));
    expect(await resourcesOfCluster([...clusters][0]!)).toEqual({ containers: [], networks: [] });
  });

  it('with REDIS_CLUSTER_REUSE=1 the next run attaches to the cluster the previous one kept', async () => {
    const first = await runSuite({ REDIS_CLUSTER_REUSE: '1' });
    expectPassed(first);
    const kept = await containersOf(first.files[0]!.cluster);
    expect(kept).toHaveLength(6); // 3 masters x 1 replica, left running for the next run
    const second = await runSuite({ REDIS_CLUSTER_REUSE: '1' });
    expectPassed(second);
    expect(second.files[0]!.cluster).toBe(first.files[0]!.cluster);
    expect(second.files[0]!.network).toBe(`redis-cluster-kit-${first.files[0]!.cluster}`);
    // It attached: the same containers, none started again, none added (how fast: `pnpm bench --only reuse`).
    expect(await containersOf(first.files[0]!.cluster)).toEqual(kept);
    console.log(
      `globalSetup: fresh ${Math.round(first.setupMs)} ms, attach to the kept cluster ${Math.round(second.setupMs)} ms`,
    );
  });
});

describe.each(RUNTIMES)(
  '%s runtime: 2 Jest workers, each file with a cluster of its own (useRedisCluster() without globalSetup)',
  (runtime) => {
    it('start at once on both workers with no port or name collision, and both are removed at the end', async () => {
      const run = await runSuite(
        { REDIS_CLUSTER_REUSE: '0', REDIS_CLUSTER_RUNTIME: runtime },
        OWN_CLUSTER_SUITE_CONFIG,
      );
      expectPassed(run, 2);
      expect(run.files.map((f) => f.file).sort()).toEqual(['first', 'second']);
      expect(new Set(run.files.map((f) => f.worker)).size).toBe(2);
      expect(run.files.every((f) => !f.shared)).toBe(true);
      const clusters = [...new Set(run.files.map((f) => f.cluster))];
      expect(clusters).toHaveLength(2);
      const ports = run.files.flatMap((f) => f.ports ?? []);
      expect(ports).toHaveLength(6);
      expect(new Set(ports).size).toBe(6);
      for (const id of clusters) expect(await resourcesOf(runtime, id)).toEqual(NOTHING);
    });
  },
);

describe.each(RUNTIMES)('%s runtime: a shared cluster with TLS, ACL users and `default` off', (runtime) => {
  it("runs its files on 2 workers, each connected with the globalSetup's CA and user; no password or private key in Jest's output", async () => {
    const passwords = [`app-${randomBytes(12).toString('hex')}`, `reader-${randomBytes(12).toString('hex')}`];
    const run = await runSuite(
      {
        REDIS_CLUSTER_REUSE: '0',
        REDIS_CLUSTER_RUNTIME: runtime,
        TLS_SUITE_APP_PASSWORD: passwords[0]!,
        TLS_SUITE_READER_PASSWORD: passwords[1]!,
      },
      TLS_SUITE_CONFIG,
    );
    expectPassed(run, 3);
    expect(run.files.map((f) => f.file).sort()).toEqual(['data', 'users']);
    const clusters = [...new Set(run.files.map((f) => f.cluster))];
    expect(clusters).toHaveLength(1);
    for (const password of passwords) expect(run.output).not.toContain(password);
    expect(run.output).not.toMatch(/PRIVATE KEY|A worker process has failed to exit gracefully/);
    expect(await resourcesOf(runtime, clusters[0]!)).toEqual(NOTHING);
  });
});

describe.each(RUNTIMES)('%s runtime: open handles', (runtime) => {
  it.each([
    ['the shared cluster (globalSetup + useRedisCluster)', SUITE_CONFIG, 7],
    ['a cluster per file (useRedisCluster without globalSetup)', OWN_CLUSTER_SUITE_CONFIG, 2],
  ])('%s: Jest --detectOpenHandles finds none, and Jest exits by itself', async (_label, config, tests) => {
    // A process cluster's redis-servers are child processes of Jest: they must be gone too.
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0', REDIS_CLUSTER_RUNTIME: runtime }, config, true);
    expectPassed(run, tests);
    // What Jest prints when a socket, timer or child process outlives the tests.
    expect(run.output).not.toMatch(
      /open handles? potentially keeping Jest from exiting|Jest did not exit one second after the test run/,
    );
  });
});

describe.each(RUNTIMES)('%s runtime: a file whose beforeAll times out while its cluster starts', (runtime) => {
  it('fails on the hook timeout, and its afterAll aborts the start: nothing is left, no open handle', async () => {
    const name = `timeout-suite-${randomBytes(3).toString('hex')}`;
    const run = await runSuite(
      { REDIS_CLUSTER_REUSE: '0', REDIS_CLUSTER_RUNTIME: runtime, SUITE_CLUSTER_NAME: name },
      TIMEOUT_SUITE_CONFIG,
      true,
    );
    expect([run.code, run.output.slice(-300)]).toEqual([1, expect.not.stringContaining('did not end within')]);
    expect(run.output).toMatch(/Exceeded timeout of 300 ms for a hook/);
    expect(run.output).not.toMatch(
      /open handles? potentially keeping Jest from exiting|Jest did not exit one second after the test run/,
    );
    expect(await resourcesNamed(runtime, name)).toEqual(NOTHING);
  });
});
