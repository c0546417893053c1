import { afterAll, expect, test } from 'vitest';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/vitest';
import { report } from './report.js';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('alpha', redis));

test('writes the same key names as the other files, and reads back its own values', async () => {
  for (let i = 0; i < 50; i++) await redis.cluster.set(`key:${i}`, 'alpha');
  // The other files run meanwhile on the other worker, with the same key names.
  await new Promise((done) => setTimeout(done, 200));
  const values = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.cluster.get(`key:${i}`)));
  expect(new Set(values)).toEqual(new Set(['alpha']));
});

test("starts empty: reset emptied this file's namespace", async () => {
  expect(await redis.cluster.exists('key:0')).toBe(0);
});
