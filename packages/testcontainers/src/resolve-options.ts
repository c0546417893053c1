/**
 * From the options a user passes to what a start runs on: defaults filled, every option
 * validated (one-line errors naming the value and what is allowed) and the plan computed, all
 * before anything starts.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ClusterOptions } from 'ioredis';
import {
  createPlan,
  imageFromEnv,
  type TlsMaterial,
  InvalidOptionError,
  type ClusterPlan,
  type Directive,
  oneOf,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import {
  DEFAULT_FIXTURE_OPTIONS,
  REUSE_ENV_VAR,
  RUNTIME_CHOICES,
  RUNTIME_ENV_VAR,
  SERVER_PATH_ENV_VAR,
  type ClusterLogger,
  type FixtureTimeouts,
  FIXTURE_USER,
  type RedisClusterOptions,
  type RedisUser,
  type RuntimeChoice,
} from './options';
import { checkTls, checkUsers } from './check-access';
import {
  checkInteger,
  checkNetwork,
  checkPassword,
  checkPlainObject,
  checkRedisConfig,
  checkServerPath,
} from './check-options';

export { checkRedisConfig };

/** Options after defaults and validation. */
export interface ResolvedFixtureOptions {
  plan: ClusterPlan;
  password: string | undefined;
  /** ACL users for every node (checked). */
  users: RedisUser[];
  /** With `defaultUser: false`: the fixture's own user, its password made now. */
  fixtureUser: { name: string; password: string } | undefined;
  /** TLS: certificates to make for the cluster, or the user's own (already checked). */
  tls: 'generate' | TlsMaterial | undefined;
  startupTimeoutMs: number;
  /** The limits the started cluster keeps (fault helpers, node answers, reset). */
  timeouts: FixtureTimeouts;
  /** With runtime `auto`: how long the Docker daemon may take to answer. */
  dockerCheckTimeoutMs: number;
  clusterOptions: ClusterOptions;
  /** Extra directives, already checked. */
  redisConfig: Directive[];
  logger: ClusterLogger | undefined;
  name: string | undefined;
  reuse: boolean;
  /** Proxies for link faults; each process node on a loopback address of its own. */
  networkFaults: boolean;
  /** The caller's signal that aborts the start. */
  signal: AbortSignal | undefined;
  runtime: RuntimeChoice;
  /** Where {@link runtime} came from: the option, `REDIS_CLUSTER_RUNTIME`, or the default. */
  runtimeFrom: 'option' | 'environment' | 'default';
  /** The process runtime's redis-server: a path or a command name on PATH. */
  redisServerPath: string;
  /** `basePort` was given: the process runtime uses the plan's ports as they are. */
  fixedPorts: boolean;
  /**
   * The user's network the nodes join (Docker), as given (a name or an id; the runtime checks it
   * exists): `perRun` for a Testcontainers network, whose random name no later run meets again.
   */
  network: { name: string; perRun: boolean } | undefined;
  /** Options of one runtime only that this call gave (the start says which it ignores). */
  given: { image: boolean; redisServerPath: boolean; reuse: boolean };
  /** `REDIS_CLUSTER_REUSE` was on and is ignored: the network is a Testcontainers one (the start logs it). */
  reuseIgnoredForNetwork: boolean;
}

/** Options that go into the plan unchanged. */
const PLAN_KEYS = ['masters', 'replicas', 'image', 'nodeTimeoutMs', 'basePort', 'namePrefix', 'persistence'] as const;
/** Options only the fixture has. */
const FIXTURE_KEYS = [
  'password',
  'users',
  'defaultUser',
  'tls',
  'startupTimeoutMs',
  'faultTimeoutMs',
  'nodeAnswerTimeoutMs',
  'resetReplicaTimeoutMs',
  'dockerCheckTimeoutMs',
  'clusterOptions',
  'redisConfig',
  'logger',
  'name',
  'reuse',
  'networkFaults',
  'runtime',
  'redisServerPath',
  'signal',
  'network',
] as const;

