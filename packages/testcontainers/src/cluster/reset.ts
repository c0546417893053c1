/**
 * Emptying a formed cluster and keeping it (`reset()`): FLUSHALL on each master, or UNLINK of
 * the keys matching a pattern, then waiting until every replica has applied it.
 */
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import { delay } from '../util/timing';
import type { AdminConnection, TrackedNode } from './admin';
import { parseInfo } from './replies';

/**
 * Empty every node: FLUSHALL on each master (or, with `match`, UNLINK of the keys matching that
 * glob pattern), then wait until its replicas have applied it (WAIT; replication offsets if WAIT
 * falls short). Resolves when every node, replicas included, is empty (of those keys); rejects
 * when a replica has not caught up within `replicaTimeoutMs`.
 */
export async function emptyNodes(
  plan: ClusterPlan,
  nodes: readonly TrackedNode[],
  options: { match?: string },
  replicaTimeoutMs: number,
): Promise<void> {
  const byName = new Map(nodes.map((n) => [n.planned.name, n]));
  await Promise.all(
    plan.shards.map(async (shard) => {
      const master = byName.get(shard.master.name)!;
      const replicas = shard.replicas.map((r) => byName.get(r.name)!);
      const emptied =
        options.match === undefined ? master.admin.redis.call('FLUSHALL') : unlinkMatching(master.admin, options.match);
      if (replicas.length === 0) {
        await emptied;
        return;
      }
      // Sent right behind the FLUSHALL on the same connection: one round trip in all.
      const acked =
        options.match === undefined
          ? master.admin.redis.call('WAIT', replicas.length, replicaTimeoutMs)
          : emptied.then(() => master.admin.redis.call('WAIT', replicas.length, replicaTimeoutMs));
      await emptied;
      if (Number(await acked) < replicas.length) await waitForOffsets(master, replicas, replicaTimeoutMs);
    }),
  );
}

/** Delete the keys matching `pattern` on one node (SCAN + UNLINK one key at a time: keys of different slots cannot share a command). */
async function unlinkMatching(admin: AdminConnection, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = (await admin.redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [
      string,
      string[],
    ];
    cursor = next;
    await Promise.all(keys.map((key) => admin.redis.call('UNLINK', key)));
  } while (cursor !== '0');
}

/** Wait until every replica's offset reached its master's (after WAIT fell short, e.g. on a slow link). */
async function waitForOffsets(master: TrackedNode, replicas: TrackedNode[], timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  const target = Number(parseInfo(String(await master.admin.redis.call('INFO', 'replication')))['master_repl_offset']);
  for (;;) {
    const offsets = await Promise.all(
      replicas.map(async (r) =>
        Number(parseInfo(String(await r.admin.redis.call('INFO', 'replication')))['slave_repl_offset'] ?? -1),
      ),
    );
    if (offsets.every((o) => o >= target)) return;
    if (performance.now() > until) {
      const late = replicas.filter((_, i) => offsets[i]! < target).map((r) => r.planned.name);
      throw new Error(
        `reset(): replicas ${late.map((n) => `"${n}"`).join(', ')} did not apply FLUSHALL within ${timeoutMs} ms`,
      );
    }
    await delay(5);
  }
}
