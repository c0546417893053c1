/**
 * Helpers for integration tests: look at Docker directly (not through the fixture) and talk to
 * single nodes with plain connections. Not part of the package's API.
 */
import Dockerode from 'dockerode';
import { Redis, type RedisOptions } from 'ioredis';
import { LABELS } from '../../src/runtime/docker/docker';

export const docker = new Dockerode();

/** Containers and networks carrying `label=value`, whatever their state. */
export async function labelled(label: string, value: string): Promise<{ containers: string[]; networks: string[] }> {
  const filters = JSON.stringify({ label: [`${label}=${value}`] });
  const [containers, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
  ]);
  return { containers: containers.map((c) => c.Id), networks: networks.map((n) => n.Id) };
}

/** What a cluster left on the daemon (nothing, after stop()). */
export function resourcesOfCluster(clusterId: string) {
  return labelled(LABELS.cluster, clusterId);
}

/** What clusters started by this process have on the daemon. */
export function resourcesOfThisProcess() {
  return labelled(LABELS.pid, String(process.pid));
}

/** Run `fn` with a plain connection to one node, closed afterwards. */
export async function withNode<T>(
  node: { host: string; port: number },
  fn: (redis: Redis) => Promise<T>,
  options: RedisOptions = {},
): Promise<T> {
  const redis = new Redis({
    host: node.host,
    port: node.port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    ...options,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

/** Run a command in a container (found by its labels) and return its output. */
export async function execIn(containerId: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const out = { write: (c: Buffer) => chunks.push(c) } as unknown as NodeJS.WritableStream;
    docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  return Buffer.concat(chunks).toString().trim();
}
