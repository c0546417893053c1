/**
 * Everything that touches Docker: the runtime client, labels, the image check, the network,
 * and removal (of our own resources and of stale ones left by dead processes).
 */
import { connect } from 'node:net';
import { hostname } from 'node:os';
import createDebug from 'debug';
import type Dockerode from 'dockerode';
import { getContainerRuntimeClient, ImageName, type ContainerRuntimeClient } from 'testcontainers';
import { DockerUnavailableError, ImageUnavailableError } from '../../errors';
import { processAlive } from '../../util/liveness';
import { LABELS } from './labels';

export { LABELS } from './labels';

const debug = createDebug('redis-cluster-kit:docker');

/** The labels that say who owns a cluster's resources: this process on this machine. */
export function ownerLabels(
  clusterId: string,
  name: string | undefined,
  pid = process.pid,
  host = hostname(),
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.kit]: 'true',
    [LABELS.pid]: String(pid),
    [LABELS.host]: host,
    [LABELS.cluster]: clusterId,
  };
  if (name !== undefined) labels[LABELS.name] = name;
  return labels;
}

/**
 * The labels of a cluster kept for reuse: no pid (it is meant to outlive the process, so the
 * stale-resource reaper leaves it alone), the reuse key instead.
 */
export function keptLabels(
  clusterId: string,
  name: string | undefined,
  key: string,
  host = hostname(),
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABELS.kit]: 'true',
    [LABELS.host]: host,
    [LABELS.cluster]: clusterId,
    [LABELS.reuse]: key,
  };
  if (name !== undefined) labels[LABELS.name] = name;
  return labels;
}

/** The Docker daemon the fixture talks to, as a user would name it. */
export function describeDockerHost(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const host = env['DOCKER_HOST'];
  return host ? `DOCKER_HOST=${host}` : 'unix:///var/run/docker.sock (DOCKER_HOST is not set)';
}

/** Can the test process open a TCP connection to host:port (within `timeoutMs`)? */
export function canConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * The host at which the test process reaches published ports. `TESTCONTAINERS_HOST_OVERRIDE`
 * wins; else 127.0.0.1 when the port answers there (a local daemon, Docker Desktop), else what
 * Testcontainers says (a remote daemon). Testcontainers alone would pick the bridge gateway
 * (172.17.0.1) whenever the test process runs in a container with its own daemon, although
 * loopback works and is what the published addresses should be.
 */
export async function reachableHost(
  runtimeHost: string,
  probePort: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  const override = env['TESTCONTAINERS_HOST_OVERRIDE'];
  if (override) return override;
  if (await canConnect('127.0.0.1', probePort)) return '127.0.0.1';
  return runtimeHost === 'localhost' ? '127.0.0.1' : runtimeHost;
}

/** Testcontainers' runtime client, or a {@link DockerUnavailableError} that says what to do. */
export async function connectDocker(): Promise<ContainerRuntimeClient> {
  try {
    return await getContainerRuntimeClient();
  } catch (err) {
    throw new DockerUnavailableError(describeDockerHost(), err);
  }
}

export function dockerode(client: ContainerRuntimeClient): Dockerode {
  return client.container.dockerode;
}

/** Make sure the image is on the machine (pulling it if it can), else an {@link ImageUnavailableError}. */
export async function ensureImage(client: ContainerRuntimeClient, image: string, envVar: string): Promise<void> {
  const name = ImageName.fromString(image);
  if (await client.image.exists(name)) return;
  let pullError: unknown;
  try {
    await client.image.pull(name, { force: true, platform: undefined });
  } catch (err) {
    pullError = err;
  }
  // A failed pull does not always throw (the error comes in the progress stream): look again.
  let present = false;
  try {
    await client.image.inspect(name);
    present = true;
  } catch {
    present = false;
  }
  if (!present)
    throw new ImageUnavailableError(image, envVar, pullError ?? new Error('the pull did not produce the image'));
}

/** How many listings {@link reapStale} makes at most: one more after each that found something. */
const REAP_PASSES = 3;

/**
 * Remove containers and networks left by fixture processes of this machine that have died
 * (a crashed or killed test run, when Ryuk is not there to clean up). Resources without a pid
 * label (kept on purpose, e.g. for reuse) are left alone.
 *
 * It lists again after each pass that removed something: a process killed in the middle of a
 * create request leaves the daemon to finish it, so a container (and its hold on the network)
 * can appear just after the first listing.
 */
