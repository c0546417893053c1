import { Redis } from 'ioredis';
import { createCluster } from 'redis';
import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from '../jest-suite/report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('users', redis));

test("node-redis over TLS with the worker's CA through natMap: the application's user writes, a read-only user gets NOPERM", async () => {
  const { ca } = redis.redisCluster.tls!;
  const as = (username: string, password: string | undefined) => {
    const client = createCluster({
      rootNodes: redis.startupNodes.map(({ host, port }) => ({ url: `rediss://${host}:${port}` })),
      defaults: { socket: { tls: true, ca }, username, password },
      nodeAddressMap: redis.natMap,
    });
    client.on('error', () => undefined);
    return client;
  };
  const app = as('app', process.env.TLS_SUITE_APP_PASSWORD);
  const reader = as('reader', process.env.TLS_SUITE_READER_PASSWORD);
  await app.connect();
  await reader.connect();
  try {
    const key = `${redis.namespace}x`;
    await app.set(key, '1');
    expect(await reader.get(key)).toBe('1');
    await expect(reader.set(key, '2')).rejects.toThrow(/NOPERM/);
  } finally {
    app.destroy();
    reader.destroy();
  }
});

test('`default` is off: a TLS client that does not log in gets NOAUTH', async () => {
  const [node] = redis.nodes;
  const anonymous = new Redis({
    host: node!.host,
    port: node!.port,
    tls: { ca: redis.redisCluster.tls!.ca },
    protocol: 2, // RESP3's HELLO would fail first, with its own NOAUTH text
    lazyConnect: true,
    maxRetriesPerRequest: 0,
  });
  anonymous.on('error', () => undefined);
  try {
    await expect(anonymous.get('x')).rejects.toThrow(/^NOAUTH/);
  } finally {
    anonymous.disconnect();
  }
});
