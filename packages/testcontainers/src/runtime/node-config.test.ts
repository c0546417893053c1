import { resolveFixtureOptions } from '../resolve-options';
import { nodeConfig, renderConfigFile } from './node-config';

describe('node config', () => {
  it("is the plan's directives (at the runtime's dir and bind), the password, the runtime's own, then the user's", () => {
    const resolved = resolveFixtureOptions(
      { runtime: 'process', masters: 1, password: 'pw', redisConfig: { 'maxmemory-policy': 'allkeys-lru' } },
      {},
    );
    const config = nodeConfig(resolved.plan, 'redis-node-1', resolved, { dir: '/tmp/n1', bind: '127.0.0.1' }, [
      ['pidfile', '/tmp/n1/redis.pid'],
    ]);
    expect(config).toEqual(
      expect.arrayContaining([
        ['bind', '127.0.0.1'],
        ['protected-mode', 'yes'],
        ['dir', '/tmp/n1'],
        ['cluster-announce-hostname', 'redis-node-1'],
      ]),
    );
    expect(config.slice(-4)).toEqual([
      ['requirepass', 'pw'],
      ['masterauth', 'pw'],
      ['pidfile', '/tmp/n1/redis.pid'],
      ['maxmemory-policy', 'allkeys-lru'],
    ]);
  });

  it("is written as redis.conf through the plan's renderDirectives (a password with spaces or quotes stays one argument)", () => {
    expect(
      renderConfigFile(
        [
          ['port', '7101'],
          ['save', ''],
          ['requirepass', 'a b "c"'],
        ],
        '# header',
      ),
    ).toBe('# header\nport 7101\nsave ""\nrequirepass "a b \\"c\\""\n');
  });
});
