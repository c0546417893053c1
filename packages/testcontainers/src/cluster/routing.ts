/**
 * Routing the fixture's clients to the current owners of the slots, and proving it: after a
 * fault (a failover, a restarted node, a moved slot), every ioredis Cluster the fixture made
 * refreshes its slot map, the map is checked slot by slot against what the nodes say, and one
 * command per master goes through the client. A test's next command then goes straight to the
 * node that serves its slot, instead of spending the client's redirections on one that is gone.
 * {@link routeClientsToOwners} is the one function for that; the fault helpers call it before
 * they resolve (faults/faults.ts), and so may anything else that changes who serves the slots.
 */
import { SLOT_COUNT, type SlotRange } from '@redis-cluster-kit/plan';
import type { Cluster } from 'ioredis';
import type { AdminConnection } from './admin';
import { clientReady } from './clients';
import { parseClusterSlots, type SlotMapEntry } from './replies';
import { causeMessage } from '../util/messages';
import { hashTagForSlot, keyHashSlot } from '../util/slots';
import { delay, withTimeout } from '../util/timing';

/** A client of the fixture, and its name in messages (`rc.cluster`, `createClient() #2`). */
export interface FixtureClient {
  client: Cluster;
  label: string;
}

/** Who serves each slot now, as a client of the fixture must route: read from a node's CLUSTER SLOTS. */
export interface SlotOwners {
  /**
   * For each of the 16384 slots, where the test process reaches its master (`127.0.0.1:32768`:
   * the form of ioredis's `cluster.slots` entries), or undefined when no master serves it.
   */
  readonly bySlot: readonly (string | undefined)[];
  /** Every master that serves slots: its name, where the test process reaches it, its slot ranges. */
  readonly masters: readonly { name: string; address: string; ranges: readonly SlotRange[] }[];
}

/** A node's id -> its name and where the test process reaches it (undefined: not one of this cluster's). */
export type ReachNode = (id: string) => { name: string; address: string } | undefined;

/** The owners in a CLUSTER SLOTS reply, each master named and addressed by `reach`. */
export function slotOwnersOf(entries: readonly SlotMapEntry[], reach: ReachNode): SlotOwners {
  const bySlot = new Array<string | undefined>(SLOT_COUNT).fill(undefined);
  const masters = new Map<string, { name: string; address: string; ranges: SlotRange[] }>();
  for (const entry of entries) {
    const node = reach(entry.master.id);
    if (node === undefined) continue; // not one of ours: nothing a fixture client reaches
    for (let slot = entry.start; slot <= entry.end; slot++) bySlot[slot] = node.address;
    const master = masters.get(node.name) ?? { ...node, ranges: [] };
    master.ranges.push({ start: entry.start, end: entry.end });
    masters.set(node.name, master);
  }
  return { bySlot, masters: [...masters.values()] };
}

/** Who serves each slot, from the CLUSTER SLOTS of the first of `nodes` that answers. */
export async function readSlotOwners(
  nodes: readonly { name: string; admin: AdminConnection }[],
  reach: ReachNode,
  answerTimeoutMs: number,
): Promise<SlotOwners> {
  const errors: string[] = [];
  for (const node of nodes) {
    try {
      const reply = await withTimeout(node.admin.redis.call('CLUSTER', 'SLOTS'), answerTimeoutMs);
      return slotOwnersOf(parseClusterSlots(reply), reach);
    } catch (err) {
      errors.push(`"${node.name}": ${causeMessage(err)}`);
    }
  }
  throw new Error(
    `no running node answered CLUSTER SLOTS (${errors.join('; ') || 'every node is down'}), so who serves the slots is unknown`,
  );
}

export interface RouteOptions {
  /** `performance.now()` after which no new attempt starts (one attempt is always made, and finishes). */
  until: number;
  /** How long one node may take to answer one command. */
  answerTimeoutMs: number;
  /** The time between two attempts. */
  intervalMs: number;
  /** The limit `until` comes from and how to raise it, for the error (`30000 ms (timeoutMs of failover(); ...)`). */
  limit: string;
}

/**
 * Make every client in `clients` route to the current owners of every slot, and prove it:
 * refresh its slot map (ioredis `refreshSlotsCache`), check the map against the CLUSTER SLOTS
 * of the first of `nodes()` that answers, slot by slot, and send one command per master through
 * the client (a `DEL` of a key no one uses, in that master's slots once the client's
 * `keyPrefix` is in front), so its connection to each master is up too. Retried until
 * `options.until` (a refresh may answer from a node that had not caught up yet, or a client
 * may be reconnecting); then rejects naming the first client that still does not route and
 * why, and the limit. A client that is closed, or was never connected (`lazyConnect`), is left
 * alone: it reads the slot map when it connects. Resolves with the owners it proved.
 */
