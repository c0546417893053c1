import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeKeptClusters } from './index';
import { resourcesOfCluster } from '../test/helpers/docker';
import { runProcess } from '../test/helpers/run-process';

// A hang guard, not a measure: two and a half Vitest runs' own limit (RUN_TIMEOUT_MS below).
jest.setTimeout(600_000);

const ROOT = resolve(__dirname, '../../..');
const SUITE = join(ROOT, 'packages/testcontainers/test/vitest-suite');
const POOL_SUITE = join(ROOT, 'packages/testcontainers/test/vitest-pool-suite');
const VITEST = join(ROOT, 'packages/testcontainers/node_modules/vitest/vitest.mjs');
/** A run that has not ended after this long is killed: a hang guard, not a measure (four starts' own limit, startupTimeoutMs). */
const RUN_TIMEOUT_MS = 240_000;
// The suite's cluster options (its vitest.config provide), for removing what reuse kept.
const SUITE_OPTIONS = { masters: 3, replicas: 1, namePrefix: 'vsuite' };

interface SuiteRun {
  code: number | null;
  output: string;
  files: { file: string; pid: number; cluster: string; shared: boolean; namespace: string; network?: string }[];
  setupMs: number;
  /** The pool suite's files: each one's pool cluster, the run's shared one, the pool's members and folder. */
  poolFiles: { file: string; pid: number; cluster: string; shared: string; members: string[]; poolDir: string }[];
  /** The pool suite: the first two files to hold a pool cluster, which held theirs at the same time. */
  holding: { file: string; cluster: string }[];
}

