import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { directivesToArgs, IMAGE_ENV_VAR, nodeDirectives, announcedAddress, type ClusterPlan } from '@redis-cluster-kit/plan';
import { getReaper, LABEL_TESTCONTAINERS_SESSION_ID, type StartedTestContainer } from 'testcontainers';
import { closeAdminConnections, openAdminConnection, type AdminConnection, type NodeEndpoint } from './admin';
import { AddressTable } from './address-table';
import { assignSlots, meetAll, replicateAll } from './bootstrap';
import { clientReady } from './clients';
import { compactClusterInfo } from './cluster-state';
import {
  connectDocker,
  createNetwork,
  ensureImage,
  LABELS,
  nodeContainer,
  ownerLabels,
  reachableHost,
  reapStale,
  removeCluster,
} from './docker';
import { ClusterStartError, ClusterStartupTimeoutError, DockerUnavailableError, ImageUnavailableError } from './errors';
import { PhaseLog } from './log';
import { resolveFixtureOptions, type RedisClusterOptions, type ResolvedFixtureOptions } from './options';
import { checkReadiness, NotReadyError, readinessExpectation, waitForReady } from './readiness';
import { keyForSlot } from './slots';
import { StartedRedisCluster, type TrackedNode } from './started-cluster';
import { Deadline, DeadlineExceeded, delay, withTimeout } from './timing';

/** The redis-server command line of one node: the plan's directives, the password, then the user's extra directives. */
export function nodeCommand(plan: ClusterPlan, name: string, resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig'>): string[] {
  const node = plan.nodes.find((n) => n.name === name)!;
  const args = directivesToArgs(nodeDirectives(plan, node));
  if (resolved.password !== undefined) args.push('--requirepass', resolved.password, '--masterauth', resolved.password);
  args.push(...directivesToArgs(resolved.redisConfig));
  return ['redis-server', ...args];
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
  const admins = new Map<string, AdminConnection>();
  let lastVerdict: NotReadyError['verdict'];
  let ids: Map<string, string> | undefined;
  let started: StartedRedisCluster | undefined;

  try {
    docker = await log.timed('docker', 'connected to Docker', () => withTimeout(connectDocker(), Infinity, signal));
    const client = docker;

    phase = 'checking the image and creating the network';
    const labels = ownerLabels(clusterId, resolved.name);
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
    creating.push(creatingNetwork);
    const [, network] = await withTimeout(Promise.all([ensureImage(client, plan.options.image, IMAGE_ENV_VAR), creatingNetwork]), Infinity, signal);

    phase = 'starting containers';
    const tContainers = performance.now();
    const starts = plan.nodes.map((node) =>
      nodeContainer({
        image: plan.options.image,
        containerName: `redis-cluster-kit-${clusterId}-${node.name}`,
        networkName: network.name,
        alias: node.name,
        port: node.port,
        command: nodeCommand(plan, node.name, resolved),
        labels: { ...labels, [LABELS.node]: node.name },
        startupTimeoutMs: deadline.remaining(),
      }).start(),
    );
    creating.push(...starts);
    const containers = await withTimeout(Promise.all(starts), Infinity, signal);
    log.event('containers', `${containers.length} containers up`, performance.now() - tContainers);

    const table = new AddressTable();
    const host = await reachableHost(containers[0]!.getHost(), containers[0]!.getMappedPort(plan.nodes[0]!.port));
    const endpoints: NodeEndpoint[] = plan.nodes.map((node, i) => {
      const container = containers[i]!;
      const endpoint = {
        name: node.name,
        host,
        port: container.getMappedPort(node.port),
        internalIp: container.getIpAddress(network.name),
      };
      table.set(announcedAddress(plan, node), { host: endpoint.host, port: endpoint.port });
      return endpoint;
    });
    for (const endpoint of endpoints) admins.set(endpoint.name, openAdminConnection(endpoint, { password: resolved.password }));

    phase = 'forming the cluster';
    const tForm = performance.now();
    ids = await withTimeout(assignSlots(plan, admins), Infinity, signal);
    await withTimeout(meetAll(plan, admins), Infinity, signal);
    phase = 'attaching replicas';
    await withTimeout(replicateAll(plan, admins, ids, signal), Infinity, signal);
    log.event('formed', `slots assigned, nodes met, replicas attached`, performance.now() - tForm);

    phase = 'waiting for every node to be ready';
    const tReady = performance.now();
    let polls: number;
    try {
      polls = await waitForReady(plan, admins, ids, signal);
    } catch (err) {
      if (err instanceof NotReadyError) {
        lastVerdict = err.verdict;
        throw err.cause;
      }
      throw err;
    }

    phase = 'connecting the cluster client';
    const nodeIds = ids;
    const nodes: TrackedNode[] = plan.nodes.map((planned) => ({ planned, id: nodeIds.get(planned.name)!, admin: admins.get(planned.name)! }));
    const containerIds = containers.map((c) => c.getId());
    started = new StartedRedisCluster({
      id: clusterId,
      plan,
      nodes,
      table,
      password: resolved.password,
      clusterOptions: resolved.clusterOptions,
      runtime: { remove: () => removeCluster(client, clusterId, containerIds) },
      log,
    });
    await clientReady(started.cluster, signal);
    phase = 'writing to every master';
    await probeWrites(started.cluster, plan, signal);
    await reaped;
    log.event('ready', `${plan.options.masters} masters x ${plan.options.replicas} replicas ready after ${polls} polls`, performance.now() - tReady);
    log.event('ready', 'cluster ready', performance.now() - t0);
    return started;
  } catch (err) {
    if (signal.aborted && lastVerdict === undefined && ids !== undefined) {
      // Time ran out before the readiness poller ran (e.g. a replica never linked): ask every
      // node once, so that the error can still name the slowest one and its CLUSTER INFO.
      lastVerdict = await withTimeout(checkReadiness(plan, admins, readinessExpectation(plan, ids)), 1000).catch(() => undefined);
    }
    const failure = describeFailure(err, signal, phase, resolved.startupTimeoutMs, lastVerdict);
    log.event('cleanup', `start failed while ${phase}: ${failure.message}`);
    await cleanUp(docker, clusterId, creating, admins, started);
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
  admins: Map<string, AdminConnection>,
  started: StartedRedisCluster | undefined,
): Promise<void> {
  try {
    if (started) {
      await started.stop();
      return;
    }
    closeAdminConnections(admins.values());
    const settled = await Promise.allSettled(creating);
    if (docker) {
      const ids = settled.flatMap((s) => (s.status === 'fulfilled' && isContainer(s.value) ? [s.value.getId()] : []));
      await removeCluster(docker, clusterId, ids);
    }
  } catch {
    // Best effort: the next start reaps what is left once this process has ended.
  }
}

function isContainer(value: unknown): value is StartedTestContainer {
  return typeof value === 'object' && value !== null && typeof (value as StartedTestContainer).getId === 'function';
}
