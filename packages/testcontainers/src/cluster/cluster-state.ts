/**
 * Pure reading of what nodes answer (CLUSTER INFO, CLUSTER SLOTS, INFO replication) and the
 * readiness rule built on it. No I/O here: the readiness poller feeds it replies.
 */
import { announcedAddress, SLOT_COUNT, type ClusterPlan, type NodeRole } from '@redis-cluster-kit/plan';

/** `key:value` lines of INFO / CLUSTER INFO as an object (sections and blank lines skipped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) out[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return out;
}

/** CLUSTER INFO on one line without the message counters: `cluster_state:fail cluster_slots_assigned:16384 ...`. */
export function compactClusterInfo(text: string | undefined): string {
  if (text === undefined) return 'no CLUSTER INFO yet';
  return Object.entries(parseInfo(text))
    .filter(([key]) => !key.startsWith('cluster_stats_'))
    .map(([key, value]) => `${key}:${value}`)
    .join(' ');
}

/** A node as CLUSTER SLOTS names it: the endpoint clients are sent to, and the node id. */
export interface SlotNodeRef {
  /** `host:port` as announced (with hostname announcing: `redis-node-1:7101`; `?` if not yet known). */
  endpoint: string;
  id: string;
}

export interface SlotMapEntry {
  start: number;
  end: number;
  master: SlotNodeRef;
  /** Sorted by id. */
  replicas: SlotNodeRef[];
}

/** Read a CLUSTER SLOTS reply (RESP2 or RESP3 in ioredis's legacy mapping) into entries sorted by first slot. */
export function parseClusterSlots(reply: unknown): SlotMapEntry[] {
  if (!Array.isArray(reply)) throw new TypeError(`CLUSTER SLOTS reply is not an array: ${String(reply)}`);
  const entries: SlotMapEntry[] = reply.map((item: unknown) => {
    if (!Array.isArray(item) || item.length < 3) throw new TypeError(`Unexpected CLUSTER SLOTS entry: ${JSON.stringify(item)}`);
    const [start, end, ...nodes] = item as [unknown, unknown, ...unknown[]];
    const refs = nodes.map(nodeRef);
    return {
      start: Number(start),
      end: Number(end),
      master: refs[0]!,
      replicas: refs.slice(1).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    };
  });
  return entries.sort((a, b) => a.start - b.start);
}

function nodeRef(node: unknown): SlotNodeRef {
  if (!Array.isArray(node) || node.length < 3) throw new TypeError(`Unexpected CLUSTER SLOTS node: ${JSON.stringify(node)}`);
  const host = String(node[0] instanceof Uint8Array ? Buffer.from(node[0]).toString() : node[0]);
  const id = String(node[2] instanceof Uint8Array ? Buffer.from(node[2]).toString() : node[2]);
  return { endpoint: `${host === '' ? '?' : host}:${Number(node[1])}`, id };
}

/** One line per range, so two maps are the same map exactly when these strings are equal. */
export function canonicalSlotMap(entries: readonly SlotMapEntry[]): string {
  return entries
    .map((e) => `${e.start}-${e.end} ${e.master.endpoint}@${e.master.id}${e.replicas.map((r) => ` ${r.endpoint}@${r.id}`).join('')}`)
    .join('\n');
}

/** How many of the 16384 slots the entries cover. */
export function slotsCovered(entries: readonly SlotMapEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.end - e.start + 1), 0);
}

