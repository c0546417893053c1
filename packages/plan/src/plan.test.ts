import { bindsLoopbackOnly, configArg, directivesToArgs, nodeDirectives, renderDirectives } from './config';
import { InvalidOptionError } from './errors';
import { DEFAULT_PLAN_OPTIONS, imageFromEnv, SLOT_COUNT } from './options';
import { announcedAddress, createPlan, findNode, splitSlots } from './plan';

describe('splitSlots', () => {
  it('splits like redis-cli --cluster create for 3 masters', () => {
    expect(splitSlots(3)).toEqual([
      { start: 0, end: 5460 },
      { start: 5461, end: 10922 },
      { start: 10923, end: 16383 },
    ]);
  });

  it('gives one master every slot', () => {
    expect(splitSlots(1)).toEqual([{ start: 0, end: 16383 }]);
  });

  it('matches redis-cli for 5 and 6 masters', () => {
    expect(splitSlots(5).map((r) => r.end)).toEqual([3276, 6553, 9829, 13106, 16383]);
    expect(splitSlots(6).map((r) => r.end)).toEqual([2730, 5460, 8191, 10922, 13652, 16383]);
  });

  it.each([1, 2, 3, 4, 5, 7, 12, 24, 100, 999, 1000, 16384])(
    'covers all slots exactly once, contiguously and evenly, for %i masters',
    (masters) => {
      const ranges = splitSlots(masters);
      expect(ranges).toHaveLength(masters);
      expect(ranges[0]!.start).toBe(0);
      expect(ranges[ranges.length - 1]!.end).toBe(SLOT_COUNT - 1);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end + 1);
      const sizes = ranges.map((r) => r.end - r.start + 1);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(SLOT_COUNT);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    },
  );

  it('refuses impossible splits', () => {
    expect(() => splitSlots(0)).toThrow(RangeError);
    expect(() => splitSlots(16385)).toThrow(RangeError);
  });
});

describe('createPlan', () => {
  it('uses the documented defaults: 3 masters x 1 replica from port 7101', () => {
    const plan = createPlan();
    expect(plan.options).toEqual(DEFAULT_PLAN_OPTIONS);
    expect(plan.nodes.map((n) => [n.name, n.role, n.port, n.busPort, n.masterName])).toEqual([
      ['redis-node-1', 'master', 7101, 17101, undefined],
      ['redis-node-2', 'master', 7102, 17102, undefined],
      ['redis-node-3', 'master', 7103, 17103, undefined],
      ['redis-node-4', 'replica', 7104, 17104, 'redis-node-1'],
      ['redis-node-5', 'replica', 7105, 17105, 'redis-node-2'],
      ['redis-node-6', 'replica', 7106, 17106, 'redis-node-3'],
    ]);
    expect(plan.shards.map((s) => s.slots)).toEqual(splitSlots(3));
  });

  it('groups several replicas per master next to each other', () => {
    const plan = createPlan({ masters: 2, replicas: 2, basePort: 20000 });
    expect(plan.shards.map((s) => [s.master.name, s.replicas.map((r) => r.name)])).toEqual([
      ['redis-node-1', ['redis-node-3', 'redis-node-4']],
      ['redis-node-2', ['redis-node-5', 'redis-node-6']],
    ]);
    expect(plan.nodes.map((n) => n.port)).toEqual([20000, 20001, 20002, 20003, 20004, 20005]);
    for (const r of plan.nodes.filter((n) => n.role === 'replica')) {
      expect(findNode(plan, r.masterName!).shard).toBe(r.shard);
    }
  });

  it('allows a single master with no replicas', () => {
    const plan = createPlan({ masters: 1, replicas: 0 });
    expect(plan.nodes).toHaveLength(1);
    expect(plan.nodes[0]!.slots).toEqual({ start: 0, end: 16383 });
  });

  it('is deterministic and does not share state between calls', () => {
    expect(createPlan({ masters: 5, replicas: 2 })).toEqual(createPlan({ masters: 5, replicas: 2 }));
    expect(Object.isFrozen(createPlan().options)).toBe(true);
  });

  it('names the announced address the way nodes announce themselves', () => {
    const plan = createPlan();
    expect(announcedAddress(plan, plan.nodes[0]!)).toBe('redis-node-1:7101');
    const loop = createPlan({ announce: 'loopback' });
    expect(announcedAddress(loop, loop.nodes[2]!)).toBe('127.0.0.1:7103');
  });

  it('finds nodes by name and lists the names when one is missing', () => {
    const plan = createPlan({ masters: 1, replicas: 1 });
    expect(findNode(plan, 'redis-node-2').role).toBe('replica');
    expect(() => findNode(plan, 'nope')).toThrow(
      'No node "nope" in this cluster. Nodes are: redis-node-1, redis-node-2',
    );
  });
});

