// A plain ES module script: startRedisCluster() through `import`, with the user's ioredis.
import { startRedisCluster } from '@redis-cluster-kit/testcontainers';
import { Cluster } from 'ioredis';

const rc = await startRedisCluster({ masters: 3, replicas: 0, namePrefix: 'npm-proof' });
try {
  await rc.cluster.set('script:mjs', 'v');
  const value = await rc.cluster.get('script:mjs');
  console.log(JSON.stringify({ value, sameIoredis: rc.cluster instanceof Cluster, id: rc.id }));
} finally {
  await rc.stop();
}
