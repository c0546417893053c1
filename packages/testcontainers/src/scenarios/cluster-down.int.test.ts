/**
 * CLUSTERDOWN and restarts: a master without a replica stops, the cluster refuses every
 * command, and comes back when the node starts again with the same id. One 3-master cluster
 * for the file; every test leaves it ok. Written as examples to copy (docs/faults.md).
 */
import { Redis } from 'ioredis';
import { DEFAULT_FIXTURE_OPTIONS, keyForSlot, startRedisCluster, waitUntil, type StartedRedisCluster } from '../index';
import { RUNTIMES } from '../../test/helpers/runtimes';

// A hang guard, not a measure: four fault helpers' own limit (faultTimeoutMs, 30 s by default).
jest.setTimeout(120_000);

// The same scenarios on every runtime: the fault helpers work the same on containers and on processes.
describe.each(RUNTIMES)('%s runtime', (runtime) => {
  let rc: StartedRedisCluster;

  beforeAll(async () => {
    rc = await startRedisCluster({ runtime, masters: 3 });
  });

  afterEach(async () => {
    await rc.heal(); // every node running again, whatever a test left behind
  });

  afterAll(async () => {
    await rc?.stop();
  });

  /** `cluster_state` as one node reports it (CLUSTER INFO over a plain connection). */
  async function clusterState(name: string): Promise<string> {
    const node = rc.nodes.find((n) => n.name === name)!; // host/port follow restarts
    const redis = new Redis({
      host: node.host,
      port: node.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      return /cluster_state:(\w+)/.exec(String(await redis.call('CLUSTER', 'INFO')))?.[1] ?? 'unknown';
    } finally {
      redis.disconnect();
    }
  }

  describe('CLUSTERDOWN: a master without a replica is stopped', () => {
    it('every command fails with CLUSTERDOWN; after startNode the same clients work again', async () => {
      const key = keyForSlot(0, ':account'); // on redis-node-1, which keeps running
      await rc.cluster.set(key, 'before');
      // Made before the fault: a client cannot connect to a cluster that is down (its ready check fails).
      const failFast = rc.createClient({ retryDelayOnClusterDown: 0 }); // no retry: CLUSTERDOWN reaches the caller
      const patient = rc.createClient({ retryDelayOnClusterDown: 200, maxRedirections: 1000 }); // retries for 200 s
      await Promise.all([failFast.get(key), patient.get(key)]);

      await rc.stopNode('redis-node-3');
      // After the node timeout (1 s here) the other masters mark it failed; with its slots
      // served by no one, they declare the whole cluster down (cluster-require-full-coverage).
      await waitUntil(async () => (await clusterState('redis-node-1')) === 'fail', {
        timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // a limit, not a measure: the fixture's own for a fault to settle
        description: 'redis-node-1 to report cluster_state:fail',
      });

      // Even keys of healthy masters are refused.
      await expect(failFast.get(key)).rejects.toThrow(/^CLUSTERDOWN/);
      // The default client retries every retryDelayOnClusterDown (100 ms) and gives up after
      // maxRedirections (16). ioredis 6 sends each retry to a *random* node (tryConnection(random)):
      // when that is the stopped one, the try fails with "Connection is closed." (retried too), so
      // the error quoted at the end is whichever the last try met.
      await expect(rc.cluster.get(key)).rejects.toThrow(
        /^Too many Cluster redirections\. Last error: (ReplyError: CLUSTERDOWN|Error: Connection is closed\.)/,
      );
      // A command sent now with a long enough budget waits for the cluster to come back.
      const waitingWrite = patient.set(key, 'written while the cluster was down');

      const idBefore = rc.nodes.find((n) => n.name === 'redis-node-3')!.id;
      await rc.startNode('redis-node-3'); // resolves when the cluster is ok on every node
      expect((await rc.topology()).node('redis-node-3').id).toBe(idBefore);

      expect(await waitingWrite).toBe('OK');
      // The same clients, never recreated, work again.
      expect(await rc.cluster.get(key)).toBe('written while the cluster was down');
      expect(await failFast.get(key)).toBe('written while the cluster was down');
      for (const master of ['redis-node-1', 'redis-node-2', 'redis-node-3'])
        expect(await clusterState(master)).toBe('ok');
    });
  });

  describe('a restarted node', () => {
    it('keeps its id and slots, comes back at an address every client follows (a new host port on Docker), and the cluster is ok on every node', async () => {
      const before = await rc.topology();
      const announced = before.node('redis-node-2').announced; // "redis-node-2:7102" on Docker
      const portBefore = rc.natMap[announced]!.port;

      await rc.stopNode('redis-node-2');
      expect(rc.nodeState('redis-node-2')).toBe('stopped');
      await rc.startNode('redis-node-2');

      const after = await rc.topology();
      expect(after.node('redis-node-2')).toMatchObject({
        id: before.node('redis-node-2').id,
        role: 'master',
        slots: before.node('redis-node-2').slots,
      });
      // The address table (natMap) follows the container's new published port (a process keeps its port).
      expect(rc.natMap[announced]).toEqual({
        host: after.node('redis-node-2').host,
        port: after.node('redis-node-2').port,
      });
      console.log(`redis-node-2 restarted: host port ${portBefore} -> ${rc.natMap[announced]!.port}`);
      for (const node of rc.nodes) expect(await clusterState(node.name)).toBe('ok');

      // The fixture's client reaches the restarted node at its new port.
      const key = keyForSlot(before.node('redis-node-2').slots[0]!.start, ':after-restart');
      await rc.cluster.set(key, 'reached');
      expect(await rc.cluster.get(key)).toBe('reached');
    });

    it('names the nodes there are when a name is wrong', async () => {
      await expect(rc.stopNode('redis-node-9')).rejects.toThrow(
        'No node "redis-node-9" in this cluster. Nodes are: redis-node-1, redis-node-2, redis-node-3',
      );
      await expect(rc.startNode('redis-node-1')).rejects.toThrow('Cannot start node "redis-node-1": it is running');
    });
  });
});
