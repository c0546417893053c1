import { createClusterCertificates, DEFAULT_PLAN_OPTIONS, InvalidOptionError } from '@redis-cluster-kit/plan';
import { DEFAULT_FIXTURE_OPTIONS, RUNTIME_CHOICES, RUNTIME_ENV_VAR, SERVER_PATH_ENV_VAR } from './options';
import { checkRedisConfig, resolveFixtureOptions, reuseKey } from './resolve-options';
import { nodeCommand, SERVER_COMMAND } from './runtime/node-config';

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
    expect(DEFAULT_FIXTURE_OPTIONS).toMatchObject({
      masters: 3,
      replicas: 0,
      nodeTimeoutMs: 1000,
      startupTimeoutMs: 60_000,
    });
    expect(startupTimeoutMs).toBe(DEFAULT_FIXTURE_OPTIONS.startupTimeoutMs);
    expect(password).toBeUndefined();
    expect(redisConfig).toEqual([]);
    expect(Object.isFrozen(DEFAULT_FIXTURE_OPTIONS)).toBe(true);
  });

  it('keep every time limit of the started cluster, each from its option or DEFAULT_FIXTURE_OPTIONS', () => {
    expect(resolveFixtureOptions()).toMatchObject({
      timeouts: {
        faultTimeoutMs: DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs,
        nodeAnswerTimeoutMs: DEFAULT_FIXTURE_OPTIONS.nodeAnswerTimeoutMs,
        resetReplicaTimeoutMs: DEFAULT_FIXTURE_OPTIONS.resetReplicaTimeoutMs,
      },
      dockerCheckTimeoutMs: DEFAULT_FIXTURE_OPTIONS.dockerCheckTimeoutMs,
    });
    const set = { faultTimeoutMs: 90_000, nodeAnswerTimeoutMs: 3000, resetReplicaTimeoutMs: 20_000 };
    expect(resolveFixtureOptions({ ...set, dockerCheckTimeoutMs: 10_000 })).toMatchObject({
      timeouts: set,
      dockerCheckTimeoutMs: 10_000,
    });
  });

  it('take the image from the option, else REDIS_CLUSTER_IMAGE, else the plan default', () => {
    expect(resolveFixtureOptions({}, {}).plan.options.image).toBe(DEFAULT_PLAN_OPTIONS.image);
    expect(resolveFixtureOptions({}, { REDIS_CLUSTER_IMAGE: 'local/redis:7.0.15' }).plan.options.image).toBe(
      'local/redis:7.0.15',
    );
    expect(
      resolveFixtureOptions({ image: 'redis:7.2.4' }, { REDIS_CLUSTER_IMAGE: 'local/redis:7.0.15' }).plan.options.image,
    ).toBe('redis:7.2.4');
  });

  it('pass plan options through and turn a password on auth', () => {
    const { plan, password } = resolveFixtureOptions({
      masters: 1,
      replicas: 2,
      basePort: 30000,
      namePrefix: 'node',
      persistence: 'aof',
      password: 's3cret',
    });
    expect(plan.nodes.map((n) => `${n.name}:${n.port}`)).toEqual(['node-1:30000', 'node-2:30001', 'node-3:30002']);
    expect(plan.options.auth).toBe(true);
    expect(plan.options.persistence).toBe('aof');
    expect(password).toBe('s3cret');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['masters 0 (through the plan)', { masters: 0 }, 'Invalid option masters 0. Expected an integer from 1 to 1000.'],
    [
      'unknown option',
      { mastres: 3 },
      'Unknown option mastres 3. Expected one of the known options: masters, replicas, image, nodeTimeoutMs, basePort, namePrefix, persistence, password, users, defaultUser, tls, startupTimeoutMs, faultTimeoutMs, nodeAnswerTimeoutMs, resetReplicaTimeoutMs, dockerCheckTimeoutMs, clusterOptions, redisConfig, logger, name, reuse, networkFaults, runtime, redisServerPath, signal, network.',
    ],
    [
      'signal not an AbortSignal',
      { signal: { aborted: false } },
      'Invalid option signal {"aborted":false}. Expected an AbortSignal (e.g. new AbortController().signal).',
    ],
    [
      "announce is not the fixture's to change",
      { announce: 'loopback' },
      'Unknown option announce "loopback". Expected one of the known options:',
    ],
    [
      'startupTimeoutMs 0',
      { startupTimeoutMs: 0 },
      'Invalid option startupTimeoutMs 0. Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'startupTimeoutMs as string',
      { startupTimeoutMs: '5000' },
      'Invalid option startupTimeoutMs "5000". Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'faultTimeoutMs 0',
      { faultTimeoutMs: 0 },
      'Invalid option faultTimeoutMs 0. Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'nodeAnswerTimeoutMs not an integer',
      { nodeAnswerTimeoutMs: 1.5 },
      'Invalid option nodeAnswerTimeoutMs 1.5. Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'resetReplicaTimeoutMs as string',
      { resetReplicaTimeoutMs: '5000' },
      'Invalid option resetReplicaTimeoutMs "5000". Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'dockerCheckTimeoutMs negative',
      { dockerCheckTimeoutMs: -1 },
      'Invalid option dockerCheckTimeoutMs -1. Expected an integer number of milliseconds from 1 to 3600000.',
    ],
    [
      'empty password',
      { password: '' },
      'Invalid option password "". Expected a non-empty string of at most 512 characters without control characters.',
    ],
    [
      'password with a newline (value hidden)',
      { password: 'a\nb' },
      'Invalid option password "<hidden>". Expected a non-empty string',
    ],
    ['password as number', { password: 1234 }, 'Invalid option password 1234. Expected a non-empty string'],
    [
      'clusterOptions as array',
      { clusterOptions: [] },
      'Invalid option clusterOptions []. Expected an object of ioredis Cluster options.',
    ],
    [
      'logger not a function',
      { logger: 'console' },
      'Invalid option logger "console". Expected a function that receives each log event.',
    ],
    ['name with a space', { name: 'my tests' }, 'Invalid option name "my tests". Expected a label value'],
    [
      'redisConfig owned directive',
      { redisConfig: { port: 6379 } },
      'Invalid option redisConfig.port 6379. Expected no value: the fixture sets "port" itself; use basePort.',
    ],
    [
      'redisConfig node timeout',
      { redisConfig: { 'cluster-node-timeout': 5000 } },
      'Invalid option redisConfig.cluster-node-timeout 5000. Expected no value: the fixture sets "cluster-node-timeout" itself; use nodeTimeoutMs.',
    ],
    [
      'redisConfig requirepass',
      { redisConfig: { requirepass: 'x' } },
      'Invalid option redisConfig.requirepass "x". Expected no value: the fixture sets "requirepass" itself; use password.',
    ],
    [
      'redisConfig bad name',
      { redisConfig: { 'Max Memory': '1mb' } },
      'Invalid directive name in option redisConfig.Max Memory "1mb". Expected a redis.conf directive name',
    ],
    [
      'redisConfig newline in value',
      { redisConfig: { 'maxmemory-policy': 'noeviction\nport 1' } },
      'Invalid option redisConfig.maxmemory-policy "noeviction\\nport 1". Expected a string, a number, a boolean or an array',
    ],
    ['reuse as string', { reuse: 'yes' }, 'Invalid option reuse "yes". Expected true or false.'],
    [
      'redisConfig empty array',
      { redisConfig: { save: [] } },
      'Invalid option redisConfig.save []. Expected at least one argument.',
    ],
    [
      'redisConfig logfile (the fixture reads the log)',
      { redisConfig: { logfile: '/tmp/x.log' } },
      'Invalid option redisConfig.logfile "/tmp/x.log". Expected no value: the fixture sets "logfile" itself',
    ],
    [
      'an unknown runtime',
      { runtime: 'podman' },
      'Invalid option runtime "podman". Expected "docker", "process" or "auto".',
    ],
    ['runtime as boolean', { runtime: true }, 'Invalid option runtime true. Expected "docker", "process" or "auto".'],
    [
      'an empty redisServerPath',
      { runtime: 'process', redisServerPath: '' },
      'Invalid option redisServerPath "". Expected a path to redis-server or valkey-server (Redis >= 7.0, Valkey >= 7.2), or a command name on PATH, without control characters.',
    ],
    [
      'redisServerPath with a newline',
      { runtime: 'process', redisServerPath: 'redis-server\n' },
      'Invalid option redisServerPath "redis-server\\n". Expected a path to redis-server',
    ],
    [
      'an image with runtime "process"',
      { runtime: 'process', image: 'redis:7.2' },
      'Invalid option image "redis:7.2". Expected no image with runtime "process": it runs redis-server from PATH or redisServerPath; leave image out, or set runtime "docker" or "auto".',
    ],
    [
      'reuse with runtime "process"',
      { runtime: 'process', reuse: true },
      'Invalid option reuse true. Expected false with runtime "process": only the Docker runtime keeps clusters between runs',
    ],
    [
      'a redisServerPath with runtime "docker"',
      { runtime: 'docker', redisServerPath: '/opt/redis/bin/redis-server' },
      'Invalid option redisServerPath "/opt/redis/bin/redis-server". Expected no redis-server path with runtime "docker": nodes run in containers of the image; set runtime "process" or "auto" to run redis-server itself.',
    ],
    [
      'a network with runtime "process"',
      { runtime: 'process', network: 'app-net' },
      'Invalid option network "app-net". Expected no network with runtime "process": its nodes are local redis-server processes listening on 127.0.0.1, which no container reaches; set runtime "docker" to run the nodes in containers on that network.',
    ],
    [
      'a network as a number',
      { network: 42 },
      'Invalid option network 42. Expected the name (or id) of a Docker network you started, or a Testcontainers StartedNetwork (await new Network().start()): letters, digits',
    ],
    [
      'a network name with a space',
      { network: 'app net' },
      'Invalid option network "app net". Expected the name (or id) of a Docker network you started',
    ],
    [
      'an empty network name',
      { network: '' },
      'Invalid option network "". Expected the name (or id) of a Docker network',
    ],
    [
      'an object without getName()',
      { network: { name: 'app-net' } },
      'Invalid option network {"name":"app-net"}. Expected the name (or id) of a Docker network you started, or a Testcontainers StartedNetwork (await new Network().start()).',
    ],
    [
      "Docker's default bridge",
      { network: 'bridge' },
      'Invalid option network "bridge". Expected a user-defined network (docker network create, new Network().start()): on Docker\'s own "bridge" network containers have no names to reach each other by.',
    ],
    ['the host network', { network: 'host' }, 'Invalid option network "host". Expected a user-defined network'],
    [
      'reuse: true with a Testcontainers network',
      { reuse: true, network: { getName: () => 'f3a1c0de-0000-4000-8000-000000000001' } },
      'Invalid option reuse true. Expected false with a Testcontainers network "f3a1c0de-0000-4000-8000-000000000001": it lives for one run (a random name), so no later run could reuse the cluster, and a kept cluster would keep the network from being removed; pass the name of a network that outlives the run instead.',
    ],
    [
      'a redisServerPath with the default runtime',
      { redisServerPath: '/opt/redis/bin/redis-server' },
      'Invalid option redisServerPath "/opt/redis/bin/redis-server". Expected no redis-server path with runtime "docker" (the default): nodes run in containers',
    ],
  ];

  it.each(invalid)('reject %s with InvalidOptionError', (_label, input, message) => {
    let error: unknown;
    try {
      resolveFixtureOptions(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message.slice(0, message.length)).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reject a bad REDIS_CLUSTER_IMAGE when no image option is given', () => {
    expect(() => resolveFixtureOptions({}, { REDIS_CLUSTER_IMAGE: 'Bad Image' })).toThrow(
      'Invalid environment variable REDIS_CLUSTER_IMAGE "Bad Image"',
    );
    expect(resolveFixtureOptions({ image: 'redis:7.2' }, { REDIS_CLUSTER_IMAGE: 'Bad Image' }).plan.options.image).toBe(
      'redis:7.2',
    );
  });
});

