/**
 * Reuse, the Docker side: finding the clusters a previous start kept running (same reuse key,
 * a label of their containers), and removing them. Attaching to one (one connection per node
 * and one readiness poll, well under the ~2 s floor of a fresh cluster) is the start's.
 */
import type Dockerode from 'dockerode';
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import type { ContainerRuntimeClient } from 'testcontainers';
import { dockerode, LABELS, removeCluster } from './docker';

/** A kept cluster found on the daemon: its id and, per node name, the container and its published client port. */
export interface KeptContainers {
  clusterId: string;
  nodes: Map<string, { containerId: string; hostPort: number }>;
}

/**
 * Kept clusters with this reuse key whose every planned node runs on its network (newest first),
 * and the ids of broken ones: a container exited or is off the cluster's network (`networkOf`
 * its id), or the cluster is incomplete for longer than `settledAfterMs` (a young incomplete
 * one may be another run's start in progress, and is left alone).
 */
export async function findKeptClusters(
  client: ContainerRuntimeClient,
  key: string,
  plan: ClusterPlan,
  networkOf: (clusterId: string) => string,
  settledAfterMs = 120_000,
): Promise<{ complete: KeptContainers[]; broken: string[] }> {
  const listed = await dockerode(client).listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${LABELS.reuse}=${key}`] }),
  });
  const byCluster = new Map<string, Dockerode.ContainerInfo[]>();
  for (const c of listed.sort((a, b) => b.Created - a.Created)) {
    const id = c.Labels[LABELS.cluster];
    if (id === undefined) continue;
    byCluster.set(id, [...(byCluster.get(id) ?? []), c]);
  }
  const complete: KeptContainers[] = [];
  const broken: string[] = [];
  for (const [clusterId, containers] of byCluster) {
    const nodes = new Map<string, { containerId: string; hostPort: number }>();
    const onNetwork = (c: Dockerode.ContainerInfo) => c.NetworkSettings?.Networks?.[networkOf(clusterId)] !== undefined;
    for (const c of containers) {
      const planned = plan.nodes.find((n) => n.name === c.Labels[LABELS.node]);
      const published = c.Ports.find(
        (p) => p.PrivatePort === planned?.port && p.PublicPort !== undefined && p.PublicPort > 0,
      );
      if (planned && c.State === 'running' && published && onNetwork(c))
        nodes.set(planned.name, { containerId: c.Id, hostPort: published.PublicPort });
    }
    if (nodes.size === plan.nodes.length && containers.length === plan.nodes.length)
      complete.push({ clusterId, nodes });
    else if (
      containers.some((c) => c.State === 'exited' || c.State === 'dead' || !onNetwork(c)) ||
      Date.now() - Math.max(...containers.map((c) => c.Created * 1000)) > settledAfterMs
    ) {
      broken.push(clusterId);
    }
  }
  return { complete, broken };
}

/**
 * Remove kept clusters: those with this reuse key (and the test runners' pool members kept with
 * it, whose key is `<key>.pool<i>`), or every kept cluster of the daemon.
 */
export async function removeKeptClusters(client: ContainerRuntimeClient, key?: string): Promise<number> {
  const listed = await dockerode(client).listContainers({
    all: true,
    filters: JSON.stringify({ label: [LABELS.reuse] }),
  });
  const mine = (value: string | undefined) => key === undefined || value === key || value?.startsWith(`${key}.`);
  const clusters = new Set(
    listed
      .filter((c) => mine(c.Labels[LABELS.reuse]))
      .map((c) => c.Labels[LABELS.cluster])
      .filter((id): id is string => id !== undefined),
  );
  await Promise.all([...clusters].map((id) => removeCluster(client, id)));
  return clusters.size;
}
