import { inject } from 'vitest';
import { createRedisClusterTest } from '@redis-cluster-kit/testcontainers/vitest';
import { report } from './report.js';

// The test.extend fixture instead of hooks.
const it = createRedisClusterTest({ reset: true });

it('hands the file a ready handle on the run’s cluster, typed inject() included', async ({ redis, expect }) => {
  // Typed with no cast: the package augments Vitest's ProvidedContext.
  const info = inject('redisCluster');
  const id: string = info.id;
  expect(redis.redisCluster.id).toBe(id);
  expect(redis.shared).toBe(true);
  await redis.cluster.set('key:0', 'fixture');
  expect(await redis.cluster.get('key:0')).toBe('fixture');
  report('fixture', redis);
});

it('resets before each test that uses it', async ({ redis, expect }) => {
  expect(await redis.cluster.exists('key:0')).toBe(0);
});
