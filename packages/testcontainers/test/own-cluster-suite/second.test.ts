import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';

// No globalSetup: this file starts (and stops) a cluster of its own, while the other file does
// the same on the other worker.
const redis = useRedisCluster({ start: { masters: 3, name: 'own-cluster-suite' }, reset: true });

afterAll(() => {
  const dir = process.env['SUITE_REPORT_DIR'];
  if (!dir) return;
  const line = { file: 'second', worker: process.env['JEST_WORKER_ID'], pid: process.pid, cluster: redis.redisCluster.id, shared: redis.shared, ports: redis.nodes.map((n) => n.port) };
  appendFileSync(join(dir, 'files.jsonl'), `${JSON.stringify(line)}\n`);
});

test('has a cluster of its own, empty, that takes writes on every master', async () => {
  expect(redis.shared).toBe(false);
  expect(redis.namespace).toBe('');
  const sizes = await Promise.all(redis.cluster.nodes('master').map((node) => node.dbsize()));
  expect(sizes).toEqual([0, 0, 0]);
  for (const master of redis.nodes.filter((n) => n.role === 'master')) {
    await redis.cluster.set(`{${master.name}}:second`, 'second');
  }
  expect(await redis.cluster.get('{redis-node-1}:second')).toBe('second');
});