/** Run the example suite (or `cwd`'s) in its own Vitest process (6 files, 2 forks), as a user would. */
async function runSuite(env: Record<string, string> = {}, cwd = SUITE): Promise<SuiteRun> {
  const reportDir = mkdtempSync(join(tmpdir(), 'rck-vitest-'));
  try {
    const { code, output } = await runProcess(process.execPath, [VITEST, 'run', '--config', 'vitest.config.mts'], {
      cwd,
      env: { SUITE_REPORT_DIR: reportDir, NO_COLOR: '1', ...env },
      killAfterMs: RUN_TIMEOUT_MS,
    });
    const lines = (name: string) => {
      try {
        return readFileSync(join(reportDir, name), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return []; // reported through the exit code and the output
      }
    };
    return {
      code,
      output,
      files: lines('files.jsonl') as unknown as SuiteRun['files'],
      setupMs: Number(lines('setup.jsonl')[0]?.['setupMs']),
      poolFiles: lines('files.jsonl') as unknown as SuiteRun['poolFiles'],
      holding: lines('holding.jsonl') as unknown as SuiteRun['holding'],
    };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
  }
}

function expectPassed(run: SuiteRun): void {
  if (run.code !== 0 || !/Tests\s+11 passed \(11\)/.test(run.output)) {
    throw new Error(`The suite failed (exit code ${run.code}):\n${run.output.slice(-4000)}`);
  }
}

describe('Vitest integration (globalSetup + provide/inject + useRedisCluster / the fixture) in a real suite', () => {
  afterAll(async () => {
    await removeKeptClusters(SUITE_OPTIONS);
  });

  it('runs 6 files on 2 forks against one cluster, no key collisions, a fault from a worker; removes it at the end', async () => {
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0' });
    expectPassed(run);
    expect(run.files.map((f) => f.file).sort()).toEqual(['alpha', 'beta', 'delta', 'fault', 'fixture', 'gamma']);
    expect(new Set(run.files.map((f) => f.pid)).size).toBe(2);
    const clusters = new Set(run.files.map((f) => f.cluster));
    expect(clusters.size).toBe(1);
    expect(run.files.every((f) => f.shared)).toBe(true);
    expect(new Set(run.files.map((f) => f.namespace)).size).toBe(6);
    // Every worker knows the cluster's network, for a container of its own to join.
    expect(run.files.map((f) => f.network)).toEqual(run.files.map(() => `redis-cluster-kit-${[...clusters][0]!}`));
    expect(await resourcesOfCluster([...clusters][0]!)).toEqual({ containers: [], networks: [] });
  });

  it('with REDIS_CLUSTER_REUSE=1 the next run attaches to the cluster the previous one kept', async () => {
    const first = await runSuite({ REDIS_CLUSTER_REUSE: '1' });
    expectPassed(first);
    const kept = await resourcesOfCluster(first.files[0]!.cluster);
    expect(kept.containers).toHaveLength(6); // 3 masters x 1 replica, left running for the next run
    const second = await runSuite({ REDIS_CLUSTER_REUSE: '1' });
    expectPassed(second);
    expect(second.files[0]!.cluster).toBe(first.files[0]!.cluster);
    expect(second.files[0]!.network).toBe(`redis-cluster-kit-${first.files[0]!.cluster}`);
    // It attached: the same containers, none started again, none added (how fast: `pnpm bench --only reuse`).
    expect(await resourcesOfCluster(first.files[0]!.cluster)).toEqual(kept);
    console.log(
      `Vitest globalSetup: fresh ${Math.round(first.setupMs)} ms, attach to the kept cluster ${Math.round(second.setupMs)} ms`,
    );
  });

  it('a bad option in provide.redisClusterOptions fails the run at once with the one-line message, nothing started', async () => {
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0', SUITE_BAD_OPTION: '1' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('Invalid option nodeTimeoutMs -1. Expected');
    expect(run.files).toEqual([]);
    expect(Number.isNaN(run.setupMs)).toBe(true);
  });

  it('in watch mode, a rerun finds the cluster emptied (project.onTestsRerun), and closing stops it', async () => {
    const { code, output } = await runProcess(process.execPath, [join(SUITE, 'watch-rerun.mjs')], {
      cwd: SUITE,
      env: { REDIS_CLUSTER_REUSE: '0' },
      killAfterMs: RUN_TIMEOUT_MS,
    });
    const last = output.trim().split('\n').at(-1) ?? '';
    if (code !== 0 || !last.startsWith('{'))
      throw new Error(`watch-rerun.mjs failed (${code}):\n${output.slice(-4000)}`);
    const result = JSON.parse(last) as { first: unknown; rerun: unknown; keyAfterRerun: number; cluster: string };
    expect(result.first).toEqual({ files: 6, failed: 0 });
    expect(result.rerun).toEqual({ files: 6, failed: 0 });
    expect(result.keyAfterRerun).toBe(0);
    expect(await resourcesOfCluster(result.cluster)).toEqual({ containers: [], networks: [] });
  });
});

describe('Vitest: the warm pool (pool: 2) for 4 isolated files on 2 forks', () => {
  it('hands files running at the same time distinct pool clusters, each clean, and removes the pool at the end', async () => {
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0' }, POOL_SUITE);
    if (run.code !== 0 || !/Tests\s+4 passed \(4\)/.test(run.output)) {
      throw new Error(`The pool suite failed (exit code ${run.code}):\n${run.output.slice(-4000)}`);
    }
    const files = run.poolFiles;
    expect(files.map((f) => f.file).sort()).toEqual(['four', 'one', 'three', 'two']);
    expect(new Set(files.map((f) => f.pid)).size).toBe(2);
    const { shared, members, poolDir } = files[0]!;
    expect(new Set([shared, ...members]).size).toBe(3);
    for (const f of files) expect(members).toContain(f.cluster);
    // The first two files held theirs at the same time (each waited for the other): distinct
    // clusters, and each saw only its own key (asserted inside the files).
    const [first, second] = run.holding;
    expect(first!.cluster).not.toBe(second!.cluster);
    for (const id of [shared, ...members])
      expect(await resourcesOfCluster(id)).toEqual({ containers: [], networks: [] });
    expect(existsSync(poolDir)).toBe(false);
  });
});
