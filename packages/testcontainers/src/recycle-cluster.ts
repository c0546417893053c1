/**
 * The work of StartedRedisCluster.recycle(): the fault helpers' recycle (network faults lifted,
 * nodes back, the cluster formed from the plan), then every client of the fixture refreshed
 * and a write to every master, timed step by step.
 */
import type { Cluster } from 'ioredis';
import type { ClusterPlan } from '@redis-cluster-kit/plan';
import type { TrackedNode } from './cluster/admin';
import { probeWrites, refreshSlots } from './cluster/probe';
import { ClusterRecycleError } from './errors';
import type { ClusterFaults } from './faults/faults';
import { RecycleStepError } from './faults/recycle';
import type { WaitOptions } from './options';
import type { RecycleResult } from './started-cluster-types';
import type { PhaseLog } from './util/log';
import { Deadline } from './util/timing';

/** What a recycle works on: the handle's parts. */
export interface RecycleParts {
  id: string;
  plan: ClusterPlan;
  /** `rc.cluster`: it writes to every master at the end. */
  cluster: Cluster;
  /** Every open client of the fixture. */
  clients: readonly Cluster[];
  nodes: readonly TrackedNode[];
  faults: ClusterFaults;
  log: PhaseLog;
  /** The cluster's default limit of a fault helper (recycle() is one). */
  faultTimeoutMs: number;
}

/** The cause of a recycle that ran out of time. */
function timedOut(timeoutMs: number): Error {
  return new Error(`not done within ${timeoutMs} ms (timeoutMs)`);
}

export async function recycleCluster(parts: RecycleParts, options: WaitOptions): Promise<RecycleResult> {
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? parts.faultTimeoutMs;
  const { signal, dispose } = new Deadline(timeoutMs).signal();
  let phase = 'refreshing the clients';
  try {
    const done = await parts.faults.recycle({ timeoutMs, signal });
    const tClients = performance.now();
    await Promise.all(parts.clients.map((c) => refreshSlots(c, signal)));
    phase = 'writing to every master';
    await probeWrites(parts.cluster, parts.plan, signal);
    const clientsMs = performance.now() - tClients;
    const durationMs = performance.now() - t0;
    const downs = [...done.restarted.map((n) => `started "${n}"`), ...done.unpaused.map((n) => `unpaused "${n}"`)];
    parts.log.event(
      'recycle',
      `${downs.length > 0 ? `${downs.join(', ')}; ` : ''}${done.reformed ? `formed from the plan and empty after ${done.polls} polls` : 'still as planned: emptied'}`,
      durationMs,
    );
    return {
      restarted: done.restarted,
      unpaused: done.unpaused,
      abandonedMigrations: done.abandonedMigrations,
      reformed: done.reformed,
      ids: Object.fromEntries(parts.nodes.map((n) => [n.planned.name, n.id])),
      polls: done.polls,
      durationMs,
      phases: { ...done.durations, clientsMs },
    };
  } catch (err) {
    const failure =
      err instanceof RecycleStepError
        ? new ClusterRecycleError(parts.id, err.phase, err.node, signal.aborted ? timedOut(timeoutMs) : err.cause)
        : new ClusterRecycleError(parts.id, phase, undefined, signal.aborted ? timedOut(timeoutMs) : err);
    parts.log.event('recycle', failure.message, performance.now() - t0);
    throw failure;
  } finally {
    dispose();
  }
}
