import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from './report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('isolation', redis));

test('keys of this file live under its own namespace, and its reset leaves other namespaces alone', async () => {
  expect(redis.shared).toBe(true);
  expect(redis.namespace).toMatch(/^t[0-9a-f]{8}-isolation\.test:$/);
  await redis.cluster.set('mine', '1');
  // A client without a prefix sees the stored key name, and writes "another file's" key.
  const raw = redis.redisCluster.createClient();
  expect(await raw.get(`${redis.namespace}mine`)).toBe('1');
  await raw.set('tother-file:kept', 'x');
  await redis.reset();
  expect(await redis.cluster.get('mine')).toBeNull();
  expect(await raw.get('tother-file:kept')).toBe('x');
  await raw.del('tother-file:kept');
});
