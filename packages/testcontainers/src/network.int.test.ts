/**
 * Testcontainers neighbours: a container of the user's (the application under test) on the
 * cluster's network reaches every node by name and follows MOVED and ASK with `redis-cli -c`,
 * with no address mapping. Both ways in: the network the fixture makes (`rc.network`) and a
 * network the user started (`new Network().start()`) passed as `network`. Plus what needs a
 * daemon to refuse: a network that does not exist, node names already taken on the user's
 * network. Everything is removed by the end, the user's network by the test itself.
 */
import { hostname } from 'node:os';
import { GenericContainer, Network, Wait, type StartedNetwork, type StartedTestContainer } from 'testcontainers';
import {
  InvalidOptionError,
  keyForSlot,
  keyHashSlot,
  LABELS,
  removeKeptClusters,
  startRedisCluster,
  type ClusterNodeInfo,
  type StartedRedisCluster,
} from './index';
import { docker, labelled, resourcesOfCluster, withNode } from '../test/helpers/docker';

// Starting containers on a busy machine takes seconds; Jest's default is 5 s per test and hook.
jest.setTimeout(120_000);

/** The application container stands in for the user's own: any image with redis-cli (the local Redis 7.0.15 image). */
const APP_IMAGE = 'redis-cluster-kit/redis:7.0.15';

/**
 * The user's application: a container on `network` that keeps running (its own redis-server on
 * a port no node uses) so that the test can run `redis-cli` in it. Labelled like the fixture's
 * containers, so that the run's leftovers check would see it if a failure left it behind.
 */
function startApp(network: string | StartedNetwork): Promise<StartedTestContainer> {
  const app = new GenericContainer(APP_IMAGE)
    .withCommand(['redis-server', '--port', '6399', '--save', '', '--appendonly', 'no'])
    .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
    .withLabels({ [LABELS.kit]: 'true', [LABELS.pid]: String(process.pid), [LABELS.host]: hostname() });
  return (typeof network === 'string' ? app.withNetworkMode(network) : app.withNetwork(network)).start();
}

/**
 * `redis-cli -c <args>` in the application container (without `-c` when `follow` is false): its
 * output, trimmed (exit code 0 required). Run without a terminal, redis-cli prints no
 * "-> Redirected" line: that it followed shows in where the key lands.
 */
async function cli(app: StartedTestContainer, args: string[], follow = true): Promise<string> {
  const { exitCode, output } = await app.exec(['redis-cli', ...(follow ? ['-c'] : []), ...args]);
  if (exitCode !== 0) throw new Error(`redis-cli ${args.join(' ')} exited with ${exitCode}: ${output}`);
  return output.trim();
}

function masters(rc: StartedRedisCluster): [ClusterNodeInfo, ClusterNodeInfo] {
  const [first, second] = rc.nodes.filter((n) => n.role === 'master');
  return [first!, second!];
}

/** `redis-node-2:7102`: how the node announces itself, and so how redirections name it. */
function announced(node: ClusterNodeInfo): [string, string] {
  const [host, port] = node.announced.split(':');
  return [host!, port!];
}

