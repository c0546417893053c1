/**
 * The Docker runtime: one container per node on a network of the cluster's own, each client
 * port published on a random host port; stale resources of dead processes reaped; reuse of kept
 * clusters. Everything else of a start (forming, readiness, client) is in start.ts.
 */
import { IMAGE_ENV_VAR } from '@redis-cluster-kit/plan';
import { getReaper, LABEL_TESTCONTAINERS_SESSION_ID, type ContainerRuntimeClient } from 'testcontainers';
import { clientReady } from './clients';
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
  RedisNodeContainer,
  removeCluster,
} from './docker';
import { PhaseLog } from './log';
import { nodeCommand } from './node-config';
import type { ResolvedFixtureOptions } from './options';
import { attachKept, findKeptClusters } from './reuse';
import type { NodeHost, OpenContext, RuntimeEngine } from './runtime';
import { StartedRedisCluster, type TrackedNode } from './started-cluster';
import { withTimeout } from './timing';

/** Connect to Docker (phase `docker`), or reject with a DockerUnavailableError that says what to do. */
export async function dockerEngine(log: PhaseLog, signal: AbortSignal): Promise<RuntimeEngine> {
  const client = await log.timed('docker', 'connected to Docker', () => withTimeout(connectDocker(), Infinity, signal));
  return {
    kind: 'docker',
    opening: 'checking the image and creating the network',
    attachKept: (key, resolved, abort) => attachToKept(client, key, resolved, abort),
    open: (context) => openDockerHost(client, context),
  };
}

async function openDockerHost(client: ContainerRuntimeClient, { clusterId, resolved, reuseKey: key, log, deadline, signal }: OpenContext): Promise<NodeHost> {
  const { plan } = resolved;
  const labels = key === undefined ? ownerLabels(clusterId, resolved.name) : keptLabels(clusterId, resolved.name, key);
  const networkName = `redis-cluster-kit-${clusterId}`;
  const reaped = reapStale(client).then(
    (r) => {
      if (r.containers.length + r.networks.length > 0) {
        log.event('reap', `removed ${r.containers.length} containers and ${r.networks.length} networks of dead processes`);
      }
    },
    (err: unknown) => log.event('reap', `could not look for stale resources: ${String(err)}`),
  );
  // The reaper is looked up once here: Testcontainers does it under a file lock in every
  // container's start(), and parallel starts would queue on that lock (~0.5 s each) until
  // the first one has cached it. The network carries its session id, so that Ryuk (where it
  // runs) removes the network too.
  const creatingNetwork = getReaper(client).then((reaper) =>
    createNetwork(client, networkName, { ...labels, [LABEL_TESTCONTAINERS_SESSION_ID]: reaper.sessionId }),
  );
  creatingNetwork.catch(() => undefined);
  let network: { id: string; name: string };
  try {
    [, network] = await withTimeout(Promise.all([ensureImage(client, plan.options.image, IMAGE_ENV_VAR), creatingNetwork]), Infinity, signal);
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
    unit: { phase: 'containers', one: 'container', many: 'containers' },
    async startNode(node, onRunning) {
      const container = await new RedisNodeContainer({
        image: plan.options.image,
        containerName: `redis-cluster-kit-${clusterId}-${node.name}`,
        networkName: network.name,
        alias: node.name,
        port: node.port,
        command: nodeCommand(plan, node.name, resolved),
        labels: { ...labels, [LABELS.node]: node.name },
        startupTimeoutMs: deadline.remaining(),
        onRunning,
        secret: resolved.password,
      }).start();
      containerIds.push(container.getId());
      nodeContainers.set(node.name, { id: container.getId(), port: node.port });
      const port = container.getMappedPort(node.port);
      host ??= reachableHost(container.getHost(), port);
      return { name: node.name, host: await host, port, internalIp: container.getIpAddress(network.name) };
    },
    nodes: containerNodeRuntime(dockerode(client), network.name, nodeContainers),
    settled: reaped,
    remove() {
      // Every container and the network labelled with the cluster id, also those no start() returned.
      removed ??= removeCluster(client, clusterId, containerIds);
      return removed;
    },
  };
}

/**
 * Attach to a cluster kept by an earlier start with the same reuse key: connect, check it is
 * still as planned, empty it, connect a client. A kept cluster that is not as planned any more
 * (a node stopped, a failover) is removed. Undefined when there is none to reuse.
 */
async function attachToKept(client: ContainerRuntimeClient, key: string, resolved: ResolvedFixtureOptions, signal: AbortSignal): Promise<StartedRedisCluster | undefined> {
  const { plan } = resolved;
  const { complete, broken } = await findKeptClusters(client, key, plan);
  await Promise.all(broken.map((id) => removeCluster(client, id)));
  for (const kept of complete) {
    const log = new PhaseLog(kept.clusterId, resolved.logger);
    const attached = await attachKept(client, kept, plan, resolved.password);
    if (!attached) {
      log.event('attach', 'kept cluster is not as planned any more (stopped node, failover?): removing it');
      await removeCluster(client, kept.clusterId);
      continue;
    }
    const nodes: TrackedNode[] = plan.nodes.map((planned) => ({ planned, id: attached.ids.get(planned.name)!, admin: attached.admins.get(planned.name)! }));
    const rc = new StartedRedisCluster({
      id: kept.clusterId,
      plan,
      nodes,
      table: attached.table,
      password: resolved.password,
      clusterOptions: resolved.clusterOptions,
      runtime: { kind: 'docker', remove: () => removeCluster(client, kept.clusterId) },
      log,
      kept: true,
      reused: true,
    });
    try {
      await Promise.all([rc.reset(), clientReady(rc.cluster, signal)]);
      return rc;
    } catch (err) {
      await rc.stop();
      log.event('attach', `could not attach (${String(err)}): removing it`);
      await removeCluster(client, kept.clusterId);
    }
  }
  return undefined;
}
