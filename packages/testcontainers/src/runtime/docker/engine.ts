/**
 * The Docker runtime: one container per node on a network of the cluster's own (or on the
 * user's, the `network` option), each client port published on a random host port; stale
 * resources of dead processes reaped; kept clusters found for reuse. Everything else of a
 * start (forming, readiness, client, attaching to a kept cluster) is the start's own.
 */
import { IMAGE_ENV_VAR, type ClusterPlan } from '@redis-cluster-kit/plan';
import { getReaper, LABEL_TESTCONTAINERS_SESSION_ID, type ContainerRuntimeClient } from 'testcontainers';
import type { PhaseLog } from '../../util/log';
import { withTimeout } from '../../util/timing';
import { CONTAINER_TLS_DIR, nodeCommand } from '../node-config';
import { nodeTlsFiles } from '../../security';
import type { KeptCluster, NodeHost, OpenContext, RuntimeEngine } from '../types';
import { containerNodeRuntime, type NodeContainer } from './container-nodes';
import {
  connectDocker,
  createNetwork,
  dockerode,
  ensureImage,
  keptLabels,
  LABELS,
  ownerLabels,
  reachableHost,
  reapStale,
  removeCluster,
} from './docker';
import { containerNetwork } from './network-cuts';
import { RedisNodeContainer } from './node-container';
import { findKeptClusters } from './reuse';
import { assertNamesFree, findUserNetwork, type UserNetwork } from './user-network';

/** The name of the network the fixture makes for a cluster of its own. */
export function ownNetworkName(clusterId: string): string {
  return `redis-cluster-kit-${clusterId}`;
}

/** This process's lookup of Testcontainers' reaper, shared by every start (forgotten when it fails, so that a later start tries again). */
let reaperLookup: ReturnType<typeof getReaper> | undefined;

function reaperOnce(client: ContainerRuntimeClient): ReturnType<typeof getReaper> {
  const lookup = (reaperLookup ??= getReaper(client));
  lookup.catch(() => {
    if (reaperLookup === lookup) reaperLookup = undefined;
  });
  return lookup;
}

/**
 * Connect to Docker (phase `docker`), or reject with a DockerUnavailableError that says what to
 * do; with the user's `network` (a name or id), find and check it before anything starts.
 */
export async function dockerEngine(log: PhaseLog, signal: AbortSignal, network?: string): Promise<RuntimeEngine> {
  const client = await log.timed('docker', 'connected to Docker', () => withTimeout(connectDocker(), Infinity, signal));
  const userNetwork =
    network === undefined ? undefined : await withTimeout(findUserNetwork(client, network), Infinity, signal);
  return {
    kind: 'docker',
    opening: userNetwork
      ? `checking the image and network "${userNetwork.name}"`
      : 'checking the image and creating the network',
    keptClusters: (key, plan) => keptClusters(client, key, plan, userNetwork?.name),
    open: (context) => openDockerHost(client, context, userNetwork),
  };
}

