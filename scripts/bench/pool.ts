/**
 * The `pool` section of `pnpm bench`: the wall time of a real Jest run (its own process, 2
 * workers) of 8 files that each need a cluster of their own (scripts/bench/pool-suite), with the
 * warm pool (pool: 2, each file claims a cluster and recycles it when done) and without it (each
 * file starts a cluster and stops it), in alternating rounds of the same bench run. The wall
 * time is the whole `jest` command: the globalSetup's start of the shared cluster and the pool
 * counts, as a user waits for it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const CONFIG = join(__dirname, 'pool-suite/jest.config.js');

/**
 * Jest runs of the 8 files in one mode, sharing one cache folder: the first run (not counted)
 * compiles the TypeScript, as a user's first run does; later runs find it compiled, as a user's
 * edit-test loop does. Jest's record of earlier files' durations is removed before each run: with
 * it, Jest may run quick files in band instead of on 2 workers.
 */
export class PoolSuite {
  readonly #cacheDir = mkdtempSync(join(tmpdir(), 'rck-bench-pool-cache-'));
  #warm = false;

  constructor(readonly pool: boolean) {}

  /** One run: its wall time in ms (the first, untimed, compiles first). Throws with Jest's output when a file failed. */
  async run(): Promise<number> {
    if (!this.#warm) {
      await this.#once();
      this.#warm = true;
    }
    return this.#once();
  }

  remove(): void {
    rmSync(this.#cacheDir, { recursive: true, force: true });
  }

  async #once(): Promise<number> {
    for (const entry of readdirSync(this.#cacheDir)) {
      if (entry.startsWith('perf-cache')) rmSync(join(this.#cacheDir, entry), { recursive: true, force: true });
    }
    const t0 = performance.now();
    const jest = join(ROOT, 'node_modules/jest/bin/jest.js');
    const child = spawn(
      process.execPath,
      [jest, '--config', CONFIG, '--cacheDirectory', this.#cacheDir, '--maxWorkers=2'],
      {
        cwd: ROOT,
        env: { ...process.env, BENCH_POOL: this.pool ? '1' : '0', REDIS_CLUSTER_REUSE: '0' },
        stdio: 'pipe',
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    const wallMs = performance.now() - t0;
    if (code !== 0 || !/Tests:\s+8 passed, 8 total/.test(output)) {
      throw new Error(`the pool bench suite failed (pool ${this.pool}, exit code ${code}):\n${output.slice(-3000)}`);
    }
    return wallMs;
  }
}