export const FIXTURE_OPTION_NAMES: readonly (keyof RedisClusterOptions)[] = [...PLAN_KEYS, ...FIXTURE_KEYS];

const CLUSTER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/**
 * Fill defaults, validate every option and compute the plan, all before anything starts.
 * Pure: pass the environment (`REDIS_CLUSTER_IMAGE`) explicitly.
 * @throws InvalidOptionError naming the option, the value and what is allowed.
 */
export function resolveFixtureOptions(
  input: RedisClusterOptions = {},
  env: Readonly<Record<string, string | undefined>> = {},
): ResolvedFixtureOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError('options', input, 'an object');
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIXTURE_OPTION_NAMES as readonly string[]).includes(key)) {
      throw new InvalidOptionError(
        key,
        record[key],
        `one of the known options: ${FIXTURE_OPTION_NAMES.join(', ')}`,
        'Unknown option',
      );
    }
  }

  const planInput: Partial<PlanOptions> = {
    masters: DEFAULT_FIXTURE_OPTIONS.masters,
    replicas: DEFAULT_FIXTURE_OPTIONS.replicas,
    nodeTimeoutMs: DEFAULT_FIXTURE_OPTIONS.nodeTimeoutMs,
    basePort: DEFAULT_FIXTURE_OPTIONS.basePort,
    namePrefix: DEFAULT_FIXTURE_OPTIONS.namePrefix,
    persistence: DEFAULT_FIXTURE_OPTIONS.persistence,
    announce: 'hostname',
    auth: input.password !== undefined,
  };
  for (const key of PLAN_KEYS) {
    if (record[key] !== undefined) (planInput as Record<string, unknown>)[key] = record[key];
  }
  if (input.image === undefined) planInput.image = imageFromEnv(env);

  // Fixture-only options first: they are cheap and their errors should not wait for the plan's.
  const password = checkPassword(input.password);
  const startupTimeoutMs = checkInteger(
    'startupTimeoutMs',
    input.startupTimeoutMs,
    DEFAULT_FIXTURE_OPTIONS.startupTimeoutMs,
    1,
    3_600_000,
    'milliseconds',
  );
  const limit = (option: keyof typeof DEFAULT_FIXTURE_OPTIONS & keyof RedisClusterOptions): number =>
    checkInteger(option, input[option], DEFAULT_FIXTURE_OPTIONS[option] as number, 1, 3_600_000, 'milliseconds');
  const timeouts: FixtureTimeouts = {
    faultTimeoutMs: limit('faultTimeoutMs'),
    nodeAnswerTimeoutMs: limit('nodeAnswerTimeoutMs'),
    resetReplicaTimeoutMs: limit('resetReplicaTimeoutMs'),
  };
  const dockerCheckTimeoutMs = limit('dockerCheckTimeoutMs');
  const clusterOptions = checkPlainObject(
    'clusterOptions',
    input.clusterOptions,
    'an object of ioredis Cluster options',
  );
  const redisConfig = checkRedisConfig(input.redisConfig);
  if (input.logger !== undefined && typeof input.logger !== 'function') {
    throw new InvalidOptionError('logger', input.logger, 'a function that receives each log event');
  }
  if (input.name !== undefined && (typeof input.name !== 'string' || !CLUSTER_NAME.test(input.name))) {
    throw new InvalidOptionError(
      'name',
      input.name,
      'a label value: letters, digits, ".", "_" or "-", at most 63 characters, starting with a letter or digit',
    );
  }

  if (input.signal !== undefined && !(input.signal instanceof AbortSignal)) {
    throw new InvalidOptionError('signal', input.signal, 'an AbortSignal (e.g. new AbortController().signal)');
  }
  const networkFaults = input.networkFaults ?? DEFAULT_FIXTURE_OPTIONS.networkFaults;
  if (typeof networkFaults !== 'boolean') throw new InvalidOptionError('networkFaults', networkFaults, 'true or false');
  if (networkFaults && input.reuse === true) {
    throw new InvalidOptionError(
      'reuse',
      input.reuse,
      'false with networkFaults: true (network faults need a cluster of this process, with its own proxies and rules)',
    );
  }
  // networkFaults wins over REDIS_CLUSTER_REUSE: such a cluster is never kept.
  let reuse = input.reuse === undefined ? !networkFaults && reuseFromEnv(env) : input.reuse;
  if (typeof reuse !== 'boolean') throw new InvalidOptionError('reuse', reuse, 'true or false');
  const network = checkNetwork(input.network);
  const reuseIgnoredForNetwork = reuse && network?.perRun === true && input.reuse === undefined;
  if (reuse && network?.perRun === true) {
    if (input.reuse === true) {
      throw new InvalidOptionError(
        'reuse',
        true,
        `false with a Testcontainers network "${network.name}": it lives for one run (a random name), so no later run could reuse the cluster, and a kept cluster would keep the network from being removed; pass the name of a network that outlives the run instead`,
      );
    }
    reuse = false;
  }

  if (input.runtime !== undefined && !(RUNTIME_CHOICES as readonly unknown[]).includes(input.runtime)) {
    throw new InvalidOptionError('runtime', input.runtime, oneOf(RUNTIME_CHOICES));
  }
  const fromEnv = runtimeFromEnv(env);
  const runtime = input.runtime ?? fromEnv ?? DEFAULT_FIXTURE_OPTIONS.runtime;
  const runtimeFrom = input.runtime !== undefined ? 'option' : fromEnv !== undefined ? 'environment' : 'default';
  if (runtime === 'process' && network !== undefined) {
    const fixedBy = {
      option: 'runtime "process"',
      environment: `${RUNTIME_ENV_VAR} "process"`,
      default: 'runtime "process"',
    }[runtimeFrom];
    throw new InvalidOptionError(
      'network',
      network.name,
      `no network with ${fixedBy}: its nodes are local redis-server processes listening on 127.0.0.1, which no container reaches; set runtime "docker" to run the nodes in containers on that network`,
    );
  }
  const redisServerPath =
    input.redisServerPath === undefined
      ? serverPathFromEnv(env)
      : checkServerPath('redisServerPath', input.redisServerPath, 'Invalid option');
  // Options of the other runtime: refused when the runtime is fixed here (or by the default);
  // REDIS_CLUSTER_RUNTIME and `auto` may pick either runtime, so there they are ignored instead.
  if (runtimeFrom !== 'environment') {
    const fixedBy = runtimeFrom === 'option' ? `runtime "${runtime}"` : `runtime "${runtime}" (the default)`;
    if (runtime === 'docker' && input.redisServerPath !== undefined) {
      throw new InvalidOptionError(
        'redisServerPath',
        input.redisServerPath,
        `no redis-server path with ${fixedBy}: nodes run in containers of the image; set runtime "process" or "auto" to run redis-server itself`,
      );
    }
    if (runtime === 'process' && input.image !== undefined) {
      throw new InvalidOptionError(
        'image',
        input.image,
        `no image with ${fixedBy}: it runs redis-server from PATH or redisServerPath; leave image out, or set runtime "docker" or "auto"`,
      );
    }
    if (runtime === 'process' && input.reuse === true) {
      throw new InvalidOptionError(
        'reuse',
        input.reuse,
        `false with ${fixedBy}: only the Docker runtime keeps clusters between runs (a process cluster starts in about 2 s anyway)`,
      );
    }
  }

  const plan = createPlan(planInput);
  const tls = checkTls(input.tls, plan);
  const users = checkUsers(input.users);
  if (input.defaultUser !== undefined && typeof input.defaultUser !== 'boolean') {
    throw new InvalidOptionError('defaultUser', input.defaultUser, 'true or false');
  }
  const defaultUserOff = input.defaultUser === false;
  if (defaultUserOff && password !== undefined) {
    throw new InvalidOptionError(
      'password',
      '<hidden>',
      "no password with defaultUser false: the password is the default user's, which is off; give users instead",
    );
  }
  if (defaultUserOff && reuse) {
    throw new InvalidOptionError(
      'reuse',
      reuse,
      "false with defaultUser false: the fixture's own user gets a new password at each start, so a kept cluster cannot be attached to",
    );
  }
  if (tls !== undefined && reuse) {
    throw new InvalidOptionError(
      'reuse',
      reuse,
      `false with tls: the certificates of a kept cluster are not kept (turn reuse off for this start, e.g. REDIS_CLUSTER_REUSE=0)`,
    );
  }
  return {
    plan,
    password,
    tls,
    users,
    fixtureUser: defaultUserOff ? { name: FIXTURE_USER, password: randomBytes(24).toString('base64url') } : undefined,
    startupTimeoutMs,
    timeouts,
    dockerCheckTimeoutMs,
    clusterOptions: clusterOptions ?? {},
    redisConfig,
    logger: input.logger,
    name: input.name,
    reuse,
    networkFaults,
    signal: input.signal,
    runtime,
    runtimeFrom,
    redisServerPath,
    fixedPorts: input.basePort !== undefined,
    network,
    given: {
      image: input.image !== undefined,
      redisServerPath: input.redisServerPath !== undefined,
      reuse: input.reuse !== undefined,
    },
    reuseIgnoredForNetwork,
  };
}

