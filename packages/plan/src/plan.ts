import { resolvePlanOptions, SLOT_COUNT, type PlanOptions } from './options';

/** An inclusive range of hash slots. */
export interface SlotRange {
  start: number;
  end: number;
}

export type NodeRole = 'master' | 'replica';

/** One node of the plan. Ports are the ones the node listens on (inside its container). */
export interface PlannedNode {
  /** 0-based position; masters come first, as `redis-cli --cluster create` orders them. */
  index: number;
  /** Service / container / host name, e.g. `redis-node-1`. */
  name: string;
  role: NodeRole;
  /** The shard (0-based master index) the node belongs to. */
  shard: number;
  port: number;
  busPort: number;
  /** For masters: the slot range it serves. */
  slots?: SlotRange;
  /** For replicas: the name of the master it follows. */
  masterName?: string;
}

export interface Shard {
  index: number;
  slots: SlotRange;
  master: PlannedNode;
  replicas: PlannedNode[];
}

/** The whole cluster, computed once from options; everything else renders or starts this. */
export interface ClusterPlan {
  options: Readonly<PlanOptions>;
  /** Every node, masters first. */
  nodes: readonly PlannedNode[];
  shards: readonly Shard[];
}

/**
 * Split all 16384 slots into `masters` contiguous ranges exactly as `redis-cli --cluster create`
 * does (`clusterManagerCommandCreate`): range i ends at round((i + 1) * 16384 / masters) - 1,
 * the last one at 16383.
 */
export function splitSlots(masters: number): SlotRange[] {
  if (!Number.isInteger(masters) || masters < 1 || masters > SLOT_COUNT) {
    throw new RangeError(`Cannot split ${SLOT_COUNT} slots into ${masters} masters`);
  }
  const perMaster = SLOT_COUNT / masters;
  const ranges: SlotRange[] = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < masters; i++) {
    let last = Math.round(cursor + perMaster - 1);
    if (last > SLOT_COUNT - 1 || i === masters - 1) last = SLOT_COUNT - 1;
    if (last < first) last = first;
    ranges.push({ start: first, end: last });
    first = last + 1;
    cursor += perMaster;
  }
  return ranges;
}

/**
 * Compute the plan: validate options (throws InvalidOptionError), name every node, give it its
 * ports, split the slots and assign replicas round-robin-free: replica r of shard s is node
 * `masters + s * replicas + r`, so each master's replicas sit next to each other.
 */
export function createPlan(input: Partial<PlanOptions> = {}): ClusterPlan {
  const options = Object.freeze(resolvePlanOptions(input));
  const ranges = splitSlots(options.masters);
  const node = (index: number, role: NodeRole, shard: number): PlannedNode => ({
    index,
    name: `${options.namePrefix}-${index + 1}`,
    role,
    shard,
    port: options.basePort + index,
    busPort: options.basePort + index + options.busPortOffset,
  });
  const shards: Shard[] = ranges.map((slots, s) => ({
    index: s,
    slots,
    master: { ...node(s, 'master', s), slots },
    replicas: [],
  }));
  for (const shard of shards) {
    for (let r = 0; r < options.replicas; r++) {
      const index = options.masters + shard.index * options.replicas + r;
      shard.replicas.push({ ...node(index, 'replica', shard.index), masterName: shard.master.name });
    }
  }
  const nodes = [...shards.map((s) => s.master), ...shards.flatMap((s) => s.replicas)];
  return { options, nodes, shards };
}

/** The address a node announces to clients, as a natMap / nodeAddressMap key (`name:port` or `127.0.0.1:port`). */
export function announcedAddress(plan: ClusterPlan, node: PlannedNode): string {
  return `${plan.options.announce === 'loopback' ? '127.0.0.1' : node.name}:${node.port}`;
}

/** Find a node by name or throw a clear error listing the names that exist. */
export function findNode(plan: ClusterPlan, name: string): PlannedNode {
  const found = plan.nodes.find((n) => n.name === name);
  if (!found) {
    throw new Error(`No node "${name}" in this cluster. Nodes are: ${plan.nodes.map((n) => n.name).join(', ')}`);
  }
  return found;
}
