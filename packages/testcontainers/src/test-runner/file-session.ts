/**
 * What a test file gets from `useRedisCluster()`, whichever runner runs it (Jest or Vitest):
 * one {@link FileSession} per call, which connects to the run's shared cluster or starts one of
 * the file's own, namespaces the file's keys on a shared cluster, resets, and closes. The runner
 * adapters (`jest/`, `vitest/`) only say when (their hooks) and where the run's cluster is
 * (Jest: an environment variable; Vitest: `inject()`).
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Cluster, ClusterOptions } from 'ioredis';
import type { HostPort, NatMapObject } from '../cluster/address-table';
import type { EventRecording, RecordEventsOptions } from '../cluster/events';
import type { Topology } from '../cluster/topology';
import { connectToCluster, connectWith } from '../connect';
import type { FailoverResult } from '../faults/failover';
import type { MigrationResult } from '../faults/migration';
import type { PendingMigration } from '../faults/node-state';
import {
  DEFAULT_FIXTURE_OPTIONS,
  type FailoverOptions,
  type MigrateSlotOptions,
  type RedisClusterOptions,
  type WaitOptions,
} from '../options';
import type * as StartModule from '../start-redis-cluster';
import type { ClusterConnectionInfo, ClusterNodeInfo, StartedRedisCluster } from '../started-redis-cluster';
import { claimPoolMember, type ClusterPoolInfo, type PoolClaim } from './pool-claims';

/** What the globalSetup made for the run, as a worker learns it: the shared cluster, and the pool. */
export interface RunClusters {
  shared: ClusterConnectionInfo | undefined;
  pool: ClusterPoolInfo | undefined;
}

export interface UseRedisClusterOptions {
  /**
   * Empty what this file wrote before each test. On the run's shared cluster that is this
   * file's namespace only (other files may be running on other workers); on a cluster of the
   * file's own, everything.
   * @default false
   */
  reset?: boolean;
  /**
   * On the run's shared cluster, `cluster` stores every key under a prefix of this file's own
   * (ioredis `keyPrefix`), so files on parallel workers never see each other's keys.
   * @default true
   */
  namespace?: boolean;
  /** ioredis Cluster options for `cluster` and `createClient()`. */
  clusterOptions?: ClusterOptions;
  /**
   * The file needs a cluster of its own (faults that would disturb other files, FLUSHALL,
   * CONFIG SET...). With a warm pool (the runner's `pool` option), the file claims a free pool
   * cluster, waits for one while every one is claimed (up to most of the hook timeout, then a
   * one-line error), and gives it back when it is done, to be recycled in the globalSetup's
   * process while the worker goes on (`recycle()`: the next file gets it clean);
   * nothing starts. Without a pool, the file starts a cluster of its own (`start`) as it does
   * without the globalSetup. A pool cluster is owned by the globalSetup's process: Redis-level
   * faults work on it (failover, migrateSlot), stopping or pausing its nodes does not.
   * @default false
   */
  isolated?: boolean;
  /** Without the globalSetup (or with `isolated` and no pool), the file starts a cluster of its own with these options (stopped at the end of the file). */
  start?: RedisClusterOptions;
  /** Timeout of the hook that connects or starts (Jest's and Vitest's beforeAll). @default 120000 (`DEFAULT_FIXTURE_OPTIONS.hookTimeoutMs`) */
  timeoutMs?: number;
}

/** What a test file uses; valid from its beforeAll to its afterAll (the same handle in Jest and Vitest). */
export interface RedisClusterHandle {
  /** An ioredis Cluster, ready (keys prefixed with `namespace` on a shared cluster). */
  readonly cluster: Cluster;
  /** The prefix of this file's keys (`"t3f2a9c1e-users.test:"`), or "" when keys are not namespaced. */
  readonly namespace: string;
  /** Every node with its id, role and where the test process reaches it. */
  readonly nodes: ClusterNodeInfo[];
  /** Announced `name:port` to where the test process reaches it (`127.0.0.1` and a published port), for a client of your own (ioredis `natMap`, node-redis `nodeAddressMap`). */
  readonly natMap: NatMapObject;
  /** Where the test process reaches each master. */
  readonly startupNodes: HostPort[];
  /** Docker runtime: the network the nodes are on, for a container of yours to join (`StartedRedisCluster.network`); `undefined` on the process runtime. */
  readonly network: string | undefined;
  /** True when the cluster is the run's shared one (from the globalSetup); false on a cluster of the file's own (a pool cluster, or one it started). */
  readonly shared: boolean;
  /** The underlying cluster object (its stop() never removes a shared or a pool cluster). */
  readonly redisCluster: StartedRedisCluster;
  /** Another ioredis Cluster (same namespace unless `options.keyPrefix` says otherwise), closed at the end of the file. */
  createClient(options?: ClusterOptions): Cluster;
  /** Empty this file's namespace (shared cluster) or the whole cluster (own cluster). */
  reset(): Promise<void>;
  /**
   * The fault helpers that work from any test worker (they talk Redis only; stopping and pausing
   * nodes needs the process that started them: `redisCluster` on a cluster of the file's own).
   * On a shared cluster, put things back (`finishMigration()`, `heal()`) before the file ends:
   * the other files run on the same nodes.
   */
  failover(replicaName: string, options?: FailoverOptions): Promise<FailoverResult>;
  /** `StartedRedisCluster.migrateSlot()`: MOVED, or with `finish: false` ASK and TRYAGAIN. */
  migrateSlot(slot: number, toMaster: string, options?: MigrateSlotOptions): Promise<MigrationResult>;
  /** Complete the slot migrations left half-way (all of them, or `slot`'s): `StartedRedisCluster.finishMigration()`. */
  finishMigration(slot?: number, options?: WaitOptions): Promise<MigrationResult[]>;
  /** Slots this file left half-way with `migrateSlot(..., { finish: false })`. */
  readonly pendingMigrations: PendingMigration[];
  /** Wait until every running node says `cluster_state:ok`: `StartedRedisCluster.waitForClusterOk()`. */
  waitForClusterOk(options?: WaitOptions): Promise<void>;
  /** Who serves which slots now, as a node (`from`, else any) sees it: `StartedRedisCluster.topology()`. */
  topology(options?: { from?: string }): Promise<Topology>;
  /** `StartedRedisCluster.heal()`: back to the plan (slots, masters), ok on every node. */
  heal(options?: WaitOptions): Promise<void>;
  /** `StartedRedisCluster.recordEvents()`, by default of `cluster`. */
  recordEvents(client?: Cluster, options?: RecordEventsOptions): EventRecording;
}

