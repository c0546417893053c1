/**
 * Pure reading of what nodes answer: INFO and CLUSTER INFO, CLUSTER SLOTS (and comparing slot
 * maps), CLUSTER NODES. No I/O here: the health poller and the fault helpers feed it replies.
 */
import { announcedAddress, SLOT_COUNT, type ClusterPlan, type SlotRange } from '@redis-cluster-kit/plan';

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
    if (!Array.isArray(item) || item.length < 3)
      throw new TypeError(`Unexpected CLUSTER SLOTS entry: ${JSON.stringify(item)}`);
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
  if (!Array.isArray(node) || node.length < 3)
    throw new TypeError(`Unexpected CLUSTER SLOTS node: ${JSON.stringify(node)}`);
  const host = String(node[0] instanceof Uint8Array ? Buffer.from(node[0]).toString() : node[0]);
  const id = String(node[2] instanceof Uint8Array ? Buffer.from(node[2]).toString() : node[2]);
  return { endpoint: `${host === '' ? '?' : host}:${Number(node[1])}`, id };
}

/** One line per range, so two maps are the same map exactly when these strings are equal. */
export function canonicalSlotMap(entries: readonly SlotMapEntry[]): string {
  return entries
    .map(
      (e) =>
        `${e.start}-${e.end} ${e.master.endpoint}@${e.master.id}${e.replicas.map((r) => ` ${r.endpoint}@${r.id}`).join('')}`,
    )
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
export function describeSlotMapDifference(
  actual: readonly SlotMapEntry[],
  expected: readonly SlotMapEntry[],
): string | undefined {
  if (canonicalSlotMap(actual) === canonicalSlotMap(expected)) return undefined;
  const covered = slotsCovered(actual);
  if (covered !== SLOT_COUNT) return `its slot map covers ${covered} of ${SLOT_COUNT} slots`;
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i];
    const e = expected[i];
    if (!a || !e) return `its slot map has ${actual.length} ranges, expected ${expected.length}`;
    if (a.start !== e.start || a.end !== e.end)
      return `its slot map has range ${a.start}-${a.end}, expected ${e.start}-${e.end}`;
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
      if (
        id === undefined ||
        address === undefined ||
        flags === undefined ||
        master === undefined ||
        linkState === undefined
      ) {
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
