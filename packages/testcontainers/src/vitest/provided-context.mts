/**
 * What the kit provides to Vitest's workers, and reads from the config: `inject('redisCluster')`
 * is typed, with no cast, wherever the package's `./vitest` entry (or its globalSetup) is imported.
 */
import type { RunnerClusterOptions } from '../options.js';
import type { ClusterConnectionInfo } from '../started-redis-cluster.js';
import type { ClusterPoolInfo } from '../test-runner/pool-claims.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's cluster, from the kit's globalSetup: what `connectToCluster()` connects with. */
    redisCluster: ClusterConnectionInfo;
    /** The warm pool, from the kit's globalSetup when its options have `pool` > 0: what `useRedisCluster({ isolated: true })` claims. */
    redisClusterPool: ClusterPoolInfo;
    /** The options of the run's cluster and its pool (the config's `provide`), read by the kit's globalSetup. */
    redisClusterOptions: RunnerClusterOptions;
  }
}
