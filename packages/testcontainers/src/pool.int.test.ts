/**
 * The warm pool under real Jest runs (test/pool-suite, its own Jest process, 2 workers): files
 * that ask `useRedisCluster({ isolated: true })` get distinct pool clusters while they run at the
 * same time, each clean; a worker killed mid-file does not keep its cluster; the pool is removed
 * at the end of the run, or kept with REDIS_CLUSTER_REUSE=1 and emptied when the next run
 * attaches to it. (Vitest: vitest-integration.int.test.ts.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { connectToCluster, removeKeptClusters } from './index';
import type { ClusterConnectionInfo } from './started-redis-cluster';
import { NOTHING, resourcesNamed, resourcesOf, RUNTIMES } from '../test/helpers/runtimes';
import { runProcess } from '../test/helpers/run-process';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const CONFIG = join(ROOT, 'packages/testcontainers/test/pool-suite/jest.config.js');
/** A suite run that has not ended after this long is killed (each takes 10-30 s here). */
const RUN_TIMEOUT_MS = 150_000;
// The suite's cluster options (its jest.config globals), for removing what reuse kept.
const SUITE_OPTIONS = { masters: 3, namePrefix: 'pool' };

interface PoolFile {
  file: string;
  worker?: string;
  pid: number;
  cluster: string;
  shared?: string;
  pool?: { dir: string; members: ClusterConnectionInfo[] };
}

interface PoolRun {
  code: number | null;
  output: string;
  files: PoolFile[];
  /** The first two files to hold a pool cluster, which held theirs at the same time. */
  holding: { file: string; cluster: string }[];
  crashed: { cluster: string; pid: number } | undefined;
}