/** The namespace of a test file: short, stable, readable (`t<hash>-<file>:`). */
export function namespaceFor(testPath: string): string {
  const hash = createHash('sha256').update(testPath).digest('hex').slice(0, 8);
  const name = basename(testPath)
    .replace(/\.[cm]?[jt]sx?$/, '')
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 24);
  return `t${hash}-${name}:`;
}

/** What a session knows once it is open. */
interface SessionState {
  rc: StartedRedisCluster | undefined;
  cluster: Cluster | undefined;
  namespace: string;
  shared: boolean;
}

/**
 * One test file's use of a cluster: {@link FileSession.open} in its beforeAll,
 * {@link FileSession.reset} before each test when asked, {@link FileSession.close} in its afterAll.
 */
export class FileSession {
  /** The handle the test file holds: it reads this session's state as it changes. */
  readonly handle: RedisClusterHandle;
  readonly #options: UseRedisClusterOptions;
  readonly #state: SessionState = { rc: undefined, cluster: undefined, namespace: '', shared: false };
  /** The file's own start while it runs: close() aborts it when the hook gave up (timed out) before it was done. */
  #starting: { controller: AbortController; promise: Promise<StartedRedisCluster> } | undefined;
  #opened: Promise<void> | undefined;
  /** The pool member this file holds, from its claim to close(). */
  #claim: PoolClaim | undefined;
  #fromPool = false;
  /** Aborts the wait for a free pool member when the file ends first. */
  readonly #poolWait = new AbortController();

  constructor(options: UseRedisClusterOptions = {}) {
    this.#options = options;
    this.handle = makeHandle(this.#state);
  }

  /** The timeout of the hook that calls {@link FileSession.open}. */
  get hookTimeoutMs(): number {
    return this.#options.timeoutMs ?? DEFAULT_FIXTURE_OPTIONS.hookTimeoutMs;
  }

  /**
   * Connect to the run's cluster (its connection info from the globalSetup), claim a pool
   * cluster (`isolated`) or, when there is neither, start one for the file. Once: a second call
   * waits for the first.
   */
  open(run: RunClusters, testPath: string): Promise<void> {
    this.#opened ??= this.#open(run, testPath);
    return this.#opened;
  }

  async #open(run: RunClusters, testPath: string): Promise<void> {
    const { clusterOptions, isolated = false } = this.#options;
    const state = this.#state;
    if (isolated && run.pool !== undefined && run.pool.members.length > 0) {
      this.#fromPool = true;
      return this.#openFromPool(run.pool);
    }
    const shared = isolated ? undefined : run.shared;
    state.shared = shared !== undefined;
    let rc: StartedRedisCluster;
    if (shared !== undefined) {
      rc = await connectToCluster(shared, clusterOptions === undefined ? {} : { clusterOptions });
      state.namespace = this.#options.namespace === false ? '' : namespaceFor(testPath);
    } else {
      const controller = new AbortController();
      const own = this.#options.start?.signal;
      const signal = own === undefined ? controller.signal : AbortSignal.any([own, controller.signal]);
      const promise = loadStart().startRedisCluster({
        ...this.#options.start,
        ...(clusterOptions ? { clusterOptions } : {}),
        signal,
      });
      this.#starting = { controller, promise };
      rc = await promise;
    }
    state.rc = rc;
    state.cluster = state.namespace === '' ? rc.cluster : rc.createClient({ keyPrefix: state.namespace });
  }

