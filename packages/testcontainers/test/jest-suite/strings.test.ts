import { keyForSlot } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from './report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('strings', redis));

test('writes and reads keys on every master', async () => {
  for (const node of redis.nodes.filter((n) => n.role === 'master')) {
    const key = keyForSlot(node.slots[0]!.start, ':s');
    await redis.cluster.set(key, node.name);
    expect(await redis.cluster.get(key)).toBe(node.name);
  }
  await redis.cluster.set('counter', 41);
  expect(await redis.cluster.incr('counter')).toBe(42);
});

test("starts empty: the previous test's keys were reset", async () => {
  expect(await redis.cluster.get('counter')).toBeNull();
  expect(await redis.cluster.exists(keyForSlot(0, ':s'))).toBe(0);
});
