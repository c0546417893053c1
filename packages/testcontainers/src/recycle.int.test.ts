/**
 * recycle(): whatever a test did to the cluster (data, a failover, stopped and paused nodes, a
 * half-finished migration, ACL users), it is the plan's cluster again, empty, on the same nodes, and the
 * fixture's clients work at once. One 3x1 cluster per runtime for the file; every test breaks
 * it in its own way and recycles it. The last test makes a node unable to start.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ClusterRecycleError, keyForSlot, startRedisCluster, type StartedRedisCluster } from './index';
import { resourcesOf, RUNTIMES } from '../test/helpers/runtimes';
import { labelled, docker } from '../test/helpers/docker';
import { LABELS } from './runtime/docker/docker';
import { parseInfo } from './cluster/replies';
import { CONFIG_FILE } from './runtime/process/dirs';

// A hang guard, not a measure: six fault helpers' own limit (faultTimeoutMs, 30 s by default; recycle() is one).
jest.setTimeout(180_000);

describe.each(RUNTIMES)('%s runtime', (runtime) => {
  let rc: StartedRedisCluster;

  beforeAll(async () => {
    rc = await startRedisCluster({ runtime, masters: 3, replicas: 1 });
  });

  /** The cluster's containers (Docker, stopped ones too) or running redis-server pids. */
  const nodesNow = async () => (await resourcesOf(runtime, rc.id)).nodes;

  afterAll(async () => {
    await rc?.stop();
  });

  /** Every node agrees with the plan (roles, masters, slot ranges), every replica is linked, every node is empty. */
  async function expectAsPlannedAndEmpty(nodesBefore: string[]): Promise<void> {
    const plannedIds = new Map(rc.nodes.map((n) => [n.name, n.id]));
    for (const from of rc.plan.nodes) {
      const topology = await rc.topology({ from: from.name });
      for (const planned of rc.plan.nodes) {
        const now = topology.node(planned.name);
        expect({ name: planned.name, id: now.id, role: now.role, master: now.masterName, slots: now.slots }).toEqual({
          name: planned.name,
          id: plannedIds.get(planned.name),
          role: planned.role,
          master: planned.masterName,
          slots: planned.slots ? [planned.slots] : [],
        });
        expect(now.migrating).toEqual([]);
        expect(now.importing).toEqual([]);
        expect(now.flags).not.toContain('fail');
      }
    }
    for (const node of rc.nodes) {
      const direct = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        const replication = parseInfo(String(await direct.call('INFO', 'replication')));
        expect({ node: node.name, role: replication['role'], link: replication['master_link_status'] }).toEqual({
          node: node.name,
          role: node.role === 'master' ? 'master' : 'slave',
          link: node.role === 'master' ? undefined : 'up',
        });
        expect({ node: node.name, keys: await direct.dbsize() }).toEqual({ node: node.name, keys: 0 });
        expect(parseInfo(String(await direct.call('CLUSTER', 'INFO')))['cluster_state']).toBe('ok');
      } finally {
        direct.disconnect();
      }
    }
    // The same nodes: no container or process was added or replaced where a node still ran
    // (a stopped node's process is a new one).
    const after = await nodesNow();
    expect(after).toHaveLength(rc.plan.nodes.length);
    expect(after).toEqual(expect.arrayContaining(nodesBefore));
  }

  /** The fixture's clients work at once: the handle's own, and one made before the recycle. */
  async function expectClientsWork(client: ReturnType<StartedRedisCluster['createClient']>): Promise<void> {
    for (const shard of rc.plan.shards) {
      const key = keyForSlot(shard.slots.end, 'after-recycle');
      await rc.cluster.set(key, shard.master.name);
      expect(await client.get(key)).toBe(shard.master.name);
    }
    await rc.cluster.flushall(); // ioredis sends it to every master
  }

  it('after data and a failover: the planned masters again, empty, new ids', async () => {
    const client = rc.createClient();
    const idsBefore = rc.nodes.map((n) => n.id);
    for (let i = 0; i < 50; i++) await rc.cluster.set(`k${i}`, String(i));
    const replica = rc.plan.nodes.find((n) => n.role === 'replica')!;
    await rc.failover(replica.name);

    const before = await nodesNow();
    const result = await rc.recycle();

    expect(result).toMatchObject({ restarted: [], unpaused: [], abandonedMigrations: [], reformed: true });
    expect(Object.keys(result.phases)).toEqual(['nodesMs', 'resetMs', 'formMs', 'readyMs', 'clientsMs']);
    expect(result.ids).toEqual(Object.fromEntries(rc.nodes.map((n) => [n.name, n.id])));
    expect(rc.nodes.map((n) => n.id).filter((id) => idsBefore.includes(id))).toEqual([]);
    await expectAsPlannedAndEmpty(before);
    await expectClientsWork(client);
  });

  it('after data and ACL changes only: still as planned, so only emptied (replicas too, same ids); the added user is gone and `default` is as the start made it', async () => {
    for (let i = 0; i < 50; i++) await rc.cluster.set(`k${i}`, String(i));
    const idsBefore = rc.nodes.map((n) => n.id);
    for (const node of rc.nodes) {
      const direct = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await direct.call('ACL', 'SETUSER', 'intruder', 'on', '>intruder-pw', '~*', '+@all');
        // `default` now needs a password: a client that does not log in is refused.
        await direct.call('ACL', 'SETUSER', 'default', '>default-pw-added-by-a-test');
      } finally {
        direct.disconnect();
      }
    }
    const before = await nodesNow();
    const result = await rc.recycle();
    expect(result).toMatchObject({ reformed: false, polls: 1, phases: { formMs: 0 } });
    expect(rc.nodes.map((n) => n.id)).toEqual(idsBefore);
    await expectAsPlannedAndEmpty(before); // its clients log in as no one: `default` has no password again
    for (const node of rc.nodes) {
      const direct = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        expect({ node: node.name, users: await direct.call('ACL', 'USERS') }).toEqual({
          node: node.name,
          users: ['default'],
        });
      } finally {
        direct.disconnect();
      }
    }
    await expectClientsWork(rc.createClient());
  });

  it('after a stopped master (failed over) and a paused replica: both back, as planned', async () => {
    const client = rc.createClient();
    const [shard1, shard2] = rc.plan.shards;
    await rc.cluster.set(keyForSlot(shard1!.slots.start, 'x'), '1');
    await rc.stopNode(shard1!.master.name);
    await rc.pauseNode(shard2!.replicas[0]!.name);
    await rc.waitForClusterOk(); // the stopped master's replica took over

    const before = await nodesNow();
    const result = await rc.recycle();

    expect(result).toMatchObject({ restarted: [shard1!.master.name], unpaused: [shard2!.replicas[0]!.name] });
    expect(rc.nodeState(shard1!.master.name)).toBe('running');
    expect(rc.nodeState(shard2!.replicas[0]!.name)).toBe('running');
    await expectAsPlannedAndEmpty(before);
    await expectClientsWork(client);
  });

  it("after a half-finished migration with keys on both sides: the slot is its planned master's again", async () => {
    const client = rc.createClient();
    const [from, to] = rc.plan.shards;
    const slot = from!.slots.start + 7;
    const moved = keyForSlot(slot, 'moved');
    await rc.cluster.set(moved, '1');
    await rc.cluster.set(keyForSlot(slot, 'stays'), '2');
    await rc.migrateSlot(slot, to!.master.name, { finish: false, keys: [moved] });

    const before = await nodesNow();
    const result = await rc.recycle();

    expect(result.abandonedMigrations).toEqual([slot]);
    expect(rc.pendingMigrations).toEqual([]);
    await expectAsPlannedAndEmpty(before);
    await expectClientsWork(client);
    // The fault helpers work on the new ids.
    await rc.migrateSlot(slot, to!.master.name);
    await rc.recycle();
    expect((await rc.topology()).masterOf(slot)?.name).toBe(from!.master.name);
    await expectAsPlannedAndEmpty(before);
  });

  it('refuses a second recycle while one runs, and any on a stopped cluster, at once in one line', async () => {
    const before = await nodesNow();
    const first = rc.recycle();
    await expect(rc.recycle()).rejects.toThrow(
      /^Cannot recycle Redis Cluster "\w+": another recycle\(\) of it is running$/,
    );
    await first;
    await expectAsPlannedAndEmpty(before);
  });

  it('a node that will not start again rejects naming it, before anything was reset', async () => {
    const victim = rc.plan.shards[2]!.replicas[0]!.name;
    await rc.cluster.set('still-here', '1');
    await rc.stopNode(victim);
    // Take away what the node needs to start: its container, or its redis.conf.
    if (runtime === 'docker') {
      const { containers } = await labelled(LABELS.cluster, rc.id);
      for (const id of containers) {
        const info = await docker.getContainer(id).inspect();
        if (info.Config.Labels[LABELS.node] === victim) await docker.getContainer(id).remove({ force: true });
      }
    } else {
      const [dir] = (await resourcesOf(runtime, rc.id)).other;
      rmSync(join(dir!, victim, CONFIG_FILE));
    }

    const failure = await rc.recycle().catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(ClusterRecycleError);
    expect((failure as ClusterRecycleError).node).toBe(victim);
    expect((failure as Error).message).toMatch(
      new RegExp(`^Redis Cluster "${rc.id}" could not be recycled while starting node "${victim}" again: .+$`),
    );
    expect(await rc.cluster.get('still-here')).toBe('1'); // nothing was reset
    await rc.stop();
    await expect(rc.recycle()).rejects.toThrow(`Cannot recycle Redis Cluster "${rc.id}": it is stopped`);
    expect(await resourcesOf(runtime, rc.id)).toEqual({ nodes: [], other: [] });
  });
});
