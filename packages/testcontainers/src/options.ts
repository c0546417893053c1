/**
 * Every option a user of the fixture passes, and every default they meet: the options of
 * startRedisCluster() and of the fault helpers, the environment variables that stand in for
 * some of them, and {@link DEFAULT_FIXTURE_OPTIONS}. Validation is in resolve-options.ts.
 */
import type { ClusterOptions } from 'ioredis';
import type { StartedNetwork } from 'testcontainers';
import { DEFAULT_PLAN_OPTIONS, type Persistence, type TlsMaterial } from '@redis-cluster-kit/plan';

/** Where the nodes of a cluster run: see {@link RedisClusterOptions.runtime}. */
export type RuntimeChoice = 'docker' | 'process' | 'auto';
/** Every value of the `runtime` option (and of `REDIS_CLUSTER_RUNTIME`). */
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = Object.freeze(['docker', 'process', 'auto'] as const);
/** The environment variable that picks the runtime for every start that does not set `runtime`. */
export const RUNTIME_ENV_VAR = 'REDIS_CLUSTER_RUNTIME';
/** The environment variable that names the process runtime's redis-server, for every start that does not set `redisServerPath`. */
export const SERVER_PATH_ENV_VAR = 'REDIS_CLUSTER_SERVER_PATH';
/** The environment variable that turns reuse on for every start that does not set `reuse`. */
export const REUSE_ENV_VAR = 'REDIS_CLUSTER_REUSE';

/**
 * A Docker network for the cluster's nodes to join: its name (or id), or a Testcontainers
 * `StartedNetwork` (`await new Network().start()`); any object with its `getName()` will do.
 */
export type ClusterNetwork = string | Pick<StartedNetwork, 'getName'>;

/** Extra redis.conf directives: `{ 'maxmemory-policy': 'allkeys-lru', save: ['900', '1'] }`. */
export type RedisConfig = Readonly<Record<string, string | number | boolean | readonly (string | number)[]>>;

/**
 * The steps of a cluster's life that are logged, each with its duration when it ends.
 * `runtime`: which runtime runs the nodes and why; `docker`/`containers` are the Docker
 * runtime's, `processes` the process runtime's (its redis-server processes up).
 */
export type ClusterPhase =
  | 'runtime'
  | 'docker'
  | 'reap'
  | 'containers'
  | 'processes'
  | 'formed'
  | 'ready'
  | 'attach'
  | 'reset'
  | 'fault'
  | 'recycle'
  | 'stop'
  | 'cleanup';

export interface ClusterLogEvent {
  /** The cluster's id (the `redis-cluster-kit.cluster` label). */
  cluster: string;
  phase: ClusterPhase;
  message: string;
  /** How long the phase took, when the event marks its end. */
  durationMs?: number;
}

/** A logger hook: `startRedisCluster({ logger: (e) => console.log(e.phase, e.message) })`. */
export type ClusterLogger = (event: ClusterLogEvent) => void;

/** The fixture's own ACL user when `defaultUser` is false. */
export const FIXTURE_USER = 'redis-cluster-kit';

/**
 * What the fixture's own user may do, and no more: log in and name its connections, the
 * CLUSTER, CONFIG, INFO and CLIENT INFO of forming, health and the fault helpers, FLUSHALL,
 * SCAN/UNLINK and WAIT of reset(), MIGRATE (and RESTORE-ASKING on its target) of migrateSlot(),
 * the SET/DEL of the start's probe writes, MULTI/EXEC of recycle() (a master's reset and slots in
 * one transaction), ACL USERS/SETUSER/DELUSER of recycle() (the start's users put back), and
 * replication (replicas log in as it).
 */
export const FIXTURE_USER_RULES =
  '~* resetchannels -@all +@connection +info +cluster +config|get +config|set +client|info +flushall +wait +scan +unlink +migrate +restore-asking +asking +set +del +multi +exec +psync +replconf +sync +acl|users +acl|setuser +acl|deluser';

/** An ACL user every node has: `{ name: 'app', password: 's3cret', rules: '~app:* +@read +@write' }`. */
export interface RedisUser {
  /** The user's name (not `default`, not the fixture's own `redis-cluster-kit`). */
  name: string;
  password: string;
  /** Redis ACL rules after `on` and the password, e.g. `'~app:* +@read +@write'`. @default "" (no command, no key) */
  rules?: string;
}

