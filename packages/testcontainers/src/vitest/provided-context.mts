/**
 * What the kit provides to Vitest's workers, and reads from the config: `inject('redisCluster')`
 * is typed, with no cast, wherever the package's `./vitest` entry (or its globalSetup) is imported.
 */
import type { RedisClusterOptions } from '../options.js';
import type { ClusterConnectionInfo } from '../started-redis-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's cluster, from the kit's globalSetup: what `connectToCluster()` connects with. */
    redisCluster: ClusterConnectionInfo;
    /** The options of the run's cluster (the config's `provide`), read by the kit's globalSetup. */
    redisClusterOptions: RedisClusterOptions;
  }
}
