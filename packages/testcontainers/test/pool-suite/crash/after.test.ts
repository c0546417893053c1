import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { allKeys, report } from '../pool-file';

// Runs on the other worker. Registered before useRedisCluster()'s beforeAll, so it runs first:
// claim the pool's only cluster only once the other file's worker was killed holding it.
beforeAll(
  () =>
    waitUntil(() => existsSync(join(process.env['SUITE_REPORT_DIR']!, 'crashed.json')), {
      timeoutMs: 50_000, // within the suite's testTimeout (the other file's start and claim)
      description: 'the other file to hold the pool cluster and be killed',
    }),
  60_000,
);
const redis = useRedisCluster({ isolated: true });

test("gets the killed worker's cluster: its claim released, the cluster recycled", async () => {
  expect(await allKeys(redis)).toEqual([]);
  await redis.cluster.set('after', '1');
  report('files.jsonl', { file: 'after', pid: process.pid, cluster: redis.redisCluster.id });
});
