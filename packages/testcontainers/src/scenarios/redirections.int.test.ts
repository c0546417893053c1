/**
 * MOVED, ASK and TRYAGAIN: what a client meets while slots move between masters, reproduced
 * with migrateSlot(). One 3-master cluster for the file: every test moves a slot of its own.
 * Written as examples to copy; docs/faults.md explains each.
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
    // Slots back to their planned masters (and any migration a failed test left half-way finished).
    await rc.heal();
  });

  afterAll(async () => {
    await rc?.stop();
  });

  /** A plain, single-node client to one node of the cluster (it does not follow redirections). */
  async function singleNodeClient(name: string): Promise<Redis> {
    const node = (await rc.topology()).node(name);
    const redis = new Redis({ host: node.host, port: node.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    return redis;
  }

  /** What a node announces (`redis-node-2:7102` on Docker; its own port as a process): what MOVED and ASK name. */
  function announced(name: string): string {
    return rc.nodes.find((n) => n.name === name)!.announced;
  }

  /** How many TRYAGAIN errors a node has answered so far (INFO errorstats). */
  async function tryAgainCount(redis: Redis): Promise<number> {
    const match = /errorstat_TRYAGAIN:count=(\d+)/.exec(await redis.info('errorstats'));
    return match ? Number(match[1]) : 0;
  }

  describe('MOVED: a slot has moved to another master', () => {
    it('the cluster client follows it transparently; a single-node client gets the MOVED error', async () => {
      const slot = 100; // served by redis-node-1 (slots 0-5460)
      const key = keyForSlot(slot, ':greeting'); // "{tag}:greeting" hashes to slot 100
      await rc.cluster.set(key, 'hello');

      const moved = await rc.migrateSlot(slot, 'redis-node-2'); // keys moved, slot assigned on every node
      expect(moved).toEqual({ slot, from: 'redis-node-1', to: 'redis-node-2', movedKeys: 1, finished: true });

      // The client's slot map still says redis-node-1: that node answers MOVED, ioredis retries
      // on redis-node-2 and refreshes its map. The caller sees nothing.
      expect(await rc.cluster.get(key)).toBe('hello');
      const newOwner = (await rc.topology()).node('redis-node-2');
      await waitUntil(() => rc.cluster.slots[slot]?.[0] === `${newOwner.host}:${newOwner.port}`, {
        timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // a limit, not a measure: the fixture's own for clients to follow a fault
        description: `the cluster client's slot map to give slot ${slot} to redis-node-2`,
      });

      // A client that talks to one node only gets the redirection itself.
      const single = await singleNodeClient('redis-node-1');
      try {
        await expect(single.get(key)).rejects.toThrow(`MOVED ${slot} ${announced('redis-node-2')}`);
      } finally {
        single.disconnect();
      }
    });
  });

  describe('ASK: a slot is half-way through its migration', () => {
    it('keys already moved and keys not yet moved both work through the cluster client, whose slot map does not change', async () => {
      const slot = 200;
      const [moved1, moved2, stayed1, stayed2] = ['a', 'b', 'c', 'd'].map((name) => keyForSlot(slot, `:${name}`)) as [
        string,
        string,
        string,
        string,
      ];
      for (const key of [moved1, moved2, stayed1, stayed2]) await rc.cluster.set(key, `value of ${key}`);
      const mapBefore = [...rc.cluster.slots[slot]!];

      // redis-node-1 MIGRATING slot 200 to redis-node-2, which is IMPORTING it; two keys moved.
      await rc.migrateSlot(slot, 'redis-node-2', { finish: false, keys: [moved1, moved2] });
      const topology = await rc.topology();
      expect(topology.node('redis-node-1').migrating).toEqual([{ slot, to: 'redis-node-2' }]);
      expect(topology.node('redis-node-2').importing).toEqual([{ slot, from: 'redis-node-1' }]);
      expect(topology.masterOf(slot)?.name).toBe('redis-node-1'); // still the owner

      // Through the cluster client everything works: redis-node-1 serves the keys it still has
      // and answers ASK for the others; ioredis sends ASKING + the command to redis-node-2.
      expect(await rc.cluster.get(moved1)).toBe(`value of ${moved1}`);
      expect(await rc.cluster.get(stayed1)).toBe(`value of ${stayed1}`);
      await rc.cluster.set(moved2, 'written during the migration');
      await rc.cluster.set(stayed2, 'written during the migration');
      const created = keyForSlot(slot, ':created');
      await rc.cluster.set(created, 'new key'); // not on redis-node-1: ASK, so it is created on redis-node-2
      expect(await rc.cluster.get(moved2)).toBe('written during the migration');
      expect(await rc.cluster.get(created)).toBe('new key');

      // ASK is a one-time redirection: the client's slot map still sends slot 200 to redis-node-1.
      expect(rc.cluster.slots[slot]).toEqual(mapBefore);

      // What the nodes answer a single-node client.
      const source = await singleNodeClient('redis-node-1');
      const target = await singleNodeClient('redis-node-2');
      try {
        await expect(source.get(moved1)).rejects.toThrow(`ASK ${slot} ${announced('redis-node-2')}`);
        expect(await source.get(stayed1)).toBe(`value of ${stayed1}`);
        await expect(target.get(moved1)).rejects.toThrow(`MOVED ${slot} ${announced('redis-node-1')}`); // without ASKING
        const [[, ok], [, value]] = (await target.pipeline().asking().get(moved1).exec()) as [
          [null, string],
          [null, string],
        ];
        expect([ok, value]).toEqual(['OK', `value of ${moved1}`]);
      } finally {
        source.disconnect();
        target.disconnect();
      }

      // Finish: the remaining keys move, every node gives the slot to redis-node-2.
      const [finished] = await rc.finishMigration(slot);
      expect(finished).toMatchObject({ slot, from: 'redis-node-1', to: 'redis-node-2', movedKeys: 2, finished: true });
      expect(rc.pendingMigrations).toEqual([]);
      expect(await rc.cluster.mget(moved1, moved2, stayed1, stayed2, created)).toEqual([
        `value of ${moved1}`,
        'written during the migration',
        `value of ${stayed1}`,
        'written during the migration',
        'new key',
      ]);
    });
  });

  describe('TRYAGAIN: a multi-key command on keys split by a migration', () => {
    it('fails with TRYAGAIN until the migration ends; retrying (ioredis retryDelayOnTryAgain, or your own loop) gets through', async () => {
      const slot = 300;
      const keys = [1, 2, 3, 4].map((i) => keyForSlot(slot, `:item:${i}`)) as [string, string, string, string];
      await rc.cluster.mset(keys[0], 'one', keys[1], 'two', keys[2], 'three', keys[3], 'four');
      await rc.migrateSlot(slot, 'redis-node-2', { finish: false, keys: [keys[0], keys[1]] });

      // The source has keys[2] but not keys[0]: it cannot answer the whole MGET, and cannot send
      // it elsewhere either. It answers TRYAGAIN.
      const source = await singleNodeClient('redis-node-1');
      try {
        await expect(source.mget(keys[0], keys[2])).rejects.toThrow(/^TRYAGAIN/);

        // ioredis retries TRYAGAIN every retryDelayOnTryAgain ms (on a random node, which
        // redirects it back with MOVED), and gives up after maxRedirections redirections.
        const impatient = rc.createClient({ retryDelayOnTryAgain: 10, maxRedirections: 3 });
        await expect(impatient.mget(keys[0], keys[2])).rejects.toThrow(
          /^Too many Cluster redirections\. Last error: .*(TRYAGAIN|MOVED)/,
        );
        await expect(impatient.mset(keys[1], 'x', keys[3], 'y')).rejects.toThrow(/^Too many Cluster redirections/);

        // With a budget longer than the migration, the same MGET simply waits it out.
        const patient = rc.createClient({ retryDelayOnTryAgain: 50, maxRedirections: 1000 });
        const seen = await tryAgainCount(source);
        const answer = patient.mget(keys[0], keys[2]);
        await waitUntil(async () => (await tryAgainCount(source)) > seen, {
          timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // a limit, not a measure: its first try is sent at once
          description: 'the MGET to meet TRYAGAIN',
        });
        await rc.finishMigration(slot);
        expect(await answer).toEqual(['one', 'three']);
      } finally {
        source.disconnect();
      }
      expect(await rc.cluster.mget(...keys)).toEqual(['one', 'two', 'three', 'four']);
    });

    it('an application-level retry loop handles it the same way', async () => {
      const slot = 400;
      const keys = [1, 2].map((i) => keyForSlot(slot, `:item:${i}`)) as [string, string];
      await rc.cluster.mset(keys[0], 'one', keys[1], 'two');
      await rc.migrateSlot(slot, 'redis-node-3', { finish: false, keys: [keys[0]] });

      /**
       * Retry a command that ioredis gave up on while a slot moves (TRYAGAIN, or its redirections
       * ran out): such a command was never executed. Backs off, at most `attempts` times.
       */
      async function retryWhileSlotMoves<T>(command: () => Promise<T>, attempts = 50, delayMs = 20): Promise<T> {
        for (let tries = 1; ; tries++) {
          try {
            return await command();
          } catch (err) {
            if (tries >= attempts || !/TRYAGAIN|Too many Cluster redirections/.test(String(err))) throw err;
            await new Promise((resolve) => setTimeout(resolve, delayMs * tries));
          }
        }
      }

      const client = rc.createClient({ retryDelayOnTryAgain: 10, maxRedirections: 2 });
      const source = await singleNodeClient('redis-node-1');
      try {
        const seen = await tryAgainCount(source);
        const result = retryWhileSlotMoves(() => client.mget(keys[0], keys[1]));
        await waitUntil(async () => (await tryAgainCount(source)) > seen, {
          timeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, // a limit, not a measure: its first try is sent at once
          description: 'the MGET to meet TRYAGAIN',
        });
        await rc.finishMigration(slot);
        expect(await result).toEqual(['one', 'two']);
      } finally {
        source.disconnect();
      }
    });
  });
});