  /**
   * Claim a free pool member (waiting while all are claimed) and connect to it; one whose last
   * holder died or could not recycle it is recycled first. The wait leaves the rest of the hook
   * timeout for the connection and that recycle (their own limits: connectTimeoutMs,
   * faultTimeoutMs), and at least half of it for the wait.
   */
  async #openFromPool(pool: ClusterPoolInfo): Promise<void> {
    const { connectTimeoutMs, faultTimeoutMs } = DEFAULT_FIXTURE_OPTIONS;
    const waitMs = Math.max(this.hookTimeoutMs / 2, this.hookTimeoutMs - connectTimeoutMs - faultTimeoutMs);
    const claim = await claimPoolMember(pool, { waitMs, signal: this.#poolWait.signal });
    this.#claim = claim;
    const { clusterOptions } = this.#options;
    const rc = await connectWith(claim.info, clusterOptions === undefined ? {} : { clusterOptions }, true);
    this.#state.rc = rc;
    this.#state.cluster = rc.cluster;
    if (claim.dirty) await rc.recycle();
  }

  /** Empty this file's namespace (shared cluster) or the whole cluster (own cluster). */
  reset(): Promise<void> {
    return this.handle.reset();
  }

  /**
   * Give a pool member back: handed to the pool's recycler when it has one; else recycled here
   * (the next file gets it clean), then unclaimed, marked dirty when it could not be recycled
   * (the next holder recycles it first), and the error thrown.
   */
  async #releaseClaim(claim: PoolClaim): Promise<void> {
    this.#claim = undefined;
    const rc = this.#state.rc;
    if (claim.hasRecycler && rc !== undefined) {
      // The pool's recycler (the globalSetup's process) recycles it in the background: the
      // worker goes on to its next file at once.
      await rc.stop();
      return claim.handOff();
    }
    let failure: Error | undefined;
    try {
      if (rc !== undefined) await rc.recycle();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    await rc?.stop();
    await claim.release(rc === undefined || failure !== undefined);
    if (failure !== undefined) throw failure;
  }

  /** Close the clients; stop the file's own cluster (a shared one is left to the globalSetup); recycle and give back a pool cluster. */
  async close(): Promise<void> {
    if (this.#fromPool) {
      // A file whose beforeAll timed out while it waited for (or connected to) a pool member.
      this.#poolWait.abort();
      await this.#opened?.catch(() => undefined);
      if (this.#claim !== undefined) return this.#releaseClaim(this.#claim);
    }
    // The runners call afterAll even when beforeAll timed out while the cluster was still
    // starting: abort that start (it removes what it started), or it would end later with a
    // cluster no one stops.
    let late: StartedRedisCluster | undefined;
    if (this.#state.rc === undefined && this.#starting !== undefined) {
      this.#starting.controller.abort(
        new Error(
          'the test file ended before its cluster was ready (did beforeAll time out? see useRedisCluster({ timeoutMs }))',
        ),
      );
      late = await this.#starting.promise.catch(() => undefined);
    }
    await (this.#state.rc ?? late)?.stop();
  }
}

/**
 * start-redis-cluster.ts, loaded only when a file starts a cluster of its own: with it come the
 * runtimes and the Docker client (testcontainers, dockerode), most of the kit's load time, which
 * a file on the run's shared cluster or on a pool cluster never needs; a runner loads the kit
 * again for every test file.
 */
function loadStart(): typeof StartModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load (above); this file is CommonJS
  return require('../start-redis-cluster') as typeof StartModule;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new Error(
      `useRedisCluster(): ${what} is available from beforeAll to afterAll only (use it inside tests or hooks)`,
    );
  return value;
}

/** The handle over a session's state: getters, so that it reads the state as the session opens. */
function makeHandle(state: SessionState): RedisClusterHandle {
  const rc = (what: string) => need(state.rc, what);
  const cluster = () => need(state.cluster, 'cluster');
  return {
    get cluster() {
      return cluster();
    },
    get namespace() {
      return state.namespace;
    },
    get nodes() {
      return rc('nodes').nodes;
    },
    get natMap() {
      return rc('natMap').natMap;
    },
    get startupNodes() {
      return rc('startupNodes').startupNodes;
    },
    get network() {
      return rc('network').network;
    },
    get shared() {
      return state.shared;
    },
    get redisCluster() {
      return rc('the cluster');
    },
    get pendingMigrations() {
      return rc('pendingMigrations').pendingMigrations;
    },
    createClient: (options: ClusterOptions = {}) =>
      rc('createClient()').createClient(state.namespace === '' ? options : { keyPrefix: state.namespace, ...options }),
    reset: () => rc('reset()').reset(state.namespace === '' ? {} : { match: `${state.namespace}*` }),
    failover: (replicaName, options) => rc('failover()').failover(replicaName, options),
    migrateSlot: (slot, toMaster, options) => rc('migrateSlot()').migrateSlot(slot, toMaster, options),
    finishMigration: (slot, options) => rc('finishMigration()').finishMigration(slot, options),
    waitForClusterOk: (options) => rc('waitForClusterOk()').waitForClusterOk(options),
    topology: (options) => rc('topology()').topology(options),
    heal: (options) => rc('heal()').heal(options),
    recordEvents: (client, options) => rc('recordEvents()').recordEvents(client ?? cluster(), options),
  };
}
