/**
 * StartedRedisCluster, the handle a test holds (nodes, natMap, clients, reset, the fault
 * helpers, recycle, stop); assemble-started-cluster.ts makes it, started-cluster-types.ts has its types.
 */
import type { Cluster, ClusterOptions } from 'ioredis';
import { Cluster as IoredisCluster } from 'ioredis';
import { announcedAddress, type ClusterPlan, type TlsMaterial } from '@redis-cluster-kit/plan';
import { closeAdminConnections, type TrackedNode } from './cluster/admin';
import type { AddressTable, HostPort, NatMapObject } from './cluster/address-table';
import { clientOptions, closeClient, liveStartupNodes } from './cluster/clients';
import { recordEvents, type EventRecording, type RecordEventsOptions } from './cluster/events';
import { emptyNodes } from './cluster/reset';
import type { Topology } from './cluster/topology';
import type { FailoverResult } from './faults/failover';
import { ClusterFaults } from './faults/faults';
import type { MigrationResult } from './faults/migration';
import type { PendingMigration } from './faults/node-state';
import type { NetworkPartition } from './faults/network';
import type { LinkProxies, NetworkLink } from './cluster/links';
import {
  type FixtureTimeouts,
  type FailoverOptions,
  type MigrateSlotOptions,
  type StartNodeOptions,
  type StopNodeOptions,
  type WaitOptions,
} from './options';
import type { RuntimeKind } from './runtime/types';
import { accessInfo, type NodeAccess } from './security';
import type { PhaseLog } from './util/log';
import { recycleCluster } from './recycle-cluster';
import {
  CONNECTION_INFO_FORMAT,
  describeNodes,
  type ClusterConnectionInfo,
  type ClusterNodeInfo,
  type ClusterOrigin,
  type ClusterParts,
  type ClusterRuntime,
  type RecycleResult,
} from './started-cluster-types';

export { CONNECTION_INFO_FORMAT };
export type { ClusterConnectionInfo, ClusterNodeInfo, ClusterOrigin, ClusterParts, ClusterRuntime, RecycleResult };

/** @internal What {@link assembleStartedCluster} hands the constructor. */
export interface StartedRedisClusterInit extends Omit<ClusterParts, 'ids' | 'admins' | 'origin'> {
  nodes: readonly TrackedNode[];
  /** stop() closes the clients and leaves the nodes running: kept for reuse, or owned by another process. */
  kept: boolean;
  /** Attached to a cluster kept by an earlier start, or connected to one another process owns. */
  reused: boolean;
  /** networkFaults: the proxies the fixture's clients reach the nodes through. */
  links?: LinkProxies;
}

/**
 * A running, ready Redis Cluster and what a test needs from it. Made by `startRedisCluster()`;
 * `await using rc = await startRedisCluster()` stops it at the end of the scope.
 */
export class StartedRedisCluster implements AsyncDisposable {
  /** The cluster's id: the `redis-cluster-kit.cluster` label of its containers and network (Docker), or part of its folder's name (processes). */
  readonly id: string;
  /** The plan the cluster was built from (names, ports, slot ranges, replica assignment). */
  readonly plan: ClusterPlan;
  /** An ioredis Cluster, already `ready`; closed by {@link StartedRedisCluster.stop}. */
  readonly cluster: Cluster;
  /** True when {@link StartedRedisCluster.stop} leaves the nodes running: kept for reuse, or owned by another process (see connectToCluster). */
  readonly kept: boolean;
  /** True when this start attached to a cluster kept by an earlier one (instead of starting one). */
  readonly reused: boolean;
  /** What runs the nodes: `docker` (containers) or `process` (local redis-server processes). */
  readonly runtime: RuntimeKind;
  /**
   * Docker runtime: the name of the network the nodes are on (the cluster's own, or the one passed
   * as `network`). A container of yours joins it (`.withNetworkMode(rc.network)`) and reaches every
   * node by name (`redis-node-1:7101`), redirections included. `undefined` on the process runtime.
   */
  readonly network: string | undefined;

