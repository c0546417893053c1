import { LABELS, removeKeptClusters, startRedisCluster, type RedisClusterOptions } from './index';
import { docker, labelled, resourcesOfCluster, withNode } from '../test/helpers/docker';

// A hang guard, not a measure: twice a start's own limit (startupTimeoutMs, 60 s by default).
jest.setTimeout(120_000);

// Options of this file only (the reuse key includes the node names), so that no other test's
// kept cluster is touched.
const OPTIONS: RedisClusterOptions = { masters: 2, replicas: 1, namePrefix: 'reuse-test', reuse: true };

afterAll(async () => {
  await removeKeptClusters(OPTIONS);
});

describe('reuse: true (or REDIS_CLUSTER_REUSE=1)', () => {
  it('keeps the cluster on stop(), and the next start attaches to it, emptied, in well under a second', async () => {
    const first = await startRedisCluster(OPTIONS);
    expect(first).toMatchObject({ kept: true, reused: false });
    await first.cluster.set('left-behind', '1');
    await first.stop();
    const kept = await resourcesOfCluster(first.id);
    expect(kept.containers).toHaveLength(4);
    // Kept clusters carry no pid: the stale-resource reaper must not take them.
    const [info] = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABELS.cluster}=${first.id}`] }),
    });
    expect(info!.Labels[LABELS.pid]).toBeUndefined();
    expect(info!.Labels[LABELS.reuse]).toMatch(/^[0-9a-f]{16}$/);

    const startedAt = async () =>
      Promise.all(kept.containers.map(async (id) => (await docker.getContainer(id).inspect()).State.StartedAt));
    const before = await startedAt();
    const second = await startRedisCluster(OPTIONS);
    expect(second).toMatchObject({ kept: true, reused: true, id: first.id });
    // It attached: the same containers, none started again, none added (how fast: `pnpm bench --only reuse`).
    expect(await resourcesOfCluster(first.id)).toEqual(kept);
    expect(await startedAt()).toEqual(before);
    for (const node of second.nodes) expect(await withNode(node, (r) => r.dbsize())).toBe(0);
    await second.cluster.set('k', 'v');
    expect(await second.cluster.get('k')).toBe('v');
    expect(second.nodes.map((n) => n.id)).toEqual(first.nodes.map((n) => n.id));
    await second.stop();
  });

  it('recycles a kept cluster that is not as planned any more (a failover, a half-done migration) instead of starting over', async () => {
    const first = await startRedisCluster(OPTIONS);
    const [shard1, shard2] = first.plan.shards;
    await first.cluster.set('left-behind', '1');
    await first.failover(shard1!.replicas[0]!.name);
    await first.migrateSlot(shard2!.slots.start, shard1!.replicas[0]!.name, { finish: false });
    const idsBefore = first.nodes.map((n) => n.id);
    await first.stop();

    const second = await startRedisCluster(OPTIONS);
    expect(second).toMatchObject({ kept: true, reused: true, id: first.id });
    const topology = await second.topology();
    for (const planned of second.plan.nodes) {
      const now = topology.node(planned.name);
      expect({ role: now.role, master: now.masterName, slots: now.slots, migrating: now.migrating }).toEqual({
        role: planned.role,
        master: planned.masterName,
        slots: planned.slots ? [planned.slots] : [],
        migrating: [],
      });
    }
    expect(second.nodes.map((n) => n.id).filter((id) => idsBefore.includes(id))).toEqual([]); // recycled: new ids
    for (const node of second.nodes) expect(await withNode(node, (r) => r.dbsize())).toBe(0);
    await second.cluster.set('k', 'v');
    expect(await second.cluster.get('k')).toBe('v');
    await second.stop();
  });

  it('does not attach to a kept cluster with a node that is not running: removes it and starts a fresh one', async () => {
    const first = await startRedisCluster(OPTIONS);
    await first.stop();
    // Break it: a node's container is gone.
    const { containers } = await labelled(LABELS.cluster, first.id);
    const [one] = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABELS.cluster}=${first.id}`, `${LABELS.node}=reuse-test-3`] }),
    });
    await docker.getContainer(one!.Id).stop({ t: 0 });
    expect(containers).toHaveLength(4);

    const fresh = await startRedisCluster({ ...OPTIONS, startupTimeoutMs: 60_000 });
    expect(fresh.reused).toBe(false);
    expect(fresh.id).not.toBe(first.id);
    expect(await resourcesOfCluster(first.id)).toEqual({ containers: [], networks: [] });
    await fresh.stop();
  });

  it('removeKeptClusters() removes kept clusters with their networks', async () => {
    const rc = await startRedisCluster(OPTIONS);
    await rc.stop();
    expect(await removeKeptClusters(OPTIONS)).toBeGreaterThanOrEqual(1);
    expect(await resourcesOfCluster(rc.id)).toEqual({ containers: [], networks: [] });
  });
});
