import { resolveFixtureOptions } from './options';
import { nodeConfig, quoteConfigArg, renderConfigFile } from './node-config';

describe('node config', () => {
  it('is the plan\'s directives (at the runtime\'s dir and bind), the password, the runtime\'s own, then the user\'s', () => {
    const resolved = resolveFixtureOptions({ runtime: 'process', masters: 1, password: 'pw', redisConfig: { 'maxmemory-policy': 'allkeys-lru' } }, {});
    const config = nodeConfig(resolved.plan, 'redis-node-1', resolved, { dir: '/tmp/n1', bind: '127.0.0.1' }, [['pidfile', '/tmp/n1/redis.pid']]);
    expect(config).toEqual(
      expect.arrayContaining([
        ['bind', '127.0.0.1'],
        ['protected-mode', 'yes'],
        ['dir', '/tmp/n1'],
        ['cluster-announce-hostname', 'redis-node-1'],
      ]),
    );
    expect(config.slice(-4)).toEqual([['requirepass', 'pw'], ['masterauth', 'pw'], ['pidfile', '/tmp/n1/redis.pid'], ['maxmemory-policy', 'allkeys-lru']]);
  });

  it('quotes every argument the way redis-server reads it back', () => {
    expect(quoteConfigArg('7101')).toBe('"7101"');
    expect(quoteConfigArg('')).toBe('""');
    expect(quoteConfigArg('a b "c" \\d #e')).toBe('"a b \\"c\\" \\\\d #e"');
    expect(quoteConfigArg('x\u0001y')).toBe('"x\\x01y"');
    expect(renderConfigFile([['port', '7101'], ['save', '']], '# header')).toBe('# header\nport "7101"\nsave ""\n');
  });
});