describe('redisConfig', () => {
  it('becomes directives: strings and numbers as one argument, booleans as yes/no, arrays as several arguments', () => {
    expect(
      checkRedisConfig({
        'maxmemory-policy': 'allkeys-lru',
        maxmemory: 1048576,
        'lazyfree-lazy-user-flush': true,
        save: ['900', 1],
        'notify-keyspace-events': '',
      }),
    ).toEqual([
      ['maxmemory-policy', 'allkeys-lru'],
      ['maxmemory', '1048576'],
      ['lazyfree-lazy-user-flush', 'yes'],
      ['save', '900', '1'],
      ['notify-keyspace-events', ''],
    ]);
  });
});

describe('node command', () => {
  it("is the secrets' file (password, users: never an argument), then the plan's directives, then the user's", () => {
    const resolved = resolveFixtureOptions({
      masters: 1,
      password: 'pw',
      users: [{ name: 'app', password: 'app pw', rules: '~app:* +@read' }],
      redisConfig: { 'maxmemory-policy': 'allkeys-lru' },
    });
    const { command, secrets } = nodeCommand(resolved.plan, 'redis-node-1', resolved);
    expect(command.slice(0, SERVER_COMMAND.length)).toEqual([...SERVER_COMMAND]);
    expect(command.slice(SERVER_COMMAND.length, SERVER_COMMAND.length + 3)).toEqual([
      '/data/secrets.conf',
      '--port',
      '7101',
    ]);
    expect(secrets).toBe(
      '# written by redis-cluster-kit (Docker runtime) - do not edit\nrequirepass pw\nmasterauth pw\nuser app reset on ">app pw" ~app:* +@read\n',
    );
    expect(command.slice(SERVER_COMMAND.length).join(' ')).not.toMatch(/pw|requirepass|masterauth|user/);
    expect(command).toEqual(
      expect.arrayContaining([
        '--cluster-announce-hostname',
        'redis-node-1',
        '--cluster-node-timeout',
        '1000',
        '--save',
        '',
      ]),
    );
    expect(command.slice(-2)).toEqual(['--maxmemory-policy', 'allkeys-lru']);
    expect(nodeCommand(resolved.plan, 'redis-node-1', resolveFixtureOptions({ masters: 1 })).secrets).toBeUndefined();
  });

  it('with defaultUser false: default off, the fixture user with a fresh password and its rules, replicas log in as it', () => {
    const a = resolveFixtureOptions({ masters: 1, defaultUser: false });
    const b = resolveFixtureOptions({ masters: 1, defaultUser: false });
    expect(a.fixtureUser!.name).toBe('redis-cluster-kit');
    expect(a.fixtureUser!.password).not.toBe(b.fixtureUser!.password);
    const { secrets } = nodeCommand(a.plan, 'redis-node-1', a);
    expect(secrets).toContain('\nuser default reset off\n');
    expect(secrets).toContain(
      `\nuser redis-cluster-kit reset on >${a.fixtureUser!.password} ~* resetchannels -@all +@connection`,
    );
    expect(secrets).toContain(`\nmasteruser redis-cluster-kit\nmasterauth ${a.fixtureUser!.password}\n`);
    expect(() => resolveFixtureOptions({ defaultUser: false, password: 'secret-pw' })).toThrow(
      /^Invalid option password "<hidden>"\. Expected no password with defaultUser false/,
    );
    expect(() => resolveFixtureOptions({ defaultUser: false, reuse: true })).toThrow(/^Invalid option reuse true/);
  });

  it('refuses bad users in one line, never printing a password', () => {
    const refuse = (users: unknown) => () => resolveFixtureOptions({ users: users as [] });
    expect(refuse([{ name: 'default', password: 'x' }])).toThrow(/^Invalid option users\[0\]\.name "default"/);
    expect(
      refuse([
        { name: 'a', password: 'x' },
        { name: 'a', password: 'y' },
      ]),
    ).toThrow(/users\[1\]\.name "a"\. Expected a name no other user has/);
    expect(refuse([{ name: 'a', password: 'secret\n' }])).toThrow(/^Invalid option users\[0\]\.password "<hidden>"/);
    expect(refuse([{ name: 'a', password: 'x', rules: '+@all >leaked' }])).toThrow(
      /^Invalid option users\[0\]\.rules "\+@all <hidden>"\. Expected ACL rules/,
    );
    expect(refuse('app')).toThrow(/^Invalid option users "string"/);
  });

  it('leaves automatic failover to Redis on the command line (the start holds it with CONFIG SET, so a restarted replica gets the default)', () => {
    const resolved = resolveFixtureOptions({ masters: 1, replicas: 1 });
    for (const name of ['redis-node-1', 'redis-node-2'])
      expect(nodeCommand(resolved.plan, name, resolved).command).not.toContain('--cluster-replica-no-failover');
    const own = resolveFixtureOptions({
      masters: 1,
      replicas: 1,
      redisConfig: { 'cluster-replica-no-failover': 'yes' },
    });
    expect(nodeCommand(own.plan, 'redis-node-2', own).command.slice(-2)).toEqual([
      '--cluster-replica-no-failover',
      'yes',
    ]);
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

  it('is refused with networkFaults, whose proxies and rules belong to the process; REDIS_CLUSTER_REUSE gives way', () => {
    expect(() => resolveFixtureOptions({ networkFaults: true, reuse: true }, {})).toThrow(
      'Invalid option reuse true. Expected false with networkFaults: true (network faults need a cluster of this process, with its own proxies and rules).',
    );
    expect(resolveFixtureOptions({ networkFaults: true }, { REDIS_CLUSTER_REUSE: '1' }).reuse).toBe(false);
    expect(() => resolveFixtureOptions({ networkFaults: 'yes' as never }, {})).toThrow(
      'Invalid option networkFaults "yes". Expected true or false.',
    );
  });

  it('keys kept clusters by what makes them interchangeable: plan, directives, password', () => {
    const key = (o: object) => reuseKey(resolveFixtureOptions(o, {}));
    expect(key({ masters: 3 })).toBe(
      key({ masters: 3, logger: () => undefined, startupTimeoutMs: 5, clusterOptions: { scaleReads: 'slave' } }),
    );
    expect(key({ masters: 3 })).toMatch(/^[0-9a-f]{16}$/);
    const distinct = [
      key({ masters: 3 }),
      key({ masters: 3, replicas: 1 }),
      key({ masters: 3, image: 'redis:7.2.4' }),
      key({ masters: 3, password: 'a' }),
      key({ masters: 3, password: 'b' }),
      key({ masters: 3, redisConfig: { 'maxmemory-policy': 'allkeys-lru' } }),
      key({ masters: 3, nodeTimeoutMs: 2000 }),
      key({ masters: 3, network: 'app-net' }),
      key({ masters: 3, network: 'other-net' }),
    ];
    expect(new Set(distinct).size).toBe(distinct.length);
  });

  it('keeps the keys of clusters kept without a network as they were (no network field in their identity)', () => {
    // The key of { masters: 3 } before the network option existed, from this same function then.
    expect(reuseKey(resolveFixtureOptions({ masters: 3 }, {}))).toBe(
      reuseKey({ ...resolveFixtureOptions({ masters: 3 }, {}), network: undefined }),
    );
    const named = resolveFixtureOptions({ network: 'app-net', reuse: true }, {});
    expect(named).toMatchObject({ reuse: true, network: { name: 'app-net', perRun: false } });
  });

  it('is ignored, not refused, when REDIS_CLUSTER_REUSE is on and the network is a Testcontainers one (made per run)', () => {
    const network = { getName: () => 'f3a1c0de-0000-4000-8000-000000000001' };
    expect(resolveFixtureOptions({ network }, { REDIS_CLUSTER_REUSE: '1' })).toMatchObject({
      reuse: false,
      reuseIgnoredForNetwork: true,
      network: { name: 'f3a1c0de-0000-4000-8000-000000000001', perRun: true },
    });
    expect(resolveFixtureOptions({ network: 'app-net' }, { REDIS_CLUSTER_REUSE: '1' })).toMatchObject({
      reuse: true,
      reuseIgnoredForNetwork: false,
    });
  });
});

describe('runtime', () => {
  it('is "docker" by default (as before the process runtime), from one constant', () => {
    const resolved = resolveFixtureOptions({}, {});
    expect(DEFAULT_FIXTURE_OPTIONS.runtime).toBe('docker');
    expect(resolved).toMatchObject({
      runtime: 'docker',
      runtimeFrom: 'default',
      redisServerPath: DEFAULT_FIXTURE_OPTIONS.redisServerPath,
      fixedPorts: false,
    });
    expect(DEFAULT_FIXTURE_OPTIONS.redisServerPath).toBe('redis-server');
    expect(RUNTIME_CHOICES).toEqual(['docker', 'process', 'auto']);
  });

  it('comes from the option, else REDIS_CLUSTER_RUNTIME (read like REDIS_CLUSTER_REUSE: no guessing), else the default', () => {
    expect(resolveFixtureOptions({ runtime: 'process' }, {})).toMatchObject({
      runtime: 'process',
      runtimeFrom: 'option',
    });
    expect(resolveFixtureOptions({}, { [RUNTIME_ENV_VAR]: 'auto' })).toMatchObject({
      runtime: 'auto',
      runtimeFrom: 'environment',
    });
    expect(resolveFixtureOptions({}, { [RUNTIME_ENV_VAR]: '' })).toMatchObject({
      runtime: 'docker',
      runtimeFrom: 'default',
    });
    expect(resolveFixtureOptions({ runtime: 'docker' }, { [RUNTIME_ENV_VAR]: 'process' })).toMatchObject({
      runtime: 'docker',
      runtimeFrom: 'option',
    });
    expect(() => resolveFixtureOptions({}, { [RUNTIME_ENV_VAR]: 'Process' })).toThrow(
      'Invalid environment variable REDIS_CLUSTER_RUNTIME "Process". Expected "docker", "process" or "auto" (or unset for "docker").',
    );
  });

  it('takes the redis-server path from the option, else REDIS_CLUSTER_SERVER_PATH, else "redis-server" on PATH', () => {
    expect(
      resolveFixtureOptions(
        { runtime: 'process', redisServerPath: './bin/redis-server' },
        { [SERVER_PATH_ENV_VAR]: '/usr/bin/redis-server' },
      ).redisServerPath,
    ).toBe('./bin/redis-server');
    expect(
      resolveFixtureOptions({ runtime: 'process' }, { [SERVER_PATH_ENV_VAR]: '/usr/bin/redis-server' }).redisServerPath,
    ).toBe('/usr/bin/redis-server');
    expect(resolveFixtureOptions({ runtime: 'process' }, {}).redisServerPath).toBe('redis-server');
    expect(() => resolveFixtureOptions({}, { [SERVER_PATH_ENV_VAR]: ' ' })).toThrow(
      'Invalid environment variable REDIS_CLUSTER_SERVER_PATH " ". Expected a path to redis-server',
    );
  });

  it("ignores (rather than refuses) the other runtime's options when the runtime comes from REDIS_CLUSTER_RUNTIME or auto", () => {
    const fromEnv = resolveFixtureOptions({ image: 'redis:7.2', reuse: true }, { [RUNTIME_ENV_VAR]: 'process' });
    expect(fromEnv).toMatchObject({
      runtime: 'process',
      reuse: true,
      given: { image: true, reuse: true, redisServerPath: false },
    });
    expect(
      resolveFixtureOptions({ redisServerPath: '/x/redis-server' }, { [RUNTIME_ENV_VAR]: 'docker' }).given
        .redisServerPath,
    ).toBe(true);
    expect(
      resolveFixtureOptions(
        { runtime: 'auto', image: 'redis:7.2', redisServerPath: '/x/redis-server', reuse: true },
        {},
      ).runtime,
    ).toBe('auto');
  });

  it('lets the process runtime pick free ports unless basePort is given', () => {
    expect(resolveFixtureOptions({ runtime: 'process' }, {}).fixedPorts).toBe(false);
    expect(resolveFixtureOptions({ runtime: 'process', basePort: 20000 }, {})).toMatchObject({
      fixedPorts: true,
      plan: { options: { basePort: 20000 } },
    });
  });
});

describe('the tls option', () => {
  it('is off by default, true makes certificates at start, and refuses reuse (a kept cluster keeps no certificates)', () => {
    expect(resolveFixtureOptions().tls).toBeUndefined();
    expect(resolveFixtureOptions({ tls: false }).tls).toBeUndefined();
    expect(resolveFixtureOptions({ tls: true }).tls).toBe('generate');
    expect(() => resolveFixtureOptions({ tls: true, reuse: true })).toThrow(
      /^Invalid option reuse true\. Expected false with tls/,
    );
  });

  it('takes certificates that cover every node and 127.0.0.1, and refuses others in one line without the key', async () => {
    const made = await createClusterCertificates(['redis-node-1', 'redis-node-2', 'redis-node-3']);
    const node1 = made.nodes.get('redis-node-1')!;
    expect(() => resolveFixtureOptions({ masters: 1, tls: { ca: made.ca, ...node1 } })).not.toThrow();
    const refuse = (tls: unknown) => {
      try {
        resolveFixtureOptions({ masters: 3, tls: tls as boolean });
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    const message = refuse({ ca: made.ca, ...node1 });
    expect(message).toMatch(
      /^Invalid option tls "\{ ca, cert, key \}"\. Expected certificates that fit this cluster, but "cert" does not name "redis-node-2", "redis-node-3"/,
    );
    expect(message).not.toContain('PRIVATE');
    expect(message).not.toContain('\n');
    expect(refuse({ ca: made.ca, cert: node1.cert })).toMatch(
      /^Invalid option tls "\{ ca, cert \}"\. Expected true, false or \{ ca, cert, key \}/,
    );
    expect(refuse('yes')).toMatch(/^Invalid option tls "yes"/);
    expect(refuse({ ca: made.ca, ...node1, extra: 1 })).toMatch(/Expected true, false or/);
  });

  it('gives each node port 0 and its port as tls-port, TLS on the bus and for replication, files under /data/tls', () => {
    const resolved = resolveFixtureOptions({ masters: 1, tls: true });
    const command = nodeCommand(resolved.plan, 'redis-node-1', resolved).command.join(' ');
    expect(command).toContain('--port 0 --tls-port 7101 --tls-cert-file /data/tls/redis-node-1.crt');
    expect(command).toContain('--tls-key-file /data/tls/redis-node-1.key --tls-ca-cert-file /data/tls/ca.crt');
    expect(command).toContain('--tls-auth-clients optional --tls-cluster yes --tls-replication yes');
  });
});