/** `REDIS_CLUSTER_RUNTIME`: "docker", "process" or "auto"; unset or "" for the default; anything else an error. */
export function runtimeFromEnv(env: Readonly<Record<string, string | undefined>>): RuntimeChoice | undefined {
  const value = env[RUNTIME_ENV_VAR];
  if (value === undefined || value === '') return undefined;
  if ((RUNTIME_CHOICES as readonly string[]).includes(value)) return value as RuntimeChoice;
  throw new InvalidOptionError(
    RUNTIME_ENV_VAR,
    value,
    `${oneOf(RUNTIME_CHOICES)} (or unset for "${DEFAULT_FIXTURE_OPTIONS.runtime}")`,
    'Invalid environment variable',
  );
}

/** `REDIS_CLUSTER_SERVER_PATH`, checked like the option; unset or "" for "redis-server" on PATH. */
export function serverPathFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const value = env[SERVER_PATH_ENV_VAR];
  if (value === undefined || value === '') return DEFAULT_FIXTURE_OPTIONS.redisServerPath;
  return checkServerPath(SERVER_PATH_ENV_VAR, value, 'Invalid environment variable');
}

/** `REDIS_CLUSTER_REUSE`: "1"/"true" on, "0"/"false"/unset off, anything else an error (no guessing). */
export function reuseFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env[REUSE_ENV_VAR];
  if (value === undefined || value === '') return DEFAULT_FIXTURE_OPTIONS.reuse;
  if (value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new InvalidOptionError(
    REUSE_ENV_VAR,
    value,
    '"1" or "true" to reuse clusters, "0" or "false" (or unset) not to',
    'Invalid environment variable',
  );
}

/** Bump when a kept cluster of an older version of this package must not be attached to. */
const REUSE_FORMAT = 1;

/**
 * What makes two starts interchangeable: the plan, the extra directives, the password (as a
 * hash) and the user's network, if any (a cluster kept on another network is another cluster).
 * Kept clusters carry it as a label; a reusing start attaches only to an equal one.
 */
export function reuseKey(
  resolved: Pick<ResolvedFixtureOptions, 'plan' | 'redisConfig' | 'password'> &
    Partial<Pick<ResolvedFixtureOptions, 'network' | 'users'>>,
): string {
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');
  const identity = {
    format: REUSE_FORMAT,
    plan: resolved.plan.options,
    redisConfig: resolved.redisConfig,
    password: resolved.password === undefined ? null : sha(resolved.password),
    // Only when set: the keys of clusters kept without a network of the user's stay as they were.
    ...(resolved.network === undefined ? {} : { network: resolved.network.name }),
    // Only when there are users, so that the keys of clusters kept before users existed stay the same.
    ...(resolved.users !== undefined && resolved.users.length > 0
      ? { users: sha(JSON.stringify(resolved.users)) }
      : {}),
  };
  return sha(JSON.stringify(identity)).slice(0, 16);
}
