/**
 * What the fault helpers know about a cluster's nodes: the plan's node, its id and its plain
 * connection (TrackedNode), which ones this process stopped or paused, which slots it left
 * half-way, and every address a node was reached at. Every fault module works on one NodeState.
 */
import { announcedAddress, findNode, type ClusterPlan } from '@redis-cluster-kit/plan';
import type { TrackedNode } from '../cluster/admin';
import type { AddressTable } from '../cluster/address-table';
import type { LinkProxies } from '../cluster/links';
import type { FixtureClient } from '../cluster/routing';
import type { NodeRuntime } from '../runtime/types';
import type { FixtureTimeouts } from '../options';
import type { NodeAccess } from '../security';
import type { PhaseLog } from '../util/log';

export interface FaultContext {
  plan: ClusterPlan;
  nodes: readonly TrackedNode[];
  table: AddressTable;
  /** Where the fixture's clients reach each node: {@link FaultContext.table}, or the link proxies' table (networkFaults). */
  clientTable?: AddressTable;
  /** networkFaults: the proxies between the test process and the nodes. */
  links?: LinkProxies | undefined;
  /** How the fixture's connections authenticate and encrypt. */
  access: NodeAccess;
  /** Absent when the process did not start the containers (e.g. attached to a cluster started elsewhere). */
  runtime: NodeRuntime | undefined;
  log: PhaseLog;
  /** The cluster's limits: `faultTimeoutMs` is every helper's default `timeoutMs`. */
  timeouts: FixtureTimeouts;
  /** Every open client the fixture made, now (`rc.cluster` first): the helpers route them before they resolve. */
  clients: () => readonly FixtureClient[];
}

/** A slot left half-way by `migrateSlot(..., { finish: false })`. */
export interface PendingMigration {
  slot: number;
  from: string;
  to: string;
}

/** The nodes of one cluster as the fault helpers see them. */
export class NodeState {
  readonly plan: ClusterPlan;
  readonly table: AddressTable;
  readonly clientTable: AddressTable;
  readonly links: LinkProxies | undefined;
  readonly access: NodeAccess;
  readonly log: PhaseLog;
  readonly timeouts: FixtureTimeouts;
  /** Every open client the fixture made, now. */
  readonly clients: () => readonly FixtureClient[];
  /** Nodes this process stopped or paused. */
  readonly down = new Map<string, 'stopped' | 'paused'>();
  /** Slots left half-way, by slot. */
  readonly migrations = new Map<number, PendingMigration>();
  /** Node id -> the plan's name (new ids after a recycle, see {@link NodeState.renamed}). */
  readonly names = new Map<string, string>();
  readonly #nodes: ReadonlyMap<string, TrackedNode>;
  readonly #runtime: NodeRuntime | undefined;
  /** Every `host:port` a node was reachable at (old ports too), for naming nodes in recorded events. */
  readonly #addresses = new Map<string, string>();

  constructor(context: FaultContext) {
    this.plan = context.plan;
    this.#nodes = new Map(context.nodes.map((n) => [n.planned.name, n]));
    this.table = context.table;
    this.clientTable = context.clientTable ?? context.table;
    this.links = context.links;
    this.access = context.access;
    this.#runtime = context.runtime;
    this.log = context.log;
    this.timeouts = context.timeouts;
    this.clients = context.clients;
    this.renamed(context.nodes);
    for (const n of context.nodes) {
      this.reachedAt(this.table.get(this.announced(n.planned.name)), n.planned.name);
      this.reachedAt(this.clientTable.get(this.announced(n.planned.name)), n.planned.name);
    }
  }

  /** The nodes have the ids they have now (a recycle gave them new ones): name them by these. */
  renamed(nodes: readonly TrackedNode[]): void {
    this.names.clear();
    for (const n of nodes) this.names.set(n.id, n.planned.name);
  }

  /** The node named `name`; throws naming the nodes there are when there is none. */
  node(name: string): TrackedNode {
    const planned = findNode(this.plan, name);
    return this.#nodes.get(planned.name)!;
  }

  /** Is `name` one of this cluster's nodes? */
  has(name: string): boolean {
    return this.#nodes.has(name);
  }

  /** What the node announces (`redis-node-1:7101`): its key in the address table. */
  announced(name: string): string {
    return announcedAddress(this.plan, findNode(this.plan, name));
  }

  /** The nodes not stopped or paused by this process, in plan order. */
  running(): TrackedNode[] {
    return this.plan.nodes.filter((n) => !this.down.has(n.name)).map((n) => this.#nodes.get(n.name)!);
  }

  /** Is the node stopped or paused by this process? */
  stateOf(name: string): 'running' | 'stopped' | 'paused' {
    this.node(name);
    return this.down.get(name) ?? 'running';
  }

  requireRunning(name: string, action: string): void {
    this.node(name);
    const state = this.down.get(name);
    if (state !== undefined) throw new Error(`Cannot ${action} node "${name}": it is ${state}`);
  }

  /** Did this process start the nodes (false: it connected to a cluster another process started)? */
  get ownsNodes(): boolean {
    return this.#runtime !== undefined;
  }

  requireRuntime(action: string): NodeRuntime {
    if (!this.#runtime) {
      throw new Error(
        `${action}() needs the nodes themselves (containers or processes): it works on a cluster this process started, not on one it connected to`,
      );
    }
    return this.#runtime;
  }

  /** Remember that node `name` is (or was) reached at `target`. */
  reachedAt(target: { host: string; port: number } | undefined, name: string): void {
    if (target) this.#addresses.set(`${target.host}:${target.port}`, name);
  }

  /** The node reached at `host:port` now or before a restart, if it is one of this cluster's. */
  nodeNameAt(address: string): string | undefined {
    return this.#addresses.get(address);
  }
}