export async function routeClientsToOwners(
  clients: readonly FixtureClient[],
  nodes: () => readonly { name: string; admin: AdminConnection }[],
  reach: ReachNode,
  options: RouteOptions,
): Promise<SlotOwners | undefined> {
  let pending = clients.filter(({ client }) => needsRouting(client));
  let owners: SlotOwners | undefined;
  for (;;) {
    const started = performance.now();
    let problems: (string | undefined)[];
    try {
      const now = await readSlotOwners(nodes(), reach, options.answerTimeoutMs);
      owners = now;
      problems = await Promise.all(
        pending.map(({ client }) => routeOnce(client, now, options).catch((err: unknown) => causeMessage(err))),
      );
    } catch (err) {
      problems = pending.map(() => causeMessage(err));
    }
    const left = pending.flatMap((c, i) => {
      const problem = problems[i];
      return problem === undefined ? [] : [{ ...c, problem }];
    });
    if (left.length === 0) return owners;
    if (performance.now() >= options.until) {
      const [first] = left;
      const others = left.length > 1 ? ` (and ${left.length - 1} more client${left.length > 2 ? 's' : ''})` : '';
      throw new Error(
        `${first!.label}${others} does not route to the current owners of the slots within ${options.limit}: ${first!.problem}`,
      );
    }
    pending = left;
    await delay(Math.max(0, Math.min(options.intervalMs - (performance.now() - started), options.until - started)));
  }
}

/** Closed (`end`) or never connected (`wait`, lazyConnect): nothing to route, it reads the map when it connects. */
function needsRouting(client: Cluster): boolean {
  return client.status !== 'end' && client.status !== 'wait';
}

/** One attempt on one client: undefined when it routes as it should, else what is wrong. */
async function routeOnce(client: Cluster, owners: SlotOwners, options: RouteOptions): Promise<string | undefined> {
  if (!needsRouting(client)) return undefined;
  const left = () => Math.max(options.answerTimeoutMs, options.until - performance.now());
  if (client.status !== 'ready') {
    try {
      await withTimeout(clientReady(client), left());
    } catch (err) {
      if (!needsRouting(client)) return undefined;
      return `it is not ready (${client.status}: ${causeMessage(err)})`;
    }
  }
  const refreshed = await withTimeout(
    new Promise<Error | null | undefined>((resolve) => client.refreshSlotsCache((err) => resolve(err))),
    left(),
  );
  if (refreshed) return `its slot map could not be refreshed (${causeMessage(refreshed)})`;
  const wrong = misroutedSlots(client.slots, owners);
  if (wrong !== undefined) return wrong;
  const prefix = client.options.keyPrefix ?? '';
  for (const master of owners.masters) {
    const key = routeKey(prefix, master.ranges);
    if (key === undefined) continue; // the client's keyPrefix pins its keys to a slot of another master
    try {
      await withTimeout(client.del(key), options.answerTimeoutMs);
    } catch (err) {
      // An ACL user that may not touch the key: the master answered on the client's connection
      // (its slot map was checked above), which is what this command is for.
      if (err instanceof Error && err.message.startsWith('NOPERM')) continue;
      return `a command for "${master.name}" (${master.address}) failed: ${causeMessage(err)}`;
    }
  }
  return undefined;
}

/** The first slots a client's map sends elsewhere than their owner, in words; undefined when every served slot goes to its owner. */
export function misroutedSlots(
  slots: readonly (readonly string[] | undefined)[],
  owners: SlotOwners,
): string | undefined {
  const nameAt = (address: string | undefined) => owners.masters.find((m) => m.address === address)?.name;
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    const owner = owners.bySlot[slot];
    const routed = slots[slot]?.[0];
    if (owner === undefined || routed === owner) continue;
    let end = slot;
    while (end + 1 < SLOT_COUNT && owners.bySlot[end + 1] === owner && slots[end + 1]?.[0] === routed) end++;
    const range = end === slot ? `slot ${slot}` : `slots ${slot}-${end}`;
    const name = nameAt(routed);
    const to = routed === undefined ? 'nowhere' : `${routed}${name === undefined ? '' : ` ("${name}")`}`;
    return `its slot map sends ${range} to ${to}, but "${nameAt(owner) ?? owner}" (${owner}) serves them`;
  }
  return undefined;
}

/** Keys the fixture writes nowhere: routeClientsToOwners() only DELs them, which changes nothing and replicates nothing. */
const ROUTE_KEY = ':redis-cluster-kit:route';
/** How many keys routeKey() tries when the prefix has an open `{` of its own (a master with one slot needs ~16384 on average). */
const ROUTE_KEY_TRIES = 1_000_000;

/**
 * A key that lands in one of `ranges` once ioredis puts `prefix` in front of it (the client's
 * `keyPrefix` changes a key's slot), or undefined when no key can: a prefix with a hash tag of
 * its own (`{app}:`) sends every key to that tag's slot.
 */
export function routeKey(prefix: string, ranges: readonly SlotRange[]): string | undefined {
  const first = ranges[0];
  if (first === undefined) return undefined;
  const within = (slot: number) => ranges.some((r) => slot >= r.start && slot <= r.end);
  const open = prefix.indexOf('{');
  if (open === -1) return `{${hashTagForSlot(first.start)}}${ROUTE_KEY}`;
  const close = prefix.indexOf('}', open + 1);
  if (close > open + 1) return within(keyHashSlot(prefix)) ? ROUTE_KEY : undefined;
  // An open "{" (or an empty "{}") in the prefix: the tag, if any, runs into the key; search for one that lands right.
  for (let i = 0; i < ROUTE_KEY_TRIES; i++) {
    const key = `${ROUTE_KEY}:${i.toString(36)}`;
    if (within(keyHashSlot(prefix + key))) return key;
  }
  return undefined;
}
