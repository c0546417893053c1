/**
 * The one health rule, and the one poller over it. "Ready after start" and "ok again after a
 * fault" are the same rule with different expectations:
 *
 * - ready after start ({@link readyExpectation}): every node shows the plan's slot map (the
 *   planned ranges, masters and replicas, by the ids the nodes have), no slot is half-way
 *   (migrating or importing), and a planned replica is a replica;
 * - ok again after a fault: the running nodes show one slot map covering every slot, and the
 *   nodes the fixture stopped or paused (`down`) are marked failed and serve nothing.
 *
 * Either way a node is healthy when it says `cluster_state:ok`, knows every node, sees no
 * running node as failed, and, if it is a replica, its link to its master is up. The start, the
 * attach to a kept cluster and the fault helpers all ask {@link checkHealth}; the start and the
 * fault helpers wait with {@link waitForHealth}. Talks to nodes only through plain connections,
 * so it works for any runtime.
 */
import { SLOT_COUNT, type ClusterPlan } from '@redis-cluster-kit/plan';
import createDebug from 'debug';
import { delay, withTimeout } from '../util/timing';
import type { AdminConnection } from './admin';
import {
  canonicalSlotMap,
  describeSlotMapDifference,
  expectedSlotMap,
  parseClusterNodes,
  parseClusterSlots,
  parseInfo,
  slotsCovered,
  type ClusterNodesEntry,
  type SlotMapEntry,
} from './replies';

const debug = createDebug('redis-cluster-kit:health');

/** Poll period. Tens of ms: the cluster turns ready on Redis's own 100 ms cron, so faster buys nothing. */
export const HEALTH_POLL_MS = 20;

/** What one poll learned from one node. */
export interface HealthSnapshot {
  name: string;
  /** CLUSTER INFO text. */
  clusterInfo?: string;
  /** Parsed CLUSTER SLOTS. */
  slots?: SlotMapEntry[];
  /** Parsed CLUSTER NODES. */
  nodes?: ClusterNodesEntry[];
  /** INFO replication text. */
  replication?: string;
  /** Why the node did not answer. */
  error?: string;
}

/** What the polled nodes must show. */
export interface HealthExpectation {
  /** How many nodes every node must know (down ones included). */
  nodeCount: number;
  /** Node id -> name, for messages (and to find the planned replicas in {@link slotMap}). */
  names: ReadonlyMap<string, string>;
  /** Nodes the fixture stopped or paused: the others must have marked them failed and moved their slots. */
  down: ReadonlySet<string>;
  /**
   * The slot map every node must show (ready after start: the plan's, see {@link readyExpectation});
   * a node it lists as a replica must be one. Without it, the nodes must show one map that covers
   * every slot.
   */
  slotMap?: readonly SlotMapEntry[];
}

/** The rule's judgement of one poll. */
export interface HealthVerdict {
  ok: boolean;
  /** Nodes that are not ok yet, with what they lack, slowest first (silent nodes, then most problems). */
  waiting: { name: string; problems: string[]; clusterInfo: string | undefined }[];
}

/**
 * What a node still lacks (empty when it is healthy):
 * - `cluster_state:ok`, and it knows every node;
 * - the expected slot map, or else a map covering all 16384 slots that is the same map as
 *   `reference`'s (another node of the same poll);
 * - no slot served (as master or replica) by a node that is down, and every down node marked
 *   `fail`: the cluster has noticed the fault and, where it could, failed over;
 * - no running node marked `fail` or `fail?`, none in handshake: a restarted node has rejoined;
 * - a node the expected map lists as a replica is one, and a replica's link to its master is up.
 */
