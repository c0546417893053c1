import { startRedisCluster } from '@redis-cluster-kit/testcontainers';

// Killed by the outer test while this start is under way: it must never get to its end.
test('starts a cluster (and is killed on the way)', async () => {
  const rc = await startRedisCluster({ masters: 3, replicas: 1, name: process.env['SUITE_CLUSTER_NAME'] });
  console.log('CLUSTER STARTED');
  await rc.stop();
}, 120_000);
