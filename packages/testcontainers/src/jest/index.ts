/**
 * Jest integration: one cluster for the whole run (globalSetup / globalTeardown), handed to
 * every worker, and `useRedisCluster()` for test files.
 *
 * jest.config:
 * ```js
 *   globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
 *   globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
 *   globals: { redisCluster: { masters: 3, replicas: 1 } },   // optional: the cluster's options
 * ```
 *
 * a test file:
 * ```ts
 *   const redis = useRedisCluster({ reset: true });
 *   test('...', async () => { await redis.cluster.set('k', 'v'); });
 * ```
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Cluster, ClusterOptions } from 'ioredis';
import type { HostPort, NatMapObject } from '../cluster/address-table';
import { CONNECTION_ENV_VAR, connectToCluster, parseConnectionInfo } from '../connect';
import { DEFAULT_FIXTURE_OPTIONS, type RedisClusterOptions } from '../options';
import { startRedisCluster } from '../start-redis-cluster';
import type { ClusterNodeInfo, StartedRedisCluster } from '../started-redis-cluster';

export { CONNECTION_ENV_VAR } from '../connect';

/** Where globalSetup keeps the cluster for globalTeardown (same process, shared globalThis). */
const GLOBAL_KEY = '__REDIS_CLUSTER_KIT_JEST__';

interface GlobalState {
  rc: StartedRedisCluster;
}

type JestGlobalConfig = { maxWorkers?: number } | undefined;
type JestProjectConfig = { globals?: Record<string, unknown> } | undefined;

/**
 * A globalSetup function that starts one cluster with `options` (merged over the project's
 * `globals.redisCluster`) and hands it to the workers through {@link CONNECTION_ENV_VAR}.
 * With `REDIS_CLUSTER_REUSE=1`, it attaches to the cluster the previous run kept.
 */
export function createGlobalSetup(options: RedisClusterOptions = {}) {
  return async function globalSetup(
    _globalConfig?: JestGlobalConfig,
    projectConfig?: JestProjectConfig,
  ): Promise<void> {
    const fromConfig = (projectConfig?.globals?.['redisCluster'] ?? {}) as RedisClusterOptions;
    const rc = await startRedisCluster({ ...fromConfig, ...options });
    (globalThis as Record<string, unknown>)[GLOBAL_KEY] = { rc } satisfies GlobalState;
    // Workers start after globalSetup and inherit the environment.
    process.env[CONNECTION_ENV_VAR] = JSON.stringify(rc.connectionInfo());
  };
}

/** globalTeardown: stops the run's cluster (a kept one stays running for the next run). */
export async function globalTeardown(): Promise<void> {
  const state = (globalThis as Record<string, unknown>)[GLOBAL_KEY] as GlobalState | undefined;
  delete (globalThis as Record<string, unknown>)[GLOBAL_KEY];
  delete process.env[CONNECTION_ENV_VAR];
  await state?.rc.stop();
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
  /** Without globalSetup, the file starts a cluster of its own with these options (stopped in afterAll). */
  start?: RedisClusterOptions;
  /** Timeout of the beforeAll hook that connects or starts. @default 120000 (`DEFAULT_FIXTURE_OPTIONS.jestHookTimeoutMs`) */
  timeoutMs?: number;
}

