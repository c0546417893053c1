/**
 * Reuse: attach to a cluster a previous start kept running (same reuse key), instead of
 * starting one. Attaching costs a Docker listing, one connection per node and one readiness
 * poll: well under the ~2 s floor of a fresh cluster.
 */
import type Dockerode from 'dockerode';
import { announcedAddress, type ClusterPlan } from '@redis-cluster-kit/plan';
import type { ContainerRuntimeClient } from 'testcontainers';
import { closeAdminConnections, openAdminConnection, type AdminConnection } from './admin';
import { AddressTable } from './address-table';
import { dockerode, LABELS, reachableHost, removeCluster } from './docker';
import { checkReadiness, readinessExpectation } from './readiness';

/** A kept cluster found on the daemon: its id and, per node name, the container and its published client port. */
export interface KeptCluster {
  clusterId: string;
  nodes: Map<string, { containerId: string; hostPort: number }>;
}

/**
 * Kept clusters with this reuse key whose every planned node runs (newest first), and the ids
 * of broken ones: a container exited, or incomplete for longer than `settledAfterMs` (a young
 * incomplete one may be another run's start in progress, and is left alone).
 */
export async function findKeptClusters(
  client: ContainerRuntimeClient,
  key: string,
  plan: ClusterPlan,
  settledAfterMs = 120_000,
): Promise<{ complete: KeptCluster[]; broken: string[] }> {
  const listed = await dockerode(client).listContainers({ all: true, filters: JSON.stringify({ label: [`${LABELS.reuse}=${key}`] }) });
  const byCluster = new Map<string, Dockerode.ContainerInfo[]>();
  for (const c of listed.sort((a, b) => b.Created - a.Created)) {
    const id = c.Labels[LABELS.cluster];
    if (id === undefined) continue;
    byCluster.set(id, [...(byCluster.get(id) ?? []), c]);
  }
  const complete: KeptCluster[] = [];
  const broken: string[] = [];
  for (const [clusterId, containers] of byCluster) {
    const nodes = new Map<string, { containerId: string; hostPort: number }>();
    for (const c of containers) {
      const planned = plan.nodes.find((n) => n.name === c.Labels[LABELS.node]);
      const published = c.Ports.find((p) => p.PrivatePort === planned?.port && p.PublicPort !== undefined && p.PublicPort > 0);
      if (planned && c.State === 'running' && published) nodes.set(planned.name, { containerId: c.Id, hostPort: published.PublicPort });
    }
    if (nodes.size === plan.nodes.length && containers.length === plan.nodes.length) complete.push({ clusterId, nodes });
    else if (containers.some((c) => c.State === 'exited' || c.State === 'dead') || Date.now() - Math.max(...containers.map((c) => c.Created * 1000)) > settledAfterMs) {
      broken.push(clusterId);
    }
  }
  return { complete, broken };
}

export interface Attached {
  clusterId: string;
  table: AddressTable;
  admins: Map<string, AdminConnection>;
  ids: Map<string, string>;
}

/**
 * Connect to a kept cluster and check, in one poll, that it is still the cluster the plan
 * describes (a previous run may have failed a master over, or stopped a node). Undefined if
 * it is not: the caller then removes it and starts a fresh one.
 */
export async function attachKept(
  client: ContainerRuntimeClient,
  kept: KeptCluster,
  plan: ClusterPlan,
  password: string | undefined,
): Promise<Attached | undefined> {
  const first = kept.nodes.get(plan.nodes[0]!.name)!;
  const host = await reachableHost(client.info.containerRuntime.host, first.hostPort);
  const table = new AddressTable();
  const admins = new Map<string, AdminConnection>();
  for (const node of plan.nodes) {
    const { hostPort } = kept.nodes.get(node.name)!;
    table.set(announcedAddress(plan, node), { host, port: hostPort });
    // The internal IP is only needed to form a cluster; a kept one is formed already.
    admins.set(node.name, openAdminConnection({ name: node.name, host, port: hostPort, internalIp: '' }, { password }));
  }
  try {
    const ids = new Map(await Promise.all(plan.nodes.map(async (n) => [n.name, String(await admins.get(n.name)!.redis.call('CLUSTER', 'MYID'))] as const)));
    const verdict = await checkReadiness(plan, admins, readinessExpectation(plan, ids));
    if (!verdict.ready) {
      closeAdminConnections(admins.values());
      return undefined;
    }
    return { clusterId: kept.clusterId, table, admins, ids };
  } catch {
    closeAdminConnections(admins.values());
    return undefined;
  }
}

/** Remove kept clusters: those with this reuse key, or every kept cluster of the daemon. */
export async function removeKeptClusters(client: ContainerRuntimeClient, key?: string): Promise<number> {
  const label = key === undefined ? LABELS.reuse : `${LABELS.reuse}=${key}`;
  const listed = await dockerode(client).listContainers({ all: true, filters: JSON.stringify({ label: [label] }) });
  const clusters = new Set(listed.map((c) => c.Labels[LABELS.cluster]).filter((id): id is string => id !== undefined));
  await Promise.all([...clusters].map((id) => removeCluster(client, id)));
  return clusters.size;
}
