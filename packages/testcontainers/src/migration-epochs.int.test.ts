/**
 * migrateSlot() gives a slot to a target that outranks every other claim on it. CLUSTER SETSLOT
 * NODE on the importing node raises its config epoch only when that epoch is not already the
 * newest the node knows (clusterBumpConfigEpochWithoutConsensus, Redis's cluster.c). A target
 * that has not yet heard the newest epoch takes the slot with a stale one, and gossip the
 * source sent before the move (with the higher epoch) gives the slot back to the source on
 * that node alone: each node then thinks another one serves it. Seen in CI under load, where
 * gossip lags behind the helper's own commands; made certain here with a partition: a node cut
 * off from its peers hears no epoch at all.
 */
import { Redis } from 'ioredis';
import { parseInfo } from './cluster/replies';
import { startRedisCluster, type StartedRedisCluster } from './index';
import { partitionChains, RUNTIMES } from '../test/helpers/runtimes';

// A hang guard, not a measure: a start and three fault helpers, each within its own limit.
jest.setTimeout(180_000);

describe.each(RUNTIMES)('%s runtime', (runtime) => {
  let rc: StartedRedisCluster;

  beforeAll(async () => {
    rc = await startRedisCluster({ runtime, masters: 3, networkFaults: true });
  });

  afterAll(async () => {
    await rc?.stop();
    if (rc) expect(await partitionChains(runtime, rc.id)).toEqual([]);
  });

  /** What a node itself reports: the newest epoch it knows, and its own config epoch. */
  async function epochs(name: string): Promise<{ current: number; mine: number }> {
    const node = rc.nodes.find((n) => n.name === name)!;
    const redis = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await redis.connect();
      const info = parseInfo(String(await redis.call('CLUSTER', 'INFO')));
      return { current: Number(info.cluster_current_epoch), mine: Number(info.cluster_my_epoch) };
    } finally {
      redis.disconnect();
    }
  }

  it('waits until the target knows the newest epoch before giving it the slot; then the target outranks the source and every node agrees', async () => {
    const slot = 200; // planned on redis-node-1, no keys: no MIGRATE between the cut-off nodes
    const partition = await rc.isolate('redis-node-1');
    // redis-node-2 takes the slot and a new epoch; redis-node-1 is told the new owner by the
    // helper itself, but cannot hear the epoch.
    await rc.migrateSlot(slot, 'redis-node-2');
    const newest = (await epochs('redis-node-2')).mine;
    expect((await epochs('redis-node-1')).current).toBeLessThan(newest);

    // Moving it back now would give redis-node-1 the slot with an epoch below redis-node-2's.
    // The helper waits for gossip instead, which cannot come while the node is cut off: any
    // limit fails here, so the smallest useful one (the fixture's default node timeout).
    await expect(rc.migrateSlot(slot, 'redis-node-1', { timeoutMs: 1000 })).rejects.toThrow(
      new RegExp(
        `^Cannot finish the migration of slot ${slot}: its target knows epoch \\d+, but the cluster is at ${newest}`,
      ),
    );
    expect(rc.pendingMigrations).toEqual([{ slot, from: 'redis-node-2', to: 'redis-node-1' }]);

    // Once the node hears its peers again, the same migration finishes, with a higher epoch.
    await partition.lift();
    await rc.finishMigration(slot); // the fixture's faultTimeoutMs: gossip after the lift
    const [target, source] = [await epochs('redis-node-1'), await epochs('redis-node-2')];
    expect(target.mine).toBeGreaterThan(source.mine);
    const topology = await rc.topology();
    expect(topology.masterOf(slot)?.name).toBe('redis-node-1');
    await rc.heal(); // every node agrees on every slot, as planned
  });
});
