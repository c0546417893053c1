/**
 * Several clusters at once from one process (parallel describe blocks, a suite that starts one
 * per file in band, a tool that needs two): on Docker, random host ports, names and networks of
 * their own; as processes, blocks of client and bus ports that do not overlap and a folder each.
 * No collision, and each one removed by its own stop().
 */
import { keyForSlot, startRedisCluster, type RedisClusterOptions, type StartedRedisCluster } from './index';
import { docker } from '../test/helpers/docker';
import { NOTHING, resourcesOf, RUNTIMES } from '../test/helpers/runtimes';

// A hang guard, not a measure: four starts' own limit (startupTimeoutMs, 60 s by default), one per cluster started at once.
jest.setTimeout(240_000);

const SHAPES: RedisClusterOptions[] = [
  { masters: 3 },
  { masters: 3, replicas: 1 },
  { masters: 1 },
  { masters: 2, replicas: 1 },
];

describe.each(RUNTIMES)('%s runtime: 4 clusters started concurrently from one process', (runtime) => {
  const started: StartedRedisCluster[] = [];

  afterAll(async () => {
    await Promise.all(started.map((rc) => rc.stop()));
  });

  it('start in parallel with distinct ids, host ports and resources (container names and networks, or port blocks and folders), keep their data apart, and each stop() removes only its own', async () => {
    const t0 = performance.now();
    const results = await Promise.allSettled(
      SHAPES.map((shape) => startRedisCluster({ runtime, ...shape, name: 'concurrent' })),
    );
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed.map((r) => String(r.reason))).toEqual([]);
    console.log(
      `[concurrent] ${runtime}: 4 clusters (${SHAPES.map((s) => `${s.masters}x${s.replicas ?? 0}`).join(', ')}) ready after ${Math.round(performance.now() - t0)} ms`,
    );

    expect(new Set(started.map((rc) => rc.id)).size).toBe(4);
    const hostPorts = started.flatMap((rc) => rc.nodes.map((n) => `${n.host}:${n.port}`));
    expect(hostPorts).toHaveLength(3 + 6 + 1 + 4);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    const resources = await Promise.all(started.map((rc) => resourcesOf(runtime, rc.id)));
    // One network (Docker) or one folder (processes) each, and one container or process per node.
    expect(resources.map((r) => r.other.length)).toEqual([1, 1, 1, 1]);
    expect(new Set(resources.flatMap((r) => r.other)).size).toBe(4);
    expect(resources.map((r) => r.nodes.length)).toEqual(started.map((rc) => rc.plan.nodes.length));
    if (runtime === 'docker') {
      const names = await Promise.all(
        resources.flatMap((r) => r.nodes).map(async (id) => (await docker.getContainer(id).inspect()).Name),
      );
      expect(new Set(names).size).toBe(names.length);
    } else {
      // Real ports are the plan's: no client or bus port of one cluster is a port of another.
      const ports = started.flatMap((rc) => rc.plan.nodes.flatMap((n) => [n.port, n.busPort]));
      expect(new Set(ports).size).toBe(ports.length);
    }

    // The same key in every cluster (node names and slots are the same in all four) holds that
    // cluster's own value: the clients never cross.
    const key = keyForSlot(0, ':owner');
    await Promise.all(started.map((rc) => rc.cluster.set(key, rc.id)));
    expect(await Promise.all(started.map((rc) => rc.cluster.get(key)))).toEqual(started.map((rc) => rc.id));

    // Stopping one leaves the others running and usable.
    const [first, ...others] = started;
    await first!.stop();
    expect(await resourcesOf(runtime, first!.id)).toEqual(NOTHING);
    expect(await Promise.all(others.map((rc) => rc.cluster.get(key)))).toEqual(others.map((rc) => rc.id));
    await Promise.all(others.map((rc) => rc.stop()));
    expect(await Promise.all(started.map((rc) => resourcesOf(runtime, rc.id)))).toEqual(started.map(() => NOTHING));
  });
});
