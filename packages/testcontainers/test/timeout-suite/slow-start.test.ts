import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

// 3 masters x 1 replica take seconds to start; beforeAll gets 300 ms. Jest fails the file with
// its hook timeout, then runs afterAll while the start is still under way.
const redis = useRedisCluster({
  start: { masters: 3, replicas: 1, name: process.env['SUITE_CLUSTER_NAME'] },
  timeoutMs: 300,
});

test('never runs with a cluster (its beforeAll timed out)', async () => {
  await redis.cluster.ping();
});