describe('option validation', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['masters 0', { masters: 0 }, 'Invalid option masters 0. Expected an integer from 1 to 1000.'],
    ['masters negative', { masters: -3 }, 'Invalid option masters -3. Expected an integer from 1 to 1000.'],
    ['masters fractional', { masters: 2.5 }, 'Invalid option masters 2.5. Expected an integer from 1 to 1000.'],
    ['masters as string', { masters: '3' }, 'Invalid option masters "3". Expected an integer from 1 to 1000.'],
    ['masters NaN', { masters: NaN }, 'Invalid option masters NaN. Expected an integer from 1 to 1000.'],
    ['replicas negative', { replicas: -1 }, 'Invalid option replicas -1. Expected an integer from 0 to 999.'],
    ['replicas fractional', { replicas: 0.5 }, 'Invalid option replicas 0.5. Expected an integer from 0 to 999.'],
    [
      'too many nodes',
      { masters: 500, replicas: 2 },
      'Invalid option replicas 2. Expected at most 1 with 500 masters (a cluster has at most 1000 nodes).',
    ],
    ['port 0', { basePort: 0 }, 'Invalid option basePort 0. Expected an integer port from 1 to 65535.'],
    [
      'port range passes 65535',
      { basePort: 65533 },
      'Invalid option basePort 65533. Expected at most 65530 so that the 6 client ports end by 65535.',
    ],
    [
      'bus ports pass 65535',
      { basePort: 60000 },
      'Invalid option busPortOffset 10000. Expected an offset that keeps the bus ports 70000-70005 within 1-65535 (with basePort 60000 and 6 nodes).',
    ],
    [
      'bus ports collide',
      { busPortOffset: 3 },
      'Invalid option busPortOffset 3. Expected an offset of at least 6 in size, so that bus ports 7104-7109 do not collide with client ports 7101-7106.',
    ],
    [
      'bus offset 0',
      { busPortOffset: 0 },
      'Invalid option busPortOffset 0. Expected a non-zero integer from -65534 to 65534.',
    ],
    [
      'image with a space',
      { image: 'redis 7' },
      'Invalid option image "redis 7". Expected a Docker image reference such as "redis:7.2" (no spaces, quotes or upper-case names).',
    ],
    [
      'image with a newline',
      { image: 'redis\nx: 1' },
      'Invalid option image "redis\\nx: 1". Expected a Docker image reference such as "redis:7.2" (no spaces, quotes or upper-case names).',
    ],
    ['announce unknown', { announce: 'ip' }, 'Invalid option announce "ip". Expected "hostname" or "loopback".'],
    [
      'persistence unknown',
      { persistence: 'yes' },
      'Invalid option persistence "yes". Expected "aof", "rdb" or "none".',
    ],
    [
      'node timeout too small',
      { nodeTimeoutMs: 10 },
      'Invalid option nodeTimeoutMs 10. Expected an integer number of milliseconds from 100 to 3600000.',
    ],
    [
      'name prefix with upper case',
      { namePrefix: 'Redis' },
      'Invalid option namePrefix "Redis". Expected a DNS label: lower-case letters, digits and "-", starting with a letter, at most 42 characters.',
    ],
    ['auth as string', { auth: 'yes' }, 'Invalid option auth "yes". Expected true or false.'],
    [
      'unknown option',
      { mastres: 3 },
      'Unknown option mastres 3. Expected one of the known options: masters, replicas, basePort, busPortOffset, namePrefix, image, announce, nodeTimeoutMs, persistence, auth.',
    ],
  ];

  it.each(cases)('%s', (_label, input, message) => {
    let error: unknown;
    try {
      createPlan(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('carries the option, the value and what is allowed as fields', () => {
    try {
      createPlan({ masters: 0 });
      throw new Error('not thrown');
    } catch (e) {
      expect(e).toMatchObject({
        name: 'InvalidOptionError',
        option: 'masters',
        value: 0,
        allowed: 'an integer from 1 to 1000',
      });
    }
  });

  it('accepts a negative bus port offset and image references with registry, port and digest', () => {
    expect(createPlan({ busPortOffset: -1000, basePort: 30000 }).nodes[0]!.busPort).toBe(29000);
    expect(createPlan({ image: 'registry.local:5000/team/redis:7.2.5-alpine' }).options.image).toBe(
      'registry.local:5000/team/redis:7.2.5-alpine',
    );
    expect(createPlan({ image: `redis@sha256:${'a'.repeat(64)}` }).options.image).toContain('@sha256:');
  });
});

describe('node directives', () => {
  it('hold what a cluster node needs, the announce settings and fast replica sync', () => {
    const plan = createPlan();
    const conf = renderDirectives(nodeDirectives(plan, plan.nodes[1]!));
    expect(conf.split('\n')).toEqual([
      'port 7102',
      'bind 0.0.0.0',
      'protected-mode no',
      'dir /data',
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      'cluster-node-timeout 5000',
      'cluster-port 17102',
      'cluster-announce-hostname redis-node-2',
      'cluster-preferred-endpoint-type hostname',
      'appendonly yes',
      'repl-diskless-sync yes',
      'repl-diskless-sync-delay 0',
    ]);
  });

  it('follow persistence, auth and announce options', () => {
    const plan = createPlan({ persistence: 'none', auth: true, announce: 'loopback', masters: 1, replicas: 0 });
    const directives = nodeDirectives(plan, plan.nodes[0]!, { dir: '/tmp/n1' });
    expect(directives).toContainEqual(['save', '']);
    expect(directives).toContainEqual(['appendonly', 'no']);
    expect(directives).toContainEqual(['protected-mode', 'yes']);
    expect(directives).toContainEqual(['cluster-announce-hostname', '127.0.0.1']);
    expect(directives).toContainEqual(['dir', '/tmp/n1']);
    expect(renderDirectives(directives)).toContain('save ""');
    expect(directivesToArgs(directives)).toEqual(expect.arrayContaining(['--save', '', '--port', '7101']));
    expect(nodeDirectives(createPlan({ persistence: 'rdb' }), createPlan().nodes[0]!)).toContainEqual([
      'appendonly',
      'no',
    ]);
  });

  it('render each argument the way redis-server reads it back: plain words as they are, anything else quoted and escaped', () => {
    expect(configArg('7101')).toBe('7101');
    expect(configArg('')).toBe('""');
    expect(configArg('a b "c" \\d #e')).toBe('"a b \\"c\\" \\\\d #e"');
    expect(configArg("it's")).toBe('"it\'s"');
    expect(configArg('x\u0001y')).toBe('"x\\x01y"');
    expect(
      renderDirectives([
        ['save', ''],
        ['requirepass', 'p w'],
      ]),
    ).toBe('save ""\nrequirepass "p w"');
  });

  it('listen on loopback only when asked (local processes), and keep protected mode on there', () => {
    const plan = createPlan({ masters: 1, replicas: 0 });
    const local = nodeDirectives(plan, plan.nodes[0]!, { bind: '127.0.0.1 -::1' });
    expect(local).toContainEqual(['bind', '127.0.0.1', '-::1']);
    expect(local).toContainEqual(['protected-mode', 'yes']);
    expect(nodeDirectives(plan, plan.nodes[0]!, { bind: '0.0.0.0' })).toContainEqual(['protected-mode', 'no']);
    expect([
      bindsLoopbackOnly('127.0.0.1'),
      bindsLoopbackOnly('127.0.0.1 -::1'),
      bindsLoopbackOnly('0.0.0.0'),
      bindsLoopbackOnly('127.0.0.1 10.0.0.1'),
    ]).toEqual([true, true, false, false]);
  });
});

describe('imageFromEnv', () => {
  it('reads REDIS_CLUSTER_IMAGE, falls back to the default, and rejects a bad value', () => {
    expect(imageFromEnv({})).toBe(DEFAULT_PLAN_OPTIONS.image);
    expect(imageFromEnv({ REDIS_CLUSTER_IMAGE: '' })).toBe(DEFAULT_PLAN_OPTIONS.image);
    expect(imageFromEnv({ REDIS_CLUSTER_IMAGE: 'redis-cluster-kit/redis:7.0.15' })).toBe(
      'redis-cluster-kit/redis:7.0.15',
    );
    expect(() => imageFromEnv({ REDIS_CLUSTER_IMAGE: 'bad image' })).toThrow(
      'Invalid environment variable REDIS_CLUSTER_IMAGE "bad image". Expected a Docker image reference',
    );
  });
});
