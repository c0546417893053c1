/**
 * The cluster as its nodes see it now (CLUSTER NODES), and the rule for "the cluster is ok
 * again" after a fault. Pure: the fault helpers feed it the nodes' replies.
 */
import { SLOT_COUNT, type NodeRole, type SlotRange } from '@redis-cluster-kit/plan';
import type { HostPort } from './address-table';
import { canonicalSlotMap, describeSlotMapDifference, parseInfo, slotsCovered, type SlotMapEntry } from './cluster-state';

/** One line of CLUSTER NODES, as Redis 7 writes it. */
export interface ClusterNodesEntry {
  id: string;
  /** The node's IP on the cluster's network, as its peers know it ('' while unknown). */
  ip: string;
  port: number;
  busPort: number;
  /** The announced hostname (`redis-node-1`), when nodes announce names. */
  hostname?: string;
  /** Flags as Redis prints them: `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, `nofailover`. */
  flags: string[];
  /** For replicas: the id of their master. */
  masterId?: string;
  configEpoch: number;
  linkState: string;
  slots: SlotRange[];
  /** Slots this node is moving out (only reported by the node itself). */
  migrating: { slot: number; toId: string }[];
  /** Slots this node is taking in (only reported by the node itself). */
  importing: { slot: number; fromId: string }[];
}

/** Read a CLUSTER NODES reply. Unknown or malformed lines throw: they would make every later check lie. */
export function parseClusterNodes(text: string): ClusterNodesEntry[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, master, , , epoch, linkState, ...slotTokens] = line.trim().split(' ');
      if (id === undefined || address === undefined || flags === undefined || master === undefined || linkState === undefined) {
        throw new TypeError(`Unexpected CLUSTER NODES line: ${line}`);
      }
      const [endpoint = '', hostname] = address.split(',');
      const at = endpoint.indexOf('@');
      const hostPort = at === -1 ? endpoint : endpoint.slice(0, at);
      const colon = hostPort.lastIndexOf(':');
      const entry: ClusterNodesEntry = {
        id,
        ip: hostPort.slice(0, colon),
        port: Number(hostPort.slice(colon + 1)),
        busPort: at === -1 ? 0 : Number(endpoint.slice(at + 1)),
        flags: flags === 'noflags' ? [] : flags.split(','),
        configEpoch: Number(epoch),
        linkState,
        slots: [],
        migrating: [],
        importing: [],
      };
      if (hostname) entry.hostname = hostname;
      if (master !== '-') entry.masterId = master;
      for (const token of slotTokens) {
        const migrating = /^\[(\d+)->-([0-9a-f]+)\]$/.exec(token);
        const importing = /^\[(\d+)-<-([0-9a-f]+)\]$/.exec(token);
        if (migrating) entry.migrating.push({ slot: Number(migrating[1]), toId: migrating[2]! });
        else if (importing) entry.importing.push({ slot: Number(importing[1]), fromId: importing[2]! });
        else {
          const [start, end = start] = token.split('-');
          entry.slots.push({ start: Number(start), end: Number(end) });
        }
      }
      return entry;
    });
}

/** A node in a {@link Topology} snapshot. */
export interface TopologyNode {
  /** Redis's node id (it survives a restart: nodes.conf is kept). */
  id: string;
  /** The plan's name (`redis-node-1`). */
  name: string;
  /** What the node is now (after a failover, not what the plan said). */
  role: NodeRole;
  /** For replicas: the id and name of the master it follows now. */
  masterId?: string;
  masterName?: string;
  /** Slot ranges it serves now (masters). */
  slots: SlotRange[];
  /** Where the test process reaches it now (a restarted container has a new published port). */
  host: string;
  port: number;
  /** What it announces (`redis-node-1:7101`), the key of the natMap. */
  announced: string;
  /** Its IP on the cluster's network, as the node that was asked knows it. */
  ip: string;
  /** Flags as the node that was asked sees it (`master`, `slave`, `fail?`, `fail`, ...), without `myself`. */
  flags: string[];
  configEpoch: number;
  /** Slots it is moving out, reported by the node itself. */
  migrating: { slot: number; to: string }[];
  /** Slots it is taking in, reported by the node itself. */
  importing: { slot: number; from: string }[];
}

