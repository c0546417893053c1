/**
 * Jest integration: one cluster for the whole run (globalSetup / globalTeardown), handed to
 * every worker, and `useRedisCluster()` for test files.
 *
 * jest.config:
 * ```js
 *   globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
 *   globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
 *   globals: { redisCluster: { masters: 3, replicas: 1 } },   // optional: the cluster's options
 *   // globals: { redisCluster: { masters: 3, pool: 2 } },     // and 2 clusters ready for isolated files
 * ```
 *
 * a test file:
 * ```ts
 *   const redis = useRedisCluster({ reset: true });
 *   test('...', async () => { await redis.cluster.set('k', 'v'); });
 * ```
 *
 * What Jest and Vitest share is in `test-runner/`; this file only says when (Jest's hooks) and
 * how the workers learn the run's cluster (an environment variable).
 *
 * @packageDocumentation
 */

import { CONNECTION_ENV_VAR, parseConnectionInfo } from '../connect';
import type { RunnerClusterOptions } from '../options';
import { FileSession, type RedisClusterHandle, type UseRedisClusterOptions } from '../test-runner/file-session';
import { parsePoolInfo, POOL_ENV_VAR } from '../test-runner/pool-claims';
import type * as RunClusterModule from '../test-runner/run-cluster';
import type { RunCluster } from '../test-runner/run-cluster';

export { CONNECTION_ENV_VAR } from '../connect';
export { namespaceFor, type RedisClusterHandle, type UseRedisClusterOptions } from '../test-runner/file-session';

/** Where globalSetup keeps the cluster for globalTeardown (same process, shared globalThis). */
const GLOBAL_KEY = '__REDIS_CLUSTER_KIT_JEST__';

type JestGlobalConfig = { maxWorkers?: number } | undefined;
type JestProjectConfig = { globals?: Record<string, unknown> } | undefined;

/**
 * A globalSetup function that starts one cluster with `options` (merged over the project's
 * `globals.redisCluster`), and `pool` more for isolated files, and hands them to the workers
 * through environment variables ({@link CONNECTION_ENV_VAR}). With `REDIS_CLUSTER_REUSE=1`, it
 * attaches to the clusters the previous run kept.
 */
export function createGlobalSetup(options: RunnerClusterOptions = {}) {
  return async function globalSetup(
    _globalConfig?: JestGlobalConfig,
    projectConfig?: JestProjectConfig,
  ): Promise<void> {
    // Loaded here, not at the top: a test file loads this module too, and only the globalSetup
    // needs the runtimes and the Docker client that come with it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; this file is CommonJS
    const { RunCluster, runClusterOptions } = require('../test-runner/run-cluster') as typeof RunClusterModule;
    const merged = runClusterOptions(projectConfig?.globals?.['redisCluster'], 'globals.redisCluster', options);
    const run = await RunCluster.start(merged);
    (globalThis as Record<string, unknown>)[GLOBAL_KEY] = run;
    // Workers start after globalSetup and inherit the environment.
    process.env[CONNECTION_ENV_VAR] = JSON.stringify(run.connectionInfo());
    const pool = run.poolInfo();
    if (pool !== undefined) process.env[POOL_ENV_VAR] = JSON.stringify(pool);
  };
}

/** globalTeardown: stops the run's cluster (a kept one stays running for the next run). */
export async function globalTeardown(): Promise<void> {
  const run = (globalThis as Record<string, unknown>)[GLOBAL_KEY] as RunCluster | undefined;
  delete (globalThis as Record<string, unknown>)[GLOBAL_KEY];
  delete process.env[CONNECTION_ENV_VAR];
  delete process.env[POOL_ENV_VAR];
  await run?.stop();
}

// Jest's globals, as far as this module uses them (declared here, so that the package does not
// need @types/jest; at run time they are the test file's own globals).
declare const expect: { getState(): { testPath?: string } } | undefined;
declare function beforeAll(fn: () => Promise<void>, timeout?: number): void;
declare function beforeEach(fn: () => Promise<void>, timeout?: number): void;
declare function afterAll(fn: () => Promise<void>, timeout?: number): void;

function currentTestPath(): string {
  try {
    return (typeof expect !== 'undefined' && expect.getState().testPath) || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Use a Redis Cluster in a test file: connects in beforeAll (to the run's cluster from
 * globalSetup, to a pool cluster of its own with `isolated`, or starts one for the file),
 * resets before each test when asked, closes in afterAll (a pool cluster is given back, to be recycled in the background).
 * Call it at the top level of the file (or of a describe).
 */
export function useRedisCluster(options: UseRedisClusterOptions = {}): RedisClusterHandle {
  const session = new FileSession(options);
  beforeAll(() => {
    const info = process.env[CONNECTION_ENV_VAR];
    const shared = info === undefined || info === '' ? undefined : parseConnectionInfo(info);
    return session.open({ shared, pool: parsePoolInfo(process.env[POOL_ENV_VAR]) }, currentTestPath());
  }, session.hookTimeoutMs);
  if (options.reset) beforeEach(() => session.reset());
  // Recycling a pool cluster, or stopping a cluster of the file's own, may take longer than Jest's default timeout.
  afterAll(() => session.close(), session.hookTimeoutMs);
  return session.handle;
}
