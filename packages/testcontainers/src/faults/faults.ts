/**
 * Faults on demand: stop, start, pause and unpause nodes, fail over, move slots (all the way or
 * half-way), and wait until the cluster is ok again. `StartedRedisCluster` delegates to
 * {@link ClusterFaults}, the facade over the modules beside it (nodes, failover, migration,
 * heal, observe), which all work on one {@link NodeState}; they talk to nodes over the fixture's
 * plain connections and to the containers or processes through the runtime's NodeRuntime.
 */
import type { Topology } from '../cluster/topology';
import type { FailoverOptions, MigrateSlotOptions, StartNodeOptions, StopNodeOptions, WaitOptions } from '../options';
import { failover, type FailoverResult } from './failover';
import { heal } from './heal';
import { finishMigration, migrateSlot, type MigrationResult } from './migration';
import { NodeState, type FaultContext, type PendingMigration } from './node-state';
import { pauseNode, startNode, stopNode, unpauseNode } from './nodes';
import { readTopology, waitForClusterOk } from './observe';

/** The fault helpers of one cluster. */
export class ClusterFaults {
  readonly #state: NodeState;

  constructor(context: FaultContext) {
    this.#state = new NodeState(context);
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

  startNode(name: string, options?: StartNodeOptions): Promise<void> {
    return startNode(this.#state, name, options);
  }

  pauseNode(name: string): Promise<void> {
    return pauseNode(this.#state, name);
  }

  unpauseNode(name: string, options?: StartNodeOptions): Promise<void> {
    return unpauseNode(this.#state, name, options);
  }

  topology(options?: { from?: string }): Promise<Topology> {
    return readTopology(this.#state, options);
  }

  waitForClusterOk(options?: WaitOptions): Promise<void> {
    return waitForClusterOk(this.#state, options);
  }

  heal(options?: WaitOptions): Promise<void> {
    return heal(this.#state, options);
  }

  failover(replicaName: string, options?: FailoverOptions): Promise<FailoverResult> {
    return failover(this.#state, replicaName, options);
  }

  migrateSlot(slot: number, to: string, options?: MigrateSlotOptions): Promise<MigrationResult> {
    return migrateSlot(this.#state, slot, to, options);
  }

  finishMigration(slot?: number, options?: WaitOptions): Promise<MigrationResult[]> {
    return finishMigration(this.#state, slot, options);
  }
}