/** Options of {@link startRedisCluster}. Every one is optional; defaults are in {@link DEFAULT_FIXTURE_OPTIONS}. */
export interface RedisClusterOptions {
  /** Number of masters; the 16384 slots are split evenly between them. @default 3 */
  masters?: number;
  /** Replicas per master. @default 0 */
  replicas?: number;
  /**
   * Where the nodes run:
   * - `docker`: one container per node (`image`), each client port published on a random host port;
   * - `process`: one local `redis-server` process per node (`redisServerPath`), listening on
   *   127.0.0.1 only, on free ports the fixture picks (no Docker needed, no container to start);
   * - `auto`: Docker when a daemon answers, else `redis-server` when one is found, else an
   *   error that explains both ways to get one.
   *
   * Options of the other runtime are refused when this option (or the default) fixes the runtime,
   * and ignored (the log says so) when it comes from `REDIS_CLUSTER_RUNTIME` or `auto`.
   * @default "docker", unless the `REDIS_CLUSTER_RUNTIME` environment variable names another
   */
  runtime?: RuntimeChoice;
  /**
   * The server of the process runtime, `redis-server` (Redis 7.0 or newer) or `valkey-server`
   * (Valkey 7.2 or newer), by what its `--version` says: a path (relative to the current folder),
   * or a command name looked up on PATH (e.g. `"valkey-server"`).
   * @default "redis-server" on PATH, unless the `REDIS_CLUSTER_SERVER_PATH` environment variable names another
   */
  redisServerPath?: string;
  /**
   * Docker image with `sh` and the server of Redis 7.0 or newer or Valkey 7.2 or newer, as
   * `redis-server` or `valkey-server` (e.g. `"valkey/valkey:8.1"`; Docker runtime only). The
   * engine and version are read from the nodes' `INFO server`, never from the image's tag.
   * @default the `REDIS_CLUSTER_IMAGE` environment variable, else `DEFAULT_PLAN_OPTIONS.image`
   */
  image?: string;
  /** Nodes require this password (`requirepass` and `masterauth`); every client the fixture makes uses it. @default none */
  password?: string;
  /**
   * TLS for clients, the cluster bus and replication; plain TCP refused. `true`: a CA and a
   * certificate per node are made for this cluster (names: the node's name, `localhost`,
   * `127.0.0.1`), ECDSA P-256, valid for a year. Or bring your own `{ ca, cert, key }` (PEM):
   * every node presents that certificate, which must be signed by `ca` and name every node
   * and `127.0.0.1`. The fixture's clients are configured; {@link StartedRedisCluster.tls} gives
   * the CA and a client certificate and key for your own clients.
   * @default false
   */
  tls?: boolean | TlsMaterial;
  /**
   * ACL users every node has, the same on every node (`user` lines of each node's config file,
   * never a command line). Log in with `rc.createClient({ redisOptions: { username, password } })`.
   * @default none
   */
  users?: readonly RedisUser[];
  /**
   * `false` turns the `default` user off: a client that does not log in gets NOAUTH. The fixture
   * then forms, checks, resets, fails over and recycles the cluster as a user of its own,
   * `redis-cluster-kit`, whose password it makes at each start and never logs, and whose rules
   * allow only what the fixture sends (replicas log in to their masters as it, `masteruser`).
   * {@link StartedRedisCluster.cluster} logs in as it too: use a user of `users` for your own commands.
   * @default true
   */
  defaultUser?: boolean;
  /**
   * `cluster-node-timeout` in ms. Short, so that failovers in tests take about a second
   * instead of Redis's default fifteen (or the plan's five).
   * @default 1000
   */
  nodeTimeoutMs?: number;
  /** The whole start (containers, cluster formed, client ready) must finish within this many ms. @default 60000 */
  startupTimeoutMs?: number;
  /**
   * The default `timeoutMs` of every fault helper of this cluster (startNode, unpauseNode,
   * failover, migrateSlot, finishMigration, waitForClusterOk, heal, recycle) and of the process
   * runtime's restart of a node; a call's own `timeoutMs` wins. On a busy CI machine, raise this
   * one instead of every call's.
   * @default 30000
   */
  faultTimeoutMs?: number;
  /**
   * How long one node may take to answer one health poll, or one command of a fault helper,
   * before that try counts as unanswered. Not a failure by itself: the poll is asked again until
   * the step's own limit (`startupTimeoutMs`, `faultTimeoutMs`) runs out, so a node that is slow
   * because the machine is busy only makes the wait longer.
   * @default 1000
   */
  nodeAnswerTimeoutMs?: number;
  /** How long reset() waits for every replica to apply FLUSHALL before it fails. @default 5000 */
  resetReplicaTimeoutMs?: number;
  /**
   * With `runtime: 'auto'`: how long a Docker daemon may take to answer before the process
   * runtime is chosen instead.
   * @default 2000
   */
  dockerCheckTimeoutMs?: number;
  /**
   * Options for every ioredis `Cluster` the fixture makes, merged over the fixture's own.
   * A `natMap` given here is consulted only for addresses the fixture does not know.
   * @default `{}`
   */
  clusterOptions?: ClusterOptions;
  /** Extra redis.conf directives for every node, applied after the plan's own. @default `{}` */
  redisConfig?: RedisConfig;
  /** Receives each phase with its duration. Silent by default; `DEBUG=redis-cluster-kit:*` also prints them. */
  logger?: ClusterLogger;
  /**
   * Client port of the first node (node i listens on basePort + i; bus ports are 10000 higher):
   * inside its container (Docker), or on 127.0.0.1 (process runtime, which then uses these ports
   * as they are instead of picking free ones).
   * @default 7101 (Docker); a free block from 12000-21999 (process runtime)
   */
  basePort?: number;
  /** Node names (and network aliases) are `<namePrefix>-1` ... `<namePrefix>-N`. @default "redis-node" */
  namePrefix?: string;
  /** What nodes keep on disk: `none` is fastest and what tests usually want. @default "none" */
  persistence?: Persistence;
  /** A label of your own on the containers and network (`redis-cluster-kit.name`), e.g. the test suite. @default none */
  name?: string;
  /**
   * Keep the cluster running after `stop()` and attach to it on the next start with the same
   * options (same plan, image, password and redisConfig), emptied, instead of starting a new
   * one: the edit-test loop then skips the ~2 s floor of a fresh cluster. Remove kept clusters
   * with `removeKeptClusters()` or `docker rm -f $(docker ps -aq --filter label=redis-cluster-kit.reuse)`.
   * Docker runtime only (the process runtime starts a cluster in about the same ~2 s floor).
   * @default false, unless the `REDIS_CLUSTER_REUSE` environment variable is "1" or "true"
   */
  reuse?: boolean;
  /**
   * A Docker network you already started, for the nodes to join instead of a network of the
   * cluster's own (Docker runtime only; the process runtime refuses it: its nodes listen on
   * 127.0.0.1, where no container reaches them). Your containers on it reach every node by
   * name (`redis-node-1:7101`) and follow MOVED and ASK without address mapping. `stop()`
   * removes the nodes and leaves the network to you. It must exist, be a user-defined network
   * (not `bridge`, `host` or `none`), not be internal (the test process reaches the nodes through
   * published ports), and no container on it may already answer to a node's name: give each
   * cluster on one network a `namePrefix` of its own. With `reuse`, a kept cluster is reused only
   * on the same network; a `StartedNetwork` lives for one run, so `reuse: true` is refused with
   * one and `REDIS_CLUSTER_REUSE` ignored. Without it, `StartedRedisCluster.network` names the
   * network the fixture makes.
   * @default none (a network of the cluster's own, removed by `stop()`)
   */
  network?: ClusterNetwork;
  /**
   * Make the network faults of the path from the test process to each node possible
   * (`rc.link(name)`: delay, blackhole, reset): every client the fixture makes, and `rc.natMap`,
   * then reach each node through a small TCP proxy in the test process. The process runtime also
   * puts each node on a loopback address of its own (127.x.y.z, `bind` and `bind-source-addr`),
   * so that `rc.partition()` can tell two nodes' traffic apart. Off, a cluster pays nothing for
   * them; `partition()`/`isolate()` still work on Docker. Such a cluster is never kept: `reuse: true`
   * is refused with it, and `REDIS_CLUSTER_REUSE` gives way. See docs/faults.md.
   * @default false
   */
  networkFaults?: boolean;
  /**
   * Abort the start: everything it started is removed, then the promise rejects with a
   * `ClusterStartAbortedError` (name `AbortError`, the signal's reason as its cause).
   * `useRedisCluster()` passes one, so that a file whose beforeAll timed out leaves nothing behind.
   * @default none
   */
  signal?: AbortSignal;
}

