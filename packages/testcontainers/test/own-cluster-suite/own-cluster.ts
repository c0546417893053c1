import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from '../jest-suite/report';

/**
 * The whole of each file of this suite: no globalSetup, so the file starts (and stops) a
 * cluster of its own, while the other file does the same on the other worker.
 */
export function fileWithItsOwnCluster(file: string): void {
  const redis = useRedisCluster({ start: { masters: 3, name: 'own-cluster-suite' }, reset: true });

  afterAll(() => report(file, redis));

  test('has a cluster of its own, empty, that takes writes on every master', async () => {
    expect(redis.shared).toBe(false);
    expect(redis.namespace).toBe('');
    const sizes = await Promise.all(redis.cluster.nodes('master').map((node) => node.dbsize()));
    expect(sizes).toEqual([0, 0, 0]);
    for (const master of redis.nodes.filter((n) => n.role === 'master')) {
      await redis.cluster.set(`{${master.name}}:${file}`, file);
    }
    expect(await redis.cluster.get(`{redis-node-1}:${file}`)).toBe(file);
  });
}
