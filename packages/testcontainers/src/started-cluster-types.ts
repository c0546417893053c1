/**
 * The types around a StartedRedisCluster handle: what a node looks like to the test, what the
 * cluster runs on, what a handle is made of, what recycle() reports, and what another process
 * (a test runner's worker) needs to connect.
 */
import type { ClusterOptions } from 'ioredis';
import {
  announcedAddress,
  type ClusterPlan,
  type NodeRole,
  type PlanOptions,
  type SlotRange,
  type TlsMaterial,
} from '@redis-cluster-kit/plan';
import type { AdminConnection, TrackedNode } from './cluster/admin';
import type { AddressTable } from './cluster/address-table';
import type { LinkProxies } from './cluster/links';
import type { NodeRuntime, RuntimeKind } from './runtime/types';
import type { FixtureTimeouts } from './options';
import type { NodeAccess } from './security';
import type { PhaseLog } from './util/log';

/** A node of the started cluster, as the test process sees it. */
export interface ClusterNodeInfo {
  /** Redis's 40-character node id. */
  id: string;
  /** The plan's name: container alias and announced hostname (`redis-node-1`). */
  name: string;
  role: NodeRole;
  /** For replicas: the id of the master it follows. */
  masterId?: string;
  /** Where the test process reaches the node: `127.0.0.1` and a published port (Docker), or the node's own port (process runtime). */
  host: string;
  port: number;
  /** What the node announces (`redis-node-1:7101`): the key of this node in {@link StartedRedisCluster.natMap}. */
  announced: string;
  /** Slot ranges it serves (masters); empty for replicas. */
  slots: SlotRange[];
}

/** What the cluster runs on (containers, or local processes). */
export interface ClusterRuntime {
  /** Which runtime runs the nodes. */
  kind: RuntimeKind;
  /** The Docker network the nodes are on; undefined for processes. */
  network?: string | undefined;
  /** Remove everything the cluster runs on. Called once. */
  remove(): Promise<void>;
  /** Stop, start, pause and unpause single nodes (the fault helpers); absent when this process does not own the nodes. */
  nodes?: NodeRuntime;
}

/**
 * How a handle came to be, which says what its stop() does:
 * - `started`: this start made the nodes; stop() removes them;
 * - `kept`: this start made them for reuse; stop() leaves them running;
 * - `reused`: this start attached to a cluster an earlier one kept; stop() leaves it running;
 * - `connected`: a connection to a cluster another process owns (a Jest worker's); stop()
 *   closes the clients only.
 */
export type ClusterOrigin = 'started' | 'kept' | 'reused' | 'connected';

/** What a handle is made of, whichever way it came to be. */
export interface ClusterParts {
  /** The cluster's id (label `redis-cluster-kit.cluster`). */
  id: string;
  plan: ClusterPlan;
  /** Node name -> Redis node id, for every node of the plan. */
  ids: ReadonlyMap<string, string>;
  /** Node name -> plain connection, for every node of the plan. */
  admins: ReadonlyMap<string, AdminConnection>;
  table: AddressTable;
  /** How the fixture's connections authenticate and encrypt (password, ACL user, TLS). */
  access: NodeAccess;
  /** The cluster's limits (fault helpers, node answers, reset). */
  timeouts: FixtureTimeouts;
  clusterOptions: ClusterOptions;
  runtime: ClusterRuntime;
  log: PhaseLog;
  origin: ClusterOrigin;
  /** networkFaults: the proxies every client of the fixture reaches the nodes through (`rc.link()`). */
  links?: LinkProxies;
}

/** What {@link StartedRedisCluster.recycle} did, and how long each of its steps took (ms). */
export interface RecycleResult {
  /** Nodes that were stopped (stopNode) and were started again. */
  restarted: string[];
  /** Nodes that were paused (pauseNode) and were unpaused. */
  unpaused: string[];
  /** Slots that were left half-way (`migrateSlot(..., { finish: false })`): they are back with their planned masters. */
  abandonedMigrations: number[];
  /**
   * True when the cluster was formed again (CLUSTER RESET HARD, MEET: every id is new); false
   * when it was still exactly as planned (only data or ACL users had changed) and was only
   * emptied, its ids kept.
   */
  reformed: boolean;
  /** Node name to the node's id now (new ones when {@link RecycleResult.reformed}). */
  ids: Record<string, string>;
  /** Health polls until every node was ready. */
  polls: number;
  /** The whole recycle. */
  durationMs: number;
  /** How long each step took. */
  phases: {
    /** Starting and unpausing the nodes that were down. */
    nodesMs: number;
    /** FLUSHALL and CLUSTER RESET HARD on every node (not reformed: the check that it is as planned, and FLUSHALL). */
    resetMs: number;
    /** Slots, config epochs, MEET and REPLICATE from the plan (the start's bootstrap; 0 when not reformed). */
    formMs: number;
    /** Until every node passed the start's readiness rule. */
    readyMs: number;
    /** Refreshing the fixture's clients and a write to every master through {@link StartedRedisCluster.cluster}. */
    clientsMs: number;
  };
}

/** Version of {@link ClusterConnectionInfo}'s shape. */
export const CONNECTION_INFO_FORMAT = 1;

/** How another process (a Jest worker) connects to a running cluster. */
export interface ClusterConnectionInfo {
  format: typeof CONNECTION_INFO_FORMAT;
  /** The cluster's id (label `redis-cluster-kit.cluster`). */
  id: string;
  /** The plan's options: the plan is computed again from them. */
  planOptions: PlanOptions;
  /** Every node: its name, id and where the test process reaches it. */
  nodes: { name: string; id: string; host: string; port: number }[];
  password?: string;
  /** The cluster's limits, so that a worker's fault helpers wait as the owner's do (absent: the defaults). */
  timeouts?: FixtureTimeouts;
  /** The ACL user the fixture's connections log in as (absent: `default`). */
  username?: string;
  /** A TLS cluster's CA, and the client certificate and key the fixture's clients present (PEM). */
  tls?: TlsMaterial;
  /** The ACL users every node had at its start (`ACL SETUSER` arguments, passwords hashed), so that a worker's `recycle()` puts them back too. */
  aclUsers?: string[][];
  /** Which runtime runs the nodes (absent: docker, as before the process runtime). */
  runtime?: RuntimeKind;
  /** The Docker network the nodes are on (Docker runtime). */
  network?: string;
}

/** Every node as the test process sees it ({@link ClusterNodeInfo}), masters first, at the address `target` gives for its announced one. */
export function describeNodes(
  plan: ClusterPlan,
  nodes: readonly TrackedNode[],
  target: (announced: string) => { host: string; port: number },
): ClusterNodeInfo[] {
  const idOf = new Map(nodes.map((n) => [n.planned.name, n.id]));
  return nodes.map(({ planned, id }) => {
    const announced = announcedAddress(plan, planned);
    const { host, port } = target(announced);
    const info: ClusterNodeInfo = {
      id,
      name: planned.name,
      role: planned.role,
      host,
      port,
      announced,
      slots: planned.slots ? [{ ...planned.slots }] : [],
    };
    if (planned.masterName !== undefined) info.masterId = idOf.get(planned.masterName)!;
    return info;
  });
}
