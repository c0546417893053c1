import { Cluster } from 'ioredis';
import { keyForSlot } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

const redis = useRedisCluster({ reset: true });

test("the run's shared cluster, through the user's own ioredis", async () => {
  expect(redis.shared).toBe(true);
  // One ioredis in the project: the fixture's Cluster is the user's class.
  expect(redis.cluster).toBeInstanceOf(Cluster);
  const key = keyForSlot(0, ':first');
  await redis.cluster.set(key, 'first');
  expect(await redis.cluster.get(key)).toBe('first');
});
