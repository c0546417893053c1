/**
 * Runtimes: what runs the nodes. `startRedisCluster()` has one orchestration (start the nodes,
 * form the cluster from the plan, wait until it is ready, connect the client, probe every
 * master, clean up on failure); a runtime only starts nodes and removes them:
 *
 * - `docker/`: one container per node on a network of the cluster's own;
 * - `process/`: one local redis-server per node on 127.0.0.1, in a temp folder.
 *
 * This file holds what both runtimes promise, and nothing of either: the runtimes import it, and
 * `choose.ts` is the only file that knows both of them.
 *
 * A {@link RuntimeEngine} is opened once per start (connect to Docker, find redis-server); it
 * opens a {@link NodeHost} per attempt (the process runtime tries again with other ports when
 * one it picked was taken meanwhile).
 */
import type { ClusterPlan, PlannedNode } from '@redis-cluster-kit/plan';
import type { HostPort } from '../cluster/address-table';
import type { NodeEndpoint } from '../cluster/admin';
import type { PhaseLog } from '../util/log';
import type { RuntimeChoice } from '../options';
import type { ResolvedFixtureOptions } from '../resolve-options';
import type { ClusterTls } from '../security';
import type { Deadline } from '../util/timing';

/** A runtime that runs nodes (`auto` resolves to one of these). */
export type RuntimeKind = Exclude<RuntimeChoice, 'auto'>;

export interface OpenContext {
  clusterId: string;
  resolved: ResolvedFixtureOptions;
  /** For a cluster kept for reuse (Docker only): its reuse key. */
  reuseKey: string | undefined;
  log: PhaseLog;
  deadline: Deadline;
  /** Aborts when the start's deadline passes. */
  signal: AbortSignal;
  /** A TLS cluster's certificates, which each node is given as files. */
  tls: ClusterTls | undefined;
}

/** One start's runtime, ready to open hosts. */
export interface RuntimeEngine {
  readonly kind: RuntimeKind;
  /** What a start is doing while it opens a host (for errors: "while checking the image and creating the network"). */
  readonly opening: string;
  /**
   * Clusters kept by earlier starts with this reuse key whose every planned node runs, newest
   * first (broken ones are removed first). Docker only. What they are worth (still as planned?)
   * is for the start to find out: the runtime only knows where their nodes are.
   */
  keptClusters?(key: string, plan: ClusterPlan): Promise<KeptCluster[]>;
  /**
   * Make what one cluster's nodes need (a network; a temp folder and free ports) and return the
   * host that starts them. On failure (or when `signal` aborts) it removes what it made itself.
   */
  open(context: OpenContext): Promise<NodeHost>;
}

/** A cluster an earlier start kept running for reuse, as the runtime found it. */
export interface KeptCluster {
  /** The cluster's id (label `redis-cluster-kit.cluster`). */
  readonly id: string;
  /** The Docker network its nodes are on (theirs or the user's). */
  readonly network: string;
  /** Where the test process reaches each node now, by node name. */
  reach(): Promise<ReadonlyMap<string, HostPort>>;
  /** Remove its nodes and whatever else it runs on. */
  remove(): Promise<void>;
}

/** Where one cluster's nodes run. */
export interface NodeHost {
  readonly kind: RuntimeKind;
  /** The plan the nodes are started from: the options' plan, or (process runtime) the same with the ports it picked. */
  readonly plan: ClusterPlan;
  /** What the start is doing while nodes start (for errors: "starting containers"). */
  readonly starting: string;
  /** The Docker network the nodes are on, by name (the cluster's own or the user's); undefined for processes. */
  readonly network?: string;
  /** The log phase and the word for a node (`containers`/`container`, `processes`/`process`). */
  readonly unit: { phase: 'containers' | 'processes'; one: string; many: string };
  /**
   * Start one node; resolves once redis-server accepts connections, with where the test process
   * and the other nodes reach it. `onRunning` is called as soon as the node's process runs.
   */
  startNode(node: PlannedNode, onRunning?: () => void): Promise<NodeEndpoint>;
  /** Stop, start, pause and unpause single nodes (the fault helpers). */
  readonly nodes: NodeRuntime;
  /** Work in the background that must be over before the start resolves (Docker's stale-resource reaping). */
  readonly settled: Promise<void>;
  /** Remove every node and whatever else the host made, also what is still being created. Idempotent. */
  remove(): Promise<void>;
}

/** What the fault helpers need from whatever runs the nodes. */
export interface NodeRuntime {
  /** Stop the node's process; `timeoutSeconds` 0 kills it at once, like a crash. */
  stop(name: string, timeoutSeconds: number): Promise<void>;
  /** Start it again; resolves with where the test process and the other nodes reach it now. */
  start(name: string): Promise<{ port: number; internalIp: string }>;
  /** Freeze the process: it keeps its connections but answers nothing. */
  pause(name: string): Promise<void>;
  unpause(name: string): Promise<void>;
  /** Cut the network between nodes (partitions); absent where the runtime cannot. */
  readonly network?: NodeNetwork;
}

/**
 * Network partitions between a cluster's nodes: the cluster bus and replication (every TCP
 * packet between two nodes of different groups is dropped, both ways), while the test process
 * still reaches every node.
 */
export interface NodeNetwork {
  /** Throw a one-line error saying what is needed when partitions cannot work here (root, Linux, iptables). */
  check(): Promise<void>;
  /** Cut every node of a group from every node of the other groups (every node is in one group). */
  cut(groups: readonly (readonly string[])[]): Promise<NetworkCut>;
  /** Remove every cut still in place (stop()). */
  removeAll(): Promise<void>;
}

/** One partition's rules. */
export interface NetworkCut {
  /** Remove exactly this partition's rules. Idempotent. */
  remove(): Promise<void>;
}
