import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitUntil } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster, type RedisClusterHandle } from '@redis-cluster-kit/testcontainers/jest';

const dir = () => process.env['SUITE_REPORT_DIR']!;
const lines = (name: string): Record<string, unknown>[] => {
  try {
    return readFileSync(join(dir(), name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
};

/** Every key on the cluster's masters (the file's cluster is its own: no namespace). */
export async function allKeys(redis: RedisClusterHandle): Promise<string[]> {
  const keys = await Promise.all(redis.cluster.nodes('master').map((node) => node.keys('*')));
  return keys.flat().sort();
}

/** Append a line for the outer test (src/pool.int.test.ts). */
export function report(name: string, line: Record<string, unknown>): void {
  appendFileSync(join(dir(), name), `${JSON.stringify(line)}\n`);
}

/**
 * The whole of each file of the "isolated" half of the suite: a pool cluster of its own, empty
 * when the file gets it; the file writes its own key, then waits until a second file (on the
 * other worker: a worker runs one file at a time) holds a pool cluster too, and checks that no
 * one else's key is on its cluster.
 */
export function isolatedFile(file: string): void {
  const redis = useRedisCluster({ isolated: true });

  test('has a pool cluster of its own: empty when it gets it, no other file writes to it', async () => {
    expect(redis.shared).toBe(false);
    expect(redis.namespace).toBe('');
    expect(await allKeys(redis)).toEqual([]); // the file before it on this cluster recycled it
    await redis.cluster.set(`owner:${file}`, String(process.env['JEST_WORKER_ID']));
    report('holding.jsonl', { file, cluster: redis.redisCluster.id });
    // The first two files to get here hold their clusters at the same time (the first waits for
    // the second, bounded by the suite's testTimeout); later ones pass at once.
    await waitUntil(() => lines('holding.jsonl').length >= 2, {
      timeoutMs: 50_000,
      description: 'a second file to hold a pool cluster',
    });
    expect(await allKeys(redis)).toEqual([`owner:${file}`]);
    const connection = JSON.parse(process.env['REDIS_CLUSTER_KIT_CONNECTION']!) as { id: string };
    const pool = JSON.parse(process.env['REDIS_CLUSTER_KIT_POOL']!) as { dir: string; members: unknown[] };
    report('files.jsonl', {
      file,
      worker: process.env['JEST_WORKER_ID'],
      pid: process.pid,
      cluster: redis.redisCluster.id,
      shared: connection.id,
      pool,
    });
  });
}
