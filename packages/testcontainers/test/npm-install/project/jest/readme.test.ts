// A test file with the README's lines (README.md, docs/testing.md), word for word; scripts/docs.test.ts checks.
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

const redis = useRedisCluster({ reset: true }); // reset: each test starts empty
test('counts', async () => {
  expect(await redis.cluster.incr('visits')).toBe(1);
});
