/** Proving that a cluster client routes: a write to every master through it. */
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import type { Cluster } from 'ioredis';
import { keyForSlot } from '../util/slots';
import { delay, withTimeout } from '../util/timing';

/** A write (and its delete) on a key of every master's first slot, through the cluster client; retried while the cluster settles. */
export async function probeWrites(cluster: Cluster, plan: ClusterPlan, signal: AbortSignal): Promise<void> {
  await Promise.all(
    plan.shards.map(async (shard) => {
      const key = keyForSlot(shard.slots.start, ':redis-cluster-kit:probe');
      for (;;) {
        try {
          await withTimeout(cluster.set(key, '1', 'PX', 10_000), Infinity, signal);
          await withTimeout(cluster.del(key), Infinity, signal);
          return;
        } catch (err) {
          if (signal.aborted) throw err;
          if (!/CLUSTERDOWN|TRYAGAIN|MOVED|ASK/.test(String(err))) throw err;
          await delay(20, signal);
        }
      }
    }),
  );
}

/** Make a client read the slot map again now (ioredis refreshSlotsCache), bounded by `signal`. */
export async function refreshSlots(cluster: Cluster, signal: AbortSignal): Promise<void> {
  if (cluster.status === 'end' || cluster.status === 'close') return;
  const refreshed = new Promise<void>((resolve, reject) =>
    cluster.refreshSlotsCache((err) => (err ? reject(err) : resolve())),
  );
  await withTimeout(refreshed, Infinity, signal);
}
