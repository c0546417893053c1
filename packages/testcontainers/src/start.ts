import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { announcedAddress, directivesToArgs, IMAGE_ENV_VAR, nodeDirectives, type ClusterPlan, type PlannedNode } from '@redis-cluster-kit/plan';
import { getReaper, LABEL_TESTCONTAINERS_SESSION_ID } from 'testcontainers';
import { closeAdminConnections, openAdminConnection, type AdminConnection, type NodeEndpoint } from './admin';
import { AddressTable } from './address-table';
import { formMasters, joinReplica } from './bootstrap';
import { clientReady } from './clients';
import { compactClusterInfo } from './cluster-state';
import { containerNodeRuntime, type NodeContainer } from './container-nodes';
import {
  connectDocker,
  createNetwork,
  dockerode,
  ensureImage,
  keptLabels,
  LABELS,
  RedisNodeContainer,
  ownerLabels,
  reachableHost,
  reapStale,
  removeCluster,
} from './docker';
import { ClusterStartError, ClusterStartupTimeoutError, DockerUnavailableError, ImageUnavailableError } from './errors';
import { PhaseLog } from './log';
import { resolveFixtureOptions, reuseKey, type RedisClusterOptions, type ResolvedFixtureOptions } from './options';
import { attachKept, findKeptClusters, removeKeptClusters as removeKept } from './reuse';
import { checkReadiness, NotReadyError, readinessExpectation, waitForReady } from './readiness';
import { keyForSlot } from './slots';
import { StartedRedisCluster, type TrackedNode } from './started-cluster';
import { Deadline, DeadlineExceeded, deferred, delay, withTimeout } from './timing';

/** The redis-server command line of one node: the plan's directives, the password, then the user's extra directives. */
export function nodeCommand(plan: ClusterPlan, name: string, resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig'>): string[] {
  const node = plan.nodes.find((n) => n.name === name)!;
  const args = directivesToArgs(nodeDirectives(plan, node));
  if (resolved.password !== undefined) args.push('--requirepass', resolved.password, '--masterauth', resolved.password);
  args.push(...directivesToArgs(resolved.redisConfig));
  return ['redis-server', ...args];
}

const NO_FAILOVER = 'cluster-replica-no-failover';

/**
 * Replicas join with automatic failover held (CONFIG SET before CLUSTER REPLICATE), released
 * once the cluster is ready. With the fixture's short node timeout (1 s), a master starved of
 * CPU for a second while a busy machine starts containers was failed over by its replica, and
 * the cluster never matched the plan. CONFIG SET rather than the command line, so that a
 * replica restarted later (startNode) comes back with Redis's default. Not done when the user
 * sets the directive.
 */
function holdsFailoverAtStart(resolved: Pick<ResolvedFixtureOptions, 'redisConfig'>): boolean {
  return !resolved.redisConfig.some(([name]) => name === NO_FAILOVER);
}

