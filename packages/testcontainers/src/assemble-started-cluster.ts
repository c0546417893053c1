/**
 * assembleStartedCluster(), the one function that makes a StartedRedisCluster handle.
 */
import type { TrackedNode } from './cluster/admin';
import { StartedRedisCluster } from './started-redis-cluster';
import type { ClusterParts } from './started-cluster-types';

/**
 * The one function that makes a {@link StartedRedisCluster}: for a fresh start, a kept cluster
 * attached to again, and a worker's connection to the run's shared cluster alike. Its client
 * starts connecting at once; the caller waits for it to be ready.
 */
export function assembleStartedCluster(parts: ClusterParts): StartedRedisCluster {
  const nodes = parts.plan.nodes.map((planned): TrackedNode => {
    const id = parts.ids.get(planned.name);
    const admin = parts.admins.get(planned.name);
    if (id === undefined || admin === undefined) {
      throw new Error(
        `No ${id === undefined ? 'node id' : 'connection'} for node "${planned.name}" of Redis Cluster "${parts.id}"`,
      );
    }
    return { planned, id, admin };
  });
  return new StartedRedisCluster({
    id: parts.id,
    plan: parts.plan,
    nodes,
    table: parts.table,
    access: parts.access,
    timeouts: parts.timeouts,
    clusterOptions: parts.clusterOptions,
    runtime: parts.runtime,
    log: parts.log,
    kept: parts.origin !== 'started',
    reused: parts.origin === 'reused' || parts.origin === 'connected',
    ...(parts.links ? { links: parts.links } : {}),
  });
}
