/**
 * Faults on demand: stop, start, pause and unpause nodes, fail over, move slots (all the way or
 * half-way), and wait until the cluster is ok again. `StartedRedisCluster` delegates to
 * {@link ClusterFaults}, the facade over the modules beside it (nodes, failover, migration,
 * heal, observe), which all work on one {@link NodeState}; they talk to nodes over the fixture's
 * plain connections and to the containers or processes through the runtime's NodeRuntime.
 *
 * Every helper here that changes who serves the slots, or waits for the cluster to settle,
 * ends the same way before it resolves: {@link routeFixtureClients} refreshes the slot map of
 * every client the fixture made and proves it routes to the current owners. The modules beside
 * it do not, so that heal() (which uses them step by step) routes once, at its end.
 */
import type { Topology } from '../cluster/topology';
import {
  faultLimit,
  type FailoverOptions,
  type MigrateSlotOptions,
  type StartNodeOptions,
  type StopNodeOptions,
  type WaitOptions,
} from '../options';
import { failover, type FailoverResult } from './failover';
import { heal } from './heal';
import { finishMigration, migrateSlot, type MigrationResult } from './migration';
import type { NetworkLink } from '../cluster/links';
import { NetworkFaultsUnavailableError } from '../errors';
import { Partitions, type NetworkPartition } from './network';
import { NodeState, type FaultContext, type PendingMigration } from './node-state';
import { pauseNode, startNode, stopNode, unpauseNode } from './nodes';
import { readTopology, waitForClusterOk } from './observe';
import { recycleNodes, type RecycledNodes } from './recycle';
import { routeFixtureClients } from './route-clients';

/** The fault helpers of one cluster. */
export class ClusterFaults {
  readonly #state: NodeState;
  readonly #partitions: Partitions;

  constructor(context: FaultContext) {
    this.#state = new NodeState(context);
    this.#partitions = new Partitions(this.#state);
  }

  partition(groups: string[][]): Promise<NetworkPartition> {
    return this.#partitions.partition(groups);
  }

  isolate(name: string): Promise<NetworkPartition> {
    return this.#partitions.partition([[name]], 'isolate');
  }

  /** Lift every partition and link fault still in place (heal, recycle, stop). */
  async clearNetworkFaults(): Promise<void> {
    this.#state.links?.restoreAll();
    await this.#partitions.liftAll();
  }

  /** The path from the test process to node `name` (networkFaults). */
  link(name: string): NetworkLink {
    this.#state.node(name);
    if (!this.#state.links && !this.#state.ownsNodes) {
      // A Jest/Vitest worker on the run's shared (or a pool) cluster: the proxies, if any, live
      // in the process that started it, and this process cannot reach them.
      throw new NetworkFaultsUnavailableError(
        `on the path to a node (link("${name}")) work only in the process that started the cluster (its proxies live there), and this one connected to a cluster another process started (a test worker on the run's shared or a pool cluster): start a cluster of the file's own with startRedisCluster({ networkFaults: true })`,
      );
    }
    if (!this.#state.links) {
      throw new NetworkFaultsUnavailableError(
        `on the path to a node (link("${name}")) need the cluster started with networkFaults: true (its clients then go through a proxy per node)`,
      );
    }
    return this.#state.links.link(name);
  }

  /** The node reached at `host:port` now or before a restart, if it is one of this cluster's. */
  nodeNameAt(address: string): string | undefined {
    return this.#state.nodeNameAt(address);
  }

  /** Is the node stopped or paused by this process? */
  stateOf(name: string): 'running' | 'stopped' | 'paused' {
    return this.#state.stateOf(name);
  }

  pendingMigrations(): PendingMigration[] {
    return [...this.#state.migrations.values()].map((m) => ({ ...m }));
  }

  stopNode(name: string, options?: StopNodeOptions): Promise<void> {
    return stopNode(this.#state, name, options);
  }

  startNode(name: string, options: StartNodeOptions = {}): Promise<void> {
    return this.#settling('startNode', options, () => startNode(this.#state, name, options), options.waitForClusterOk);
  }

  pauseNode(name: string): Promise<void> {
    return pauseNode(this.#state, name);
  }

  unpauseNode(name: string, options: StartNodeOptions = {}): Promise<void> {
    return this.#settling(
      'unpauseNode',
      options,
      () => unpauseNode(this.#state, name, options),
      options.waitForClusterOk,
    );
  }

  topology(options?: { from?: string }): Promise<Topology> {
    return readTopology(this.#state, options);
  }

  waitForClusterOk(options: WaitOptions = {}): Promise<void> {
    return this.#settling('waitForClusterOk', options, () => waitForClusterOk(this.#state, options));
  }

  heal(options: WaitOptions = {}): Promise<void> {
    return this.#settling('heal', options, async () => {
      await this.clearNetworkFaults();
      await heal(this.#state, options);
    });
  }

  async recycle(options: { timeoutMs: number; signal?: AbortSignal }): Promise<RecycledNodes> {
    await this.clearNetworkFaults();
    return recycleNodes(this.#state, options);
  }

  failover(replicaName: string, options: FailoverOptions = {}): Promise<FailoverResult> {
    return this.#settling('failover', options, () => failover(this.#state, replicaName, options));
  }

  migrateSlot(slot: number, to: string, options: MigrateSlotOptions = {}): Promise<MigrationResult> {
    // Finished, the slot has a new owner; half-way, its owner is the same and ASK does the rest.
    const finish = options.finish ?? true;
    return this.#settling('migrateSlot', options, () => migrateSlot(this.#state, slot, to, options), finish);
  }

  finishMigration(slot?: number, options: WaitOptions = {}): Promise<MigrationResult[]> {
    return this.#settling('finishMigration', options, () => finishMigration(this.#state, slot, options));
  }

  /**
   * Run a helper, then (unless `route` is false) route every client of the fixture to the
   * owners of the slots before resolving, within what is left of the helper's `timeoutMs`.
   */
  async #settling<T>(helper: string, options: WaitOptions, run: () => Promise<T>, route = true): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#state.timeouts.faultTimeoutMs;
    const until = performance.now() + timeoutMs;
    const result = await run();
    if (route) {
      await routeFixtureClients(this.#state, until, faultLimit(helper, timeoutMs));
    }
    return result;
  }
}