export function healthProblems(
  snapshot: HealthSnapshot,
  expected: HealthExpectation,
  reference?: { name: string; slots: readonly SlotMapEntry[] },
): string[] {
  if (snapshot.error !== undefined) return [`does not answer (${snapshot.error})`];
  const problems: string[] = [];
  const info = parseInfo(snapshot.clusterInfo ?? '');
  if (info['cluster_state'] !== 'ok') problems.push(`cluster_state:${info['cluster_state'] ?? 'unknown'}`);
  const known = Number(info['cluster_known_nodes'] ?? 0);
  if (known !== expected.nodeCount) problems.push(`knows ${known} of ${expected.nodeCount} nodes`);

  const slots = snapshot.slots;
  if (slots === undefined) {
    problems.push('no slot map yet');
  } else if (expected.slotMap !== undefined) {
    const difference = describeSlotMapDifference(slots, expected.slotMap);
    if (difference !== undefined) problems.push(difference);
  } else {
    const covered = slotsCovered(slots);
    if (covered !== SLOT_COUNT) problems.push(`its slot map covers ${covered} of ${SLOT_COUNT} slots`);
    else if (
      reference !== undefined &&
      snapshot.name !== reference.name &&
      canonicalSlotMap(slots) !== canonicalSlotMap(reference.slots)
    ) {
      problems.push(
        `its slot map differs from "${reference.name}"'s (${describeSlotMapDifference(slots, reference.slots)})`,
      );
    }
  }
  const nameOf = (id: string) => expected.names.get(id) ?? id;
  const listedDown = new Set<string>();
  for (const entry of slots ?? []) {
    for (const ref of [entry.master, ...entry.replicas]) {
      const name = nameOf(ref.id);
      if (expected.down.has(name))
        listedDown.add(`${name}${ref === entry.master ? ` (master of ${entry.start}-${entry.end})` : ''}`);
    }
  }
  for (const name of listedDown) problems.push(`its slot map still lists "${name}", which is down`);

  let myself: ClusterNodesEntry | undefined;
  for (const entry of snapshot.nodes ?? []) {
    const name = nameOf(entry.id);
    if (entry.flags.includes('myself')) myself = entry;
    if (expected.down.has(name)) {
      if (!entry.flags.includes('fail')) problems.push(`has not marked "${name}" (down) as failed yet`);
    } else if (entry.flags.includes('fail') || entry.flags.includes('fail?')) {
      problems.push(`sees "${name}" as ${entry.flags.includes('fail') ? 'failed' : 'possibly failed (fail?)'}`);
    } else if (entry.flags.includes('handshake')) {
      problems.push(`is still in handshake with "${name}"`);
    }
  }
  // The plan's map has no slot half-way: a node moving one out or taking one in is not as planned.
  if (expected.slotMap !== undefined && myself !== undefined) {
    for (const { slot } of myself.migrating) problems.push(`is migrating slot ${slot}`);
    for (const { slot } of myself.importing) problems.push(`is importing slot ${slot}`);
  }

  const plannedReplica = expected.slotMap?.some((e) => e.replicas.some((r) => nameOf(r.id) === snapshot.name)) ?? false;
  const repl = parseInfo(snapshot.replication ?? '');
  if (plannedReplica && repl['role'] !== 'slave') {
    problems.push(`is not a replica yet (role:${repl['role'] ?? 'unknown'})`);
  } else if ((plannedReplica || myself?.flags.includes('slave')) && repl['master_link_status'] !== 'up') {
    problems.push(`replication link is ${repl['master_link_status'] ?? 'unknown'}`);
  }
  return problems;
}

/** The rule over one poll of every node polled. */
export function evaluateHealth(snapshots: readonly HealthSnapshot[], expected: HealthExpectation): HealthVerdict {
  const referenceSnapshot =
    expected.slotMap === undefined
      ? snapshots.find((s) => s.slots !== undefined && slotsCovered(s.slots) === SLOT_COUNT)
      : undefined;
  const reference = referenceSnapshot ? { name: referenceSnapshot.name, slots: referenceSnapshot.slots! } : undefined;
  const waiting = snapshots
    .map((s, order) => ({
      name: s.name,
      problems: healthProblems(s, expected, reference),
      clusterInfo: s.clusterInfo,
      order,
      silent: s.error !== undefined,
    }))
    .filter((w) => w.problems.length > 0)
    // A node that does not answer is the furthest from ok; then the one that lacks the most.
    .sort((a, b) => Number(b.silent) - Number(a.silent) || b.problems.length - a.problems.length || a.order - b.order)
    .map(({ name, problems, clusterInfo }) => ({ name, problems, clusterInfo }));
  return { ok: waiting.length === 0 && snapshots.length > 0, waiting };
}

