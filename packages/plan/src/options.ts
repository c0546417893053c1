import { z } from 'zod';
import { InvalidOptionError } from './errors';

/** How nodes announce themselves to clients (CLUSTER SLOTS, MOVED, ASK). */
export type AnnounceMode = 'hostname' | 'loopback';
/** What a node keeps on disk across restarts. `nodes.conf` is always kept. */
export type Persistence = 'aof' | 'rdb' | 'none';

/** The options a cluster plan is computed from. Every one has a default in {@link DEFAULT_PLAN_OPTIONS}. */
export interface PlanOptions {
  /**
   * Number of masters (shards). All 16384 slots are split evenly between them, as
   * `redis-cli --cluster create` does. One master is allowed (fastest start for tests).
   */
  masters: number;
  /** Replicas per master. */
  replicas: number;
  /**
   * Client port of the first node; node i (0-based) listens on `basePort + i`.
   * The default avoids 7000 (held by the AirPlay receiver on macOS) and the 7000-7005 range
   * of the Redis tutorial and grokzen's image, which may already run on the machine.
   */
  basePort: number;
  /** Cluster bus port = client port + this offset (Redis's own convention is 10000). */
  busPortOffset: number;
  /** Prefix of node names: nodes are `<prefix>-1` ... `<prefix>-N` (masters first). Must be a DNS label. */
  namePrefix: string;
  /** Docker image with `sh` and the server and CLI of Redis 7.0 or newer (`redis-server`, `redis-cli`) or Valkey 7.2 or newer (`redis-*` or `valkey-*` names). */
  image: string;
  /**
   * `hostname`: nodes announce their names (`cluster-announce-hostname`), so clients in the same
   * Docker network need no mapping and host clients map `name:port` with a natMap.
   * `loopback`: nodes announce 127.0.0.1 and the client ports are published 1:1, so host clients
   * need no natMap but clients inside the Docker network cannot follow redirects.
   */
  announce: AnnounceMode;
  /** `cluster-node-timeout` in milliseconds: how long a node may be unreachable before failover. */
  nodeTimeoutMs: number;
  /** `aof` (appendonly yes), `rdb` (snapshots only) or `none` (nothing but nodes.conf kept). */
  persistence: Persistence;
  /** Nodes require a password (`requirepass` and `masterauth`); the secret itself is never part of the plan. */
  auth: boolean;
}

/** The single source of every default: the CLI help, the docs and the tests read this constant. */
export const DEFAULT_PLAN_OPTIONS: Readonly<PlanOptions> = Object.freeze({
  masters: 3,
  replicas: 1,
  basePort: 7101,
  busPortOffset: 10000,
  namePrefix: 'redis-node',
  image: 'redis:8.0',
  announce: 'hostname',
  nodeTimeoutMs: 5000,
  persistence: 'aof',
  auth: false,
});

/** Redis documents ~1000 nodes as the design limit of a cluster. */
export const MAX_NODES = 1000;
export const SLOT_COUNT = 16384;
export const ANNOUNCE_MODES: readonly AnnounceMode[] = ['hostname', 'loopback'];
export const PERSISTENCE_MODES: readonly Persistence[] = ['aof', 'rdb', 'none'];

// A Docker image reference: [registry[:port]/]name[/name...][:tag][@digest], lower-case path.
// Quotes, spaces, newlines and YAML specials cannot pass, so the value is safe to print unquoted.
const IMAGE_REF =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
const DNS_LABEL = /^[a-z](?:[a-z0-9-]{0,40}[a-z0-9])?$/;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** One entry per option: its schema and the human sentence of what is allowed. */
export const OPTION_SPECS: { [K in keyof PlanOptions]: { schema: z.ZodType<PlanOptions[K]>; allowed: string } } = {
  masters: { schema: int(1, MAX_NODES), allowed: `an integer from 1 to ${MAX_NODES}` },
  replicas: { schema: int(0, MAX_NODES - 1), allowed: `an integer from 0 to ${MAX_NODES - 1}` },
  basePort: { schema: int(1, 65535), allowed: 'an integer port from 1 to 65535' },
  busPortOffset: {
    schema: int(-65534, 65534).refine((v) => v !== 0),
    allowed: 'a non-zero integer from -65534 to 65534',
  },
  namePrefix: {
    schema: z.string().regex(DNS_LABEL),
    allowed: 'a DNS label: lower-case letters, digits and "-", starting with a letter, at most 42 characters',
  },
  image: {
    schema: z.string().max(255).regex(IMAGE_REF),
    allowed: 'a Docker image reference such as "redis:7.2" (no spaces, quotes or upper-case names)',
  },
  announce: { schema: z.enum(ANNOUNCE_MODES), allowed: oneOf(ANNOUNCE_MODES) },
  nodeTimeoutMs: { schema: int(100, 3_600_000), allowed: 'an integer number of milliseconds from 100 to 3600000' },
  persistence: { schema: z.enum(PERSISTENCE_MODES), allowed: oneOf(PERSISTENCE_MODES) },
  auth: { schema: z.boolean(), allowed: 'true or false' },
};

