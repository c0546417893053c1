/**
 * The run's shared cluster, whichever runner runs the tests (Jest or Vitest): its options read
 * from the runner's config and checked before anything starts, one cluster started (or a kept one
 * attached to, with `REDIS_CLUSTER_REUSE`), its connection info for the workers, a full reset
 * between watch-mode reruns, and its stop at the end of the run. The runner adapters (`jest/`,
 * `vitest/`) only say where the options come from and how the workers learn the connection info
 * (Jest: an environment variable; Vitest: `project.provide()`).
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import type { RedisClusterOptions } from '../options';
import { resolveFixtureOptions } from '../resolve-options';
import { startRedisCluster } from '../start-redis-cluster';
import type { ClusterConnectionInfo, StartedRedisCluster } from '../started-redis-cluster';

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
  options: RedisClusterOptions = {},
): RedisClusterOptions {
  if (
    fromConfig !== undefined &&
    (fromConfig === null || typeof fromConfig !== 'object' || Array.isArray(fromConfig))
  ) {
    throw new InvalidOptionError(where, fromConfig, 'an object of startRedisCluster() options');
  }
  const merged: RedisClusterOptions = { ...(fromConfig as RedisClusterOptions | undefined), ...options };
  resolveFixtureOptions(merged, process.env);
  return merged;
}

/** The run's one cluster, from the global set-up to the global teardown. */
export class RunCluster {
  readonly #rc: StartedRedisCluster;

  private constructor(rc: StartedRedisCluster) {
    this.#rc = rc;
  }

  /** Start the run's cluster (or attach to a kept one: `reuse`, `REDIS_CLUSTER_REUSE`). */
  static async start(options: RedisClusterOptions): Promise<RunCluster> {
    return new RunCluster(await startRedisCluster(options));
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

  /** Stop the cluster at the end of the run (a kept one stays running for the next run). */
  stop(): Promise<void> {
    return this.#rc.stop();
  }
}
