import { createPlan } from '@redis-cluster-kit/plan';
import type { AdminConnection } from '../cluster/admin';
import { AddressTable } from '../cluster/address-table';
import type { NodeRuntime } from '../runtime/types';
import { DEFAULT_FIXTURE_OPTIONS, defaultTimeouts } from '../options';
import { PhaseLog } from '../util/log';
import { ClusterFaults } from './faults';

const plan = createPlan({ masters: 3, replicas: 1, announce: 'hostname' });

/** Faults over nodes whose connections must never be used: every case here fails before any I/O. */
function faults(runtime?: NodeRuntime, timeouts = defaultTimeouts()): ClusterFaults {
  const table = new AddressTable();
  const unused = {
    call: () => {
      throw new Error('no I/O expected');
    },
    disconnect: () => undefined,
  };
  const nodes = plan.nodes.map((planned, i) => {
    table.set(`${planned.name}:${planned.port}`, { host: '127.0.0.1', port: 32000 + i });
    const admin = {
      endpoint: { name: planned.name, host: '127.0.0.1', port: 32000 + i, internalIp: '' },
      redis: unused,
    } as unknown as AdminConnection;
    return { planned, id: String(i).repeat(40), admin };
  });
  return new ClusterFaults({
    plan,
    nodes,
    table,
    access: {},
    runtime,
    log: new PhaseLog('test', undefined),
    timeouts,
    clients: () => [],
  });
}

describe('ClusterFaults: wrong arguments fail at once, with what is allowed', () => {
  it('names the nodes there are', async () => {
    const f = faults();
    await expect(f.failover('redis-node-9')).rejects.toThrow(
      'No node "redis-node-9" in this cluster. Nodes are: redis-node-1, redis-node-2, redis-node-3, redis-node-4, redis-node-5, redis-node-6',
    );
    expect(() => f.stateOf('nope')).toThrow('No node "nope" in this cluster');
  });

  it('lists the failover modes', async () => {
    await expect(faults().failover('redis-node-4', { mode: 'soft' as never })).rejects.toThrow(
      'Invalid option mode "soft". Expected one of "default", "force", "takeover".',
    );
  });

  it('checks slots and keys', async () => {
    const f = faults();
    await expect(f.migrateSlot(16384, 'redis-node-2')).rejects.toThrow(
      'Slot 16384 does not exist: slots are 0 to 16383',
    );
    await expect(f.migrateSlot(1.5, 'redis-node-2')).rejects.toThrow('Slot 1.5 does not exist');
    await expect(f.migrateSlot(0, 'redis-node-2', { keys: ['{a}x'] })).rejects.toThrow(
      'Cannot move key "{a}x" with slot 0: it hashes to slot 15495',
    );
    await expect(f.migrateSlot(0, 'redis-node-2', { keys: 'some' as never })).rejects.toThrow(
      'Invalid option keys "some". Expected "all", "none" or an array of key names.',
    );
    await expect(f.finishMigration(5)).rejects.toThrow('Slot 5 is not half-way migrated');
  });

  it('needs the nodes themselves to stop or start a node, and knows what state a node is in', async () => {
    const f = faults();
    await expect(f.stopNode('redis-node-1')).rejects.toThrow(
      'stopNode() needs the nodes themselves (containers or processes): it works on a cluster this process started, not on one it connected to',
    );
    const stopped: string[] = [];
    const runtime: NodeRuntime = {
      stop: (name) => {
        stopped.push(name);
        return Promise.resolve();
      },
      start: () => Promise.resolve({ port: 33000, internalIp: '172.18.0.9' }),
      pause: () => Promise.resolve(),
      unpause: () => Promise.resolve(),
    };
    const g = faults(runtime);
    await expect(g.stopNode('redis-node-1', { timeoutSeconds: -1 })).rejects.toThrow(
      'Invalid option timeoutSeconds -1',
    );
    await g.stopNode('redis-node-1');
    expect(stopped).toEqual(['redis-node-1']);
    expect(g.stateOf('redis-node-1')).toBe('stopped');
    await expect(g.stopNode('redis-node-1')).rejects.toThrow('Cannot stop node "redis-node-1": it is stopped');
    await expect(g.pauseNode('redis-node-1')).rejects.toThrow('Cannot pause node "redis-node-1": it is stopped');
    await expect(g.unpauseNode('redis-node-1')).rejects.toThrow('Cannot unpause node "redis-node-1": it is stopped');
    await expect(g.startNode('redis-node-2')).rejects.toThrow('Cannot start node "redis-node-2": it is running');
    await expect(g.failover('redis-node-1')).rejects.toThrow('Cannot fail over to node "redis-node-1": it is stopped');
    await g.pauseNode('redis-node-2');
    await expect(g.startNode('redis-node-2')).rejects.toThrow(
      'Cannot start node "redis-node-2": it is paused (use unpauseNode)',
    );
  });

  it('wait as long as WaitOptions.timeoutMs documents when not told otherwise, heal() too', async () => {
    // These nodes answer nothing, so the wait gives up at its first poll, naming its time bound.
    const { faultTimeoutMs } = DEFAULT_FIXTURE_OPTIONS;
    await expect(faults().waitForClusterOk()).rejects.toMatchObject({
      name: 'ClusterNotOkError',
      timeoutMs: faultTimeoutMs,
    });
    // heal() shares one budget out among its steps: its first wait gets what is left of it.
    const healed = (await faults()
      .heal()
      .catch((e: unknown) => e)) as { name: string; timeoutMs: number };
    expect(healed.name).toBe('ClusterNotOkError');
    expect(healed.timeoutMs).toBeLessThanOrEqual(faultTimeoutMs);
    expect(healed.timeoutMs).toBeGreaterThan(faultTimeoutMs / 2);
  });

  it("wait as long as the cluster's faultTimeoutMs says when it sets one; a call's own timeoutMs wins", async () => {
    const limits = { ...defaultTimeouts(), faultTimeoutMs: 4321 };
    await expect(faults(undefined, limits).waitForClusterOk()).rejects.toMatchObject({
      name: 'ClusterNotOkError',
      timeoutMs: 4321,
    });
    await expect(faults(undefined, limits).waitForClusterOk({ timeoutMs: 777 })).rejects.toMatchObject({
      timeoutMs: 777,
    });
  });

  it('names nodes by the addresses they have had', () => {
    expect(faults().nodeNameAt('127.0.0.1:32001')).toBe('redis-node-2');
    expect(faults().nodeNameAt('127.0.0.1:1')).toBeUndefined();
  });
});