export function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

/**
 * Fill defaults and validate every option, field by field and then across fields.
 * @throws InvalidOptionError naming the option, the value and what is allowed.
 */
export function resolvePlanOptions(input: Partial<PlanOptions> = {}): PlanOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError('options', input, 'an object');
  }
  for (const key of Object.keys(input)) {
    if (!(key in OPTION_SPECS)) {
      throw new InvalidOptionError(
        key,
        (input as Record<string, unknown>)[key],
        `one of the known options: ${Object.keys(OPTION_SPECS).join(', ')}`,
        'Unknown option',
      );
    }
  }
  const resolved = { ...DEFAULT_PLAN_OPTIONS } as Record<keyof PlanOptions, unknown>;
  for (const key of Object.keys(OPTION_SPECS) as (keyof PlanOptions)[]) {
    const value = input[key];
    if (value === undefined) continue;
    const spec = OPTION_SPECS[key];
    if (!spec.schema.safeParse(value).success) throw new InvalidOptionError(key, value, spec.allowed);
    resolved[key] = value;
  }
  const options = resolved as PlanOptions;
  checkPorts(options);
  return options;
}

function checkPorts(o: PlanOptions): void {
  const nodes = o.masters * (1 + o.replicas);
  if (nodes > MAX_NODES) {
    throw new InvalidOptionError(
      'replicas',
      o.replicas,
      `at most ${Math.floor(MAX_NODES / o.masters) - 1} with ${o.masters} masters (a cluster has at most ${MAX_NODES} nodes)`,
    );
  }
  const lastPort = o.basePort + nodes - 1;
  if (lastPort > 65535) {
    throw new InvalidOptionError(
      'basePort',
      o.basePort,
      `at most ${65535 - nodes + 1} so that the ${nodes} client ports end by 65535`,
    );
  }
  const firstBus = o.basePort + o.busPortOffset;
  const lastBus = lastPort + o.busPortOffset;
  if (firstBus < 1 || lastBus > 65535) {
    throw new InvalidOptionError(
      'busPortOffset',
      o.busPortOffset,
      `an offset that keeps the bus ports ${firstBus}-${lastBus} within 1-65535 (with basePort ${o.basePort} and ${nodes} nodes)`,
    );
  }
  if (Math.abs(o.busPortOffset) < nodes) {
    throw new InvalidOptionError(
      'busPortOffset',
      o.busPortOffset,
      `an offset of at least ${nodes} in size, so that bus ports ${firstBus}-${lastBus} do not collide with client ports ${o.basePort}-${lastPort}`,
    );
  }
}

/** The environment variable that selects the Redis image everywhere (generator, fixture, tests, scripts). */
export const IMAGE_ENV_VAR = 'REDIS_CLUSTER_IMAGE';

/** The image to use: the environment's choice if set and valid, else the default. Pure: pass `process.env`. */
export function imageFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  const value = env[IMAGE_ENV_VAR];
  if (value === undefined || value === '') return DEFAULT_PLAN_OPTIONS.image;
  if (!OPTION_SPECS.image.schema.safeParse(value).success) {
    throw new InvalidOptionError(IMAGE_ENV_VAR, value, OPTION_SPECS.image.allowed, 'Invalid environment variable');
  }
  return value;
}
