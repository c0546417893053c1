/**
 * `@redis-cluster-kit/testcontainers/vitest`: Vitest integration, the same as the Jest one.
 * One cluster for the run (`./vitest/global-setup`), handed to every worker with Vitest's
 * provide/inject, and for test files either `useRedisCluster()` (hooks) or `redisClusterTest`
 * (a `test.extend` fixture).
 *
 * a test file:
 * ```ts
 *   import { useRedisCluster } from '@redis-cluster-kit/testcontainers/vitest';
 *   const redis = useRedisCluster({ reset: true });
 *   test('...', async () => { await redis.cluster.set('k', 'v'); });
 * ```
 *
 * What Jest and Vitest share is in `test-runner/`; this file only says when (Vitest's hooks and
 * fixtures) and how a worker learns the run's cluster (`inject('redisCluster')`).
 *
 * @packageDocumentation
 */
import { afterAll, beforeAll, beforeEach, expect, inject, test, type TestAPI } from 'vitest';
import type { ClusterConnectionInfo } from '../started-redis-cluster.js';
import {
  FileSession,
  type RedisClusterHandle,
  type RunClusters,
  type UseRedisClusterOptions,
} from '../test-runner/file-session.js';
import { parsePoolInfo } from '../test-runner/pool-claims.js';
import './provided-context.mjs';

export { createGlobalSetup } from './global-setup.mjs';
export { namespaceFor, type RedisClusterHandle, type UseRedisClusterOptions } from '../test-runner/file-session.js';

/** The run's cluster and pool when the kit's globalSetup started them, else undefined (the file starts its own). */
function runCluster(): RunClusters {
  // Without the globalSetup (or a pool) nothing is provided: inject() answers undefined.
  const shared: ClusterConnectionInfo | undefined = inject('redisCluster');
  return { shared, pool: parsePoolInfo(inject('redisClusterPool')) };
}

/** The test file running now (Vitest sets it before the file's hooks and fixtures run). */
function currentTestPath(): string {
  const path = expect.getState().testPath;
  if (path === undefined || path === '')
    throw new Error('useRedisCluster(): Vitest did not say which test file runs (expect.getState().testPath)');
  return path;
}

/**
 * Use a Redis Cluster in a test file: connects in beforeAll (to the run's cluster from the
 * globalSetup, to a pool cluster of its own with `isolated`, or starts one for the file),
 * resets before each test when asked, closes in afterAll (a pool cluster is given back, to be recycled in the background). Call it at the top level of the file (or of a describe).
 */
export function useRedisCluster(options: UseRedisClusterOptions = {}): RedisClusterHandle {
  const session = new FileSession(options);
  beforeAll(() => session.open(runCluster(), currentTestPath()), session.hookTimeoutMs);
  if (options.reset) beforeEach(() => session.reset());
  // Recycling a pool cluster, or stopping a cluster of the file's own, may take longer than Vitest's default hook timeout.
  afterAll(() => session.close(), session.hookTimeoutMs);
  return session.handle;
}

/** The fixtures of {@link createRedisClusterTest}. */
export interface RedisClusterFixtures {
  /** The file's handle, as `useRedisCluster()` returns it: set up once per file, on first use. */
  redis: RedisClusterHandle;
}

/**
 * A `test` with a `redis` fixture, for those who prefer fixtures to hooks:
 * ```ts
 *   const it = createRedisClusterTest({ reset: true });
 *   it('...', async ({ redis }) => { await redis.cluster.set('k', 'v'); });
 * ```
 * The fixture is file-scoped (one connection, or one cluster of the file's own, per file); with
 * `reset`, each test that uses it starts from an empty namespace.
 */
export function createRedisClusterTest(options: UseRedisClusterOptions = {}): TestAPI<RedisClusterFixtures> {
  return test.extend<{ $file: { redisSession: FileSession }; $test: RedisClusterFixtures }>({
    redisSession: [
      // eslint-disable-next-line no-empty-pattern -- Vitest reads the fixtures a fixture needs from this pattern: none
      async ({}, use) => {
        const session = new FileSession(options);
        try {
          await session.open(runCluster(), currentTestPath());
          await use(session);
        } finally {
          await session.close();
        }
      },
      { scope: 'file' },
    ],
    redis: async ({ redisSession }, use) => {
      if (options.reset) await redisSession.reset();
      await use(redisSession.handle);
    },
  });
}

/** {@link createRedisClusterTest} with the default options: `redisClusterTest('...', async ({ redis }) => ...)`. */
export const redisClusterTest: TestAPI<RedisClusterFixtures> = createRedisClusterTest();
