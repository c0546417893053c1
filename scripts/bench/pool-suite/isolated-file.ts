import { keyForSlot } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

/** A file that needs a cluster of its own: a few writes and reads on every master. */
export function isolatedFile(): void {
  const redis = useRedisCluster({ isolated: true, start: { masters: 3, namePrefix: 'bench-pool' } });

  test('writes and reads on every master of its own cluster', async () => {
    for (const master of redis.nodes.filter((n) => n.role === 'master')) {
      const key = keyForSlot(master.slots[0]!.start, ':bench');
      await redis.cluster.set(key, master.name);
      expect(await redis.cluster.get(key)).toBe(master.name);
    }
  });
}