describe('network faults: wrong arguments fail at once, before any rule is made', () => {
  /** A runtime whose network records the groups it is asked to cut. */
  function recording() {
    const cuts: string[][][] = [];
    const runtime: NodeRuntime = {
      stop: () => Promise.resolve(),
      start: () => Promise.resolve({ port: 33000, internalIp: '172.18.0.9' }),
      pause: () => Promise.resolve(),
      unpause: () => Promise.resolve(),
      network: {
        check: () => Promise.resolve(),
        cut: (groups) => {
          cuts.push(groups.map((g) => [...g]));
          return Promise.resolve({ remove: () => Promise.resolve() });
        },
        removeAll: () => Promise.resolve(),
      },
    };
    return { cuts, f: faults(runtime) };
  }

  it('names unknown nodes, nodes in two groups, empty or malformed groups, and a partition of one group', async () => {
    const { cuts, f } = recording();
    await expect(f.partition([['redis-node-9']])).rejects.toThrow(
      'No node "redis-node-9" in this cluster. Nodes are: redis-node-1, redis-node-2, redis-node-3, redis-node-4, redis-node-5, redis-node-6',
    );
    await expect(f.partition([['redis-node-1'], ['redis-node-2', 'redis-node-1']])).rejects.toThrow(
      'Node "redis-node-1" is in groups 0 and 1 of the partition; a node can be in one group only',
    );
    await expect(f.partition([])).rejects.toThrow(
      'Invalid option groups []. Expected an array of groups, each a non-empty array of node names',
    );
    await expect(f.partition([[]])).rejects.toThrow('Invalid option groups[0] []');
    await expect(f.partition('redis-node-1' as never)).rejects.toThrow('Invalid option groups "redis-node-1"');
    const everyNode = [plan.nodes.map((n) => n.name)];
    await expect(f.partition(everyNode)).rejects.toThrow('A partition needs two groups or more');
    expect(cuts).toEqual([]);
  });

  it('refuses a stopped node, and adds the nodes named in no group as one more group', async () => {
    const { cuts, f } = recording();
    await f.stopNode('redis-node-3');
    await expect(f.isolate('redis-node-1')).rejects.toThrow('Cannot partition node "redis-node-3": it is stopped');
    const { cuts: cuts2, f: g } = recording();
    const p = await g.partition([['redis-node-1', 'redis-node-4'], ['redis-node-2']]);
    expect(p.groups).toEqual([
      ['redis-node-1', 'redis-node-4'],
      ['redis-node-2'],
      ['redis-node-3', 'redis-node-5', 'redis-node-6'],
    ]);
    expect(cuts2).toEqual([p.groups]);
    expect(p.lifted).toBe(false);
    await p.lift();
    expect(p.lifted).toBe(true);
    expect(cuts).toEqual([]);
  });

  it('says what is needed when the runtime cannot cut the network, or link() without networkFaults', async () => {
    const runtime: NodeRuntime = {
      stop: () => Promise.resolve(),
      start: () => Promise.resolve({ port: 33000, internalIp: '' }),
      pause: () => Promise.resolve(),
      unpause: () => Promise.resolve(),
    };
    await expect(faults(runtime).isolate('redis-node-1')).rejects.toThrow(
      'Network faults are not available on this runtime: start the cluster with networkFaults: true',
    );
    expect(() => faults(runtime).link('redis-node-1')).toThrow(
      'Network faults on the path to a node (link("redis-node-1")) need the cluster started with networkFaults: true',
    );
    expect(() => faults(runtime).link('redis-node-7')).toThrow('No node "redis-node-7" in this cluster');
  });

  it('tells a worker on a cluster another process started (no runtime here) that link() works only where the cluster was started', () => {
    const connected = faults(undefined); // what connectToCluster() assembles: no runtime, no proxies
    let message = '';
    try {
      connected.link('redis-node-1');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      'Network faults on the path to a node (link("redis-node-1")) work only in the process that started the cluster (its proxies live there), and this one connected to a cluster another process started (a test worker on the run\'s shared or a pool cluster): start a cluster of the file\'s own with startRedisCluster({ networkFaults: true })',
    );
    expect(message).not.toMatch(/\n/); // one line
    expect(message).not.toMatch(/need the cluster started with networkFaults/); // the old, misleading advice
  });
});
