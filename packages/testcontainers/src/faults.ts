/**
 * Faults on demand: stop, start, pause and unpause nodes, fail over, move slots (all the way or
 * half-way), and wait until the cluster is ok again. `StartedRedisCluster` delegates to
 * {@link ClusterFaults}; everything here talks to nodes over the fixture's plain connections and
 * to Docker through a {@link NodeRuntime}.
 */
import { announcedAddress, findNode, InvalidOptionError, SLOT_COUNT, type ClusterPlan } from '@redis-cluster-kit/plan';
import { openAdminConnection, type AdminConnection } from './cluster/admin';
import type { AddressTable, HostPort } from './cluster/address-table';
import { checkHealth, NODE_ANSWER_TIMEOUT_MS, NotHealthyError, waitForHealth, type HealthVerdict } from './cluster/health';
import { compactClusterInfo, parseClusterNodes, parseClusterSlots, parseInfo, type ClusterNodesEntry } from './cluster/replies';
import { buildTopology, type Topology, type TopologyNode } from './cluster/topology';
import type { PhaseLog } from './util/log';
import { DEFAULT_FAULT_TIMEOUT_MS } from './options';
import type { NodeRuntime } from './runtime/types';
import { keyHashSlot } from './util/slots';
import { withTimeout } from './util/timing';
import { waitUntil, WaitTimeoutError } from './util/wait-until';

/** `CLUSTER FAILOVER` and its two options. */
export const FAILOVER_MODES = Object.freeze(['default', 'force', 'takeover'] as const);
export type FailoverMode = (typeof FAILOVER_MODES)[number];

/** Poll period while waiting for the cluster to settle (Redis's own cron runs every 100 ms). */
export const FAULT_POLL_MS = 25;
/** Keys per MIGRATE, and MIGRATE's own timeout. */
const MIGRATE_BATCH = 100;
const MIGRATE_TIMEOUT_MS = 5000;
/** Redis aborts a manual failover after 5 s (CLUSTER_MF_TIMEOUT); failover() asks again after this long. */
const MANUAL_FAILOVER_RETRY_MS = 6000;

/** A node as the fault helpers see it: the plan's node, its id, and a plain connection (replaced when it restarts). */
export interface FaultNode {
  planned: ClusterPlan['nodes'][number];
  id: string;
  admin: AdminConnection;
}

export interface FaultContext {
  plan: ClusterPlan;
  nodes: readonly FaultNode[];
  table: AddressTable;
  password: string | undefined;
  /** Absent when the process did not start the containers (e.g. attached to a cluster started elsewhere). */
  runtime: NodeRuntime | undefined;
  log: PhaseLog;
}

export interface StopNodeOptions {
  /** Seconds the node gets to shut down before it is killed (`docker stop -t`). 0 is a crash. @default 0 */
  timeoutSeconds?: number;
}

export interface WaitOptions {
  /** @default DEFAULT_FAULT_TIMEOUT_MS (30000) */
  timeoutMs?: number;
}

export interface StartNodeOptions extends WaitOptions {
  /** Also wait until the cluster is ok on every running node ({@link ClusterFaults.waitForClusterOk}). @default true */
  waitForClusterOk?: boolean;
}

export interface FailoverOptions extends WaitOptions {
  /** `default` (the master agrees and hands over), `force` (the master is not asked) or `takeover` (no vote at all). @default "default" */
  mode?: FailoverMode;
}

export interface FailoverResult {
  newMaster: string;
  oldMaster: string;
  mode: FailoverMode;
  /** From CLUSTER FAILOVER to every running node agreeing. */
  durationMs: number;
}

export interface MigrateSlotOptions extends WaitOptions {
  /**
   * Assign the slot to the target at the end (`CLUSTER SETSLOT <slot> NODE` on every master).
   * `false` leaves the slot MIGRATING on its owner and IMPORTING on the target, so that clients
   * meet ASK and TRYAGAIN; {@link ClusterFaults.finishMigration} completes it. @default true
   */
  finish?: boolean;
  /**
   * Which keys of the slot to move now: `all`, `none`, or a list (each must hash to the slot).
   * Finishing always moves every key left. @default "all" when finishing, else "none"
   */
  keys?: 'all' | 'none' | readonly string[];
}

export interface MigrationResult {
  slot: number;
  from: string;
  to: string;
  /** Keys moved by this call. */
  movedKeys: number;
  /** True when the slot now belongs to `to` on every running node. */
  finished: boolean;
}