/** Run the pool suite in its own Jest process on 2 workers, as a user would. */
async function runSuite(env: Record<string, string>): Promise<PoolRun> {
  const reportDir = mkdtempSync(join(tmpdir(), 'rck-pool-'));
  // A cache of its own: with timings of an earlier run, Jest may run quick files in band.
  const cacheDir = mkdtempSync(join(tmpdir(), 'rck-pool-cache-'));
  try {
    const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
    const { code, output } = await runProcess(
      process.execPath,
      [jest, '--config', CONFIG, '--cacheDirectory', cacheDir, '--maxWorkers=2'],
      { cwd: ROOT, env: { SUITE_REPORT_DIR: reportDir, ...env }, killAfterMs: RUN_TIMEOUT_MS },
    );
    const lines = (name: string) =>
      existsSync(join(reportDir, name))
        ? readFileSync(join(reportDir, name), 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as unknown)
        : [];
    const crashed = existsSync(join(reportDir, 'crashed.json'))
      ? (JSON.parse(readFileSync(join(reportDir, 'crashed.json'), 'utf8')) as PoolRun['crashed'])
      : undefined;
    return {
      code,
      output,
      files: lines('files.jsonl') as PoolFile[],
      holding: lines('holding.jsonl') as PoolRun['holding'],
      crashed,
    };
  } finally {
    rmSync(reportDir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

function expectOutcome(run: PoolRun, summary: RegExp): void {
  if (!summary.test(run.output)) {
    throw new Error(`The suite did not end as expected (exit code ${run.code}):\n${run.output.slice(-4000)}`);
  }
}

/** The 4 isolated files passed on 2 workers; the two that met held distinct pool clusters. */
function expectDistinctPoolClusters(run: PoolRun): { shared: string; members: string[] } {
  expect(run.code).toBe(0);
  expectOutcome(run, /Tests:\s+4 passed, 4 total/);
  expect(run.files.map((f) => f.file).sort()).toEqual(['a', 'b', 'c', 'd']);
  expect(new Set(run.files.map((f) => f.worker)).size).toBe(2);
  const { shared, pool } = run.files[0]! as Required<PoolFile>;
  const members = pool.members.map((m) => m.id);
  expect(members).toHaveLength(2);
  expect(new Set([shared, ...members]).size).toBe(3);
  // Every file had a pool cluster, never the shared one.
  for (const f of run.files) expect(members).toContain(f.cluster);
  // The first two files held theirs at the same time (each waited for the other), on 2
  // workers: distinct clusters (and each saw only its own key: asserted inside the files).
  const [first, second] = run.holding;
  expect(first!.file).not.toBe(second!.file);
  expect(first!.cluster).not.toBe(second!.cluster);
  return { shared, members };
}

describe.each(RUNTIMES)('%s runtime: pool 2, 4 isolated files on 2 Jest workers', (runtime) => {
  it('hands running files distinct pool clusters, each clean, and leaves nothing behind', async () => {
    const name = `pool-suite-${randomBytes(3).toString('hex')}`;
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0', REDIS_CLUSTER_RUNTIME: runtime, SUITE_CLUSTER_NAME: name });
    const { shared, members } = expectDistinctPoolClusters(run);
    for (const id of [shared, ...members]) expect(await resourcesOf(runtime, id)).toEqual(NOTHING);
    expect(await resourcesNamed(runtime, name)).toEqual(NOTHING);
    expect(existsSync(run.files[0]!.pool!.dir)).toBe(false);
  });
});

describe('docker runtime: the pool across runs and crashes', () => {
  afterAll(async () => {
    await removeKeptClusters(SUITE_OPTIONS);
  });

  it('a worker killed mid-file: its claim is taken over by the next file, which gets the cluster recycled', async () => {
    const name = `pool-crash-${randomBytes(3).toString('hex')}`;
    const run = await runSuite({ REDIS_CLUSTER_REUSE: '0', SUITE_FILES: 'crash', SUITE_CLUSTER_NAME: name });
    // Jest reports the killed worker's file as failed; the other one passes.
    expect(run.code).toBe(1);
    expectOutcome(run, /Test Suites: 1 failed, 1 passed, 2 total/);
    expect(run.output).toMatch(/A jest worker process \(pid=\d+\) was terminated by another process: signal=SIGKILL/);
    expect(run.crashed).toBeDefined();
    // The pool's only cluster, which the killed worker held: the other file waited for it, took
    // the dead worker's claim over, and found it empty (it asserts that inside).
    expect(run.files).toEqual([{ file: 'after', pid: expect.any(Number), cluster: run.crashed!.cluster }]);
    expect(run.files[0]!.pid).not.toBe(run.crashed!.pid);
    expect(await resourcesNamed('docker', name)).toEqual(NOTHING);
  });

  it('with REDIS_CLUSTER_REUSE=1 the pool is kept, and the next run attaches to it and empties it', async () => {
    const first = await runSuite({ REDIS_CLUSTER_REUSE: '1' });
    const kept = expectDistinctPoolClusters(first);
    // Left dirty between runs, from outside: the next run's files must find them empty.
    for (const member of first.files[0]!.pool!.members) {
      const outside = await connectToCluster(member);
      await outside.cluster.set('left-between-runs', '1');
      await outside.stop();
    }
    // DEBUG's attach lines: when a kept cluster is not reused, its output says why.
    const second = await runSuite({ REDIS_CLUSTER_REUSE: '1', DEBUG: 'redis-cluster-kit:attach' });
    const reused = expectDistinctPoolClusters(second);
    if (JSON.stringify(reused) !== JSON.stringify(kept)) {
      const attachLines = second.output.split('\n').filter((l) => l.includes('redis-cluster-kit:attach'));
      throw new Error(`The second run did not attach to every kept cluster:\n${attachLines.join('\n')}`);
    }
    expect(reused).toEqual(kept);
    await removeKeptClusters(SUITE_OPTIONS);
    for (const id of [kept.shared, ...kept.members]) expect(await resourcesOf('docker', id)).toEqual(NOTHING);
  });
});
