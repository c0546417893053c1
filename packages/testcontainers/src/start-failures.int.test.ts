import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import {
  ClusterStartError,
  ClusterStartupTimeoutError,
  ImageUnavailableError,
  InvalidOptionError,
  LABELS,
  startRedisCluster,
} from './index';
import { docker, labelled, resourcesOfThisProcess } from '../test/helpers/docker';

// A hang guard, not a measure: twice a start's own limit (startupTimeoutMs, 60 s by default).
jest.setTimeout(120_000);

const IMAGE = process.env['REDIS_CLUSTER_IMAGE'] || 'redis-cluster-kit/redis:7.0.15';

/** A pid that existed and has ended: a short-lived child process's. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

afterEach(async () => {
  // Whatever happened, a failed start leaves nothing behind.
  expect(await resourcesOfThisProcess()).toEqual({ containers: [], networks: [] });
});

describe('a start that cannot succeed', () => {
  it('rejects invalid options before any container exists, before Docker is even asked', async () => {
    // A daemon that cannot answer: were Docker asked first, these would be DockerUnavailableErrors.
    // (Testcontainers reads DOCKER_HOST on its first connection, and this file has made none yet.)
    const dockerHost = process.env['DOCKER_HOST'];
    process.env['DOCKER_HOST'] = 'unix:///nonexistent/redis-cluster-kit-test.sock';
    try {
      await expect(startRedisCluster({ masters: 0 })).rejects.toThrow(
        new InvalidOptionError('masters', 0, 'an integer from 1 to 1000'),
      );
      await expect(startRedisCluster({ startupTimeoutMs: -1 })).rejects.toThrow(InvalidOptionError);
      await expect(startRedisCluster({ redisConfig: { port: 1 } })).rejects.toThrow(
        'Invalid option redisConfig.port 1',
      );
      await expect(startRedisCluster({ mastres: 3 } as never)).rejects.toThrow('Unknown option mastres 3');
    } finally {
      if (dockerHost === undefined) delete process.env['DOCKER_HOST'];
      else process.env['DOCKER_HOST'] = dockerHost;
    }
  });

  it('names the image and REDIS_CLUSTER_IMAGE when the image is missing and cannot be pulled', async () => {
    const image = 'redis-cluster-kit/no-such-image:0.0.0';
    const error = await startRedisCluster({ masters: 1, image }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageUnavailableError);
    expect((error as Error).message).toContain(`Image "${image}" is not on this machine and could not be pulled`);
    expect((error as Error).message).toContain('REDIS_CLUSTER_IMAGE');
    expect((error as Error).message).not.toContain('\n');
  });

  it('says which directive redis-server refused when a node exits at start', async () => {
    const error = await startRedisCluster({ masters: 1, redisConfig: { 'maxmemory-policy': 'not-a-policy' } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ClusterStartError);
    const message = (error as Error).message;
    expect(message).toContain(
      'redis-server of node "redis-node-1" exited before it accepted connections: *** FATAL CONFIG FILE ERROR',
    );
    expect(message).toContain(`'maxmemory-policy "not-a-policy"'`);
    expect(message).not.toContain('waiting for container ports'); // the node's own error, not Testcontainers' port wait
    expect(message).not.toContain('\n');
  });

  it('times out early (tiny startupTimeoutMs) and removes whatever was being created', async () => {
    const error = await startRedisCluster({ masters: 3, startupTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterStartupTimeoutError);
    expect((error as Error).message).toMatch(/^Redis Cluster was not ready within 300 ms \(startupTimeoutMs\) while /);
    expect((error as Error).message).toContain('Everything started was removed. Raise startupTimeoutMs');
  });

  it('times out naming the slowest node and its last CLUSTER INFO when a replica never links', async () => {
    // The master waits 60 s before it streams the first sync: the replica stays unlinked.
    const error = await startRedisCluster({
      masters: 1,
      replicas: 1,
      startupTimeoutMs: 15_000,
      redisConfig: { 'repl-diskless-sync-delay': 60 },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterStartupTimeoutError);
    const message = (error as Error).message;
    expect(message).toContain('node "redis-node-2" is the slowest: ');
    expect(message).toMatch(/replication link is down|is not a replica yet/);
    expect(message).toMatch(/last CLUSTER INFO: cluster_state:(ok|fail) cluster_slots_assigned:16384/);
    expect(message).not.toContain('\n');
    expect(error).toMatchObject({ node: 'redis-node-2', timeoutMs: 15_000 });
  });
});

describe('clean-up of a crashed run (no Ryuk)', () => {
  it('removes containers and networks labelled by a dead process of this machine, and keeps live ones', async () => {
    const dead = deadPid();
    const labels = (pid: number, cluster: string) => ({
      [LABELS.kit]: 'true',
      [LABELS.host]: hostname(),
      [LABELS.pid]: String(pid),
      [LABELS.cluster]: cluster,
    });
    const staleCluster = `stale-${dead}`;
    const liveCluster = `live-${process.pid}`;
    const staleNetwork = await docker.createNetwork({
      Name: `redis-cluster-kit-test-${staleCluster}`,
      Labels: labels(dead, staleCluster),
    });
    const stale = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['redis-server'],
      Labels: labels(dead, staleCluster),
      HostConfig: { NetworkMode: staleNetwork.id },
    });
    await stale.start();
    // Another cluster of a live process (this one) must survive.
    const live = await docker.createContainer({
      Image: IMAGE,
      Cmd: ['redis-server'],
      Labels: labels(process.pid, liveCluster),
    });
    try {
      const rc = await startRedisCluster({ masters: 1 });
      await rc.stop();
      expect(await labelled(LABELS.cluster, staleCluster)).toEqual({ containers: [], networks: [] });
      expect((await labelled(LABELS.cluster, liveCluster)).containers).toEqual([live.id]);
    } finally {
      await live.remove({ force: true });
      await stale.remove({ force: true }).catch(() => undefined);
      await staleNetwork.remove().catch(() => undefined);
    }
  });
});