export async function reapStale(
  client: ContainerRuntimeClient,
  host = hostname(),
  alive: (pid: number) => boolean = processAlive,
): Promise<{ containers: string[]; networks: string[] }> {
  const docker = dockerode(client);
  const filters = JSON.stringify({ label: [`${LABELS.kit}=true`, `${LABELS.host}=${host}`] });
  const isStale = (labels: Record<string, string> | undefined) => {
    const pid = labels?.[LABELS.pid];
    return pid !== undefined && pid !== '' && !alive(Number(pid));
  };
  const removed = { containers: new Set<string>(), networks: new Set<string>() };
  // The last pass's failure, boxed: what matters is that a removal failed, whatever it failed with.
  let failure: { error: unknown } | undefined;
  for (let pass = 1; pass <= REAP_PASSES; pass++) {
    const containers = (await docker.listContainers({ all: true, filters })).filter((c) => isStale(c.Labels));
    await Promise.all(containers.map((c) => removeContainer(docker, c.Id)));
    const networks = (await docker.listNetworks({ filters })).filter((n) => isStale(n.Labels));
    failure = undefined;
    await Promise.all(
      networks.map((n) =>
        removeNetwork(docker, n.Id).then(
          () => removed.networks.add(n.Id),
          (err: unknown) => (failure = { error: err }), // still in use by a container created late: next pass
        ),
      ),
    );
    for (const c of containers) removed.containers.add(c.Id);
    if (containers.length === 0 && networks.length === 0) break;
  }
  if (failure) throw failure.error;
  return { containers: [...removed.containers], networks: [...removed.networks] };
}

/**
 * A bridge network of its own for one cluster. Made through the runtime client rather than
 * Testcontainers' `new Network()`, which cannot label a network: the labels (owner pid, host,
 * cluster id) are what lets a later start remove the network of a crashed run.
 */
export async function createNetwork(
  client: ContainerRuntimeClient,
  name: string,
  labels: Record<string, string>,
): Promise<{ id: string; name: string }> {
  const network = await client.network.create({
    Name: name,
    CheckDuplicate: true,
    Driver: 'bridge',
    Internal: false,
    Attachable: false,
    Ingress: false,
    EnableIPv6: false,
    Labels: labels,
  });
  return { id: network.id, name };
}

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/** Force-remove a container with its volumes; a container that is already gone (or going) is fine. */
export async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const status = statusOf(err);
    if (status === 404 || (status === 409 && /already in progress/i.test(String(err)))) return;
    throw err;
  }
}

/** Remove a network; one that is already gone is fine. */
export async function removeNetwork(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (err) {
    if (statusOf(err) === 404) return;
    throw err;
  }
}

/**
 * Remove a network of the cluster's own after its nodes: containers of the user's still on it
 * (joined through `rc.network`) would keep Docker from removing it ("has active endpoints"), so
 * they are disconnected from it first. Their other networks stay.
 */
async function removeOwnNetwork(docker: Dockerode, id: string): Promise<void> {
  try {
    await removeNetwork(docker, id);
  } catch (err) {
    if (statusOf(err) !== 403 && statusOf(err) !== 409) throw err;
    const network = docker.getNetwork(id);
    const attached = Object.keys(((await network.inspect()) as { Containers?: object }).Containers ?? {});
    await Promise.all(
      attached.map((container) =>
        network.disconnect({ Container: container, Force: true }).catch((e: unknown) => {
          if (statusOf(e) !== 404) throw e;
        }),
      ),
    );
    debug('network %s: disconnected %d containers of others before removing it', id, attached.length);
    await removeNetwork(docker, id);
  }
}

/**
 * Remove every container and network labelled with this cluster id, whatever state they are in
 * (the safety net after a failed start: containers can exist that no start() call returned).
 * A network of the user's (the `network` option) carries no label of ours and is left alone.
 */
export async function removeCluster(
  client: ContainerRuntimeClient,
  clusterId: string,
  knownContainerIds: readonly string[] = [],
): Promise<void> {
  const docker = dockerode(client);
  const filters = JSON.stringify({ label: [`${LABELS.cluster}=${clusterId}`] });
  const listed = await docker.listContainers({ all: true, filters });
  const ids = new Set([...knownContainerIds, ...listed.map((c) => c.Id)]);
  await Promise.all([...ids].map((id) => removeContainer(docker, id)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => removeOwnNetwork(docker, n.Id)));
  debug('removed cluster %s: %d containers, %d networks', clusterId, ids.size, networks.length);
}
