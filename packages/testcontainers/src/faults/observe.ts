/**
 * What the cluster looks like now, for every fault helper: its topology from CLUSTER NODES,
 * the CLUSTER NODES of every running node, and waiting until the health rule says it is ok
 * again on every running node.
 */
import { checkHealth, NotHealthyError, waitForHealth, type HealthVerdict } from '../cluster/health';
import { parseClusterNodes, type ClusterNodesEntry } from '../cluster/replies';
import { buildTopology, type Topology } from '../cluster/topology';
import { ClusterNotOkError } from '../errors';
import type { WaitOptions } from '../options';
import { withTimeout } from '../util/timing';
import type { NodeState } from './node-state';

/** Poll period while waiting for the cluster to settle (Redis's own cron runs every 100 ms). */
export const FAULT_POLL_MS = 25;

/**
 * The cluster now, from the CLUSTER NODES of `from` (default: the first running node that
 * answers, in plan order). Each node's migrating/importing slots come from its own reply.
 */
export async function readTopology(state: NodeState, options: { from?: string } = {}): Promise<Topology> {
  if (options.from !== undefined) state.requireRunning(options.from, 'read the topology from');
  const replies = await clusterNodesOfRunning(state);
  const own = new Map<string, ClusterNodesEntry[]>();
  for (const r of replies) if (r.entries) own.set(r.name, r.entries);
  const base =
    options.from !== undefined ? replies.find((r) => r.name === options.from) : replies.find((r) => r.entries);
  if (!base?.entries) {
    const why = replies.map((r) => `"${r.name}": ${r.error ?? 'no reply'}`).join('; ');
    throw new Error(
      `Cannot read the topology: ${options.from !== undefined ? `node "${options.from}" did not answer CLUSTER NODES` : 'no running node answered CLUSTER NODES'} (${why || 'every node is down'})`,
    );
  }
  return buildTopology(
    base.name,
    base.entries,
    {
      nameOf: (id) => state.names.get(id),
      announcedOf: (name) => (state.has(name) ? state.announced(name) : name),
      reach: (announced) => state.clientTable.get(announced),
      order: (name) => {
        const planned = state.plan.nodes.find((n) => n.name === name);
        return planned === undefined ? Number.MAX_SAFE_INTEGER : planned.index;
      },
    },
    own,
  );
}

/** The CLUSTER NODES of every running node (or why it did not answer), in plan order. */
export async function clusterNodesOfRunning(
  state: NodeState,
): Promise<{ name: string; entries?: ClusterNodesEntry[]; error?: string }[]> {
  return Promise.all(
    state.running().map(async (node) => {
      try {
        return {
          name: node.planned.name,
          entries: parseClusterNodes(
            String(await withTimeout(node.admin.redis.call('CLUSTER', 'NODES'), node.admin.answerTimeoutMs)),
          ),
        };
      } catch (err) {
        return { name: node.planned.name, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

/**
 * Resolve when the cluster is ok again on every running node (not stopped or paused by this
 * process): `cluster_state:ok`, the same slot map everywhere, every down node marked failed
 * and serving nothing, no running node marked failed, replicas linked to their masters.
 * Rejects with {@link ClusterNotOkError} naming the node furthest from ok.
 */
export async function waitForClusterOk(state: NodeState, options: WaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? state.timeouts.faultTimeoutMs;
  const t0 = performance.now();
  try {
    await waitForHealth(() => checkClusterOk(state), { timeoutMs, intervalMs: FAULT_POLL_MS });
  } catch (err) {
    if (err instanceof NotHealthyError)
      throw new ClusterNotOkError(timeoutMs, err.verdict?.waiting[0]?.name, err.verdict?.waiting ?? []);
    throw err;
  }
  state.log.event('fault', 'cluster ok on every running node', performance.now() - t0);
}

/** One poll of the health rule over the running nodes: those down must be marked failed and serve nothing. */
function checkClusterOk(state: NodeState): Promise<HealthVerdict> {
  const running = state.running().map((node) => ({ name: node.planned.name, admin: node.admin }));
  return checkHealth(running, {
    nodeCount: state.plan.nodes.length,
    names: state.names,
    down: new Set(state.down.keys()),
  });
}

/** `0-5460,6000` for comparing slot sets. */
export function describeRanges(ranges: readonly { start: number; end: number }[]): string {
  return [...ranges]
    .sort((a, b) => a.start - b.start)
    .map((r) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`))
    .join(',');
}
