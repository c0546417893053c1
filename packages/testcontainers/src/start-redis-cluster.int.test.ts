import { CLI_LOOKUP } from '@redis-cluster-kit/plan';
import { createCluster } from 'redis';
import { Cluster } from 'ioredis';
import { keyForSlot, keyHashSlot, LABELS, startRedisCluster, waitUntil, type StartedRedisCluster } from './index';
import { execIn, labelled, withNode } from '../test/helpers/docker';
import { NOTHING, resourcesOf, resourcesOfThisProcess, RUNTIMES } from '../test/helpers/runtimes';

// Starting containers on a busy machine takes seconds; Jest's default is 5 s per test and hook.
jest.setTimeout(120_000);

// The same API tests on every runtime: containers (docker) and local redis-server processes.
describe.each(RUNTIMES)('%s runtime', (runtime) => {
  describe('startRedisCluster({ masters: 3, replicas: 1 })', () => {
    let rc: StartedRedisCluster;
    const events: string[] = [];

    beforeAll(async () => {
      rc = await startRedisCluster({ runtime, masters: 3, replicas: 1, logger: (e) => events.push(e.phase) });
    });

    afterAll(async () => {
      await rc?.stop();
    });

    it('logs each phase through the logger hook', () => {
      expect(rc.runtime).toBe(runtime);
      const phases =
        runtime === 'docker'
          ? ['runtime', 'docker', 'containers', 'formed', 'ready']
          : ['runtime', 'processes', 'formed', 'ready'];
      expect(events).toEqual(expect.arrayContaining(phases));
    });

    it('describes its nodes as planned: names, roles, masters of replicas, slots, reachable addresses', () => {
      const nodes = rc.nodes;
      expect(nodes.map((n) => [n.name, n.role])).toEqual([
        ['redis-node-1', 'master'],
        ['redis-node-2', 'master'],
        ['redis-node-3', 'master'],
        ['redis-node-4', 'replica'],
        ['redis-node-5', 'replica'],
        ['redis-node-6', 'replica'],
      ]);
      const byName = new Map(nodes.map((n) => [n.name, n]));
      for (const shard of rc.plan.shards) {
        const master = byName.get(shard.master.name)!;
        expect(master.slots).toEqual([shard.slots]);
        for (const r of shard.replicas) expect(byName.get(r.name)!.masterId).toBe(master.id);
      }
      for (const n of nodes) {
        expect(n.id).toMatch(/^[0-9a-f]{40}$/);
        expect(n.host).toBe('127.0.0.1');
        expect(rc.natMap[n.announced]).toEqual({ host: n.host, port: n.port });
      }
      expect(new Set(nodes.map((n) => n.port)).size).toBe(6);
      expect(rc.startupNodes).toEqual(
        nodes.filter((n) => n.role === 'master').map(({ host, port }) => ({ host, port })),
      );
      expect(Object.keys(rc.natMap).sort()).toEqual(
        nodes.map((n) => `${n.name}:${rc.plan.nodes.find((p) => p.name === n.name)!.port}`).sort(),
      );
    });

    it('is ready: every node agrees, and the client writes to every master', async () => {
      expect(rc.cluster.status).toBe('ready');
      for (const node of rc.nodes) {
        const info = await withNode(node, (r) => r.call('CLUSTER', 'INFO'));
        expect(String(info)).toContain('cluster_state:ok');
        expect(String(info)).toContain('cluster_known_nodes:6');
      }
      for (const master of rc.nodes.filter((n) => n.role === 'master')) {
        const [range] = master.slots;
        for (const slot of [range!.start, Math.floor((range!.start + range!.end) / 2), range!.end]) {
          const key = keyForSlot(slot, ':written');
          expect(keyHashSlot(key)).toBe(slot);
          await rc.cluster.set(key, master.name);
          // Read back on the master itself, without the cluster client.
          expect(await withNode(master, (r) => r.get(key))).toBe(master.name);
        }
      }
    });

    it('leaves automatic failover on for replicas (held only while starting), also for a replica restarted later', async () => {
      const noFailover = (node: { host: string; port: number }) =>
        withNode(node, (r) => r.call('CONFIG', 'GET', 'cluster-replica-no-failover'));
      for (const replica of rc.nodes.filter((n) => n.role === 'replica')) {
        expect(await noFailover(replica)).toEqual(['cluster-replica-no-failover', 'no']);
      }
      await rc.stopNode('redis-node-6');
      await rc.startNode('redis-node-6'); // new host port; rc.nodes follows it
      expect(await noFailover(rc.nodes.find((n) => n.name === 'redis-node-6')!)).toEqual([
        'cluster-replica-no-failover',
        'no',
      ]);
    });

    it('createClient() gives another client wired the same way, closed by stop()', async () => {
      const client = rc.createClient({ scaleReads: 'slave' });
      await client.set('{created}:k', 'v');
      expect(await client.get('{created}:k')).toBe('v');
      expect(client).toBeInstanceOf(Cluster);
    });

    it('works with node-redis createCluster({ nodeAddressMap: rc.natMap })', async () => {
      const client = createCluster({
        rootNodes: rc.startupNodes.map(({ host, port }) => ({ socket: { host, port } })),
        nodeAddressMap: rc.natMap,
      });
      client.on('error', () => undefined);
      await client.connect();
      try {
        for (const shard of rc.plan.shards) {
          const key = keyForSlot(shard.slots.end, ':node-redis');
          await client.set(key, 'from node-redis');
          expect(await rc.cluster.get(key)).toBe('from node-redis');
        }
      } finally {
        client.destroy();
      }
    });

    if (runtime === 'docker') {
      it('nodes reach each other by name inside the cluster network', async () => {
        const [container] = (await labelled(LABELS.cluster, rc.id)).containers;
        // The image's CLI: redis-cli, or valkey-cli where it has only Valkey's names.
        const ping = `"$(${CLI_LOOKUP})" -h redis-node-5 -p 7105 PING`;
        expect(await execIn(container!, ['sh', '-c', ping])).toBe('PONG');
      });
    } else {
      it("nodes listen on 127.0.0.1 only (protected mode on), at the plan's ports, and know each other there by name", async () => {
        for (const [i, node] of rc.nodes.entries()) {
          const planned = rc.plan.nodes[i]!;
          expect(node.port).toBe(planned.port); // a node's real port is the plan's: replicas follow the port their master announces
          expect(await withNode(node, (r) => r.call('CONFIG', 'GET', 'bind'))).toEqual(['bind', '127.0.0.1']);
          expect(await withNode(node, (r) => r.call('CONFIG', 'GET', 'protected-mode'))).toEqual([
            'protected-mode',
            'yes',
          ]);
        }
        // CLUSTER NODES of one node lists every node at 127.0.0.1:<port>@<bus port> with its name.
        const seen = String(await withNode(rc.nodes[4]!, (r) => r.call('CLUSTER', 'NODES')));
        for (const planned of rc.plan.nodes)
          expect(seen).toContain(` 127.0.0.1:${planned.port}@${planned.busPort},${planned.name} `);
      });
    }

    it('reset() empties every node, replicas included, and keeps the cluster', async () => {
      for (let i = 0; i < 200; i++) await rc.cluster.set(`reset:${i}`, 'x');
      await rc.reset();
      for (const node of rc.nodes) expect(await withNode(node, (r) => r.dbsize())).toBe(0);
      await rc.cluster.set('after-reset', '1');
      expect(await rc.cluster.get('after-reset')).toBe('1');
    });

    it('stop() closes every client, removes the nodes (containers and network, or processes and folder), and a second stop() does nothing', async () => {
      const extra = rc.createClient();
      await extra.ping();
      // ioredis 6.0.0: a client closed while its slotsRefreshInterval refresh is in flight sets
      // its timer again from that refresh's callback, for ever (and Jest never exits). stop() is
      // called here with such a refresh in flight.
      const refreshing = rc.createClient({ slotsRefreshInterval: 1 });
      const internals = refreshing as unknown as { isRefreshing: boolean; slotsTimer: unknown };
      await refreshing.ping();
      const running = await resourcesOf(runtime, rc.id);
      expect(running.nodes).toHaveLength(6);
      expect(running.other).toHaveLength(1);
      await waitUntil(() => internals.isRefreshing, { description: 'a slotsRefreshInterval refresh in flight' });
      await rc.stop(); // closes the clients at once: the refresh is still waiting for its reply
      expect(await resourcesOf(runtime, rc.id)).toEqual(NOTHING);
      expect(rc.cluster.status).toBe('end');
      expect(extra.status).toBe('end');
      expect(refreshing.status).toBe('end');
      await waitUntil(() => !internals.isRefreshing, { description: 'the refresh in flight to end' });
      expect(internals.slotsTimer).toBeNull();
      await expect(rc.stop()).resolves.toBeUndefined();
      expect(() => rc.createClient()).toThrow(`Cannot create a client: Redis Cluster "${rc.id}" is stopped`);
    });
  });

  describe.each([
    [3, 0],
    [1, 0],
  ])('startRedisCluster({ masters: %i, replicas: %i })', (masters, replicas) => {
    it('starts ready with every slot served, and `await using` stops it', async () => {
      let id: string;
      {
        await using rc = await startRedisCluster({ runtime, masters, replicas });
        id = rc.id;
        expect(rc.nodes).toHaveLength(masters * (1 + replicas));
        expect(rc.nodes.every((n) => n.role === 'master')).toBe(true);
        expect(rc.nodes.flatMap((n) => n.slots).reduce((sum, r) => sum + r.end - r.start + 1, 0)).toBe(16384);
        for (const shard of rc.plan.shards) {
          const key = keyForSlot(shard.slots.start, ':k');
          await rc.cluster.set(key, 'v');
          expect(await rc.cluster.get(key)).toBe('v');
        }
      }
      expect(await resourcesOf(runtime, id)).toEqual(NOTHING);
    });
  });

  describe('a cluster with a password', () => {
    it('requires it on every node and gives it to every client', async () => {
      await using rc = await startRedisCluster({ runtime, masters: 1, replicas: 1, password: 'test-secret' });
      await rc.cluster.set('k', 'v');
      const node = rc.nodes[0]!;
      // RESP2 and no ready check, so that the refusal is the reply to PING (with RESP3, HELLO
      // itself is refused and ioredis closes the connection).
      await expect(withNode(node, (r) => r.ping(), { protocol: 2, enableReadyCheck: false })).rejects.toThrow(/NOAUTH/);
      expect(await withNode(node, (r) => r.get('k'), { password: 'test-secret' })).toBe('v');
      const replica = rc.nodes[1]!;
      expect(await withNode(replica, (r) => r.call('INFO', 'replication'), { password: 'test-secret' })).toContain(
        'master_link_status:up',
      );
      const other = rc.createClient();
      expect(await other.get('k')).toBe('v');
    });
  });

  afterAll(async () => {
    // Nothing this file started may be left: on the daemon, or as processes and folders.
    expect(await resourcesOfThisProcess(runtime)).toEqual(NOTHING);
  });
});