/** The cluster now: every node with its current role, slots and address. Made by `rc.topology()`. */
export class Topology {
  constructor(
    /** The node whose CLUSTER NODES this is. */
    readonly from: string,
    readonly nodes: readonly TopologyNode[],
  ) {}

  /** The node named `name`; throws listing the names when there is none. */
  node(name: string): TopologyNode {
    const found = this.nodes.find((n) => n.name === name);
    if (!found) throw new Error(`No node "${name}" in this topology. Nodes are: ${this.nodes.map((n) => n.name).join(', ')}`);
    return found;
  }

  get masters(): TopologyNode[] {
    return this.nodes.filter((n) => n.role === 'master');
  }

  /** The master serving `slot` now, if any. */
  masterOf(slot: number): TopologyNode | undefined {
    return this.nodes.find((n) => n.role === 'master' && n.slots.some((r) => slot >= r.start && slot <= r.end));
  }

  /** The replicas following the master named `name` now. */
  replicasOf(name: string): TopologyNode[] {
    const master = this.node(name);
    return this.nodes.filter((n) => n.masterId === master.id);
  }
}

/** How to turn CLUSTER NODES entries into named, reachable nodes. */
export interface TopologyNaming {
  /** Node id -> the plan's name. */
  nameOf(id: string): string | undefined;
  /** The plan's name -> announced address (`name:port`). */
  announcedOf(name: string): string;
  /** Announced address -> where the test process reaches it. */
  reach(announced: string): HostPort | undefined;
  /** The name's position in the plan (nodes are listed in plan order; unknown ones last). */
  order?(name: string): number;
}

/**
 * Build a {@link Topology} from one node's CLUSTER NODES, with each node's own
 * migrating/importing slots taken from its own reply when given (`own`: name -> entries).
 */