/** A slot left half-way by `migrateSlot(..., { finish: false })`. */
export interface PendingMigration {
  slot: number;
  from: string;
  to: string;
}

/** Thrown by waitForClusterOk (and the helpers that wait for it) when the cluster did not settle in time. */
export class ClusterNotOkError extends Error {
  override readonly name = 'ClusterNotOkError';

  constructor(
    readonly timeoutMs: number,
    /** The node furthest from ok. */
    readonly node: string | undefined,
    /** What each node not ok still lacked. */
    readonly waiting: HealthVerdict['waiting'],
  ) {
    const first = waiting[0];
    const others = waiting.slice(1).map((w) => `"${w.name}": ${w.problems.join(', ')}`);
    super(
      `Redis Cluster was not ok within ${timeoutMs} ms: ` +
        (first
          ? `node "${first.name}" ${first.problems.join(', ')}; last CLUSTER INFO: ${compactClusterInfo(first.clusterInfo)}` +
            (others.length > 0 ? `; also ${others.join('; ')}` : '')
          : 'no running node was polled'),
    );
  }
}

/** Startup nodes whose host and port are read from the live table whenever ioredis (re)connects. */
export function liveStartupNodes(table: AddressTable, announced: readonly string[]): HostPort[] {
  return announced.map((key) => {
    const fallback = table.get(key);
    if (!fallback) throw new Error(`No address known for node "${key}"`);
    return {
      get host() {
        return (table.get(key) ?? fallback).host;
      },
      get port() {
        return (table.get(key) ?? fallback).port;
      },
    };
  });
}

/** The fault helpers of one cluster. */
export class ClusterFaults {
  readonly #plan: ClusterPlan;
  readonly #nodes: ReadonlyMap<string, FaultNode>;
  readonly #table: AddressTable;
  readonly #password: string | undefined;
  readonly #runtime: NodeRuntime | undefined;
  readonly #log: PhaseLog;
  /** Nodes this process stopped or paused. */
  readonly #down = new Map<string, 'stopped' | 'paused'>();
  readonly #migrations = new Map<number, PendingMigration>();
  /** Every `host:port` a node was reachable at (old ports too), for naming nodes in recorded events. */
  readonly #addresses = new Map<string, string>();
  readonly #names: ReadonlyMap<string, string>;

  constructor(context: FaultContext) {
    this.#plan = context.plan;
    this.#nodes = new Map(context.nodes.map((n) => [n.planned.name, n]));
    this.#table = context.table;
    this.#password = context.password;
    this.#runtime = context.runtime;
    this.#log = context.log;
    this.#names = new Map(context.nodes.map((n) => [n.id, n.planned.name]));
    for (const n of context.nodes) {
      const target = this.#table.get(this.#announced(n.planned.name));
      if (target) this.#addresses.set(`${target.host}:${target.port}`, n.planned.name);
    }
  }

  /** The node reached at `host:port` now or before a restart, if it is one of this cluster's. */
  nodeNameAt(address: string): string | undefined {
    return this.#addresses.get(address);
  }

  /** Is the node stopped or paused by this process? */
  stateOf(name: string): 'running' | 'stopped' | 'paused' {
    this.#node(name);
    return this.#down.get(name) ?? 'running';
  }

  pendingMigrations(): PendingMigration[] {
    return [...this.#migrations.values()].map((m) => ({ ...m }));
  }

  async stopNode(name: string, options: StopNodeOptions = {}): Promise<void> {
    const node = this.#node(name);
    const runtime = this.#requireRuntime('stopNode');
    const timeoutSeconds = options.timeoutSeconds ?? 0;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0) {
      throw new InvalidOptionError('timeoutSeconds', timeoutSeconds, 'a whole number of seconds, 0 or more');
    }
    this.#requireRunning(name, 'stop');
    const t0 = performance.now();
    this.#down.set(name, 'stopped');
    try {
      await runtime.stop(name, timeoutSeconds);
    } catch (err) {
      this.#down.delete(name);
      throw err;
    }
    // Its port is gone: no reconnect attempts until startNode opens a connection to the new one.
    node.admin.redis.disconnect(false);
    this.#log.event('fault', `stopped node "${name}"`, performance.now() - t0);
  }

