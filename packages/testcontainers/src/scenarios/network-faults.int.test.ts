/**
 * Network faults: a master cut off from its peers while clients still reach it (the one case
 * where Redis Cluster loses acknowledged writes), the majority serving through it, and faults
 * on the path from the test process to one node (slow, blackholed, cut). One 3x1 cluster per
 * runtime, nodeTimeoutMs 2000; heal() after every test. Written as examples to copy
 * (docs/faults.md). Partitions need root on Linux (iptables), as CI has.
 */
import { Redis } from 'ioredis';
import {
  connectToCluster,
  DEFAULT_FIXTURE_OPTIONS,
  keyForSlot,
  NetworkFaultsUnavailableError,
  parseConnectionInfo,
  startRedisCluster,
  waitUntil,
  type StartedRedisCluster,
} from '../index';
import { partitionChains, RUNTIMES } from '../../test/helpers/runtimes';

jest.setTimeout(4 * DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs);

const NODE_TIMEOUT_MS = 2000;
// Redis waits this long before a master that lost its majority accepts a rejoin (its "rejoin
// delay": the node timeout, held between 500 ms and 5 s; cluster.c CLUSTER_MIN/MAX_REJOIN_DELAY).
const REJOIN_DELAY_MS = Math.min(5000, Math.max(500, NODE_TIMEOUT_MS));

