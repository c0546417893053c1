import { afterAll, expect, test } from 'vitest';
import { keyForSlot } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/vitest';
import { report } from './report.js';

const redis = useRedisCluster({ reset: true });

afterAll(async () => {
  report('fault', redis);
  // The other files run on the same nodes: put the cluster back as planned.
  await redis.heal();
});

test('a slot migration run from a worker: ASK while half-way, MOVED once finished, no key lost', async () => {
  const [from, to] = redis.nodes.filter((n) => n.role === 'master');
  const slot = from!.slots[0]!.start;
  // The hash tag pins the slot: the file's namespace prefix has no braces.
  const key = keyForSlot(slot, ':moved');
  await redis.cluster.set(key, 'v');
  // Move the key (its stored name carries the namespace) and leave the slot half-way: the owner
  // answers ASK for it, and the client follows.
  const half = await redis.migrateSlot(slot, to!.name, { finish: false, keys: [`${redis.namespace}${key}`] });
  expect([half.slot, half.movedKeys, half.finished]).toEqual([slot, 1, false]);
  expect(redis.pendingMigrations.map((m) => m.slot)).toEqual([slot]);
  expect(await redis.cluster.get(key)).toBe('v');
  await redis.finishMigration(slot);
  expect(redis.pendingMigrations).toEqual([]);
  expect((await redis.topology()).masterOf(slot)?.name).toBe(to!.name);
  expect(await redis.cluster.get(key)).toBe('v');
});