/**
 * The options of the run's clusters in a test runner's config (Jest: `globals.redisCluster`;
 * Vitest: `provide.redisClusterOptions`) or given to its `createGlobalSetup()`: those of the
 * shared cluster, and how many clusters to keep ready beside it.
 */
export interface RunnerClusterOptions extends RedisClusterOptions {
  /**
   * Clusters the globalSetup keeps ready beside the shared one (same options), started with it
   * in parallel: a file that calls `useRedisCluster({ isolated: true })` gets one of them to
   * itself, recycled (`recycle()`) in the globalSetup's process when the file is done, while the
   * worker goes on to its next file. Removed at the end of the run, or kept
   * with `REDIS_CLUSTER_REUSE=1` and recycled when the next run attaches to them.
   * @default 0 (`DEFAULT_FIXTURE_OPTIONS.pool`)
   */
  pool?: number;
}

/** The largest {@link RunnerClusterOptions.pool}. */
export const MAX_POOL = 16;

/** useRedisCluster()'s hook timeout, under its name and its older Jest-only name. */
const HOOK_TIMEOUT_MS = 120_000;

/**
 * Every default a user of the fixture can meet, in one place: the options of startRedisCluster(),
 * of the fault helpers, of reset(), connectToCluster(), useRedisCluster() (Jest and Vitest), waitUntil() and
 * recordEvents() read their defaults from here, and a unit test checks that each `@default` of
 * their TSDoc says the same (options.test.ts).
 */
