/**
 * What a start that failed becomes: the error a user catches (the runtime's own, a timeout that
 * names the slowest node, an abort, or ClusterStartError with the phase), and the removal of
 * whatever the attempt made.
 */
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { closeAdminConnections, type AdminConnection } from './cluster/admin';
import { UnsupportedServer } from './cluster/bootstrap';
import type { HealthVerdict } from './cluster/health';
import { compactClusterInfo } from './cluster/replies';
import {
  ClusterStartAbortedError,
  ClusterStartError,
  ClusterStartupTimeoutError,
  DockerUnavailableError,
  ImageUnavailableError,
  NoRuntimeAvailableError,
  RedisServerUnavailableError,
  UnsupportedServerError,
} from './errors';
import type { NodeHost } from './runtime/types';
import type { StartedRedisCluster } from './started-redis-cluster';
import { DeadlineExceeded } from './util/timing';

/** The error a start that failed while `phase` rejects with. */
export function describeFailure(
  err: unknown,
  signal: AbortSignal,
  phase: string,
  timeoutMs: number,
  verdict: HealthVerdict | undefined,
  /** The caller's signal: when it aborted, that is why the start failed. */
  aborted?: AbortSignal,
): Error {
  if (aborted?.aborted) return new ClusterStartAbortedError(phase, aborted.reason);
  if (err instanceof UnsupportedServer) return new UnsupportedServerError(err.node, err.reason);
  if (
    err instanceof DockerUnavailableError ||
    err instanceof ImageUnavailableError ||
    err instanceof RedisServerUnavailableError ||
    err instanceof NoRuntimeAvailableError ||
    err instanceof InvalidOptionError
  ) {
    return err;
  }
  // No password to hide here: both runtimes hide it where they collect what a node printed.
  if (err instanceof DeadlineExceeded || (signal.aborted && signal.reason === err)) {
    const slowest = verdict?.waiting[0];
    return slowest
      ? new ClusterStartupTimeoutError(
          timeoutMs,
          phase,
          slowest.name,
          `${slowest.problems.join(', ')}; last CLUSTER INFO: ${compactClusterInfo(slowest.clusterInfo)}`,
        )
      : new ClusterStartupTimeoutError(timeoutMs, phase, undefined, 'no node was polled yet');
  }
  return new ClusterStartError(phase, err);
}

/** Remove whatever a failed attempt made: clients, connections, nodes (also those still starting) and the rest of the host. */
export async function cleanUp(
  host: NodeHost | undefined,
  creating: Promise<unknown>[],
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
    await host?.remove();
  } catch {
    // Best effort: the next start reaps what is left once this process has ended.
  }
}