describe.each(RUNTIMES)('%s runtime', (runtime) => {
  let rc: StartedRedisCluster;
  const direct: Redis[] = [];

  beforeAll(async () => {
    rc = await startRedisCluster({
      runtime,
      masters: 3,
      replicas: 1,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
      networkFaults: true,
    });
  });

  afterEach(async () => {
    for (const r of direct.splice(0)) r.disconnect();
    await rc.heal(); // lifts partitions and link faults first
  });

  afterAll(async () => {
    await rc?.stop();
    if (rc) expect(await partitionChains(runtime, rc.id)).toEqual([]); // no rule left behind
  });

  /** A plain connection to one node, straight to it (not through the cluster client). */
  function connectTo(name: string): Redis {
    const node = rc.nodes.find((n) => n.name === name)!;
    const r = new Redis({ host: node.host, port: node.port, maxRetriesPerRequest: 0 });
    direct.push(r);
    return r;
  }

  /** A key in the slots of master `name` (its first 500 slots, by hash tag). */
  function keyOf(name: string, prefix: string, i: number): string {
    const slots = rc.plan.nodes.find((n) => n.name === name)!.slots!;
    return keyForSlot(slots.start + (i % 500), `:${prefix}:${i}`);
  }

  it('minority master: acknowledges writes until the node timeout, then CLUSTERDOWN; its replica is promoted; after lift() it rejoins as a replica and the writes it acknowledged are gone', async () => {
    const victim = 'redis-node-1'; // slots 0-5460; its replica is redis-node-4
    const replica = 'redis-node-4';
    const conn = connectTo(victim);
    // 1. 50 writes acknowledged by the replica too (WAIT 1) before the partition: they must survive.
    for (let i = 0; i < 50; i++) await conn.set(keyOf(victim, 'safe', i), 'v');
    expect(await conn.wait(1, 5000)).toBeGreaterThanOrEqual(1);

    // 2. Cut the master from every other node; the test process still reaches it.
    const beforeCut = performance.now();
    const partition = await rc.isolate(victim);
    // The rules of this partition, in a chain of its own: in every node's netns (Docker), or once in the host's.
    expect((await partitionChains(runtime, rc.id)).length).toBe(runtime === 'docker' ? rc.plan.nodes.length : 1);
    const acked: string[] = [];
    let clusterDownAt: number | undefined;
    for (let i = 0; clusterDownAt === undefined; i++) {
      const key = keyOf(victim, 'window', i);
      try {
        await conn.set(key, 'v');
        acked.push(key);
      } catch (err) {
        expect(String(err)).toMatch(/CLUSTERDOWN/);
        clusterDownAt = performance.now();
      }
      // The bound of the loop: the spec's own (below) plus the partition's rules going in.
      expect(performance.now() - partition.at).toBeLessThan(NODE_TIMEOUT_MS + 5000);
    }
    const toClusterDownMs = clusterDownAt - partition.at;
    // When the minority master refuses writes, from Redis's own code (redis 7.0.15 src/cluster.c,
    // the same in Valkey's src/cluster_legacy.c). clusterCron(), every 100 ms, pings a peer once its
    // last PONG is older than half the node timeout, and flags it PFAIL once that ping (and any data
    // from it) is older than the node timeout; clusterUpdateState() then turns the state to fail
    // when fewer than a majority of the masters (itself included) are unflagged: here once both
    // other masters are PFAIL. The last PONG came at most just before the cut, so the clock starts
    // 0 to 0.5 node timeouts after it: CLUSTERDOWN comes 1 to 1.5 node timeouts (+ two cron ticks,
    // 200 ms) after the cut. A bound of "node timeout + 1 s" holds only while the node timeout is
    // at most 1.6 s; with 2000 ms the worst case is 3.2 s (3.07 s measured). How the cut is made does
    // not move it: resetting the bus links (REJECT with tcp-reset instead of DROP, measured in
    // docs/faults.md) makes Redis reconnect, but a failed reconnect does not start the failure
    // clock, only the ping schedule does. The bound: 1.5 node timeouts + 200 ms, plus 800 ms for a
    // late cron timer on this busy machine.
    expect(toClusterDownMs).toBeLessThan(1.5 * NODE_TIMEOUT_MS + 200 + 800);
    // And not before: the pings in flight at the cut were sent just before it, and a peer is
    // flagged only once its ping is a node timeout old (90%: a ping sent a little earlier whose
    // PONG the cut dropped).
    expect(clusterDownAt - beforeCut).toBeGreaterThan(0.9 * NODE_TIMEOUT_MS);
    expect(acked.length).toBeGreaterThan(0);

    // 3. The majority promotes the replica (the node timeout to mark the master failed, then
    //    the replica's election); bounded by the helper's default faultTimeoutMs.
    await waitUntil(async () => (await rc.topology({ from: replica })).node(replica).role === 'master', {
      description: `"${replica}" to be promoted on the majority side`,
    });
    const toPromotionMs = performance.now() - partition.at;

    // 4. Lift: the old master learns the new configuration and turns replica of its replica.
    await partition.lift();
    const lifted = performance.now();
    expect(await partitionChains(runtime, rc.id)).toEqual([]); // lift() removed exactly its chain
    await waitUntil(
      async () => {
        const me = (await rc.topology({ from: victim })).node(victim);
        return me.role === 'replica' && me.masterName === replica;
      },
      // Redis's rejoin delay, plus 2 s for the bus links (dropped meanwhile) to connect again.
      { timeoutMs: REJOIN_DELAY_MS + 2000, description: `"${victim}" to rejoin as a replica of "${replica}"` },
    );
    const toRejoinMs = performance.now() - lifted;

    // 5. What it acknowledged during the window is gone (it resynced from the new master); what
    //    the replica had acknowledged before (WAIT 1) is kept.
    await rc.waitForClusterOk();
    const present = await Promise.all(acked.map((k) => rc.cluster.exists(k)));
    const lost = present.filter((p) => p === 0).length;
    const safe = await Promise.all(Array.from({ length: 50 }, (_, i) => rc.cluster.exists(keyOf(victim, 'safe', i))));
    console.log(
      `${runtime}: partition to CLUSTERDOWN ${Math.round(toClusterDownMs)} ms, to promotion ${Math.round(toPromotionMs)} ms, ` +
        `lift to rejoin ${Math.round(toRejoinMs)} ms; ${acked.length} writes acknowledged in the window, ${lost} lost; ` +
        `${safe.filter((s) => s === 1).length}/50 WAIT-acknowledged writes kept`,
    );
    expect(lost).toBeGreaterThan(0);
    expect(lost).toBe(acked.length);
    expect(safe.every((s) => s === 1)).toBe(true);

    // 6. heal() hands the slots back to the planned master.
    await rc.heal();
    const topology = await rc.topology();
    expect(topology.node(victim).role).toBe('master');
    expect(topology.node(replica).masterName).toBe(victim);
  });

  it('majority keeps serving: the fixture client writing through a partition stops failing once it follows the promoted replica', async () => {
    const victim = 'redis-node-2';
    const replica = 'redis-node-5';
    const writes: { ok: boolean; at: number; error?: string }[] = [];
    let running = true;
    const writing = (async () => {
      for (let i = 0; running; i++) {
        try {
          await rc.cluster.set(keyOf(victim, 'majority', i), 'v');
          writes.push({ ok: true, at: performance.now() });
        } catch (err) {
          writes.push({ ok: false, at: performance.now(), error: String(err) });
          await new Promise((resolve) => setTimeout(resolve, 10)); // a client failing at once must not spin
        }
      }
    })();
    const partition = await rc.isolate(victim);
    await waitUntil(async () => (await rc.topology({ from: replica })).node(replica).role === 'master', {
      description: `"${replica}" to be promoted`,
    });
    const promoted = performance.now();
    // Once the client follows the promoted replica its writes succeed again: wait for 20 in a row.
    await waitUntil(
      () => writes.length >= 20 && writes.slice(-20).every((w) => w.ok) && writes.at(-20)!.at > promoted,
      { description: 'the client to write through the promoted replica' },
    );
    running = false;
    await writing;
    await partition.lift();
    // The outage as the writer saw it: the longest time between two acknowledged writes (ioredis
    // retries CLUSTERDOWN within its redirections budget, so few writes fail outright).
    const oks = writes.filter((w) => w.ok);
    const longestGapMs = Math.round(Math.max(0, ...oks.slice(1).map((w, i) => w.at - oks[i]!.at)));
    const failed = writes.filter((w) => !w.ok);
    console.log(
      `${runtime}: majority outage: longest gap between acknowledged writes ${longestGapMs} ms, ` +
        `${failed.length} failed writes${failed.length > 0 ? ` (${[...new Set(failed.map((w) => w.error))].join(' | ')})` : ''}, ` +
        `promotion ${Math.round(promoted - partition.at)} ms after the partition`,
    );
    // There was an outage: no write of the victim's slots between its CLUSTERDOWN and the
    // promotion, which waits 500 ms + random after the master is marked failed (cluster.c's
    // election delay); half of that as the bound.
    expect(longestGapMs).toBeGreaterThanOrEqual(250);
    expect(writes.at(-1)!.ok).toBe(true);
  });
  it('two partitions at once: lift() ends its own alone; heal() lifts the rest', async () => {
    const first = await rc.partition([['redis-node-1', 'redis-node-4'], ['redis-node-2']]); // redis-node-3, -5, -6: a third group
    expect(first.groups).toEqual([
      ['redis-node-1', 'redis-node-4'],
      ['redis-node-2'],
      ['redis-node-3', 'redis-node-5', 'redis-node-6'],
    ]);
    const second = await rc.isolate('redis-node-6');
    const both = await partitionChains(runtime, rc.id);
    await first.lift();
    const left = await partitionChains(runtime, rc.id);
    expect(new Set(both).size).toBe(2); // a chain per partition (on every node, on Docker)
    expect(new Set(left).size).toBe(1); // the second's only
    expect(left.length).toBe(both.length / 2);
    expect(second.lifted).toBe(false);
    await rc.heal();
    expect(second.lifted).toBe(true);
    expect(await partitionChains(runtime, rc.id)).toEqual([]);
  });

  // The path from the test process to one node (link): every client of the fixture reaches each
  // node through a proxy of the test process (networkFaults: true).
  const shardKey = (master: number, prefix: string, i: number) => keyOf(rc.plan.shards[master]!.master.name, prefix, i);

  it('slow link: delay(400) with commandTimeout 150 times out the commands to that node only; restore() heals the client with no restart', async () => {
    const client = rc.createClient({ redisOptions: { commandTimeout: 150 } });
    await Promise.all([0, 1, 2].map((m) => client.set(shardKey(m, 'warm', 0), 'v'))); // a connection to every master
    const slow = rc.link('redis-node-3'); // serves the third shard

    await slow.delay(400);
    await expect(client.get(shardKey(2, 'slow', 0))).rejects.toThrow(/Command timed out/);
    // The other masters answer within the timeout.
    expect(await client.set(shardKey(0, 'fast', 0), 'v')).toBe('OK');
    expect(await client.set(shardKey(1, 'fast', 0), 'v')).toBe('OK');

    await slow.restore();
    // The same client, not restarted: the late reply of the timed-out command comes in order,
    // and the next command to that node is answered.
    await waitUntil(async () => (await client.set(shardKey(2, 'slow', 1), 'v').catch(() => 'timeout')) === 'OK', {
      description: 'the slow node to answer again within commandTimeout',
    });
    expect(await client.get(shardKey(2, 'slow', 1))).toBe('v');
  });

  it('blackhole: with socketTimeout the client sees the lost connection (node error, node close, -node, +node, again and again) while the cluster stays ok (no failover); after restore() it writes again', async () => {
    // ioredis's socketTimeout: a connection that gets no byte back within it, while a command is
    // waiting, is destroyed and counts as lost. Without it a silent peer goes unnoticed: a
    // commandTimeout rejects the command but keeps the connection, and TCP keepalive never fires
    // here (the proxy's kernel, like a hung server's, still acknowledges). 1000 ms: well above a
    // reply's time on this busy machine (as a user sets it above their slowest command).
    const SOCKET_TIMEOUT_MS = 1000;
    const client = rc.createClient({ redisOptions: { socketTimeout: SOCKET_TIMEOUT_MS } });
    await Promise.all([0, 1, 2].map((m) => client.set(shardKey(m, 'warm', 0), 'v')));
    const events = rc.recordEvents(client, { nodeEvents: true });
    const victim = 'redis-node-2'; // serves the second shard
    const aboutVictim = (e: { node?: string }) => e.node === victim;

    await rc.link(victim).blackhole();
    const blackholed = performance.now();
    // A write to the silent node: its connection is found dead after socketTimeout, the node
    // leaves the client's pool, and the client connects to it again (the proxy accepts, then
    // stays silent): the lost-connection sequence of a node that is down, over and over.
    const attempt = client.set(shardKey(1, 'hole', 0), 'v').catch((err: unknown) => err);
    await events.waitFor('node close', { where: aboutVictim });
    await events.waitFor('-node', { where: aboutVictim });
    await events.waitFor('+node', { where: aboutVictim });
    // The new connection is as silent: the next command to the node loses it again.
    const again = client.set(shardKey(1, 'hole', 2), 'v').catch((err: unknown) => err);
    await events.waitFor('node close', { where: aboutVictim });
    await events.waitFor('-node', { where: aboutVictim });
    const firstLossMs = events.events.find((e) => e.name === 'node close' && aboutVictim(e))!.at - blackholed;
    expect(firstLossMs).toBeGreaterThanOrEqual(SOCKET_TIMEOUT_MS - 2); // socketTimeout, not anything sooner (2 ms: timer rounding)
    // A client-side fault, not a dead node: the nodes still see each other (the fixture's own
    // connections go straight to the nodes), so no failover, even after the node timeout
    // (NODE_TIMEOUT_MS): watched through the cluster's own state for twice the node timeout.
    const until = performance.now() + 2 * NODE_TIMEOUT_MS;
    while (performance.now() < until) {
      const topology = await rc.topology({ from: 'redis-node-1' });
      expect(topology.node(victim).role).toBe('master');
      expect(topology.node(victim).flags).not.toContain('fail');
      expect(topology.node(victim).flags).not.toContain('fail?');
      expect(topology.node('redis-node-5').role).toBe('replica');
    }
    // The other masters answer meanwhile.
    expect(await client.set(shardKey(0, 'fine', 0), 'v')).toBe('OK');
    console.log(`${runtime}: blackhole, events until ${2 * NODE_TIMEOUT_MS} ms after the loss:\n${events.describe()}`);
    // The timeline: the fault, then the loss as ioredis reports it (the socket timeout as the
    // node's error, its connection closed, the node out of the pool).
    expect(events.names((e) => e.name === 'fault' || aboutVictim(e)).slice(0, 4)).toEqual([
      'fault',
      'node error',
      'node close',
      '-node',
    ]);
    expect(events.events.find((e) => e.name === 'node error' && aboutVictim(e))!.detail).toMatch(/Socket timeout/);

    await rc.link(victim).restore();
    // The write in flight either failed with the lost connection or went through after the
    // client reconnected (ioredis retries a command whose connection closed); the next one works.
    const outcome = await attempt;
    for (const o of [outcome, await again]) {
      expect(o === 'OK' || /Socket timeout|Connection is closed|Too many Cluster redirections/.test(String(o))).toBe(
        true,
      );
    }
    await waitUntil(async () => (await client.set(shardKey(1, 'hole', 1), 'v').catch(() => 'lost')) === 'OK', {
      description: `the client to write to "${victim}" again after restore()`,
    });
    console.log(
      `${runtime}: blackhole seen lost after ${Math.round(firstLossMs)} ms (socketTimeout ${SOCKET_TIMEOUT_MS}); the write in flight: ${String(outcome)}`,
    );
    events.stop();
  });

  it('heal() after a mix of faults (a partition with its failover, a slow link, a blackhole) lifts them all and restores the plan', async () => {
    const events = rc.recordEvents(rc.cluster);
    await rc.isolate('redis-node-1');
    await rc.link('redis-node-2').delay(300, 100);
    await rc.link('redis-node-3').blackhole();
    // Let the partition do its work: the majority promotes redis-node-1's replica.
    await waitUntil(async () => (await rc.topology({ from: 'redis-node-4' })).node('redis-node-4').role === 'master', {
      description: '"redis-node-4" to be promoted',
    });

    await rc.heal();
    expect(await partitionChains(runtime, rc.id)).toEqual([]);
    const topology = await rc.topology();
    for (const shard of rc.plan.shards) {
      const master = topology.node(shard.master.name);
      expect(master.role).toBe('master');
      expect(master.slots).toEqual(shard.master.slots ? [shard.master.slots] : []);
      for (const r of shard.replicas) expect(topology.node(r.name).masterName).toBe(shard.master.name);
    }
    // The links are plain again: a client with a commandTimeout under the delay that was set
    // (300 ms) writes to every master, the blackholed one too.
    const client = rc.createClient({ redisOptions: { commandTimeout: 250 } });
    expect(await Promise.all([0, 1, 2].map((m) => client.set(shardKey(m, 'healed', 0), 'v')))).toEqual([
      'OK',
      'OK',
      'OK',
    ]);
    const faults = events.events.filter((e) => e.name === 'fault').map((e) => e.detail);
    expect(faults.slice(0, 3)).toEqual([
      expect.stringMatching(/^isolate: \[redis-node-1\]/),
      expect.stringMatching(/link "redis-node-2": delay 300 ms/),
      expect.stringMatching(/link "redis-node-3": blackhole/),
    ]);
    expect(faults).toEqual(expect.arrayContaining([expect.stringMatching(/lifted 1 partition/)]));
    events.stop();
  });

  it('a worker connected to this cluster (as Jest hands the shared one to its workers) is told link() works only where the cluster was started', async () => {
    const worker = await connectToCluster(parseConnectionInfo(JSON.stringify(rc.connectionInfo()))); // as the env var carries it
    try {
      expect(await worker.cluster.set(shardKey(0, 'worker', 0), 'v')).toBe('OK'); // it does reach the nodes
      expect(() => worker.link('redis-node-1')).toThrow(NetworkFaultsUnavailableError);
      expect(() => worker.link('redis-node-1')).toThrow(
        /work only in the process that started the cluster .*: start a cluster of the file's own with startRedisCluster\(\{ networkFaults: true \}\)$/,
      );
    } finally {
      await worker.stop(); // closes its clients; the nodes are left to rc
    }
  });

  it('reset(): a client through rc.natMap reconnects (close, reconnecting, connect, ready) and loses no command', async () => {
    const node = rc.nodes.find((n) => n.name === 'redis-node-1')!; // host/port: its link (proxy)
    const redis = new Redis({ host: node.host, port: node.port }); // ioredis defaults: offline queue, resend unfulfilled
    direct.push(redis);
    await redis.ping();
    const seen: string[] = [];
    for (const event of ['close', 'reconnecting', 'connect', 'ready']) redis.on(event, () => seen.push(event));

    const keys = Array.from({ length: 200 }, (_, i) => shardKey(0, 'reset', i));
    const writes = keys.map((k) => redis.set(k, 'v'));
    await rc.link('redis-node-1').reset(); // cut while writes are in flight
    const more = keys.map((k) => redis.set(`${k}:after`, 'v')); // queued offline while it reconnects
    expect(await Promise.all([...writes, ...more])).toEqual(Array(400).fill('OK'));
    expect(seen.slice(0, 4)).toEqual(['close', 'reconnecting', 'connect', 'ready']);
    const present = await Promise.all([...keys, ...keys.map((k) => `${k}:after`)].map((k) => redis.exists(k)));
    expect(present.every((p) => p === 1)).toBe(true);
  });
});
