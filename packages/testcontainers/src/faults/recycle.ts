/**
 * recycle(), the fault helpers' part: bring back every node this process stopped or paused,
 * form the cluster from the plan again on the same nodes (cluster/recycle.ts), and forget the
 * faults (ids, half-way migrations, down nodes).
 */
import { reformFromPlan, ReformError, type ReformDurations } from '../cluster/recycle';
import type { NodeState } from './node-state';
import { startNode, unpauseNode } from './nodes';

/** What the fault helpers did for a recycle, and how long each step took. */
export interface RecycledNodes {
  /** Nodes that were stopped and were started again. */
  restarted: string[];
  /** Nodes that were paused and were unpaused. */
  unpaused: string[];
  /** Slots that were left half-way by `migrateSlot(..., { finish: false })`. */
  abandonedMigrations: number[];
  /** Formed again (new ids), or only emptied (still as planned). */
  reformed: boolean;
  polls: number;
  durations: ReformDurations & { nodesMs: number };
}

/** Thrown when a recycle cannot reach the plan: the step, and the node when one is to blame. */
export class RecycleStepError extends Error {
  override readonly name = 'RecycleStepError';

  constructor(
    readonly phase: string,
    readonly node: string | undefined,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

export async function recycleNodes(
  state: NodeState,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<RecycledNodes> {
  const t0 = performance.now();
  const until = t0 + options.timeoutMs;
  const restarted: string[] = [];
  const unpaused: string[] = [];
  const down = [...state.down];
  if (down.length > 0) state.requireRuntime('recycle');
  // Unpaused first (instant), then restarted together: a stopped node's start is the slow part.
  await Promise.all(
    down.map(async ([name, how]) => {
      try {
        if (how === 'paused') {
          await unpauseNode(state, name, { waitForClusterOk: false });
          unpaused.push(name);
        } else {
          await startNode(state, name, {
            timeoutMs: Math.max(1, until - performance.now()),
            waitForClusterOk: false,
          });
          restarted.push(name);
        }
      } catch (err) {
        throw new RecycleStepError(`${how === 'paused' ? 'unpausing' : 'starting'} node "${name}" again`, name, err);
      }
    }),
  );
  const nodesMs = performance.now() - t0;
  const abandonedMigrations = [...state.migrations.keys()];
  const nodes = state.plan.nodes.map((n) => state.node(n.name));
  let reformed: Awaited<ReturnType<typeof reformFromPlan>>;
  try {
    reformed = await reformFromPlan(state.plan, nodes, {
      timeoutMs: Math.max(1, until - performance.now()),
      aclUsers: state.access.aclUsers,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (err instanceof ReformError) throw new RecycleStepError(err.phase, err.node, err.cause);
    throw err;
  }
  for (const node of nodes) node.id = reformed.ids.get(node.planned.name)!;
  state.renamed(nodes);
  state.migrations.clear();
  return {
    restarted: restarted.sort(),
    unpaused: unpaused.sort(),
    abandonedMigrations,
    reformed: reformed.reformed,
    polls: reformed.polls,
    durations: { nodesMs, ...reformed.durations },
  };
}