  async startNode(name: string, options: StartNodeOptions = {}): Promise<void> {
    const node = this.#node(name);
    const runtime = this.#requireRuntime('startNode');
    const state = this.#down.get(name);
    if (state !== 'stopped') {
      throw new Error(`Cannot start node "${name}": it is ${state === 'paused' ? 'paused (use unpauseNode)' : 'running'}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS;
    const t0 = performance.now();
    const { port, internalIp } = await runtime.start(name);
    // The container has a new published port: update the one table every client reads, and
    // reconnect the fixture's own connection there.
    const announced = this.#announced(name);
    const host = this.#table.get(announced)?.host ?? node.admin.endpoint.host;
    this.#table.set(announced, { host, port });
    this.#addresses.set(`${host}:${port}`, name);
    const old = node.admin;
    node.admin = openAdminConnection({ ...old.endpoint, host, port, internalIp }, { password: this.#password });
    old.redis.disconnect(false);
    this.#down.delete(name);

    const id = await waitUntil(
      async () => String(await withTimeout(node.admin.redis.call('CLUSTER', 'MYID'), NODE_ANSWER_TIMEOUT_MS)),
      { timeoutMs, intervalMs: FAULT_POLL_MS, description: `node "${name}" to answer at ${host}:${port} after its restart` },
    );
    if (id !== node.id) {
      throw new Error(`Node "${name}" came back with id ${id} instead of ${node.id}: its nodes.conf did not survive the restart`);
    }
    this.#log.event('fault', `started node "${name}" (now at ${host}:${port})`, performance.now() - t0);
    if (options.waitForClusterOk ?? true) await this.waitForClusterOk({ timeoutMs: Math.max(1, timeoutMs - (performance.now() - t0)) });
  }

  async pauseNode(name: string): Promise<void> {
    this.#node(name);
    const runtime = this.#requireRuntime('pauseNode');
    this.#requireRunning(name, 'pause');
    this.#down.set(name, 'paused');
    try {
      await runtime.pause(name);
    } catch (err) {
      this.#down.delete(name);
      throw err;
    }
    this.#log.event('fault', `paused node "${name}"`);
  }

  async unpauseNode(name: string, options: StartNodeOptions = {}): Promise<void> {
    this.#node(name);
    const runtime = this.#requireRuntime('unpauseNode');
    const state = this.#down.get(name);
    if (state !== 'paused') throw new Error(`Cannot unpause node "${name}": it is ${state ?? 'running'}`);
    await runtime.unpause(name);
    this.#down.delete(name);
    this.#log.event('fault', `unpaused node "${name}"`);
    if (options.waitForClusterOk ?? true) await this.waitForClusterOk(options);
  }

  /**
   * The cluster now, from the CLUSTER NODES of `from` (default: the first running node that
   * answers, in plan order). Each node's migrating/importing slots come from its own reply.
   */
  async topology(options: { from?: string } = {}): Promise<Topology> {
    if (options.from !== undefined) this.#requireRunning(options.from, 'read the topology from');
    const running = this.#running();
    const replies = await Promise.all(
      running.map(async (node) => {
        try {
          const text = await withTimeout(node.admin.redis.call('CLUSTER', 'NODES'), NODE_ANSWER_TIMEOUT_MS);
          return { name: node.planned.name, entries: parseClusterNodes(String(text)) };
        } catch (err) {
          return { name: node.planned.name, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    const own = new Map<string, ClusterNodesEntry[]>();
    for (const r of replies) if (r.entries) own.set(r.name, r.entries);
    const base = options.from !== undefined ? replies.find((r) => r.name === options.from) : replies.find((r) => r.entries);
    if (!base?.entries) {
      const why = replies.map((r) => `"${r.name}": ${r.error ?? 'no reply'}`).join('; ');
      throw new Error(`Cannot read the topology: ${options.from !== undefined ? `node "${options.from}" did not answer CLUSTER NODES` : 'no running node answered CLUSTER NODES'} (${why || 'every node is down'})`);
    }
    return buildTopology(
      base.name,
      base.entries,
      {
        nameOf: (id) => this.#names.get(id),
        announcedOf: (name) => (this.#nodes.has(name) ? this.#announced(name) : name),
        reach: (announced) => this.#table.get(announced),
        order: (name) => {
          const planned = this.#plan.nodes.find((n) => n.name === name);
          return planned === undefined ? Number.MAX_SAFE_INTEGER : planned.index;
        },
      },
      own,
    );
  }

  /**
   * Resolve when the cluster is ok again on every running node (not stopped or paused by this
   * process): `cluster_state:ok`, the same slot map everywhere, every down node marked failed
   * and serving nothing, no running node marked failed, replicas linked to their masters.
   * Rejects with {@link ClusterNotOkError} naming the node furthest from ok.
   */
  async waitForClusterOk(options: WaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS;
    const t0 = performance.now();
    try {
      await waitForHealth(() => this.#checkClusterOk(), { timeoutMs, intervalMs: FAULT_POLL_MS });
    } catch (err) {
      if (err instanceof NotHealthyError) throw new ClusterNotOkError(timeoutMs, err.verdict?.waiting[0]?.name, err.verdict?.waiting ?? []);
      throw err;
    }
    this.#log.event('fault', 'cluster ok on every running node', performance.now() - t0);
  }

  /**
   * Undo every fault: start stopped nodes, unpause paused ones, finish half-way migrations,
   * move slots back to the masters the plan gives them, make replicas follow their planned
   * masters and fail over back to the planned masters (`default` mode: no write is lost).
   * Resolves when the cluster is as planned and ok on every node (an `afterEach` for tests that
   * inject faults).
   */
  async heal(options: WaitOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS * 2;
    const until = performance.now() + timeoutMs;
    const left = () => ({ timeoutMs: Math.max(1, Math.round(until - performance.now())) });
    const t0 = performance.now();
    for (const [name, state] of [...this.#down]) {
      if (state === 'paused') await this.unpauseNode(name, { waitForClusterOk: false });
      else await this.startNode(name, { ...left(), waitForClusterOk: false });
    }
    await this.waitForClusterOk(left());
    await this.finishMigration(undefined, left());
    const ids = new Map([...this.#nodes].map(([name, n]) => [name, n.id]));
    let topology = await this.topology();
    // Replicas that follow another master than planned (e.g. a planned master that lost its slots).
    for (const planned of this.#plan.nodes) {
      const now = topology.node(planned.name);
      if (planned.role === 'replica' && now.role === 'replica' && now.masterName !== planned.masterName && topology.node(planned.masterName!).role === 'master') {
        await this.#node(planned.name).admin.redis.call('CLUSTER', 'REPLICATE', ids.get(planned.masterName!)!);
      }
    }
    // Planned masters that are replicas now: hand them their shard back.
    for (const shard of this.#plan.shards) {
      if (topology.node(shard.master.name).role === 'replica') {
        await this.waitForClusterOk(left());
        await this.failover(shard.master.name, { mode: 'default', ...left() });
      }
    }
    // Slots that a finished migration left with another master.
    topology = await this.topology();
    for (const shard of this.#plan.shards) {
      for (let slot = shard.slots.start; slot <= shard.slots.end; slot++) {
        const owner = topology.masterOf(slot);
        if (owner && owner.name !== shard.master.name) await this.migrateSlot(slot, shard.master.name, left());
      }
    }
    await this.waitForClusterOk(left());
    topology = await this.topology();
    const unlike = this.#plan.nodes.flatMap((planned) => {
      const now = topology.node(planned.name);
      if (now.role !== planned.role) return [`"${planned.name}" is a ${now.role}`];
      if (planned.role === 'replica' && now.masterName !== planned.masterName) return [`"${planned.name}" follows "${now.masterName}"`];
      if (planned.slots && describeRanges(now.slots) !== describeRanges([planned.slots])) return [`"${planned.name}" serves ${describeRanges(now.slots)}`];
      return [];
    });
    if (unlike.length > 0) throw new Error(`heal() left the cluster unlike its plan: ${unlike.join('; ')}`);
    this.#log.event('fault', 'healed: the cluster is as planned', performance.now() - t0);
  }

  /**
   * Promote the replica `replicaName` with CLUSTER FAILOVER [FORCE|TAKEOVER] and resolve when
   * every running node sees it as the master of its former master's slots.
   */
  async failover(replicaName: string, options: FailoverOptions = {}): Promise<FailoverResult> {
    const mode = options.mode ?? 'default';
    if (!(FAILOVER_MODES as readonly string[]).includes(mode)) {
      throw new InvalidOptionError('mode', mode, `one of ${FAILOVER_MODES.map((m) => `"${m}"`).join(', ')}`);
    }
    const replica = this.#node(replicaName);
    this.#requireRunning(replicaName, 'fail over to');
    const timeoutMs = options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS;
    const topology = await this.topology({ from: replicaName });
    const self = topology.node(replicaName);
    if (self.role !== 'replica' || self.masterId === undefined) {
      const replicas = topology.nodes.filter((n) => n.role === 'replica').map((n) => n.name);
      throw new Error(`Cannot fail over to "${replicaName}": it is a master. Name a replica: ${replicas.join(', ') || 'there is none'}`);
    }
    const master = topology.nodes.find((n) => n.id === self.masterId);
    const masterName = master?.name ?? self.masterId;
    const masterState = this.#down.get(masterName);
    if (mode === 'default' && masterState !== undefined) {
      throw new Error(
        `Cannot fail over to "${replicaName}" in mode "default": its master "${masterName}" is ${masterState} and must answer. ` +
          'Use mode "force" (no handshake with the master) or "takeover" (no vote of the other masters either)',
      );
    }
    const slots = describeRanges(master?.slots ?? []);
    const t0 = performance.now();
    if (mode === 'default') {
      // A default failover waits for the replica to have everything its master wrote; a replica
      // still (re)syncing (e.g. right after an earlier failover) would see it aborted after 5 s.
      await waitUntil(
        async () => {
          const repl = parseInfo(String(await withTimeout(replica.admin.redis.call('INFO', 'replication'), NODE_ANSWER_TIMEOUT_MS)));
          return repl['master_link_status'] === 'up' && repl['master_sync_in_progress'] === '0';
        },
        { timeoutMs, intervalMs: FAULT_POLL_MS, description: `replica "${replicaName}" to be in sync with "${masterName}" (a default failover needs it)` },
      );
    }
    const command = ['FAILOVER', ...(mode === 'default' ? [] : [mode.toUpperCase()])];
    await replica.admin.redis.call('CLUSTER', ...command);
    let sent = performance.now();
    const oldMasterRuns = master !== undefined && !this.#down.has(master.name);
    let lagging = '';
    try {
      await waitUntil(
        async () => {
          const views = await this.#clusterNodesOfRunning();
          for (const view of views) {
            const entry = view.entries?.find((e) => e.id === replica.id);
            if (!entry) {
              lagging = `node "${view.name}" ${view.error ? `does not answer (${view.error})` : 'does not know it'}`;
              return false;
            }
            if (!entry.flags.includes('master') || describeRanges(entry.slots) !== slots) {
              lagging = `node "${view.name}" sees it as ${entry.flags.includes('master') ? `master of ${describeRanges(entry.slots) || 'no slots'}` : 'a replica'}`;
              if (view.name === replicaName && !entry.flags.includes('master') && performance.now() - sent > MANUAL_FAILOVER_RETRY_MS) {
                // Redis gives up a manual failover silently after 5 s (e.g. votes lost on a busy machine): ask again.
                await replica.admin.redis.call('CLUSTER', ...command);
                sent = performance.now();
              }
              return false;
            }
            // The old master, when it runs, follows the new one (everyone must have heard it).
            const old = oldMasterRuns ? view.entries?.find((e) => e.id === master.id) : undefined;
            if (old && (!old.flags.includes('slave') || old.masterId !== replica.id)) {
              lagging = `node "${view.name}" does not see "${master!.name}" as its replica yet`;
              return false;
            }
          }
          return true;
        },
        { timeoutMs, intervalMs: FAULT_POLL_MS, description: `the failover to "${replicaName}"` },
      );
    } catch (err) {
      if (err instanceof WaitTimeoutError) {
        throw new Error(`Failover to "${replicaName}" (mode "${mode}") did not complete within ${timeoutMs} ms: ${lagging}, expected master of ${slots || 'no slots'}`);
      }
      throw err;
    }
    const durationMs = performance.now() - t0;
    this.#log.event('fault', `failover to "${replicaName}" (${mode}) from "${masterName}"`, durationMs);
    return { newMaster: replicaName, oldMaster: masterName, mode, durationMs };
  }

  /**
   * Move `slot` from the master serving it to the master `to`: SETSLOT IMPORTING on the target,
   * MIGRATING on the owner, MIGRATE of the keys (to the target's address on the cluster network),
   * then, when finishing, SETSLOT NODE on every master and a wait until every running node agrees.
   */
  async migrateSlot(slot: number, to: string, options: MigrateSlotOptions = {}): Promise<MigrationResult> {
    checkSlot(slot);
    const target = this.#node(to);
    this.#requireRunning(to, 'migrate a slot to');
    const finish = options.finish ?? true;
    const keys = options.keys ?? (finish ? 'all' : 'none');
    if (keys !== 'all' && keys !== 'none') {
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
        throw new InvalidOptionError('keys', keys, '"all", "none" or an array of key names');
      }
      const stray = keys.find((k) => keyHashSlot(k) !== slot);
      if (stray !== undefined) throw new Error(`Cannot move key "${stray}" with slot ${slot}: it hashes to slot ${keyHashSlot(stray)}`);
    }
    const topology = await this.topology();
    let pending = this.#migrations.get(slot);
    if (pending && pending.to !== to) {
      throw new Error(`Slot ${slot} is half-way from "${pending.from}" to "${pending.to}": finish it first (finishMigration(${slot}))`);
    }
    if (topology.node(to).role !== 'master') throw new Error(`Cannot migrate slot ${slot} to "${to}": it is a replica; name a master`);
    if (!pending) {
      const owner = topology.masterOf(slot);
      if (!owner) throw new Error(`Cannot migrate slot ${slot}: no master serves it`);
      if (owner.name === to) throw new Error(`Cannot migrate slot ${slot} to "${to}": it already serves it`);
      this.#requireRunning(owner.name, `migrate slot ${slot} away from`);
      const source = this.#node(owner.name);
      // As redis-cli does: the target imports first, so that no ASK can reach it too early.
      await target.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', source.id);
      await source.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
      pending = { slot, from: owner.name, to };
      this.#migrations.set(slot, pending);
      this.#log.event('fault', `slot ${slot} migrating from "${owner.name}" to "${to}"`);
    }
    const destination = topology.node(to);
    let movedKeys = 0;
    if (keys === 'all') movedKeys += await this.#moveAllKeys(pending, destination);
    else if (keys !== 'none') movedKeys += await this.#moveKeys(pending, destination, [...keys]);
    if (!finish) return { slot, from: pending.from, to, movedKeys, finished: false };
    movedKeys += await this.#finish(pending, destination, options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS);
    return { slot, from: pending.from, to, movedKeys, finished: true };
  }

  /** Complete the half-way migration of `slot`, or of every slot left half-way when none is named. */
  async finishMigration(slot?: number, options: WaitOptions = {}): Promise<MigrationResult[]> {
    const pending = slot === undefined ? [...this.#migrations.values()] : [this.#migrations.get(slot)];
    if (slot !== undefined && pending[0] === undefined) {
      const open = [...this.#migrations.keys()];
      throw new Error(`Slot ${slot} is not half-way migrated${open.length > 0 ? `; these are: ${open.join(', ')}` : ''}`);
    }
    const results: MigrationResult[] = [];
    for (const migration of pending) {
      if (!migration) continue;
      const topology = await this.topology();
      const movedKeys = await this.#finish(migration, topology.node(migration.to), options.timeoutMs ?? DEFAULT_FAULT_TIMEOUT_MS);
      results.push({ slot: migration.slot, from: migration.from, to: migration.to, movedKeys, finished: true });
    }
    return results;
  }

  async #finish(migration: PendingMigration, destination: TopologyNode, timeoutMs: number): Promise<number> {
    const { slot } = migration;
    const source = this.#node(migration.from);
    const target = this.#node(migration.to);
    this.#requireRunning(migration.from, `finish the migration of slot ${slot} from`);
    const movedKeys = await this.#moveAllKeys(migration, destination);
    // The target first (it stops importing and takes a new epoch), then the source, then every
    // other running master, as redis-cli does; replicas learn it from their masters.
    await target.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
    await source.admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
    const topology = await this.topology();
    const others = topology.masters.filter((m) => m.name !== migration.from && m.name !== migration.to && !this.#down.has(m.name));
    await Promise.all(others.map((m) => this.#node(m.name).admin.redis.call('CLUSTER', 'SETSLOT', slot, 'NODE', target.id)));
    this.#migrations.delete(slot);
    let lagging = '';
    try {
      await waitUntil(
        async () => {
          for (const node of this.#running()) {
            const slots = parseClusterSlots(await withTimeout(node.admin.redis.call('CLUSTER', 'SLOTS'), NODE_ANSWER_TIMEOUT_MS));
            const owner = slots.find((r) => slot >= r.start && slot <= r.end)?.master.id;
            if (owner !== target.id) {
              lagging = `node "${node.planned.name}" gives it to ${owner === undefined ? 'no one' : `"${this.#names.get(owner) ?? owner}"`}`;
              return false;
            }
          }
          return true;
        },
        { timeoutMs, intervalMs: FAULT_POLL_MS, description: `slot ${slot} to belong to "${migration.to}" everywhere` },
      );
    } catch (err) {
      if (err instanceof WaitTimeoutError) throw new Error(`Slot ${slot} was assigned to "${migration.to}", but not every node agreed within ${timeoutMs} ms: ${lagging}`);
      throw err;
    }
    this.#log.event('fault', `slot ${slot} moved from "${migration.from}" to "${migration.to}" (${movedKeys} keys in the last step)`);
    return movedKeys;
  }

  async #moveAllKeys(migration: PendingMigration, destination: TopologyNode): Promise<number> {
    const source = this.#node(migration.from);
    let moved = 0;
    for (;;) {
      const keys = (await source.admin.redis.call('CLUSTER', 'GETKEYSINSLOT', migration.slot, MIGRATE_BATCH)) as string[];
      if (keys.length === 0) return moved;
      moved += await this.#moveKeys(migration, destination, keys);
    }
  }

  /** MIGRATE the keys that still exist on the source; returns how many were asked for. */
  async #moveKeys(migration: PendingMigration, destination: TopologyNode, keys: string[]): Promise<number> {
    const source = this.#node(migration.from);
    const planned = this.#node(migration.to).planned;
    // The source reaches the target on the cluster's network: at the IP the cluster knows, or by its name.
    const host = destination.ip || planned.name;
    const auth = this.#password === undefined ? [] : ['AUTH', this.#password];
    for (let i = 0; i < keys.length; i += MIGRATE_BATCH) {
      const batch = keys.slice(i, i + MIGRATE_BATCH);
      await source.admin.redis.call('MIGRATE', host, planned.port, '', 0, MIGRATE_TIMEOUT_MS, ...auth, 'KEYS', ...batch);
    }
    return keys.length;
  }

  /** One poll of the health rule over the running nodes: those down must be marked failed and serve nothing. */
  #checkClusterOk(): Promise<HealthVerdict> {
    const running = this.#running().map((node) => ({ name: node.planned.name, admin: node.admin }));
    return checkHealth(running, { nodeCount: this.#plan.nodes.length, names: this.#names, down: new Set(this.#down.keys()) });
  }

  async #clusterNodesOfRunning(): Promise<{ name: string; entries?: ClusterNodesEntry[]; error?: string }[]> {
    return Promise.all(
      this.#running().map(async (node) => {
        try {
          return { name: node.planned.name, entries: parseClusterNodes(String(await withTimeout(node.admin.redis.call('CLUSTER', 'NODES'), NODE_ANSWER_TIMEOUT_MS))) };
        } catch (err) {
          return { name: node.planned.name, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
  }

  #node(name: string): FaultNode {
    const planned = findNode(this.#plan, name);
    return this.#nodes.get(planned.name)!;
  }

  #announced(name: string): string {
    return announcedAddress(this.#plan, findNode(this.#plan, name));
  }

  #running(): FaultNode[] {
    return this.#plan.nodes.filter((n) => !this.#down.has(n.name)).map((n) => this.#nodes.get(n.name)!);
  }

  #requireRunning(name: string, action: string): void {
    this.#node(name);
    const state = this.#down.get(name);
    if (state !== undefined) throw new Error(`Cannot ${action} node "${name}": it is ${state}`);
  }

  #requireRuntime(action: string): NodeRuntime {
    if (!this.#runtime) {
      throw new Error(`${action}() needs the nodes themselves (containers or processes): it works on a cluster this process started, not on one it connected to`);
    }
    return this.#runtime;
  }
}

/** `0-5460,6000` for comparing slot sets. */
function describeRanges(ranges: readonly { start: number; end: number }[]): string {
  return [...ranges]
    .sort((a, b) => a.start - b.start)
    .map((r) => (r.start === r.end ? String(r.start) : `${r.start}-${r.end}`))
    .join(',');
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) {
    throw new RangeError(`Slot ${slot} does not exist: slots are 0 to ${SLOT_COUNT - 1}`);
  }
}
