import { createCluster } from 'redis';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from './report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('node-redis', redis));

test('node-redis reaches the same cluster with nodeAddressMap: natMap', async () => {
  const client = createCluster({
    rootNodes: redis.startupNodes.map(({ host, port }) => ({ socket: { host, port } })),
    nodeAddressMap: redis.natMap,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // node-redis has no key prefix: write the stored name, read it through the namespaced client.
    for (let i = 0; i < 50; i++) await client.set(`${redis.namespace}n${i}`, String(i));
    for (let i = 0; i < 50; i++) expect(await redis.cluster.get(`n${i}`)).toBe(String(i));
  } finally {
    client.destroy();
  }
});