/** What a test file uses; valid from its beforeAll to its afterAll. */
export interface RedisClusterHandle {
  /** An ioredis Cluster, ready (keys prefixed with `namespace` on a shared cluster). */
  readonly cluster: Cluster;
  /** The prefix of this file's keys (`"t3f2a9c1e:"`), or "" when keys are not namespaced. */
  readonly namespace: string;
  readonly nodes: ClusterNodeInfo[];
  readonly natMap: NatMapObject;
  readonly startupNodes: HostPort[];
  /** True when the cluster is the run's shared one (from globalSetup). */
  readonly shared: boolean;
  /** The underlying cluster object (its stop() never removes a shared cluster). */
  readonly redisCluster: StartedRedisCluster;
  /** Another ioredis Cluster (same namespace unless `options.keyPrefix` says otherwise), closed in afterAll. */
  createClient(options?: ClusterOptions): Cluster;
  /** Empty this file's namespace (shared cluster) or the whole cluster (own cluster). */
  reset(): Promise<void>;
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

// Jest's globals, as far as this module uses them (declared here, so that the package does not
// need @types/jest; at run time they are the test file's own globals).
declare const expect: { getState(): { testPath?: string } } | undefined;
declare function beforeAll(fn: () => Promise<void>, timeout?: number): void;
declare function beforeEach(fn: () => Promise<void>, timeout?: number): void;
declare function afterAll(fn: () => Promise<void>, timeout?: number): void;

function currentTestPath(): string {
  try {
    return (typeof expect !== 'undefined' && expect.getState().testPath) || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Use a Redis Cluster in a test file: connects in beforeAll (to the run's cluster from
 * globalSetup, or starts one for the file), resets before each test when asked, closes in
 * afterAll. Call it at the top level of the file (or of a describe).
 */
export function useRedisCluster(options: UseRedisClusterOptions = {}): RedisClusterHandle {
  let rc: StartedRedisCluster | undefined;
  /** The file's own start while it runs: afterAll aborts it when beforeAll gave up (timed out) before it was done. */
  let starting: { controller: AbortController; promise: Promise<StartedRedisCluster> } | undefined;
  let cluster: Cluster | undefined;
  let namespace = '';
  let shared = false;
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined)
      throw new Error(
        `useRedisCluster(): ${what} is available from beforeAll to afterAll only (use it inside tests or hooks)`,
      );
    return value;
  };

  beforeAll(async () => {
    const info = process.env[CONNECTION_ENV_VAR];
    shared = info !== undefined && info !== '';
    if (shared) {
      rc = await connectToCluster(
        parseConnectionInfo(info),
        options.clusterOptions === undefined ? {} : { clusterOptions: options.clusterOptions },
      );
      namespace = options.namespace === false ? '' : namespaceFor(currentTestPath());
    } else {
      const controller = new AbortController();
      const own = options.start?.signal;
      const signal = own === undefined ? controller.signal : AbortSignal.any([own, controller.signal]);
      const promise = startRedisCluster({
        ...options.start,
        ...(options.clusterOptions ? { clusterOptions: options.clusterOptions } : {}),
        signal,
      });
      starting = { controller, promise };
      rc = await promise;
    }
    cluster = namespace === '' ? rc.cluster : rc.createClient({ keyPrefix: namespace });
  }, options.timeoutMs ?? DEFAULT_FIXTURE_OPTIONS.jestHookTimeoutMs);

  if (options.reset) {
    beforeEach(async () => {
      await need(rc, 'the cluster').reset(namespace === '' ? {} : { match: `${namespace}*` });
    });
  }

  afterAll(async () => {
    // Jest runs afterAll even when beforeAll timed out while the cluster was still starting:
    // abort that start (it removes what it started), or it would end later with a cluster no
    // one stops.
    let late: StartedRedisCluster | undefined;
    if (rc === undefined && starting !== undefined) {
      starting.controller.abort(
        new Error(
          'the test file ended before its cluster was ready (did beforeAll time out? see useRedisCluster({ timeoutMs }))',
        ),
      );
      late = await starting.promise.catch(() => undefined);
    }
    await (rc ?? late)?.stop();
  });

  return {
    get cluster() {
      return need(cluster, 'cluster');
    },
    get namespace() {
      return namespace;
    },
    get nodes() {
      return need(rc, 'nodes').nodes;
    },
    get natMap() {
      return need(rc, 'natMap').natMap;
    },
    get startupNodes() {
      return need(rc, 'startupNodes').startupNodes;
    },
    get shared() {
      return shared;
    },
    get redisCluster() {
      return need(rc, 'the cluster');
    },
    createClient(clientOptions: ClusterOptions = {}) {
      return need(rc, 'createClient()').createClient(
        namespace === '' ? clientOptions : { keyPrefix: namespace, ...clientOptions },
      );
    },
    reset() {
      return need(rc, 'reset()').reset(namespace === '' ? {} : { match: `${namespace}*` });
    },
  };
}
