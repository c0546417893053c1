/**
 * Lost connections: the ioredis event sequences when one node of a cluster is lost, and when
 * the last node is lost (then `clusterRetryStrategy` decides between `reconnecting` and
 * `end`). Events are recorded with rc.recordEvents() and asserted in order, never with sleeps.
 * Written as examples to copy (docs/faults.md).
 */
import {
  DEFAULT_FIXTURE_OPTIONS,
  keyForSlot,
  startRedisCluster,
  type RecordedEvent,
  type StartedRedisCluster,
} from '../index';
import { RUNTIMES } from '../../test/helpers/runtimes';

// A hang guard, not a measure: four fault helpers' own limit (faultTimeoutMs, 30 s by default).
jest.setTimeout(120_000);

// The same scenarios on every runtime: the fault helpers work the same on containers and on processes.
describe.each(RUNTIMES)('%s runtime', (runtime) => {
  describe('one node of the cluster is lost', () => {
    let rc: StartedRedisCluster;

    beforeAll(async () => {
      rc = await startRedisCluster({ runtime, masters: 3 });
    });

    afterEach(async () => {
      await rc.heal();
    });

    afterAll(async () => {
      await rc?.stop();
    });

    it('-node when its connection ends; +node and node error while the client tries it again; +node at its new address (Docker) and a connection there once it is back', async () => {
      const client = rc.createClient();
      await client.ping(); // ready
      await Promise.all(client.nodes('master').map((node) => node.ping())); // a connection to every master
      const events = rc.recordEvents(client, { nodeEvents: true }); // nodeEvents: also each node connection's connect/close/end
      const lost = 'redis-node-3';
      const aboutLost = (e: RecordedEvent) => e.node === lost;
      const key = keyForSlot(rc.plan.shards[2]!.slots.start, ':lost'); // served by redis-node-3

      await rc.stopNode(lost);
      // Its connection closes; cluster nodes have no retryStrategy, so it ends and leaves the pool.
      await events.waitFor('node close', { where: aboutLost });
      await events.waitFor('-node', { where: aboutLost });

      // A command for its slots: the client makes a new connection to it (+node), which fails
      // (node error), and gives up on the command after its retries.
      const attempt = client.get(key).catch((err: unknown) => err);
      await events.waitFor('+node', { where: aboutLost });
      await events.waitFor('node error', { where: aboutLost });
      expect(await attempt).toBeInstanceOf(Error);

      // Back on a new host port (Docker; a process comes back on its own port): the next command
      // refreshes the slot map through the live natMap and connects to the new address.
      const oldAddress = events.events.find(aboutLost)!.address;
      const restarted = performance.now();
      await rc.startNode(lost);
      const node = rc.nodes.find((n) => n.name === lost)!;
      expect(await client.set(key, 'back')).toBe('OK');
      const address = `${node.host}:${node.port}`;
      // On Docker the +node comes after the restart (a new address). A process comes back at the
      // address it had: the +node may be the pool entry the client made while it was down (slot
      // refreshes keep it there), whose connection connects once the node is back.
      const added = await events.waitFor('+node', { where: (e) => e.address === address });
      expect(added.node).toBe(lost);
      await events.waitFor('node connect', { where: (e) => e.address === address && e.at >= restarted });
      console.log(
        `[lost connections] one node lost (${oldAddress} -> ${added.address}):\n${events.describe(events.events.filter(aboutLost))}`,
      );
      events.stop();
    });
  });

  describe('the last node is lost (a one-master cluster)', () => {
    let rc: StartedRedisCluster;

    beforeAll(async () => {
      rc = await startRedisCluster({ runtime, masters: 1 });
      // The fixture's own client loses its last node too and reconnects (default clusterRetryStrategy);
      // its "Failed to refresh slots cache" errors are expected here, not worth ioredis's console warning.
      rc.cluster.on('error', () => undefined);
    });

    afterEach(async () => {
      await rc.heal();
    });

    afterAll(async () => {
      await rc?.stop();
    });

    it('clusterRetryStrategy returns null: -node, close, end; the client is done for good', async () => {
      const client = rc.createClient({ clusterRetryStrategy: () => null });
      await client.set('key', 'value'); // connected to the node
      const events = rc.recordEvents(client);

      await rc.stopNode('redis-node-1');
      await events.waitFor('-node'); // the last node connection ended ...
      await events.waitFor('close'); // ... so the Cluster closes ...
      await events.waitFor('end'); // ... and, told not to retry, ends.
      expect(events.names()).not.toContain('reconnecting');
      expect(client.status).toBe('end');
      await expect(client.get('key')).rejects.toThrow('Connection is closed.');
      console.log(`[lost connections] last node lost, clusterRetryStrategy null:\n${events.describe()}`);
      events.stop();
      await rc.startNode('redis-node-1');
    });

    it('clusterRetryStrategy returns a delay: -node, close, reconnecting ... until the node is back, then ready', async () => {
      const client = rc.createClient({ clusterRetryStrategy: (times) => Math.min(100 * times, 1000) }); // the default is min(100 + 2 * times, 2000)
      await client.set('key', 'value');
      const events = rc.recordEvents(client);

      await rc.stopNode('redis-node-1');
      await events.waitFor('-node');
      await events.waitFor('close');
      await events.waitFor('reconnecting'); // tries the startup nodes again after the delay
      await rc.startNode('redis-node-1'); // new host port: the fixture's startup nodes read the live table
      // A limit, not a measure: the fixture's own for a fault to settle (the client's next try
      // comes within its clusterRetryStrategy's 1 s cap of the node's return).
      await events.waitFor('ready', { timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs });
      expect(client.status).toBe('ready');
      expect(await client.set('key', 'after the restart')).toBe('OK');
      expect(events.names()).not.toContain('end');
      console.log(`[lost connections] last node lost, clusterRetryStrategy with a delay:\n${events.describe()}`);
      events.stop();
    });
  });
});
