import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClusterHandle } from '@redis-cluster-kit/testcontainers/vitest';

/** Tell the outer test which worker ran this file against which cluster. */
export function report(file: string, redis: RedisClusterHandle): void {
  const dir = process.env['SUITE_REPORT_DIR'];
  if (!dir) return;
  const line = {
    file,
    pid: process.pid,
    cluster: redis.redisCluster.id,
    shared: redis.shared,
    namespace: redis.namespace,
    network: redis.network,
  };
  appendFileSync(join(dir, 'files.jsonl'), `${JSON.stringify(line)}\n`);
}
