import { useRedisCluster } from '@redis-cluster-kit/testcontainers/jest';
import { report } from '../jest-suite/report';

const redis = useRedisCluster({ reset: true });

afterAll(() => report('data', redis));

test("a file's own client as the application's user (default is off), under the file's namespace: writes, reads, reset()", async () => {
  expect(redis.shared).toBe(true);
  expect(redis.redisCluster.tls?.ca).toContain('BEGIN CERTIFICATE');
  // rc.cluster logs in as the fixture's own user (no data commands); the application logs in as itself.
  const app = redis.redisCluster.createClient({
    keyPrefix: redis.namespace,
    redisOptions: { username: 'app', password: process.env.TLS_SUITE_APP_PASSWORD },
  });
  for (let i = 0; i < 30; i++) await app.set(`k${i}`, String(i));
  for (let i = 0; i < 30; i++) expect(await app.get(`k${i}`)).toBe(String(i));
  await redis.reset(); // the fixture's user SCANs and UNLINKs the file's namespace
  expect(await app.get('k0')).toBeNull();
});