/**
 * Start a Redis Cluster on Docker and resolve when it is usable: every node `cluster_state:ok`,
 * the same slot map everywhere covering all 16384 slots, all nodes known, replicas linked,
 * `cluster` ready and a write accepted by every master.
 *
 * Options are validated before anything starts. On any failure or timeout, everything started
 * is removed before the promise rejects.
 *
 * @example
 * await using rc = await startRedisCluster({ masters: 3, replicas: 1 });
 * await rc.cluster.set('key', 'value');
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<StartedRedisCluster> {
  const resolved = resolveFixtureOptions(options, process.env);
  const { plan } = resolved;
  const clusterId = randomBytes(6).toString('hex');
  const log = new PhaseLog(clusterId, resolved.logger);
  const deadline = new Deadline(resolved.startupTimeoutMs);
  const { signal, dispose } = deadline.signal();
  const t0 = performance.now();

  let phase = 'connecting to Docker';
  let docker: Awaited<ReturnType<typeof connectDocker>> | undefined;
  // Everything that may create a Docker resource, settled or not: a failed start waits for all
  // of it before removing, or a network or container created a moment later would be left.
  const creating: Promise<unknown>[] = [];
  /** Remember a promise that may create resources; it may reject before anyone awaits it, so it is marked handled. */
  const track = <T>(promise: Promise<T>): Promise<T> => {
    creating.push(promise);
    promise.catch(() => undefined);
    return promise;
  };
  const admins = new Map<string, AdminConnection>();
  const containerIds: string[] = [];
  const nodeContainers = new Map<string, NodeContainer>();
  let lastVerdict: NotReadyError['verdict'];
  let ids: Map<string, string> | undefined;
  let started: StartedRedisCluster | undefined;

  try {
    docker = await log.timed('docker', 'connected to Docker', () => withTimeout(connectDocker(), Infinity, signal));
    const client = docker;

    const key = resolved.reuse ? reuseKey(resolved) : undefined;
    if (key !== undefined) {
      phase = 'looking for a kept cluster to reuse';
      const reused = await withTimeout(attachToKept(client, key, resolved, signal), Infinity, signal);
      if (reused) {
        log.event('attach', `reused kept cluster ${reused.id}`, performance.now() - t0);
        return reused;
      }
    }

    phase = 'checking the image and creating the network';
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
    track(creatingNetwork);
    const [, network] = await withTimeout(Promise.all([ensureImage(client, plan.options.image, IMAGE_ENV_VAR), creatingNetwork]), Infinity, signal);

    phase = 'starting containers';
    const tContainers = performance.now();
    const table = new AddressTable();
    let host: Promise<string> | undefined;
    const startNode = async (node: PlannedNode, onRunning?: () => void): Promise<void> => {
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
      }).start();
      containerIds.push(container.getId());
      nodeContainers.set(node.name, { id: container.getId(), port: node.port });
      const port = container.getMappedPort(node.port);
      host ??= reachableHost(container.getHost(), port);
      const endpoint: NodeEndpoint = { name: node.name, host: await host, port, internalIp: container.getIpAddress(network.name) };
      table.set(announcedAddress(plan, node), { host: endpoint.host, port });
      admins.set(node.name, openAdminConnection(endpoint, { password: resolved.password }));
    };

    // Masters first; replicas as soon as every master's container runs. The daemon starts
    // containers about one at a time, and a master's 2 s writable delay (the floor) starts
    // with its process: this way the masters' delays run while the replicas' containers start,
    // instead of after the last container (replicas have no such delay).
    const masters = plan.nodes.filter((n) => n.role === 'master');
    const replicas = plan.nodes.filter((n) => n.role === 'replica');
    const running = masters.map(() => deferred());
    const masterStarts = masters.map((node, i) => track(startNode(node, () => running[i]!.resolve())));
    const mastersRunning = Promise.all(masterStarts.map((started, i) => Promise.race([running[i]!.promise, started])));
    mastersRunning.catch(() => undefined); // a master's failure is reported through masterStarts
    const replicaStarts = replicas.map((node) => track(mastersRunning.then(() => startNode(node))));

    await withTimeout(Promise.all(masterStarts), Infinity, signal);
    log.event('containers', `${masters.length} master containers up`, performance.now() - tContainers);

    phase = 'forming the cluster';
    const tForm = performance.now();
    const masterIds = await withTimeout(formMasters(plan, admins), Infinity, signal);
    ids = new Map(masterIds);
    const allIds = ids;
    phase = replicas.length > 0 ? 'starting and attaching replicas' : phase;
    const holdFailover = holdsFailoverAtStart(resolved);
    const joins = replicas.map((node, i) =>
      replicaStarts[i]!.then(async () => {
        if (holdFailover) await admins.get(node.name)!.redis.call('CONFIG', 'SET', NO_FAILOVER, 'yes');
        return joinReplica(plan, node, admins, masterIds, signal, (id) => allIds.set(node.name, id));
      }),
    );
    for (const join of joins) join.catch(() => undefined); // awaited together below
    await withTimeout(Promise.all(joins), Infinity, signal);
    if (replicas.length > 0) log.event('containers', `${plan.nodes.length} containers up`, performance.now() - tContainers);
    log.event('formed', `slots assigned, nodes met, replicas attached`, performance.now() - tForm);

    phase = 'waiting for every node to be ready';
    const tReady = performance.now();
    let polls: number;
    try {
      polls = await waitForReady(plan, admins, allIds, signal);
    } catch (err) {
      if (err instanceof NotReadyError) {
        lastVerdict = err.verdict;
        throw err.cause;
      }
      throw err;
    }

    if (holdFailover) {
      await withTimeout(Promise.all(replicas.map((r) => admins.get(r.name)!.redis.call('CONFIG', 'SET', NO_FAILOVER, 'no'))), Infinity, signal);
    }

    phase = 'connecting the cluster client';
    const nodes: TrackedNode[] = plan.nodes.map((planned) => ({ planned, id: allIds.get(planned.name)!, admin: admins.get(planned.name)! }));
    started = new StartedRedisCluster({
      id: clusterId,
      plan,
      nodes,
      table,
      password: resolved.password,
      clusterOptions: resolved.clusterOptions,
      runtime: { remove: () => removeCluster(client, clusterId, containerIds), nodes: containerNodeRuntime(dockerode(client), network.name, nodeContainers) },
      log,
      kept: key !== undefined,
    });
    await clientReady(started.cluster, signal);
    phase = 'writing to every master';
    await probeWrites(started.cluster, plan, signal);
    await reaped;
    log.event('ready', `${plan.options.masters} masters x ${plan.options.replicas} replicas ready after ${polls} polls`, performance.now() - tReady);
    log.event('ready', 'cluster ready', performance.now() - t0);
    return started;
  } catch (err) {
    if (signal.aborted && lastVerdict === undefined && ids !== undefined && ids.size === plan.nodes.length) {
      // Time ran out before the readiness poller ran (e.g. a replica never linked): ask every
      // node once, so that the error can still name the slowest one and its CLUSTER INFO.
      lastVerdict = await withTimeout(checkReadiness(plan, admins, readinessExpectation(plan, ids)), 1000).catch(() => undefined);
    }
    const failure = describeFailure(err, signal, phase, resolved.startupTimeoutMs, lastVerdict);
    log.event('cleanup', `start failed while ${phase}: ${failure.message}`);
    await cleanUp(docker, clusterId, creating, containerIds, admins, started);
    throw failure;
  } finally {
    dispose();
  }
}