/** What a freshly formed cluster (or one kept as planned) must show: the plan's slot map with the nodes' ids, nothing down. */
export function readyExpectation(plan: ClusterPlan, ids: ReadonlyMap<string, string>): HealthExpectation {
  return {
    nodeCount: plan.nodes.length,
    names: new Map([...ids].map(([name, id]) => [id, name])),
    down: new Set(),
    slotMap: expectedSlotMap(plan, ids),
  };
}

/** Ask one node what the rule needs, in one round trip. */
export async function snapshotNode(
  name: string,
  connection: AdminConnection,
  signal?: AbortSignal,
): Promise<HealthSnapshot> {
  const { redis } = connection;
  const asked = Promise.all([
    redis.call('CLUSTER', 'INFO'),
    redis.call('CLUSTER', 'SLOTS'),
    redis.call('CLUSTER', 'NODES'),
    redis.call('INFO', 'replication'),
  ]);
  try {
    const [info, slots, nodes, replication] = await withTimeout(asked, connection.answerTimeoutMs, signal);
    return {
      name,
      clusterInfo: String(info),
      slots: parseClusterSlots(slots),
      nodes: parseClusterNodes(String(nodes)),
      replication: String(replication),
    };
  } catch (err) {
    if (signal?.aborted) throw err;
    asked.catch(() => undefined);
    return { name, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Poll these nodes once and judge. */
export async function checkHealth(
  nodes: readonly { name: string; admin: AdminConnection | undefined }[],
  expected: HealthExpectation,
  signal?: AbortSignal,
): Promise<HealthVerdict> {
  const snapshots = await Promise.all(
    nodes.map(({ name, admin }) =>
      admin ? snapshotNode(name, admin, signal) : Promise.resolve<HealthSnapshot>({ name, error: 'no connection' }),
    ),
  );
  return evaluateHealth(snapshots, expected);
}

/** Thrown when polling stops before the nodes are ok (time is up, or the signal aborted); carries the last verdict for the error message. */
export class NotHealthyError extends Error {
  override readonly name = 'NotHealthyError';

  constructor(
    readonly verdict: HealthVerdict | undefined,
    /** The signal's reason, or undefined when `timeoutMs` ran out. */
    override readonly cause: unknown,
  ) {
    super('cluster not ok');
  }
}

export interface WaitForHealthOptions {
  /** Stop waiting after this many ms (none: until `signal` aborts). */
  timeoutMs?: number;
  signal?: AbortSignal;
  intervalMs?: number;
}

/**
 * Poll (`check`: one {@link checkHealth} of the nodes that count now) every `intervalMs` until
 * the verdict is ok. Never sleeps a fixed time beyond the poll period; throws
 * {@link NotHealthyError} with the last verdict when `timeoutMs` passes or `signal` aborts.
 * Returns the number of polls it took.
 */
export async function waitForHealth(
  check: () => Promise<HealthVerdict>,
  options: WaitForHealthOptions = {},
): Promise<number> {
  const { signal, intervalMs = HEALTH_POLL_MS } = options;
  const until = performance.now() + (options.timeoutMs ?? Infinity);
  let last: HealthVerdict | undefined;
  for (let polls = 1; ; polls++) {
    const started = performance.now();
    try {
      const previous = last;
      last = await check();
      if (debug.enabled && JSON.stringify(previous?.waiting) !== JSON.stringify(last.waiting)) {
        debug(
          'poll %d: %s',
          polls,
          last.ok ? 'ok' : last.waiting.map((w) => `${w.name}: ${w.problems.join(', ')}`).join('; '),
        );
      }
      if (last.ok) return polls;
    } catch (err) {
      throw new NotHealthyError(last, err);
    }
    if (performance.now() >= until) throw new NotHealthyError(last, undefined);
    try {
      await delay(Math.max(0, Math.min(intervalMs - (performance.now() - started), until - performance.now())), signal);
    } catch (err) {
      throw new NotHealthyError(last, err);
    }
  }
}
