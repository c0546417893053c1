import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, test } from 'vitest';
import { waitUntil } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/vitest';

const dir = () => process.env['SUITE_REPORT_DIR']!;
const holding = (): unknown[] => {
  try {
    return readFileSync(join(dir(), 'holding.jsonl'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

/**
 * The whole of each file: a pool cluster of its own, empty when the file gets it; the file
 * writes its own key, waits until a second file (on the other fork) holds a pool cluster too,
 * and checks that no one else's key is on its cluster.
 */
export function isolatedFile(file: string): void {
  const redis = useRedisCluster({ isolated: true });

  test('has a pool cluster of its own: empty when it gets it, no other file writes to it', async () => {
    const allKeys = async () =>
      (await Promise.all(redis.cluster.nodes('master').map((node) => node.keys('*')))).flat().sort();
    expect(redis.shared).toBe(false);
    expect(await allKeys()).toEqual([]);
    await redis.cluster.set(`owner:${file}`, String(process.pid));
    appendFileSync(join(dir(), 'holding.jsonl'), `${JSON.stringify({ file, cluster: redis.redisCluster.id })}\n`);
    // The first two files to get here hold their clusters at the same time (bounded by testTimeout).
    await waitUntil(() => holding().length >= 2, { timeoutMs: 50_000, description: 'a second file' });
    expect(await allKeys()).toEqual([`owner:${file}`]);
    const line = {
      file,
      pid: process.pid,
      cluster: redis.redisCluster.id,
      shared: inject('redisCluster').id,
      members: inject('redisClusterPool').members.map((m) => m.id),
      poolDir: inject('redisClusterPool').dir,
    };
    appendFileSync(join(dir(), 'files.jsonl'), `${JSON.stringify(line)}\n`);
  });
}
