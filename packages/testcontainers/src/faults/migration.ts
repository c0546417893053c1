/**
 * migrateSlot() and finishMigration(): move a slot and its keys to another master, all the way
 * or half-way (MIGRATING on its owner, IMPORTING on the target), as redis-cli does.
 */
import { InvalidOptionError, SLOT_COUNT } from '@redis-cluster-kit/plan';
import type { TrackedNode } from '../cluster/admin';
import { parseClusterSlots, parseInfo } from '../cluster/replies';
import type { TopologyNode } from '../cluster/topology';
import { faultLimit, type MigrateSlotOptions, type WaitOptions } from '../options';
import { migrateAuth } from '../security';
import { keyHashSlot } from '../util/slots';
import { withTimeout } from '../util/timing';
import { waitUntil, WaitTimeoutError } from '../util/wait-until';
import type { NodeState, PendingMigration } from './node-state';
import { FAULT_POLL_MS, readTopology } from './observe';

/** Keys per MIGRATE. */
const MIGRATE_BATCH = 100;

export interface MigrationResult {
  slot: number;
  from: string;
  to: string;
  /** Keys moved by this call. */
  movedKeys: number;
  /** True when the slot now belongs to `to` on every running node. */
  finished: boolean;
}

/** `keys` as a list of key names (a user's value, checked at run time). */
function isKeyList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((k) => typeof k === 'string');
}

/**
 * Move `slot` from the master serving it to the master `to`: SETSLOT IMPORTING on the target,
 * MIGRATING on the owner, MIGRATE of the keys (to the target's address on the cluster network),
 * then, when finishing, SETSLOT NODE on every master and a wait until every running node agrees.
 */
export async function migrateSlot(
  state: NodeState,
  slot: number,
  to: string,
  options: MigrateSlotOptions = {},
): Promise<MigrationResult> {
  checkSlot(slot);
  const timeoutMs = options.timeoutMs ?? state.timeouts.faultTimeoutMs;
  const target = state.node(to);
  state.requireRunning(to, 'migrate a slot to');
  const finish = options.finish ?? true;
  const keys = options.keys ?? (finish ? 'all' : 'none');
  if (keys !== 'all' && keys !== 'none') {
    if (!isKeyList(keys)) {
      throw new InvalidOptionError('keys', keys, '"all", "none" or an array of key names');
    }
    const stray = keys.find((k) => keyHashSlot(k) !== slot);
    if (stray !== undefined)
      throw new Error(`Cannot move key "${stray}" with slot ${slot}: it hashes to slot ${keyHashSlot(stray)}`);
  }
  const topology = await readTopology(state);
  let pending = state.migrations.get(slot);
  if (pending && pending.to !== to) {
    throw new Error(
      `Slot ${slot} is half-way from "${pending.from}" to "${pending.to}": finish it first (finishMigration(${slot}))`,
    );
  }
  if (topology.node(to).role !== 'master')
    throw new Error(`Cannot migrate slot ${slot} to "${to}": it is a replica; name a master`);
  if (!pending) {
    const owner = topology.masterOf(slot);
    if (!owner) throw new Error(`Cannot migrate slot ${slot}: no master serves it`);
    if (owner.name === to) throw new Error(`Cannot migrate slot ${slot} to "${to}": it already serves it`);
    state.requireRunning(owner.name, `migrate slot ${slot} away from`);
    const source = state.node(owner.name);
    // As redis-cli does: the target imports first, so that no ASK can reach it too early.
    await target.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
    await source.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
    pending = { slot, from: owner.name, to };
    state.migrations.set(slot, pending);
    state.log.event('fault', `slot ${slot} migrating from "${owner.name}" to "${to}"`);
  }
  const destination = topology.node(to);
  let movedKeys = 0;
  if (keys === 'all') movedKeys += await moveAllKeys(state, pending, destination, timeoutMs);
  else if (keys !== 'none') movedKeys += await moveKeys(state, pending, destination, [...keys], timeoutMs);
  if (!finish) return { slot, from: pending.from, to, movedKeys, finished: false };
  movedKeys += await finishSlot(state, pending, destination, timeoutMs);
  return { slot, from: pending.from, to, movedKeys, finished: true };
}

/** Complete the half-way migration of `slot`, or of every slot left half-way when none is named. */
export async function finishMigration(
  state: NodeState,
  slot?: number,
  options: WaitOptions = {},
): Promise<MigrationResult[]> {
  const pending = slot === undefined ? [...state.migrations.values()] : [state.migrations.get(slot)];
  if (slot !== undefined && pending[0] === undefined) {
    const open = [...state.migrations.keys()];
    throw new Error(`Slot ${slot} is not half-way migrated${open.length > 0 ? `; these are: ${open.join(', ')}` : ''}`);
  }
  const results: MigrationResult[] = [];
  for (const migration of pending) {
    if (!migration) continue;
    const topology = await readTopology(state);
    const movedKeys = await finishSlot(
      state,
      migration,
      topology.node(migration.to),
      options.timeoutMs ?? state.timeouts.faultTimeoutMs,
    );
    results.push({ slot: migration.slot, from: migration.from, to: migration.to, movedKeys, finished: true });
  }
  return results;
}