export function buildTopology(
  from: string,
  entries: readonly ClusterNodesEntry[],
  naming: TopologyNaming,
  own: ReadonlyMap<string, readonly ClusterNodesEntry[]> = new Map(),
): Topology {
  const name = (id: string, entry?: ClusterNodesEntry) => naming.nameOf(id) ?? entry?.hostname ?? id;
  const nodes = entries.map((entry): TopologyNode => {
    const nodeName = name(entry.id, entry);
    const announced = naming.announcedOf(nodeName);
    const target = naming.reach(announced) ?? { host: '', port: 0 };
    const self = own.get(nodeName)?.find((e) => e.id === entry.id && e.flags.includes('myself')) ?? (entry.flags.includes('myself') ? entry : undefined);
    const node: TopologyNode = {
      id: entry.id,
      name: nodeName,
      role: entry.flags.includes('slave') ? 'replica' : 'master',
      slots: entry.slots.map((r) => ({ ...r })),
      host: target.host,
      port: target.port,
      announced,
      ip: entry.ip,
      flags: entry.flags.filter((f) => f !== 'myself'),
      configEpoch: entry.configEpoch,
      migrating: (self?.migrating ?? []).map((m) => ({ slot: m.slot, to: name(m.toId) })),
      importing: (self?.importing ?? []).map((m) => ({ slot: m.slot, from: name(m.fromId) })),
    };
    if (entry.masterId !== undefined) {
      node.masterId = entry.masterId;
      node.masterName = name(entry.masterId);
    }
    return node;
  });
  const order = (n: TopologyNode) => naming.order?.(n.name) ?? Number.MAX_SAFE_INTEGER;
  nodes.sort((a, b) => order(a) - order(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new Topology(from, nodes);
}

/** What one poll learned from one running node, for {@link evaluateClusterOk}. */
export interface HealthSnapshot {
  name: string;
  clusterInfo?: string;
  slots?: SlotMapEntry[];
  nodes?: ClusterNodesEntry[];
  /** INFO replication, when the node is a replica. */
  replication?: string;
  /** Why the node did not answer. */
  error?: string;
}

export interface HealthExpectation {
  /** How many nodes every node must know (stopped ones included). */
  nodeCount: number;
  /** Node id -> name, for messages. */
  names: ReadonlyMap<string, string>;
  /** Nodes the fixture stopped or paused: the others must have marked them failed and moved their slots. */
  down: ReadonlySet<string>;
}

export interface ClusterOkVerdict {
  ok: boolean;
  /** Nodes that are not ok yet, with what they lack, slowest first. */
  waiting: { name: string; problems: string[]; clusterInfo: string | undefined }[];
}

/**
 * What a running node still lacks for the cluster to be "ok again" (empty when it is):
 * - `cluster_state:ok`, knows every node, and a slot map covering all 16384 slots that is the
 *   same map every other running node shows;
 * - no slot served (as master or replica) by a node that is down, and every down node marked
 *   `fail`: the cluster has noticed the fault and, where it could, failed over;
 * - no running node marked `fail` or `fail?`: a restarted node has rejoined;
 * - a replica's link to its master is up.
 */
export function clusterOkProblems(snapshot: HealthSnapshot, reference: readonly SlotMapEntry[] | undefined, referenceName: string, expected: HealthExpectation): string[] {
  if (snapshot.error !== undefined) return [`does not answer (${snapshot.error})`];
  const problems: string[] = [];
  const info = parseInfo(snapshot.clusterInfo ?? '');
  if (info['cluster_state'] !== 'ok') problems.push(`cluster_state:${info['cluster_state'] ?? 'unknown'}`);
  const known = Number(info['cluster_known_nodes'] ?? 0);
  if (known !== expected.nodeCount) problems.push(`knows ${known} of ${expected.nodeCount} nodes`);
  const slots = snapshot.slots ?? [];
  const covered = slotsCovered(slots);
  if (covered !== SLOT_COUNT) problems.push(`its slot map covers ${covered} of ${SLOT_COUNT} slots`);
  else if (reference !== undefined && snapshot.name !== referenceName && canonicalSlotMap(slots) !== canonicalSlotMap(reference)) {
    problems.push(`its slot map differs from "${referenceName}"'s (${describeSlotMapDifference(slots, reference)})`);
  }
  const nameOf = (id: string) => expected.names.get(id) ?? id;
  const listedDown = new Set<string>();
  for (const entry of slots) {
    for (const ref of [entry.master, ...entry.replicas]) {
      const name = nameOf(ref.id);
      if (expected.down.has(name)) listedDown.add(`${name}${ref === entry.master ? ` (master of ${entry.start}-${entry.end})` : ''}`);
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
  if (myself?.flags.includes('slave')) {
    const repl = parseInfo(snapshot.replication ?? '');
    if (repl['master_link_status'] !== 'up') problems.push(`replication link to its master is ${repl['master_link_status'] ?? 'unknown'}`);
  }
  return problems;
}

/** The "cluster is ok again" rule over one poll of every running node. */
export function evaluateClusterOk(snapshots: readonly HealthSnapshot[], expected: HealthExpectation): ClusterOkVerdict {
  const referenceSnapshot = snapshots.find((s) => s.slots !== undefined && slotsCovered(s.slots) === SLOT_COUNT);
  const waiting = snapshots
    .map((s, order) => ({
      name: s.name,
      problems: clusterOkProblems(s, referenceSnapshot?.slots, referenceSnapshot?.name ?? '', expected),
      clusterInfo: s.clusterInfo,
      order,
      silent: s.error !== undefined,
    }))
    .filter((w) => w.problems.length > 0)
    .sort((a, b) => Number(b.silent) - Number(a.silent) || b.problems.length - a.problems.length || a.order - b.order)
    .map(({ name, problems, clusterInfo }) => ({ name, problems, clusterInfo }));
  return { ok: waiting.length === 0 && snapshots.length > 0, waiting };
}