/** The slot map a formed cluster must show on every node: the plan's ranges, names and replicas, with the nodes' ids. */
export function expectedSlotMap(plan: ClusterPlan, ids: ReadonlyMap<string, string>): SlotMapEntry[] {
  const ref = (name: string): SlotNodeRef => {
    const id = ids.get(name);
    if (id === undefined) throw new Error(`No node id known for "${name}"`);
    const node = plan.nodes.find((n) => n.name === name)!;
    return { endpoint: announcedAddress(plan, node), id };
  };
  return plan.shards.map((shard) => ({
    start: shard.slots.start,
    end: shard.slots.end,
    master: ref(shard.master.name),
    replicas: shard.replicas.map((r) => ref(r.name)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
  }));
}

/** The first way `actual` differs from `expected`, in words (or undefined when they are the same). */
export function describeSlotMapDifference(actual: readonly SlotMapEntry[], expected: readonly SlotMapEntry[]): string | undefined {
  if (canonicalSlotMap(actual) === canonicalSlotMap(expected)) return undefined;
  const covered = slotsCovered(actual);
  if (covered !== SLOT_COUNT) return `its slot map covers ${covered} of ${SLOT_COUNT} slots`;
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i];
    const e = expected[i];
    if (!a || !e) return `its slot map has ${actual.length} ranges, expected ${expected.length}`;
    if (a.start !== e.start || a.end !== e.end) return `its slot map has range ${a.start}-${a.end}, expected ${e.start}-${e.end}`;
    if (a.master.endpoint !== e.master.endpoint || a.master.id !== e.master.id) {
      return `its slot map gives ${a.start}-${a.end} to ${a.master.endpoint}, expected ${e.master.endpoint}`;
    }
    const ar = a.replicas.map((r) => r.endpoint).join(',');
    const er = e.replicas.map((r) => r.endpoint).join(',');
    if (ar !== er || a.replicas.map((r) => r.id).join() !== e.replicas.map((r) => r.id).join()) {
      return `its slot map lists replicas [${ar}] for ${a.start}-${a.end}, expected [${er}]`;
    }
  }
  return 'its slot map differs from the plan';
}

/** What one poll learned from one node. */
export interface NodeSnapshot {
  name: string;
  role: NodeRole;
  /** CLUSTER INFO text. */
  clusterInfo?: string;
  /** Parsed CLUSTER SLOTS. */
  slots?: SlotMapEntry[];
  /** INFO replication text (replicas only). */
  replication?: string;
  /** Why the node did not answer. */
  error?: string;
}

/** What every node must show for the cluster to be ready. */
export interface ReadinessExpectation {
  nodeCount: number;
  slotMap: readonly SlotMapEntry[];
}

/**
 * What a node still lacks (empty when it is ready): `cluster_state:ok`, all N nodes known, the
 * expected slot map (all 16384 slots, the plan's ranges, the announced names), and for a replica
 * an established link to its master.
 */
export function nodeProblems(snapshot: NodeSnapshot, expected: ReadinessExpectation): string[] {
  if (snapshot.error !== undefined) return [`does not answer (${snapshot.error})`];
  const problems: string[] = [];
  const info = parseInfo(snapshot.clusterInfo ?? '');
  if (info['cluster_state'] !== 'ok') problems.push(`cluster_state:${info['cluster_state'] ?? 'unknown'}`);
  const known = Number(info['cluster_known_nodes'] ?? 0);
  if (known !== expected.nodeCount) problems.push(`knows ${known} of ${expected.nodeCount} nodes`);
  const difference = snapshot.slots ? describeSlotMapDifference(snapshot.slots, expected.slotMap) : 'no slot map yet';
  if (difference !== undefined) problems.push(difference);
  if (snapshot.role === 'replica') {
    const repl = parseInfo(snapshot.replication ?? '');
    if (repl['role'] !== 'slave') problems.push(`is not a replica yet (role:${repl['role'] ?? 'unknown'})`);
    else if (repl['master_link_status'] !== 'up') problems.push(`replication link is ${repl['master_link_status'] ?? 'unknown'}`);
  }
  return problems;
}

export interface ReadinessVerdict {
  ready: boolean;
  /** Nodes that are not ready, with what they lack, slowest first (silent nodes, then most problems). */
  waiting: { name: string; problems: string[]; clusterInfo: string | undefined }[];
}

/** The readiness rule over one poll of every node. */
export function evaluateReadiness(snapshots: readonly NodeSnapshot[], expected: ReadinessExpectation): ReadinessVerdict {
  const waiting = snapshots
    .map((s, order) => ({ name: s.name, problems: nodeProblems(s, expected), clusterInfo: s.clusterInfo, order, silent: s.error !== undefined }))
    .filter((w) => w.problems.length > 0)
    // A node that does not answer is the furthest from ready; then the one that lacks the most.
    .sort((a, b) => Number(b.silent) - Number(a.silent) || b.problems.length - a.problems.length || a.order - b.order)
    .map(({ name, problems, clusterInfo }) => ({ name, problems, clusterInfo }));
  return { ready: waiting.length === 0, waiting };
}
