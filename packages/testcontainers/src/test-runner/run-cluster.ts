/**
 * The run's shared cluster, whichever runner runs the tests (Jest or Vitest): its options read
 * from the runner's config and checked before anything starts, one cluster started (or a kept one
 * attached to, with `REDIS_CLUSTER_REUSE`), its connection info for the workers, a full reset
 * between watch-mode reruns, and its stop at the end of the run. The runner adapters (`jest/`,
 * `vitest/`) only say where the options come from and how the workers learn the connection info
 * (Jest: an environment variable; Vitest: `project.provide()`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { DEFAULT_FIXTURE_OPTIONS, MAX_POOL, type RunnerClusterOptions } from '../options';
import { resolveFixtureOptions } from '../resolve-options';
import { startCluster } from '../start-redis-cluster';
import type { ClusterConnectionInfo, StartedRedisCluster } from '../started-redis-cluster';
import { POOL_INFO_FORMAT, type ClusterPoolInfo } from './pool-claims';
import { PoolRecycler } from './pool-recycler';

/** The prefix of a run's pool folder (in the system's temporary folder). */
export const POOL_DIR_PREFIX = 'redis-cluster-kit-pool-';

/**
 * The options of the run's cluster: those of the runner's config (`where` names them in an
 * error: `globals.redisCluster`, `provide.redisClusterOptions`) under those given in code.
 * Every one is checked here, so that a bad value fails the run at once with one line, before
 * any container starts.
 * @throws InvalidOptionError naming the option, the value and what is allowed.
 */
export function runClusterOptions(
  fromConfig: unknown,
  where: string,
  options: RunnerClusterOptions = {},
): RunnerClusterOptions {
  if (
    fromConfig !== undefined &&
    (fromConfig === null || typeof fromConfig !== 'object' || Array.isArray(fromConfig))
  ) {
    throw new InvalidOptionError(where, fromConfig, 'an object of startRedisCluster() options');
  }
  const merged: RunnerClusterOptions = { ...(fromConfig as RunnerClusterOptions | undefined), ...options };
  const { pool, ...clusterOptions } = merged;
  if (pool !== undefined && (typeof pool !== 'number' || !Number.isInteger(pool) || pool < 0 || pool > MAX_POOL)) {
    throw new InvalidOptionError(
      'pool',
      pool,
      `an integer from 0 to ${MAX_POOL}: how many clusters the globalSetup keeps ready for useRedisCluster({ isolated: true })`,
    );
  }
  resolveFixtureOptions(clusterOptions, process.env);
  return merged;
}

/**
 * The run's shared cluster and its warm pool (`pool` more clusters with the same options, for
 * isolated files), from the global set-up to the global teardown.
 */
export class RunCluster {
  readonly #rc: StartedRedisCluster;
  readonly #pool: { dir: string; members: StartedRedisCluster[]; recycler: PoolRecycler } | undefined;

  private constructor(rc: StartedRedisCluster, pool: { dir: string; members: StartedRedisCluster[] } | undefined) {
    this.#rc = rc;
    // Files hand their members back to this process, which recycles them in the background.
    this.#pool = pool && { ...pool, recycler: new PoolRecycler(pool.dir, pool.members) };
  }

  /**
   * Start the run's cluster and its pool, all at once (or attach to kept ones: `reuse`,
   * `REDIS_CLUSTER_REUSE`; a kept pool member is recycled on attach, as a file may have left it
   * in any state). Starting them in parallel costs about one start: most of a start is Redis's
   * 2 s writable delay, which the clusters wait out together. When one fails, the others are
   * removed before the error is thrown.
   */
  static async start(options: RunnerClusterOptions): Promise<RunCluster> {
    const { pool: size = DEFAULT_FIXTURE_OPTIONS.pool, ...clusterOptions } = options;
    const dir = size > 0 ? await mkdtemp(join(tmpdir(), POOL_DIR_PREFIX)) : undefined;
    const starts = [
      startCluster(clusterOptions, {}),
      ...Array.from({ length: size }, (_, i) =>
        startCluster(clusterOptions, { reuseTag: `pool${i + 1}`, recycleOnAttach: true }),
      ),
    ];
    const settled = await Promise.allSettled(starts);
    const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.allSettled(started.map((rc) => rc.stop()));
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      throw failed.reason;
    }
    const [shared, ...members] = started;
    return new RunCluster(shared!, dir === undefined ? undefined : { dir, members });
  }

  /** What every worker claims pool members with (undefined without a pool). */
  poolInfo(): ClusterPoolInfo | undefined {
    if (this.#pool === undefined) return undefined;
    return {
      format: POOL_INFO_FORMAT,
      dir: this.#pool.dir,
      members: this.#pool.members.map((m) => m.connectionInfo()),
      recycler: this.#pool.recycler.pid,
    };
  }

  /** The cluster itself (its stop() leaves a kept cluster running). */
  get cluster(): StartedRedisCluster {
    return this.#rc;
  }

  /** What every worker connects with (`connectToCluster()`). */
  connectionInfo(): ClusterConnectionInfo {
    return this.#rc.connectionInfo();
  }

  /** Empty every node: a watch-mode rerun starts from an empty cluster, as the first run did. */
  reset(): Promise<void> {
    return this.#rc.reset();
  }

  /** Stop the cluster and the pool at the end of the run (kept ones stay running for the next run), and remove the pool folder. */
  async stop(): Promise<void> {
    const pool = this.#pool;
    // A member's recycle under way ends before the member is stopped (a few hundred ms): one
    // stopped under it would leave it polling nodes that no longer answer until its own limit.
    // The shared cluster is removed meanwhile.
    const members = (async () => {
      await pool?.recycler.stop();
      await pool?.recycler.settled();
      return Promise.allSettled((pool?.members ?? []).map((m) => m.stop()));
    })();
    const stopped = [...(await Promise.allSettled([this.#rc.stop()])), ...(await members)];
    if (pool !== undefined) await rm(pool.dir, { recursive: true, force: true });
    const failed = stopped.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}