  readonly #nodes: readonly TrackedNode[];
  /** Where the fixture's clients reach each node: the nodes themselves, or their link proxies (networkFaults). */
  readonly #table: AddressTable;
  readonly #links: LinkProxies | undefined;
  readonly #access: NodeAccess;
  readonly #timeouts: FixtureTimeouts;
  readonly #clusterOptions: ClusterOptions;
  readonly #runtime: ClusterRuntime;
  readonly #log: PhaseLog;
  /** Every open client this handle made, with its name in messages (`rc.cluster`, `createClient() #1`, ...). */
  readonly #clients = new Map<Cluster, string>();
  #clientsMade = 0;
  readonly #faults: ClusterFaults;
  #stopped: Promise<void> | undefined;
  #recycling: Promise<RecycleResult> | undefined;

  /** @internal Use `startRedisCluster()` (made by `assembleStartedCluster()`). */
  constructor(init: StartedRedisClusterInit) {
    this.id = init.id;
    this.plan = init.plan;
    this.#nodes = init.nodes;
    this.#links = init.links;
    this.#table = init.links?.table ?? init.table;
    this.#access = init.access;
    this.#timeouts = init.timeouts;
    this.#clusterOptions = init.clusterOptions;
    this.#runtime = init.runtime;
    this.#log = init.log;
    this.kept = init.kept;
    this.reused = init.reused;
    this.runtime = init.runtime.kind;
    this.network = init.runtime.network;
    this.#faults = new ClusterFaults({
      plan: init.plan,
      nodes: init.nodes,
      table: init.table,
      clientTable: this.#table,
      links: init.links,
      access: init.access,
      runtime: init.runtime.nodes,
      log: init.log,
      timeouts: init.timeouts,
      clients: () => [...this.#clients].map(([client, label]) => ({ client, label })),
    });
    this.cluster = this.createClient();
    this.#clients.set(this.cluster, 'rc.cluster');
  }

  /** Every node with its id, role and the address the test process reaches it at. Masters first. */
  get nodes(): ClusterNodeInfo[] {
    return describeNodes(this.plan, this.#nodes, (announced) => this.#target(announced));
  }

  /**
   * `{ "redis-node-1:7101": { host: "127.0.0.1", port: 32768 }, ... }`: a copy of the live table
   * now. Use it as ioredis `natMap` or node-redis `nodeAddressMap` (clients the fixture makes
   * read the live table itself, so they follow a restarted node's new port).
   */
  get natMap(): NatMapObject {
    return this.#table.snapshot();
  }

  /** A TLS cluster's CA, and a client certificate and key it signed (PEM), for your own clients (`{ ca }` is enough). Undefined without TLS. */
  get tls(): TlsMaterial | undefined {
    return this.#access.tls === undefined ? undefined : { ...this.#access.tls };
  }

  /** The natMap as a function over the live table (always current). */
  get natMapFunction(): (key: string) => HostPort | null {
    return this.#table.natMap();
  }

  /** Where the test process reaches each master (startup nodes for any cluster client). */
  get startupNodes(): HostPort[] {
    return this.nodes.filter((n) => n.role === 'master').map(({ host, port }) => ({ host, port }));
  }

  /** Another ioredis Cluster wired like {@link StartedRedisCluster.cluster} (natMap, password, `clusterOptions`), merged with `options`. Closed by {@link StartedRedisCluster.stop}. */
  createClient(options: ClusterOptions = {}): Cluster {
    if (this.#stopped) throw new Error(`Cannot create a client: Redis Cluster "${this.id}" is stopped`);
    // Startup nodes read the live table too: after every node was lost, ioredis reconnects
    // through them, and a restarted node listens on a new port.
    const masters = this.#nodes
      .filter((n) => n.planned.role === 'master')
      .map((n) => announcedAddress(this.plan, n.planned));
    const client = new IoredisCluster(
      liveStartupNodes(this.#table, masters),
      clientOptions(this.#table, this.#access, this.#clusterOptions, options),
    );
    this.#clients.set(client, `createClient() #${this.#clientsMade++}`);
    client.once('end', () => this.#clients.delete(client));
    return client;
  }

  /**
   * Empty every node and keep the cluster: FLUSHALL on each master (or, with `match`, UNLINK of
   * the keys matching that glob pattern, e.g. a test file's namespace `ns:*`), then wait until
   * its replicas have applied it (WAIT; replication offsets if WAIT falls short). Resolves when
   * every node, replicas included, is empty (of those keys).
   */
  async reset(options: { match?: string } = {}): Promise<void> {
    this.#assertRunning('reset');
    const t0 = performance.now();
    await emptyNodes(this.plan, this.#nodes, options, this.#timeouts.resetReplicaTimeoutMs);
    this.#log.event(
      'reset',
      `emptied ${options.match === undefined ? '' : `keys ${options.match} of `}${this.#nodes.length} nodes`,
      performance.now() - t0,
    );
  }

  /**
   * What another process needs to connect to this cluster ({@link connectToCluster}): plan
   * options, nodes with ids and addresses, the credentials and TLS material. JSON-serializable.
   * It holds secrets (a password, a private key): hand it to your own processes only, never to a log.
   */
  connectionInfo(): ClusterConnectionInfo {
    const info: ClusterConnectionInfo = {
      format: CONNECTION_INFO_FORMAT,
      id: this.id,
      planOptions: { ...this.plan.options },
      nodes: this.nodes.map(({ name, id, host, port }) => ({ name, id, host, port })),
      runtime: this.runtime,
    };
    if (this.network !== undefined) info.network = this.network;
    info.timeouts = { ...this.#timeouts };
    return { ...info, ...accessInfo(this.#access) };
  }

  /**
   * Bring the cluster back to exactly its plan, and empty, on the nodes it has: whatever was
   * done to it (stopped or paused nodes, a failover, a half-finished migration, data, ACL users
   * added or changed: the start's users are set again and every other one deleted). Nodes
   * this process stopped are started again and paused ones unpaused (no new container or
   * process where a node still runs). A cluster still exactly as planned (every node passes the
   * start's readiness rule with the ids it has, no slot half-way: a test only wrote data or
   * changed users) is only emptied (FLUSHALL, and WAIT for the replicas). Otherwise every node
   * is emptied and forgets the cluster (CLUSTER RESET HARD); the cluster is formed again from
   * the plan with the start's bootstrap (the node timeout lowered meanwhile, then set back) and
   * must pass the start's readiness rule. Then the fixture's clients read the slot map again and
   * {@link StartedRedisCluster.cluster} writes to every master. Well under a fresh start: running
   * nodes skip Redis's 2 s writable delay.
   *
   * **Node ids change** when it is formed again (`reformed`; RESET HARD gives every node a new
   * one): read them again from {@link StartedRedisCluster.nodes} or the result. Names,
   * addresses, roles and slot ranges are the plan's, as after the start.
   *
   * Rejects at once on a stopped cluster or while another recycle of it runs; rejects with
   * {@link ClusterRecycleError} naming the step and the node when the plan cannot be reached (a
   * node that will not start fails it before anything is reset) or `timeoutMs` passes.
   */
  recycle(options: WaitOptions = {}): Promise<RecycleResult> {
    if (this.#stopped) return Promise.reject(new Error(`Cannot recycle Redis Cluster "${this.id}": it is stopped`));
    if (this.#recycling) {
      return Promise.reject(new Error(`Cannot recycle Redis Cluster "${this.id}": another recycle() of it is running`));
    }
    const { id, plan, cluster } = this;
    const parts = { id, plan, cluster, clients: [...this.#clients.keys()], nodes: this.#nodes, faults: this.#faults };
    const recycling = recycleCluster(
      { ...parts, log: this.#log, faultTimeoutMs: this.#timeouts.faultTimeoutMs },
      options,
    ).finally(() => {
      this.#recycling = undefined;
    });
    this.#recycling = recycling;
    return recycling;
  }

  // Faults on demand (docs/faults.md). The work is done in faults/.

  /**
   * Stop a node (its container, or its redis-server process) at once, like a crash, unless
   * `timeoutSeconds` gives it time to shut down (SIGTERM, then SIGKILL). The cluster notices after the node timeout (`nodeTimeoutMs`, 1 s by default) and
   * fails over to a replica if the node was a master with one.
   */
  stopNode(name: string, options?: StopNodeOptions): Promise<void> {
    this.#assertRunning('stop a node of');
    return this.#faults.stopNode(name, options);
  }

  /**
   * Start a stopped node again. It keeps its id (nodes.conf survives); a container gets a new
   * host port (a process keeps its port): the address table every client of the fixture reads is updated. A master
   * whose slots went to its replica meanwhile comes back as that replica's replica. Resolves
   * when the node answers with its id and (unless `waitForClusterOk: false`) the cluster is ok
   * on every running node ({@link StartedRedisCluster.waitForClusterOk}) and every client routes to the
   * slots' owners, as after waitForClusterOk().
   */
  startNode(name: string, options?: StartNodeOptions): Promise<void> {
    this.#assertRunning('start a node of');
    return this.#faults.startNode(name, options);
  }

  /** Freeze a node (`docker pause`, or SIGSTOP): connections stay open but it answers nothing; after the node timeout its replica takes over. */
  pauseNode(name: string): Promise<void> {
    this.#assertRunning('pause a node of');
    return this.#faults.pauseNode(name);
  }

  /**
   * Unfreeze a paused node; resolves when the cluster is ok on every node again and every client routes
   * to the slots' owners, as after {@link StartedRedisCluster.waitForClusterOk} (unless `waitForClusterOk: false`).
   */
  unpauseNode(name: string, options?: StartNodeOptions): Promise<void> {
    this.#assertRunning('unpause a node of');
    return this.#faults.unpauseNode(name, options);
  }

  /**
   * Cut the nodes of each group from those of the other groups (the nodes named in no group form
   * one more group): no cluster bus and no replication across (every TCP packet between their
   * addresses is dropped, both ways), while the test's clients still reach every node. Resolves
   * once the rules are in place, with a handle whose `lift()` ends this partition alone and lets
   * the cluster settle by itself. Docker: iptables in each node's network namespace; processes
   * (with `networkFaults: true`): iptables on loopback. Needs root on Linux (a one-line
   * NetworkFaultsUnavailableError says what is missing).
   */
  partition(groups: string[][]): Promise<NetworkPartition> {
    this.#assertRunning('partition');
    return this.#faults.partition(groups);
  }

  /** Cut one node from all the others: `partition([[name]])`. */
  isolate(name: string): Promise<NetworkPartition> {
    this.#assertRunning('isolate a node of');
    return this.#faults.isolate(name);
  }

  /**
   * The path from the test process to node `name`: `delay(ms, jitterMs?)`, `blackhole()`,
   * `reset()` (cut the open connections once), `restore()`. Every client the fixture makes, and
   * `rc.natMap`, go through it. Needs `networkFaults: true` (a one-line NetworkFaultsUnavailableError says so).
   */
  link(name: string): NetworkLink {
    this.#assertRunning('fault a link of');
    return this.#faults.link(name);
  }

  /**
   * Undo every fault (lift partitions and link faults, start stopped nodes, unpause paused ones, finish half-way migrations,
   * move slots and fail back to the planned masters); resolves when the cluster is as planned
   * and ok everywhere. Before it resolves, every client
   * the fixture made ({@link StartedRedisCluster.cluster} and each {@link StartedRedisCluster.createClient}, `keyPrefix`
   * or not) has refreshed its slot map and proved, with one command per master, that it routes to the
   * current owner of every slot: a test's next command goes straight to the right node.
   * Use it in `afterEach` of tests that inject faults.
   */
  heal(options?: WaitOptions): Promise<void> {
    this.#assertRunning('heal');
    return this.#faults.heal(options);
  }

  /** `running`, or `stopped` / `paused` by {@link StartedRedisCluster.stopNode} / {@link StartedRedisCluster.pauseNode}. */
  nodeState(name: string): 'running' | 'stopped' | 'paused' {
    return this.#faults.stateOf(name);
  }

  /**
   * Promote a replica (CLUSTER FAILOVER, `mode` `default`, `force` or `takeover`); resolves when
   * every running node sees it as the master of its former master's slots. Before it resolves, every client
   * the fixture made ({@link StartedRedisCluster.cluster} and each {@link StartedRedisCluster.createClient}, `keyPrefix`
   * or not) has refreshed its slot map and proved, with one command per master, that it routes to the
   * current owner of every slot: a test's next command goes straight to the right node.
   */
  failover(replicaName: string, options?: FailoverOptions): Promise<FailoverResult> {
    this.#assertRunning('fail over in');
    return this.#faults.failover(replicaName, options);
  }

  /**
   * Move a slot and its keys to the master `toMaster`. With `finish: false` the slot stays
   * half-way (MIGRATING on its owner, IMPORTING on the target) with the `keys` asked for moved,
   * so clients meet ASK and TRYAGAIN, until {@link StartedRedisCluster.finishMigration}. Finished, it resolves
   * when every running node gives the slot to `toMaster` and every client routes there, as after
   * {@link StartedRedisCluster.finishMigration}.
   */
  migrateSlot(slot: number, toMaster: string, options?: MigrateSlotOptions): Promise<MigrationResult> {
    this.#assertRunning('migrate a slot of');
    return this.#faults.migrateSlot(slot, toMaster, options);
  }

  /**
   * Complete the half-way migration of `slot`, or of every half-way slot; resolves when every running
   * node gives each slot to its new owner. Before it resolves, every client
   * the fixture made ({@link StartedRedisCluster.cluster} and each {@link StartedRedisCluster.createClient}, `keyPrefix`
   * or not) has refreshed its slot map and proved, with one command per master, that it routes to the
   * current owner of every slot: a test's next command goes straight to the right node.
   */
  finishMigration(slot?: number, options?: WaitOptions): Promise<MigrationResult[]> {
    this.#assertRunning('finish a migration of');
    return this.#faults.finishMigration(slot, options);
  }

  /** Slots left half-way by `migrateSlot(..., { finish: false })`. */
  get pendingMigrations(): PendingMigration[] {
    return this.#faults.pendingMigrations();
  }

  /**
   * Resolve when the cluster is ok on every running node: `cluster_state:ok`, one slot map,
   * nodes this process stopped or paused marked failed and serving nothing, no running node
   * marked failed, replicas linked. Before it resolves, every client
   * the fixture made ({@link StartedRedisCluster.cluster} and each {@link StartedRedisCluster.createClient}, `keyPrefix`
   * or not) has refreshed its slot map and proved, with one command per master, that it routes to the
   * current owner of every slot: a test's next command goes straight to the right node.
   * Rejects after `timeoutMs` naming the node furthest from ok and its CLUSTER INFO, or the
   * first client that does not route yet and why.
   */
  waitForClusterOk(options?: WaitOptions): Promise<void> {
    this.#assertRunning('wait for');
    return this.#faults.waitForClusterOk(options);
  }

  /** The cluster now (roles, slots and addresses after faults), from the CLUSTER NODES of a running node. {@link StartedRedisCluster.nodes} is the plan's view. */
  topology(options?: { from?: string }): Promise<Topology> {
    this.#assertRunning('read the topology of');
    return this.#faults.topology(options);
  }

  /** Record `client`'s ioredis events (default: {@link StartedRedisCluster.cluster}), naming the nodes of this cluster, even at ports they had before a restart; every fault done meanwhile is an event `fault` in the same timeline. */
  recordEvents(client: Cluster = this.cluster, options: RecordEventsOptions = {}): EventRecording {
    return recordEvents(client, {
      nodeName: (address) => this.#faults.nodeNameAt(address),
      faults: (record) => this.#log.listen('fault', record),
      ...options,
    });
  }

  /**
   * Close every client the fixture made, then remove the nodes (unless the cluster is
   * {@link StartedRedisCluster.kept} for reuse): the containers and the network, or the redis-server processes
   * (killed, paused ones too) and their temp folder. Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    const t0 = performance.now();
    const lifted = this.#faults.clearNetworkFaults();
    await Promise.all([...this.#clients.keys()].map((c) => closeClient(c)));
    await lifted.catch((err: unknown) => this.#log.event('stop', `could not lift every network fault: ${String(err)}`));
    await this.#links?.close();
    this.#clients.clear();
    closeAdminConnections(this.#nodes.map((n) => n.admin));
    if (this.kept) {
      this.#log.event(
        'stop',
        `closed clients; ${this.#nodes.length} nodes kept running for reuse`,
        performance.now() - t0,
      );
      return;
    }
    await this.#runtime.remove();
    this.#log.event('stop', `closed clients and removed ${this.#nodes.length} nodes`, performance.now() - t0);
  }

  #target(announced: string): HostPort {
    const target = this.#table.get(announced);
    if (!target) throw new Error(`No address known for node "${announced}"`);
    return target;
  }

  #assertRunning(action: string): void {
    if (this.#stopped) throw new Error(`Cannot ${action} Redis Cluster "${this.id}": it is stopped`);
  }
}
