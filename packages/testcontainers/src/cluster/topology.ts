/**
 * The cluster as its nodes see it now (CLUSTER NODES): every node with its current role, slots
 * and address. Pure: the fault helpers feed it the nodes' replies.
 */
import type { NodeRole, SlotRange } from '@redis-cluster-kit/plan';
import type { HostPort } from './address-table';
import type { ClusterNodesEntry } from './replies';

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
    if (!found)
      throw new Error(`No node "${name}" in this topology. Nodes are: ${this.nodes.map((n) => n.name).join(', ')}`);
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
    const self =
      own.get(nodeName)?.find((e) => e.id === entry.id && e.flags.includes('myself')) ??
      (entry.flags.includes('myself') ? entry : undefined);
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
