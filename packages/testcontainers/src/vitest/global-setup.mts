/**
 * `@redis-cluster-kit/testcontainers/vitest/global-setup`: Vitest's globalSetup, ready made. It
 * starts one cluster for the run with the options of the config's
 * `provide: { redisClusterOptions }`, hands its connection info to every worker with
 * `project.provide('redisCluster', ...)`, empties it before each watch-mode rerun, and stops it
 * at the end of the run (a kept one, `REDIS_CLUSTER_REUSE=1`, stays running for the next run).
 * With `pool: N` in those options, it keeps N more clusters ready for isolated files
 * (`project.provide('redisClusterPool', ...)`), removed (or kept) at the end of the run too.
 *
 * vitest.config.ts:
 * ```ts
 *   test: {
 *     globalSetup: ['@redis-cluster-kit/testcontainers/vitest/global-setup'],
 *     provide: { redisClusterOptions: { masters: 3, replicas: 1 } },   // optional
 *   }
 * ```
 *
 * This module imports nothing of Vitest at run time: it runs in Vitest's main process.
 *
 * @packageDocumentation
 */
import type { TestProject } from 'vitest/node';
import type { RunnerClusterOptions } from '../options.js';

import './provided-context.mjs';

/**
 * A Vitest globalSetup function that starts the run's cluster and its pool with `options`
 * (merged over the config's `provide.redisClusterOptions`); for a globalSetup file of your own:
 * `export default createGlobalSetup({ masters: 1 })`. Its result is the teardown Vitest calls
 * at the end of the run.
 * @throws InvalidOptionError before anything starts, when an option is not valid.
 */
export function createGlobalSetup(options: RunnerClusterOptions = {}) {
  return async function setup(project: TestProject): Promise<() => Promise<void>> {
    // Loaded here, not at the top: `./vitest` re-exports this module into every test file, and only
    // the globalSetup needs the runtimes and the Docker client that come with it.
    const { RunCluster, runClusterOptions } = await import('../test-runner/run-cluster.js');
    const merged = runClusterOptions(
      project.getProvidedContext().redisClusterOptions,
      'provide.redisClusterOptions',
      options,
    );
    const run = await RunCluster.start(merged);
    project.provide('redisCluster', run.connectionInfo());
    const pool = run.poolInfo();
    if (pool !== undefined) project.provide('redisClusterPool', pool);
    // Watch mode: every rerun starts from an empty cluster, as the first run did.
    project.onTestsRerun(() => run.reset());
    return () => run.stop();
  };
}

/** Vitest globalSetup: `globalSetup: ['@redis-cluster-kit/testcontainers/vitest/global-setup']`. */
export default createGlobalSetup();
