import { DEFAULT_PLAN_OPTIONS, InvalidOptionError } from '@redis-cluster-kit/plan';
import { checkRedisConfig, DEFAULT_FIXTURE_OPTIONS, resolveFixtureOptions, reuseKey } from './options';
import { nodeCommand } from './start';

describe('fixture options', () => {
  it('default to 3 masters, no replica, a 1 s node timeout and no persistence, from one constant', () => {
    const { plan, startupTimeoutMs, password, redisConfig } = resolveFixtureOptions();
    expect(plan.options).toMatchObject({
      masters: DEFAULT_FIXTURE_OPTIONS.masters,
      replicas: DEFAULT_FIXTURE_OPTIONS.replicas,
      nodeTimeoutMs: DEFAULT_FIXTURE_OPTIONS.nodeTimeoutMs,
      persistence: DEFAULT_FIXTURE_OPTIONS.persistence,
      announce: 'hostname',
      auth: false,
    });
    expect(DEFAULT_FIXTURE_OPTIONS).toMatchObject({ masters: 3, replicas: 0, nodeTimeoutMs: 1000, startupTimeoutMs: 60_000 });
    expect(startupTimeoutMs).toBe(DEFAULT_FIXTURE_OPTIONS.startupTimeoutMs);
    expect(password).toBeUndefined();
    expect(redisConfig).toEqual([]);
    expect(Object.isFrozen(DEFAULT_FIXTURE_OPTIONS)).toBe(true);
  });

  it('take the image from the option, else REDIS_CLUSTER_IMAGE, else the plan default', () => {
    expect(resolveFixtureOptions({}, {}).plan.options.image).toBe(DEFAULT_PLAN_OPTIONS.image);
    expect(resolveFixtureOptions({}, { REDIS_CLUSTER_IMAGE: 'local/redis:7.0.15' }).plan.options.image).toBe('local/redis:7.0.15');
    expect(resolveFixtureOptions({ image: 'redis:7.2.4' }, { REDIS_CLUSTER_IMAGE: 'local/redis:7.0.15' }).plan.options.image).toBe('redis:7.2.4');
  });

  it('pass plan options through and turn a password on auth', () => {
    const { plan, password } = resolveFixtureOptions({ masters: 1, replicas: 2, basePort: 30000, namePrefix: 'node', persistence: 'aof', password: 's3cret' });
    expect(plan.nodes.map((n) => `${n.name}:${n.port}`)).toEqual(['node-1:30000', 'node-2:30001', 'node-3:30002']);
    expect(plan.options.auth).toBe(true);
    expect(plan.options.persistence).toBe('aof');
    expect(password).toBe('s3cret');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['masters 0 (through the plan)', { masters: 0 }, 'Invalid option masters 0. Expected an integer from 1 to 1000.'],
    ['unknown option', { mastres: 3 }, 'Unknown option mastres 3. Expected one of the known options: masters, replicas, image, nodeTimeoutMs, basePort, namePrefix, persistence, password, startupTimeoutMs, clusterOptions, redisConfig, logger, name, reuse.'],
    ['announce is not the fixture\'s to change', { announce: 'loopback' }, 'Unknown option announce "loopback". Expected one of the known options:'],
    ['startupTimeoutMs 0', { startupTimeoutMs: 0 }, 'Invalid option startupTimeoutMs 0. Expected an integer number of milliseconds from 1 to 3600000.'],
    ['startupTimeoutMs as string', { startupTimeoutMs: '5000' }, 'Invalid option startupTimeoutMs "5000". Expected an integer number of milliseconds from 1 to 3600000.'],
    ['empty password', { password: '' }, 'Invalid option password "". Expected a non-empty string of at most 512 characters without control characters.'],
    ['password with a newline (value hidden)', { password: 'a\nb' }, 'Invalid option password "<hidden>". Expected a non-empty string'],
    ['password as number', { password: 1234 }, 'Invalid option password 1234. Expected a non-empty string'],
    ['clusterOptions as array', { clusterOptions: [] }, 'Invalid option clusterOptions []. Expected an object of ioredis Cluster options.'],
    ['logger not a function', { logger: 'console' }, 'Invalid option logger "console". Expected a function that receives each log event.'],
    ['name with a space', { name: 'my tests' }, 'Invalid option name "my tests". Expected a label value'],
    ['redisConfig owned directive', { redisConfig: { port: 6379 } }, 'Invalid option redisConfig.port 6379. Expected no value: the fixture sets "port" itself; use basePort.'],
    ['redisConfig node timeout', { redisConfig: { 'cluster-node-timeout': 5000 } }, 'Invalid option redisConfig.cluster-node-timeout 5000. Expected no value: the fixture sets "cluster-node-timeout" itself; use nodeTimeoutMs.'],
    ['redisConfig requirepass', { redisConfig: { requirepass: 'x' } }, 'Invalid option redisConfig.requirepass "x". Expected no value: the fixture sets "requirepass" itself; use password.'],
    ['redisConfig bad name', { redisConfig: { 'Max Memory': '1mb' } }, 'Invalid directive name in option redisConfig.Max Memory "1mb". Expected a redis.conf directive name'],
    ['redisConfig newline in value', { redisConfig: { 'maxmemory-policy': 'noeviction\nport 1' } }, 'Invalid option redisConfig.maxmemory-policy "noeviction\\nport 1". Expected a string, a number, a boolean or an array'],
    ['reuse as string', { reuse: 'yes' }, 'Invalid option reuse "yes". Expected true or false.'],
    ['redisConfig empty array', { redisConfig: { save: [] } }, 'Invalid option redisConfig.save []. Expected at least one argument.'],
  ];

  it.each(invalid)('reject %s with InvalidOptionError', (_label, input, message) => {
    let error: unknown;
    try {
      resolveFixtureOptions(input as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message.slice(0, message.length)).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reject a bad REDIS_CLUSTER_IMAGE when no image option is given', () => {
    expect(() => resolveFixtureOptions({}, { REDIS_CLUSTER_IMAGE: 'Bad Image' })).toThrow('Invalid environment variable REDIS_CLUSTER_IMAGE "Bad Image"');
    expect(resolveFixtureOptions({ image: 'redis:7.2' }, { REDIS_CLUSTER_IMAGE: 'Bad Image' }).plan.options.image).toBe('redis:7.2');
  });
});

describe('redisConfig', () => {
  it('becomes directives: strings and numbers as one argument, booleans as yes/no, arrays as several arguments', () => {
    expect(checkRedisConfig({ 'maxmemory-policy': 'allkeys-lru', maxmemory: 1048576, 'lazyfree-lazy-user-flush': true, save: ['900', 1], 'notify-keyspace-events': '' })).toEqual([
      ['maxmemory-policy', 'allkeys-lru'],
      ['maxmemory', '1048576'],
      ['lazyfree-lazy-user-flush', 'yes'],
      ['save', '900', '1'],
      ['notify-keyspace-events', ''],
    ]);
  });
});

describe('node command', () => {
  it('is the plan\'s directives, then the password, then the user\'s directives', () => {
    const resolved = resolveFixtureOptions({ masters: 1, password: 'pw', redisConfig: { 'maxmemory-policy': 'allkeys-lru' } });
    const command = nodeCommand(resolved.plan, 'redis-node-1', resolved);
    expect(command[0]).toBe('redis-server');
    expect(command.slice(1, 3)).toEqual(['--port', '7101']);
    expect(command).toEqual(expect.arrayContaining(['--cluster-announce-hostname', 'redis-node-1', '--cluster-node-timeout', '1000', '--save', '']));
    expect(command.slice(-6)).toEqual(['--requirepass', 'pw', '--masterauth', 'pw', '--maxmemory-policy', 'allkeys-lru']);
  });

  it('leaves automatic failover to Redis on the command line (the start holds it with CONFIG SET, so a restarted replica gets the default)', () => {
    const resolved = resolveFixtureOptions({ masters: 1, replicas: 1 });
    for (const name of ['redis-node-1', 'redis-node-2']) expect(nodeCommand(resolved.plan, name, resolved)).not.toContain('--cluster-replica-no-failover');
    const own = resolveFixtureOptions({ masters: 1, replicas: 1, redisConfig: { 'cluster-replica-no-failover': 'yes' } });
    expect(nodeCommand(own.plan, 'redis-node-2', own).slice(-2)).toEqual(['--cluster-replica-no-failover', 'yes']);
  });
});

describe('reuse', () => {
  it('is off by default, on with REDIS_CLUSTER_REUSE=1 or true, and the option wins over the variable', () => {
    expect(resolveFixtureOptions({}, {}).reuse).toBe(false);
    expect(resolveFixtureOptions({}, { REDIS_CLUSTER_REUSE: '1' }).reuse).toBe(true);
    expect(resolveFixtureOptions({}, { REDIS_CLUSTER_REUSE: 'true' }).reuse).toBe(true);
    expect(resolveFixtureOptions({}, { REDIS_CLUSTER_REUSE: '0' }).reuse).toBe(false);
    expect(resolveFixtureOptions({ reuse: false }, { REDIS_CLUSTER_REUSE: '1' }).reuse).toBe(false);
    expect(() => resolveFixtureOptions({}, { REDIS_CLUSTER_REUSE: 'yes' })).toThrow(
      'Invalid environment variable REDIS_CLUSTER_REUSE "yes". Expected "1" or "true" to reuse clusters, "0" or "false" (or unset) not to.',
    );
  });

  it('keys kept clusters by what makes them interchangeable: plan, directives, password', () => {
    const key = (o: object) => reuseKey(resolveFixtureOptions(o, {}));
    expect(key({ masters: 3 })).toBe(key({ masters: 3, logger: () => undefined, startupTimeoutMs: 5, clusterOptions: { scaleReads: 'slave' } }));
    expect(key({ masters: 3 })).toMatch(/^[0-9a-f]{16}$/);
    const distinct = [
      key({ masters: 3 }),
      key({ masters: 3, replicas: 1 }),
      key({ masters: 3, image: 'redis:7.2.4' }),
      key({ masters: 3, password: 'a' }),
      key({ masters: 3, password: 'b' }),
      key({ masters: 3, redisConfig: { 'maxmemory-policy': 'allkeys-lru' } }),
      key({ masters: 3, nodeTimeoutMs: 2000 }),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });
});