export const DEFAULT_FIXTURE_OPTIONS = Object.freeze({
  /** {@link RedisClusterOptions.masters}. @default 3 */
  masters: 3,
  /** {@link RedisClusterOptions.replicas}. @default 0 */
  replicas: 0,
  /** {@link RedisClusterOptions.nodeTimeoutMs}. @default 1000 */
  nodeTimeoutMs: 1000,
  /** {@link RedisClusterOptions.startupTimeoutMs}. @default 60000 */
  startupTimeoutMs: 60_000,
  /** {@link RedisClusterOptions.basePort} (Docker runtime). @default 7101 */
  basePort: DEFAULT_PLAN_OPTIONS.basePort,
  /** {@link RedisClusterOptions.namePrefix}. @default "redis-node" */
  namePrefix: DEFAULT_PLAN_OPTIONS.namePrefix,
  /* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- not unnecessary: Object.freeze()
     infers literal types, and these two widen the constant's type from "none" and "docker" to the option's */
  /** {@link RedisClusterOptions.persistence}. @default "none" */
  persistence: 'none' as Persistence,
  /** {@link RedisClusterOptions.runtime}, when `REDIS_CLUSTER_RUNTIME` is not set. @default "docker" */
  runtime: 'docker' as RuntimeChoice,
  /* eslint-enable @typescript-eslint/no-unnecessary-type-assertion */
  /** {@link RedisClusterOptions.redisServerPath}, when `REDIS_CLUSTER_SERVER_PATH` is not set. @default "redis-server" */
  redisServerPath: 'redis-server',
  /** {@link RedisClusterOptions.reuse}, when `REDIS_CLUSTER_REUSE` is not set. @default false */
  reuse: false,
  /** {@link RedisClusterOptions.networkFaults}. @default false */
  networkFaults: false,
  /** {@link RedisClusterOptions.tls}. @default false */
  tls: false,
  /** {@link RedisClusterOptions.defaultUser}. @default true */
  defaultUser: true,
  /** {@link RedisClusterOptions.faultTimeoutMs}: how long the fault helpers (startNode, unpauseNode, failover, migrateSlot, finishMigration, waitForClusterOk, heal, recycle) wait, {@link WaitOptions.timeoutMs}. @default 30000 */
  faultTimeoutMs: 30_000,
  /** {@link RedisClusterOptions.nodeAnswerTimeoutMs}. @default 1000 */
  nodeAnswerTimeoutMs: 1000,
  /** {@link RedisClusterOptions.dockerCheckTimeoutMs}. @default 2000 */
  dockerCheckTimeoutMs: 2000,
  /** How long stopNode() lets a node shut down before it is killed: {@link StopNodeOptions.timeoutSeconds}. @default 0 */
  stopTimeoutSeconds: 0,
  /** {@link RedisClusterOptions.resetReplicaTimeoutMs}: how long reset() waits for the replicas to apply FLUSHALL before it fails. @default 5000 */
  resetReplicaTimeoutMs: 5000,
  /** How long connectToCluster() waits for its client to be ready (a Jest or Vitest worker: the run's cluster; on a busy machine its first connection can take seconds). @default 30000 */
  connectTimeoutMs: 30_000,
  /** The timeout of useRedisCluster()'s beforeAll hook (Jest and Vitest), which connects or starts. @default 120000 */
  hookTimeoutMs: HOOK_TIMEOUT_MS,
  /**
   * The same as {@link DEFAULT_FIXTURE_OPTIONS.hookTimeoutMs} (its name from when Jest was the only runner).
   * @deprecated Read `hookTimeoutMs`.
   * @default 120000
   */
  jestHookTimeoutMs: HOOK_TIMEOUT_MS,
  /** {@link RunnerClusterOptions.pool}: clusters the test runner's globalSetup keeps ready for isolated files. @default 0 */
  pool: 0,
  /** How long waitUntil() waits in all. @default 10000 */
  waitTimeoutMs: 10_000,
  /** The time between two checks of waitUntil(). @default 20 */
  waitIntervalMs: 20,
  /** How long an event recording's waitFor() waits. @default 10000 */
  eventTimeoutMs: 10_000,
});

