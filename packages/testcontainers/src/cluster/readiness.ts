/**
 * Poll every node until the cluster is usable (see {@link nodeProblems} for the rule). Talks to
 * nodes only through plain connections, so it works for any runtime.
 */
import type { ClusterPlan, NodeRole } from '@redis-cluster-kit/plan';
import type { AdminConnection } from './admin';
import {
  evaluateReadiness,
  expectedSlotMap,
  parseClusterSlots,
  type NodeSnapshot,
  type ReadinessExpectation,
  type ReadinessVerdict,
} from './cluster-state';
import createDebug from 'debug';
import { delay, withTimeout } from '../util/timing';

const debug = createDebug('redis-cluster-kit:readiness');

/** Poll period. Tens of ms: the cluster turns ready on Redis's own 100 ms cron, so faster buys nothing. */
export const READINESS_POLL_MS = 20;
/** A node that does not answer one poll within this time counts as not answering. */
const NODE_ANSWER_TIMEOUT_MS = 1000;

/** Thrown when polling stops before the cluster is ready; carries the last verdict for the error message. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';

  constructor(
    readonly verdict: ReadinessVerdict | undefined,
    override readonly cause: unknown,
  ) {
    super('cluster not ready');
  }
}

/** Ask one node what the readiness rule needs, in one round trip. */
export async function snapshotNode(connection: AdminConnection, role: NodeRole, signal?: AbortSignal): Promise<NodeSnapshot> {
  const name = connection.endpoint.name;
  const { redis } = connection;
  const asked = Promise.all([
    redis.call('CLUSTER', 'INFO'),
    redis.call('CLUSTER', 'SLOTS'),
    role === 'replica' ? redis.call('INFO', 'replication') : Promise.resolve(undefined),
  ]);
  try {
    const [info, slots, replication] = await withTimeout(asked, NODE_ANSWER_TIMEOUT_MS, signal);
    const snapshot: NodeSnapshot = { name, role, clusterInfo: String(info), slots: parseClusterSlots(slots) };
    if (replication !== undefined) snapshot.replication = String(replication);
    return snapshot;
  } catch (err) {
    if (signal?.aborted) throw err;
    asked.catch(() => undefined);
    return { name, role, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Poll all nodes once and judge. */
export async function checkReadiness(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  expected: ReadinessExpectation,
  signal?: AbortSignal,
): Promise<ReadinessVerdict> {
  const snapshots = await Promise.all(
    plan.nodes.map((node) => {
      const c = connections.get(node.name);
      if (!c) return Promise.resolve<NodeSnapshot>({ name: node.name, role: node.role, error: 'no connection' });
      return snapshotNode(c, node.role, signal);
    }),
  );
  return evaluateReadiness(snapshots, expected);
}

/** The readiness expectation for a plan whose nodes have these ids. */
export function readinessExpectation(plan: ClusterPlan, ids: ReadonlyMap<string, string>): ReadinessExpectation {
  return { nodeCount: plan.nodes.length, slotMap: expectedSlotMap(plan, ids) };
}

/**
 * Poll every {@link READINESS_POLL_MS} until every node is ready. Never sleeps a fixed time
 * beyond the poll period; stops when `signal` aborts, throwing {@link NotReadyError} with the
 * last verdict. Returns the number of polls it took.
 */
export async function waitForReady(
  plan: ClusterPlan,
  connections: ReadonlyMap<string, AdminConnection>,
  ids: ReadonlyMap<string, string>,
  signal: AbortSignal,
  intervalMs = READINESS_POLL_MS,
): Promise<number> {
  const expected = readinessExpectation(plan, ids);
  let last: ReadinessVerdict | undefined;
  for (let polls = 1; ; polls++) {
    const started = performance.now();
    try {
      const previous = last;
      last = await checkReadiness(plan, connections, expected, signal);
      if (debug.enabled && JSON.stringify(previous?.waiting) !== JSON.stringify(last.waiting)) {
        debug('poll %d: %s', polls, last.ready ? 'ready' : last.waiting.map((w) => `${w.name}: ${w.problems.join(', ')}`).join('; '));
      }
      if (last.ready) return polls;
      await delay(Math.max(0, intervalMs - (performance.now() - started)), signal);
    } catch (err) {
      throw new NotReadyError(last, err);
    }
  }
}
