import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

// Its worker is killed in the middle of the file, holding the pool's only cluster (pool: 1)
// with a key on it and never releasing its claim. Jest reports the file as failed.
const redis = useRedisCluster({ isolated: true });

test('holds a pool cluster when its worker is killed', async () => {
  await redis.cluster.set('left-by-the-killed-worker', String(process.pid));
  const marker = join(process.env['SUITE_REPORT_DIR']!, 'crashed.json');
  writeFileSync(marker, JSON.stringify({ cluster: redis.redisCluster.id, pid: process.pid }));
  process.kill(process.pid, 'SIGKILL');
});