/**
 * The time limits a started cluster keeps (from its options, or the defaults): a worker's
 * connection to the run's cluster gets the same ones.
 */
export interface FixtureTimeouts {
  /** {@link RedisClusterOptions.faultTimeoutMs} */
  faultTimeoutMs: number;
  /** {@link RedisClusterOptions.nodeAnswerTimeoutMs} */
  nodeAnswerTimeoutMs: number;
  /** {@link RedisClusterOptions.resetReplicaTimeoutMs} */
  resetReplicaTimeoutMs: number;
}

/** The time limits of a cluster whose options set none. */
export function defaultTimeouts(): FixtureTimeouts {
  const { faultTimeoutMs, nodeAnswerTimeoutMs, resetReplicaTimeoutMs } = DEFAULT_FIXTURE_OPTIONS;
  return { faultTimeoutMs, nodeAnswerTimeoutMs, resetReplicaTimeoutMs };
}

// The options of the fault helpers of StartedRedisCluster (docs/faults.md).

/** How an error of a fault helper that ran out of time names its limit and how to raise it. */
export function faultLimit(helper: string, timeoutMs: number): string {
  return `${timeoutMs} ms (the timeoutMs of ${helper}(), by default the cluster option faultTimeoutMs; pass { timeoutMs } to raise it)`;
}

/** `CLUSTER FAILOVER` and its two options. */
export const FAILOVER_MODES = Object.freeze(['default', 'force', 'takeover'] as const);
export type FailoverMode = (typeof FAILOVER_MODES)[number];

export interface StopNodeOptions {
  /** Seconds the node gets to shut down before it is killed (`docker stop -t`). 0 is a crash. @default 0 (`DEFAULT_FIXTURE_OPTIONS.stopTimeoutSeconds`) */
  timeoutSeconds?: number;
}

export interface WaitOptions {
  /** Give up (rejecting with what is still missing) after this many ms. @default 30000 (`DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs`), or the cluster's `faultTimeoutMs` when it sets one */
  timeoutMs?: number;
}

export interface StartNodeOptions extends WaitOptions {
  /** Also wait until the cluster is ok on every running node (`StartedRedisCluster.waitForClusterOk()`). @default true */
  waitForClusterOk?: boolean;
}

export interface FailoverOptions extends WaitOptions {
  /** `default` (the master agrees and hands over), `force` (the master is not asked) or `takeover` (no vote at all). @default "default" */
  mode?: FailoverMode;
}

export interface MigrateSlotOptions extends WaitOptions {
  /**
   * Assign the slot to the target at the end (`CLUSTER SETSLOT <slot> NODE` on every master).
   * `false` leaves the slot MIGRATING on its owner and IMPORTING on the target, so that clients
   * meet ASK and TRYAGAIN; `StartedRedisCluster.finishMigration()` completes it. @default true
   */
  finish?: boolean;
  /**
   * Which keys of the slot to move now: `all`, `none`, or a list (each must hash to the slot).
   * Finishing always moves every key left. @default "all" when finishing, else "none"
   */
  keys?: 'all' | 'none' | readonly string[];
}

/** What the test runners' pool asks of a start beyond the user's options (internal: not exported by the package). */
export interface StartInternals {
  /** Appended to the reuse key: pool member i is kept and found again apart from the shared cluster. */
  reuseTag?: string;
  /** Recycle a kept cluster on attach even when it looks as planned (a pool member may hold any state). */
  recycleOnAttach?: boolean;
}