/** Move the keys left, assign the slot to the target on every running master, and wait until every running node agrees. */
async function finishSlot(
  state: NodeState,
  migration: PendingMigration,
  destination: TopologyNode,
  timeoutMs: number,
): Promise<number> {
  const { slot } = migration;
  const source = state.node(migration.from);
  const target = state.node(migration.to);
  state.requireRunning(migration.from, `finish the migration of slot ${slot} from`);
  const movedKeys = await moveAllKeys(state, migration, destination, timeoutMs);
  await targetKnowsNewestEpoch(state, target, slot, timeoutMs);
  // The target first (it stops importing and takes a new epoch), then the source, then every
  // other running master, as redis-cli does; replicas learn it from their masters.
  await target.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  // SETSLOT bumps the target's epoch only while it still imports the slot; a Valkey primary
  // that saw the source stop claiming it took it already, with the epoch it knew then. BUMPEPOCH
  // raises it to the newest now (it answers STILL and changes nothing when it is the newest).
  await target.admin.redis.call('CLUSTER', 'BUMPEPOCH');
  await source.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
  const topology = await readTopology(state);
  const others = topology.masters.filter(
    (m) => m.name !== migration.from && m.name !== migration.to && !state.down.has(m.name),
  );
  await Promise.all(
    others.map((m) => state.node(m.name).admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id)),
  );
  state.migrations.delete(slot);
  let lagging = '';
  try {
    await waitUntil(
      async () => {
        for (const node of state.running()) {
          const slots = parseClusterSlots(
            await withTimeout(node.admin.redis.call('CLUSTER', 'SLOTS'), node.admin.answerTimeoutMs),
          );
          const owner = slots.find((r) => slot >= r.start && slot <= r.end)?.master.id;
          if (owner !== target.id) {
            lagging = `node "${node.planned.name}" gives it to ${owner === undefined ? 'no one' : `"${state.names.get(owner) ?? owner}"`}`;
            return false;
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: FAULT_POLL_MS, description: `slot ${slot} to belong to "${migration.to}" everywhere` },
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError)
      throw new Error(
        `Slot ${slot} was assigned to "${migration.to}", but not every node agreed within ${faultLimit('finishMigration', timeoutMs)}: ${lagging}`,
      );
    throw err;
  }
  state.log.event(
    'fault',
    `slot ${slot} moved from "${migration.from}" to "${migration.to}" (${movedKeys} keys in the last step)`,
  );
  return movedKeys;
}

/**
 * Wait until the target of a migration knows the newest epoch of the cluster, before it takes
 * the slot. SETSLOT NODE on an importing node bumps its config epoch without consensus, but only
 * when its epoch is not already the highest it knows of (clusterBumpConfigEpochWithoutConsensus
 * in Redis's cluster.c). A target that has not yet heard the source's latest epoch (the source
 * took a slot a moment ago, and its gossip is still on the way, which a busy machine makes
 * likely) keeps its old, lower epoch; the source's gossip, sent before it learned the slot was
 * gone, then claims the slot with the higher epoch and the target gives it back: each node ends
 * up thinking the other one owns it, and no node serves it. Seen in CI as a slot that a
 * finished migration had moved back reverting a moment later.
 */
async function targetKnowsNewestEpoch(
  state: NodeState,
  target: TrackedNode,
  slot: number,
  timeoutMs: number,
): Promise<void> {
  const currentEpoch = async (node: TrackedNode): Promise<number> => {
    const info = String(await withTimeout(node.admin.redis.call('CLUSTER', 'INFO'), node.admin.answerTimeoutMs));
    return Number(parseInfo(info).cluster_current_epoch ?? 0);
  };
  const newest = Math.max(0, ...(await Promise.all(state.running().map(currentEpoch))));
  let known = 0;
  try {
    await waitUntil(async () => (known = await currentEpoch(target)) >= newest, {
      timeoutMs,
      intervalMs: FAULT_POLL_MS,
      description: `the target of slot ${slot} to know epoch ${newest}`,
    });
  } catch (err) {
    if (err instanceof WaitTimeoutError)
      throw new Error(
        `Cannot finish the migration of slot ${slot}: its target knows epoch ${known}, but the cluster is at ${newest}, and gossip did not tell it within ${faultLimit('finishMigration', timeoutMs)}`,
      );
    throw err;
  }
}

async function moveAllKeys(
  state: NodeState,
  migration: PendingMigration,
  destination: TopologyNode,
  timeoutMs: number,
): Promise<number> {
  const source = state.node(migration.from);
  let moved = 0;
  for (;;) {
    const keys = (await source.admin.redis.call('CLUSTER', 'GETKEYSINSLOT', migration.slot, MIGRATE_BATCH)) as string[];
    if (keys.length === 0) return moved;
    moved += await moveKeys(state, migration, destination, keys, timeoutMs);
  }
}

/**
 * MIGRATE the keys that still exist on the source; returns how many were asked for. MIGRATE's
 * own timeout (how long the source waits for the target) is the helper's `timeoutMs`: a busy
 * machine makes it slower, never makes it fail before the helper would.
 */
async function moveKeys(
  state: NodeState,
  migration: PendingMigration,
  destination: TopologyNode,
  keys: string[],
  timeoutMs: number,
): Promise<number> {
  const source = state.node(migration.from);
  const planned = state.node(migration.to).planned;
  // The source reaches the target on the cluster's network: at the IP the cluster knows, or by its name.
  const host = destination.ip || planned.name;
  const auth = migrateAuth(state.access);
  for (let i = 0; i < keys.length; i += MIGRATE_BATCH) {
    const batch = keys.slice(i, i + MIGRATE_BATCH);
    await source.admin.redis.call('MIGRATE', host, planned.port, '', 0, timeoutMs, ...auth, 'KEYS', ...batch);
  }
  return keys.length;
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
    throw new RangeError(`Slot ${slot} does not exist: slots are 0 to ${SLOT_COUNT - 1}`);
  }
}
