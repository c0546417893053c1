/**
 * Failover: a master with a replica is stopped or paused, the replica takes over, clients
 * carry on. One 3x1 cluster for the file; every test hands the slots back to the planned
 * master at the end (failover()), so the next one starts from the plan. Written as examples to
 * copy (docs/faults.md).
 */
import type { Cluster } from 'ioredis';
import { DEFAULT_FIXTURE_OPTIONS, keyForSlot, startRedisCluster, waitUntil, type StartedRedisCluster } from '../index';
import { RUNTIMES } from '../../test/helpers/runtimes';

// Per test: a few fault helpers, each bounded by DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs (30 s), and heal() after it.
jest.setTimeout(6 * DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs);

// The same scenarios on every runtime: the fault helpers work the same on containers and on processes.
describe.each(RUNTIMES)('%s runtime', (runtime) => {
  let rc: StartedRedisCluster;

  beforeAll(async () => {
    rc = await startRedisCluster({ runtime, masters: 3, replicas: 1 }); // nodeTimeoutMs defaults to 1000
  });

  afterEach(async () => {
    // Whatever a test did (or left half-done when it failed): no writer left running, every node
    // running, the plan's masters.
    await Promise.all([...writers].map((w) => w.stop().catch(() => undefined)));
    await rc.heal();
  });

  afterAll(async () => {
    await rc?.stop();
  });

  interface Write {
    key: string;
    start: number;
    end: number;
    ok: boolean;
    error?: string;
  }

  const writers = new Set<{ stop(): Promise<void> }>();

  /** Write to `keyAt(i)` for i = 0, 1, ... one after another until stopped; every outcome is logged. */
  function startWriter(client: Cluster, keyAt: (i: number) => string) {
    const writes: Write[] = [];
    let running = true;
    let settled = false;
    void (async () => {
      for (let i = 0; running && client.status !== 'end'; i++) {
        const key = keyAt(i);
        const start = performance.now();
        try {
          await client.set(key, String(i));
          writes.push({ key, start, end: performance.now(), ok: true });
        } catch (err) {
          writes.push({
            key,
            start,
            end: performance.now(),
            ok: false,
            error: err instanceof Error ? err.message : String(err),
          });
          await new Promise((resolve) => setTimeout(resolve, 10)); // a client that fails at once must not spin
        }
      }
      settled = true;
    })();
    const writer = {
      writes,
      okSince: (t: number) => writes.filter((w) => w.ok && w.start >= t).length,
      /** Stop after the write in flight, which settles within one retry budget of the client (it gives up then). */
      async stop() {
        running = false;
        writers.delete(writer);
        await waitUntil(() => settled, {
          timeoutMs: retryBudgetMs(client) + (client.options.redisOptions?.commandTimeout ?? 0),
          description: `the write in flight (${client.status}) to settle`,
        });
      },
    };
    writers.add(writer);
    return writer;
  }

  /** The outage as the writer saw it: first failed write to the first successful one after it, and the longest gap between two successes. */
  function outage(writes: readonly Write[]) {
    const failed = writes.filter((w) => !w.ok);
    const firstFailure = failed[0];
    const recovered = firstFailure && writes.find((w) => w.ok && w.start > firstFailure.start);
    const oks = writes.filter((w) => w.ok);
    const longestGapMs = Math.round(Math.max(0, ...oks.slice(1).map((w, i) => w.end - oks[i]!.end)));
    return {
      failedWrites: failed.length,
      errors: [...new Set(failed.map((w) => w.error))],
      windowMs: firstFailure && recovered ? Math.round(recovered.end - firstFailure.start) : 0,
      longestGapMs,
      /** Failures after writes had recovered: there must be none. */
      failedAfterRecovery: recovered ? failed.filter((w) => w.start > recovered.start).length : 0,
    };
  }

  /**
   * How long one command of `client` may take before ioredis gives it up: its redirections, each
   * after retryDelayOnFailover (16 x 100 ms by default); the bound of waits on a client's writes.
   */
  function retryBudgetMs(client: Cluster): number {
    return (client.options.maxRedirections ?? 16) * (client.options.retryDelayOnFailover ?? 100);
  }

  /** `count` keys in the slots of the shard of `master` (hash tags of its first slots). */
  function keysOf(master: string, prefix: string) {
    const slots = rc.plan.nodes.find((n) => n.name === master)!.slots!;
    return (i: number) => keyForSlot(slots.start + (i % 500), `:${prefix}:${i}`);
  }

  describe('automatic failover: a master is stopped', () => {
    it('its replica takes over; a client keeps writing with bounded errors; writes acknowledged with WAIT survive', async () => {
      const client = rc.createClient(); // ioredis defaults: retryDelayOnFailover 100 ms, maxRedirections 16
      const acknowledgedKey = keysOf('redis-node-1', 'acked');
      // 1. Writes acknowledged by the replica (WAIT 1) before the fault.
      for (let i = 0; i < 100; i++) await client.set(acknowledgedKey(i), String(i));
      const master = rc.nodes.find((n) => n.name === 'redis-node-1')!;
      const connection = client.nodes('master').find((n) => n.options.port === master.port)!;
      // WAIT counts the writes of this connection; its limit is the fixture's own for replicas to apply a write (reset()).
      expect(await connection.wait(1, DEFAULT_FIXTURE_OPTIONS.resetReplicaTimeoutMs)).toBe(1);

      // 2. A client writing all the time, through the fault.
      const writer = startWriter(client, keysOf('redis-node-1', 'during'));
      await waitUntil(() => writer.okSince(0) >= 20, {
        timeoutMs: 20 * retryBudgetMs(client),
        description: 'the writer to get going',
      });

      const t0 = performance.now();
      await rc.stopNode('redis-node-1');
      // The replica is promoted once the masters agree redis-node-1 failed (node timeout 1 s,
      // then the replica's election delay of 0.5-1 s) ...
      await waitUntil(
        async () => (await rc.topology({ from: 'redis-node-4' })).node('redis-node-4').role === 'master',
        {
          timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // the fixture's own limit for a fault to settle
          description: 'redis-node-4 to be promoted',
        },
      );
      const promotedMs = Math.round(performance.now() - t0);
      // ... and waitForClusterOk() waits until every node agrees that redis-node-4 serves the slots.
      // It also routes every client of the fixture to redis-node-4 before it resolves: a write
      // right after it succeeds, through the writer's client and through rc.cluster alike.
      await rc.waitForClusterOk();
      const failoverMs = Math.round(performance.now() - t0);
      const tOk = performance.now();
      expect(await client.set(keysOf('redis-node-1', 'after')(0), 'after')).toBe('OK');
      expect(await rc.cluster.set(keysOf('redis-node-1', 'after')(1), 'after')).toBe('OK');
      await waitUntil(() => writer.okSince(tOk) >= 20, {
        timeoutMs: 20 * retryBudgetMs(client), // 20 writes, each within one retry budget
        description: 'writes to succeed after the failover',
      });
      await writer.stop();

      const topology = await rc.topology();
      expect(topology.node('redis-node-4')).toMatchObject({ role: 'master', slots: [rc.plan.shards[0]!.slots] });
      expect(topology.node('redis-node-1').flags).toContain('fail');
      const seen = outage(writer.writes);
      console.log(
        `[failover] stop -> replica promoted: ${promotedMs} ms, -> cluster ok on every node: ${failoverMs} ms; writer: ${JSON.stringify(seen)}`,
      );
      // Bounded errors: the client fails only writes in flight during the fault: none that ended
      // before the stop, none started after waitForClusterOk() resolved (it had refreshed the
      // client's slot map and proved it). A write sent just before the stop may fail after it.
      expect(writer.writes.filter((w) => !w.ok && (w.end < t0 || w.start > tOk))).toEqual([]);
      expect(seen.failedAfterRecovery).toBe(0);
      // And few: a write that fails has waited retryDelayOnFailover at least once (ioredis delays
      // a retry after a closed connection or CLUSTERDOWN; MOVED alone cannot fail it while the
      // nodes agree), so the outage the test measured, with the write in flight before it, bounds
      // how many can fail. A client that failed at once, over and over, would break it.
      const failoverDelayMs = client.options.retryDelayOnFailover ?? 100;
      expect(seen.failedWrites).toBeLessThanOrEqual(Math.ceil((tOk - t0 + retryBudgetMs(client)) / failoverDelayMs));
      // 3. Every write the replica had acknowledged is still there.
      const values = await Promise.all(Array.from({ length: 100 }, (_, i) => client.get(acknowledgedKey(i))));
      expect(values).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));

      // 4. The old master comes back as a replica of the node that took its slots ...
      await rc.startNode('redis-node-1');
      expect((await rc.topology()).node('redis-node-1')).toMatchObject({ role: 'replica', masterName: 'redis-node-4' });
      expect(await client.set(keysOf('redis-node-1', 'after')(2), 'after')).toBe('OK');
      // ... and a manual failover hands them back (the master agrees: no write is lost).
      const back = await rc.failover('redis-node-1');
      // failover() routed the clients to redis-node-1 before it resolved.
      expect(await client.set(keysOf('redis-node-1', 'after')(3), 'after')).toBe('OK');
      console.log(`[failover] manual failover (default) back to redis-node-1: ${Math.round(back.durationMs)} ms`);
      expect(back).toMatchObject({ newMaster: 'redis-node-1', oldMaster: 'redis-node-4', mode: 'default' });
      await rc.waitForClusterOk();
      expect(await client.get(acknowledgedKey(0))).toBe('0');
      await rc.reset(); // the plan's layout again: reset() empties the planned masters
    });
  });

  describe('automatic failover: a master is paused (it hangs, its connections stay open)', () => {
    it('the replica takes over; a client with commandTimeout and slotsRefreshInterval moves on; the old master returns as a replica', async () => {
      // A hung node never closes the connection: without commandTimeout a command waits for ever,
      // and without slotsRefreshInterval the client keeps sending to the old master.
      const client = rc.createClient({ redisOptions: { commandTimeout: 500 }, slotsRefreshInterval: 200 });
      const writer = startWriter(client, keysOf('redis-node-2', 'paused'));
      await waitUntil(() => writer.okSince(0) >= 20, {
        timeoutMs: 20 * retryBudgetMs(client),
        description: 'the writer to get going',
      });

      const t0 = performance.now();
      await rc.pauseNode('redis-node-2');
      await waitUntil(
        async () => (await rc.topology({ from: 'redis-node-5' })).node('redis-node-5').role === 'master',
        {
          timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // the fixture's own limit for a fault to settle
          description: 'redis-node-5 to be promoted',
        },
      );
      const promotedMs = Math.round(performance.now() - t0);
      await rc.waitForClusterOk(); // every running node agrees
      const failoverMs = Math.round(performance.now() - t0);
      const tOk = performance.now();
      await waitUntil(() => writer.okSince(tOk) >= 20, {
        timeoutMs: 20 * retryBudgetMs(client), // 20 writes, each within one retry budget
        description: 'writes to succeed after the failover',
      });
      const seen = outage(writer.writes);
      console.log(
        `[failover] pause -> replica promoted: ${promotedMs} ms, -> cluster ok on every node: ${failoverMs} ms; writer: ${JSON.stringify(seen)}`,
      );
      // Writes to the hung master time out (commandTimeout) until the client's slot map moves on;
      // once a write got through, none fails any more.
      expect(seen.failedWrites).toBeGreaterThan(0);
      expect(seen.failedAfterRecovery).toBe(0);

      await rc.unpauseNode('redis-node-2'); // resolves when it has rejoined as a replica, the cluster is ok, the clients routed
      expect(await rc.cluster.set(keysOf('redis-node-2', 'after')(0), 'after')).toBe('OK');
      expect((await rc.topology()).node('redis-node-2')).toMatchObject({ role: 'replica', masterName: 'redis-node-5' });
      const tBack = performance.now();
      await waitUntil(() => writer.okSince(tBack) >= 5, {
        // 5 writes, each within one retry budget and the client's commandTimeout
        timeoutMs: 5 * (retryBudgetMs(client) + (client.options.redisOptions?.commandTimeout ?? 0)),
        description: 'writes to succeed after the unpause',
      });
      await writer.stop();

      await rc.failover('redis-node-2');
      await rc.reset();
    });
  });

  describe('manual failover', () => {
    it('force and takeover promote a replica without its master; a master cannot be failed over to', async () => {
      const forced = await rc.failover('redis-node-6', { mode: 'force' });
      let topology = await rc.topology();
      expect(topology.node('redis-node-6').role).toBe('master');
      expect(topology.node('redis-node-3')).toMatchObject({ role: 'replica', masterName: 'redis-node-6' });

      const takenOver = await rc.failover('redis-node-3', { mode: 'takeover' });
      topology = await rc.topology();
      expect(topology.node('redis-node-3')).toMatchObject({ role: 'master', slots: [rc.plan.shards[2]!.slots] });
      console.log(
        `[failover] manual: force ${Math.round(forced.durationMs)} ms, takeover ${Math.round(takenOver.durationMs)} ms`,
      );
      await rc.waitForClusterOk();

      await expect(rc.failover('redis-node-3')).rejects.toThrow(
        'Cannot fail over to "redis-node-3": it is a master. Name a replica: redis-node-4, redis-node-5, redis-node-6',
      );
      await expect(rc.failover('redis-node-6', { mode: 'fast' as never })).rejects.toThrow(
        'Invalid option mode "fast". Expected one of "default", "force", "takeover".',
      );
    });

    it('a stopped replica is marked failed, leaves the slot map, and rejoins when started', async () => {
      await rc.stopNode('redis-node-6');
      await rc.waitForClusterOk(); // every running node marked it failed; CLUSTER SLOTS no longer lists it
      expect((await rc.topology()).node('redis-node-6').flags).toContain('fail');
      await expect(rc.failover('redis-node-4', { mode: 'default' })).resolves.toMatchObject({
        newMaster: 'redis-node-4',
      });
      await rc.failover('redis-node-1');
      await rc.startNode('redis-node-6'); // back as a replica, linked to its master
      expect((await rc.topology()).node('redis-node-6')).toMatchObject({ role: 'replica', masterName: 'redis-node-3' });
    });
  });
});