/** A write (and its delete) on a key of every master's first slot, through the cluster client; retried while the cluster settles. */
async function probeWrites(cluster: Cluster, plan: ClusterPlan, signal: AbortSignal): Promise<void> {
  await Promise.all(
    plan.shards.map(async (shard) => {
      const key = keyForSlot(shard.slots.start, ':redis-cluster-kit:probe');
      for (;;) {
        try {
          await withTimeout(cluster.set(key, '1', 'PX', 10_000), Infinity, signal);
          await withTimeout(cluster.del(key), Infinity, signal);
          return;
        } catch (err) {
          if (signal.aborted) throw err;
          if (!/CLUSTERDOWN|TRYAGAIN|MOVED|ASK/.test(String(err))) throw err;
          await delay(20, signal);
        }
      }
    }),
  );
}

function describeFailure(
  err: unknown,
  signal: AbortSignal,
  phase: string,
  timeoutMs: number,
  verdict: NotReadyError['verdict'],
): Error {
  if (err instanceof DockerUnavailableError || err instanceof ImageUnavailableError) return err;
  if (err instanceof DeadlineExceeded || (signal.aborted && signal.reason === err)) {
    const slowest = verdict?.waiting[0];
    if (slowest) {
      return new ClusterStartupTimeoutError(
        timeoutMs,
        phase,
        slowest.name,
        `${slowest.problems.join(', ')}; last CLUSTER INFO: ${compactClusterInfo(slowest.clusterInfo)}`,
      );
    }
    return new ClusterStartupTimeoutError(timeoutMs, phase, undefined, 'no node was polled yet');
  }
  return new ClusterStartError(phase, err);
}

/** Remove whatever a failed start made: clients, connections, containers (also those still starting) and the network. */
async function cleanUp(
  docker: Awaited<ReturnType<typeof connectDocker>> | undefined,
  clusterId: string,
  creating: Promise<unknown>[],
  containerIds: string[],
  admins: Map<string, AdminConnection>,
  started: StartedRedisCluster | undefined,
): Promise<void> {
  try {
    if (started) {
      await started.stop();
      if (!started.kept) return;
    }
    await Promise.allSettled(creating);
    if (!started) closeAdminConnections(admins.values());
    if (docker) await removeCluster(docker, clusterId, containerIds);
  } catch {
    // Best effort: the next start reaps what is left once this process has ended.
  }
}

/**
 * Attach to a cluster kept by an earlier start with the same reuse key: connect, check it is
 * still as planned, empty it, connect a client. A kept cluster that is not as planned any more
 * (a node stopped, a failover) is removed. Undefined when there is none to reuse.
 */
async function attachToKept(
  client: Awaited<ReturnType<typeof connectDocker>>,
  key: string,
  resolved: ResolvedFixtureOptions,
  signal: AbortSignal,
): Promise<StartedRedisCluster | undefined> {
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
      runtime: { remove: () => removeCluster(client, kept.clusterId) },
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

/**
 * Remove clusters kept for reuse: those that `options` would reuse, or (without options) every
 * kept cluster on the daemon. Resolves with how many clusters were removed.
 */
export async function removeKeptClusters(options?: RedisClusterOptions): Promise<number> {
  const key = options === undefined ? undefined : reuseKey(resolveFixtureOptions(options, process.env));
  return removeKept(await connectDocker(), key);
}
