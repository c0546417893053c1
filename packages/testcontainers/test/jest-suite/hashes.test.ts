import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from './report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('hashes', redis));

test('hashes, multi-key commands within a hash tag, and pipelines', async () => {
  await redis.cluster.hset('{user:1}:profile', { name: 'Ada', lang: 'en' });
  await redis.cluster.mset('{user:1}:a', '1', '{user:1}:b', '2');
  expect(await redis.cluster.hgetall('{user:1}:profile')).toEqual({ name: 'Ada', lang: 'en' });
  expect(await redis.cluster.mget('{user:1}:a', '{user:1}:b')).toEqual(['1', '2']);
  const results = await redis.cluster.pipeline().set('{p}x', '1').incr('{p}x').exec();
  expect(results?.map(([, v]) => v)).toEqual(['OK', 2]);
});

test('a multi-key command across slots is refused (CROSSSLOT), as on any real cluster', async () => {
  await expect(redis.cluster.mget('a', 'b', 'c')).rejects.toThrow(
    /CROSSSLOT|All keys in the pipeline should belong to the same slot/,
  );
});

test('starts empty after the reset', async () => {
  expect(await redis.cluster.exists('{user:1}:profile')).toBe(0);
});