/** The same checks, whichever way the application container joined the cluster's network. */
function neighbourTests(get: () => { rc: StartedRedisCluster; app: StartedTestContainer }): void {
  it('reaches every node by its name', async () => {
    const { rc, app } = get();
    for (const node of rc.nodes) {
      const [host, port] = announced(node);
      expect(await cli(app, ['-h', host, '-p', port, 'CLUSTER', 'MYID'])).toBe(node.id);
    }
  });

  it('follows MOVED to the master of a key, by name, with no address mapping', async () => {
    const { rc, app } = get();
    const [first, second] = masters(rc);
    const slot = second.slots[0]!.start + 7;
    const key = keyForSlot(slot, ':moved');
    expect(keyHashSlot(key)).toBe(slot);
    const [host, port] = announced(first);
    // The first master sends the client to the second by the name it announces ...
    expect(await cli(app, ['-h', host, '-p', port, 'SET', key, 'from-app'], false)).toBe(
      `MOVED ${slot} ${second.announced}`,
    );
    // ... and redis-cli -c, started at the first master, follows it there.
    expect(await cli(app, ['-h', host, '-p', port, 'SET', key, 'from-app'])).toBe('OK');
    expect(await withNode(second, (r) => r.get(key))).toBe('from-app');
    expect(await rc.cluster.get(key)).toBe('from-app');
  });

  it('follows ASK to the importing master during a half-done migration', async () => {
    const { rc, app } = get();
    const [first, second] = masters(rc);
    const slot = first.slots[0]!.start + 11;
    await rc.migrateSlot(slot, second.name, { finish: false });
    expect(rc.pendingMigrations.map((m) => m.slot)).toEqual([slot]);
    // A new key of a migrating slot: its owner answers ASK (it does not have the key), and only a
    // client that follows it with ASKING gets it written on the importing master (which would
    // answer MOVED back to the owner without ASKING).
    const key = keyForSlot(slot, ':asked');
    const [host, port] = announced(first);
    expect(await cli(app, ['-h', host, '-p', port, 'SET', key, 'asked'], false)).toBe(
      `ASK ${slot} ${second.announced}`,
    );
    expect(await cli(app, ['-h', host, '-p', port, 'SET', key, 'asked'])).toBe('OK');
    expect(await withNode(second, (r) => r.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(1);
    expect(await withNode(first, (r) => r.call('CLUSTER', 'COUNTKEYSINSLOT', slot))).toBe(0);
    // The slot is still the first master's: the redirection was an ASK, not a MOVED.
    const owner = await withNode(first, (r) => r.call('CLUSTER', 'SLOTS'));
    const range = (owner as [number, number, [string, number, string]][]).find(([s, e]) => s <= slot && slot <= e)!;
    expect(range[2][2]).toBe(first.id);
    expect(await cli(app, ['-h', host, '-p', port, 'GET', key])).toBe('asked');
  });
}

describe('rc.network: the network the fixture makes, joined by a container of the user', () => {
  let rc: StartedRedisCluster;
  let app: StartedTestContainer | undefined;

  beforeAll(async () => {
    rc = await startRedisCluster({ masters: 3 });
    app = await startApp(rc.network!);
  });

  afterAll(async () => {
    await rc?.stop();
    await app?.stop();
  });

  it("names the cluster's own network", async () => {
    expect(rc.runtime).toBe('docker');
    expect(rc.network).toBe(`redis-cluster-kit-${rc.id}`);
    const inspected = await docker.getNetwork(rc.network!).inspect();
    expect((inspected as { Labels: Record<string, string> }).Labels[LABELS.cluster]).toBe(rc.id);
    expect(rc.connectionInfo().network).toBe(rc.network);
  });

  neighbourTests(() => ({ rc, app: app! }));

  it("stop() removes the cluster's network even with the user's container still on it (disconnected first)", async () => {
    const network = rc.network!;
    await rc.stop();
    expect(await resourcesOfCluster(rc.id)).toEqual({ containers: [], networks: [] });
    const still = await docker.getContainer(app!.getId()).inspect();
    expect(still.State.Running).toBe(true);
    expect(Object.keys(still.NetworkSettings.Networks)).not.toContain(network);
  });
});

describe('startRedisCluster({ network }): a network the user started', () => {
  let network: StartedNetwork;
  let rc: StartedRedisCluster;
  let app: StartedTestContainer | undefined;

  beforeAll(async () => {
    network = await new Network().start();
    rc = await startRedisCluster({ masters: 3, network });
    app = await startApp(network);
  });

  afterAll(async () => {
    await rc?.stop();
    await app?.stop();
    await network?.stop();
    // The test removed its network itself; nothing else is left of it.
    const gone = await docker
      .getNetwork(network.getId())
      .inspect()
      .then(
        () => false,
        (err: { statusCode?: number }) => err.statusCode === 404,
      );
    expect(gone).toBe(true);
  });

  it("joins it instead of making one: rc.network is the user's network", async () => {
    expect(rc.network).toBe(network.getName());
    expect(await resourcesOfCluster(rc.id)).toMatchObject({ networks: [] });
    const attached = Object.keys((await docker.getNetwork(network.getId()).inspect()).Containers ?? {});
    expect(attached).toHaveLength(rc.nodes.length + 1);
  });

  neighbourTests(() => ({ rc, app: app! }));

  it('refuses, before starting anything, a second cluster whose node names are taken there', async () => {
    const before = await labelled(LABELS.pid, String(process.pid));
    const error = await startRedisCluster({ masters: 1, network: network.getName() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(
      `Invalid option namePrefix "redis-node". Expected a prefix whose node names are free on network "${network.getName()}": container "redis-cluster-kit-${rc.id}-redis-node-1" there already answers to "redis-node-1"; give each cluster on one network a namePrefix of its own (e.g. namePrefix: "orders-redis").`,
    );
    expect(await labelled(LABELS.pid, String(process.pid))).toEqual(before);
  });

  it('takes a second cluster with a namePrefix of its own, each node reached by its name', async () => {
    await using other = await startRedisCluster({ masters: 1, network: network.getName(), namePrefix: 'orders-redis' });
    expect(other.network).toBe(network.getName());
    const [node] = other.nodes;
    const [host, port] = announced(node!);
    expect(host).toBe('orders-redis-1');
    expect(await cli(app!, ['-h', host, '-p', port, 'CLUSTER', 'MYID'])).toBe(node!.id);
    expect(await cli(app!, ['-h', 'redis-node-1', '-p', port, 'CLUSTER', 'MYID'])).toBe(rc.nodes[0]!.id);
  });

  it('refuses a network that does not exist with one line, before starting anything', async () => {
    const before = await labelled(LABELS.pid, String(process.pid));
    const error = await startRedisCluster({ network: 'no-such-network-rck' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toBe(
      'Invalid option network "no-such-network-rck". Expected a Docker network that exists (docker network ls): start it before the cluster, e.g. await new Network().start() or docker network create.',
    );
    expect(await labelled(LABELS.pid, String(process.pid))).toEqual(before);
  });

  it('refuses an internal network (no published ports for the test process to reach nodes by), before starting anything', async () => {
    const internal = await docker.createNetwork({ Name: `rck-internal-${process.pid}`, Internal: true });
    try {
      const before = await labelled(LABELS.pid, String(process.pid));
      const error = await startRedisCluster({ network: internal.id }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toBe(
        `Invalid option network "${internal.id}". Expected a user-defined bridge network; "rck-internal-${process.pid}" is internal, so the nodes' published ports, through which the test process reaches them, do not work.`,
      );
      expect(await labelled(LABELS.pid, String(process.pid))).toEqual(before);
    } finally {
      await internal.remove();
    }
  });

  it("stop() removes the cluster's containers and leaves the user's network, with the user's container on it", async () => {
    await rc.stop();
    expect(await resourcesOfCluster(rc.id)).toEqual({ containers: [], networks: [] });
    const attached = Object.keys((await docker.getNetwork(network.getId()).inspect()).Containers ?? {});
    expect(attached).toEqual([app!.getId()]);
  });
});

describe('reuse on a network of the user (REDIS_CLUSTER_REUSE, reuse: true)', () => {
  // Named networks that outlive a run, as reuse wants them (docker network create).
  const names = [`rck-reuse-a-${process.pid}`, `rck-reuse-b-${process.pid}`];
  const options = (network: string) => ({ masters: 1, namePrefix: 'kept', network, reuse: true });

  beforeAll(async () => {
    for (const Name of names) await docker.createNetwork({ Name });
  });

  afterAll(async () => {
    for (const name of names) await removeKeptClusters(options(name));
    for (const name of names) await docker.getNetwork(name).remove();
  });

  it('attaches to a cluster kept on the same network only: one kept on another network is another cluster', async () => {
    const first = await startRedisCluster(options(names[0]!));
    await first.stop(); // kept
    const again = await startRedisCluster(options(names[0]!));
    await again.stop();
    expect(again.reused).toBe(true);
    expect(again.id).toBe(first.id);
    expect(again.network).toBe(names[0]);
    const elsewhere = await startRedisCluster(options(names[1]!));
    await elsewhere.stop();
    expect(elsewhere.reused).toBe(false);
    expect(elsewhere.id).not.toBe(first.id);
    expect(elsewhere.network).toBe(names[1]);
    expect(await removeKeptClusters(options(names[0]!))).toBe(1);
    expect(await resourcesOfCluster(first.id)).toEqual({ containers: [], networks: [] });
  });
});