async function openDockerHost(
  client: ContainerRuntimeClient,
  { clusterId, resolved, reuseKey: key, log, deadline, signal, tls }: OpenContext,
  userNetwork: UserNetwork | undefined,
): Promise<NodeHost> {
  const { plan } = resolved;
  const labels = key === undefined ? ownerLabels(clusterId, resolved.name) : keptLabels(clusterId, resolved.name, key);
  const networkName = userNetwork?.name ?? ownNetworkName(clusterId);
  const reaped = reapStale(client).then(
    (r) => {
      if (r.containers.length + r.networks.length > 0) {
        log.event(
          'reap',
          `removed ${r.containers.length} containers and ${r.networks.length} networks of dead processes`,
        );
      }
    },
    (err: unknown) => log.event('reap', `could not look for stale resources: ${String(err)}`),
  );
  // The reaper is looked up once per process (reaperOnce): Testcontainers does it under a file
  // lock, and parallel starts (a warm pool's, a test's own) would queue on that lock, each
  // retrying after 0.5-1 s, until the first one has cached it. The network carries its session
  // id, so that Ryuk (where it runs) removes the network too. The user's network is theirs: not made, not labelled, never
  // removed; only checked that no container on it answers to a node's name already.
  const creatingNetwork = userNetwork
    ? assertNamesFree(
        client,
        userNetwork,
        plan.nodes.map((n) => n.name),
        plan.options.namePrefix,
      ).then(() => userNetwork)
    : reaperOnce(client).then((reaper) =>
        createNetwork(client, networkName, { ...labels, [LABEL_TESTCONTAINERS_SESSION_ID]: reaper.sessionId }),
      );
  creatingNetwork.catch(() => undefined);
  let network: { id: string; name: string };
  try {
    [, network] = await withTimeout(
      Promise.all([ensureImage(client, plan.options.image, IMAGE_ENV_VAR), creatingNetwork]),
      Infinity,
      signal,
    );
  } catch (err) {
    // A network created a moment after the failure would be left: wait for it, then remove.
    await Promise.allSettled([creatingNetwork]);
    await removeCluster(client, clusterId).catch(() => undefined);
    throw err;
  }

  const containerIds: string[] = [];
  const nodeContainers = new Map<string, NodeContainer>();
  let host: Promise<string> | undefined;
  let removed: Promise<void> | undefined;
  return {
    kind: 'docker',
    plan,
    starting: 'starting containers',
    network: network.name,
    unit: { phase: 'containers', one: 'container', many: 'containers' },
    async startNode(node, onRunning) {
      const { command, secrets } = nodeCommand(plan, node.name, resolved);
      const container = await new RedisNodeContainer({
        image: plan.options.image,
        containerName: `redis-cluster-kit-${clusterId}-${node.name}`,
        networkName: network.name,
        alias: node.name,
        port: node.port,
        command,
        labels: { ...labels, [LABELS.node]: node.name },
        startupTimeoutMs: deadline.remaining(),
        onRunning,
        secret: resolved.password,
        files: [
          ...(tls === undefined ? [] : nodeTlsFiles(tls, node.name).map((f) => ({ ...f, dir: CONTAINER_TLS_DIR }))),
          ...(secrets === undefined ? [] : [{ dir: '/data', name: 'secrets.conf', content: secrets, mode: 0o600 }]),
        ],
      }).start();
      containerIds.push(container.getId());
      nodeContainers.set(node.name, { id: container.getId(), port: node.port });
      const port = container.getMappedPort(node.port);
      host ??= reachableHost(container.getHost(), port);
      return { name: node.name, host: await host, port, internalIp: container.getIpAddress(network.name) };
    },
    nodes: {
      ...containerNodeRuntime(dockerode(client), network.name, nodeContainers),
      network: containerNetwork(dockerode(client), clusterId, network.name, nodeContainers),
    },
    settled: reaped,
    remove() {
      // Every container and the network labelled with the cluster id, also those no start() returned.
      removed ??= removeCluster(client, clusterId, containerIds);
      return removed;
    },
  };
}

/**
 * The kept clusters with this reuse key whose every planned node runs, newest first; those that
 * are broken (a container exited, or incomplete for long) are removed first.
 */
async function keptClusters(
  client: ContainerRuntimeClient,
  key: string,
  plan: ClusterPlan,
  userNetwork: string | undefined,
): Promise<KeptCluster[]> {
  const networkOf = (clusterId: string) => userNetwork ?? ownNetworkName(clusterId);
  const { complete, broken } = await findKeptClusters(client, key, plan, networkOf);
  await Promise.all(broken.map((id) => removeCluster(client, id)));
  return complete.map((kept) => ({
    id: kept.clusterId,
    network: networkOf(kept.clusterId),
    async reach() {
      const first = kept.nodes.get(plan.nodes[0]!.name)!;
      const host = await reachableHost(client.info.containerRuntime.host, first.hostPort);
      return new Map(plan.nodes.map((node) => [node.name, { host, port: kept.nodes.get(node.name)!.hostPort }]));
    },
    remove: () => removeCluster(client, kept.clusterId),
  }));
}
