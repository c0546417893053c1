/**
 * The value checks of startRedisCluster()'s options (resolve-options.ts runs them in order):
 * each throws a one-line InvalidOptionError naming the option, the value (never a password) and
 * what is allowed.
 */
import { InvalidOptionError, type Directive } from '@redis-cluster-kit/plan';
import type { ClusterNetwork } from './options';

/**
 * Directives the fixture sets itself, with the option to use instead. A node with any of these
 * changed would not be reachable or would not form the cluster the plan describes.
 */
const OWNED_DIRECTIVES: Readonly<Record<string, string>> = {
  port: 'basePort',
  bind: 'nothing (nodes must listen on their network)',
  'protected-mode': 'password',
  dir: 'nothing (the fixture owns the data directory)',
  daemonize: 'nothing (a node must run in the foreground of its container)',
  'cluster-enabled': 'nothing (nodes are always cluster nodes)',
  'cluster-config-file': 'nothing (the fixture owns nodes.conf)',
  'cluster-port': 'nothing (bus ports come from the plan)',
  'cluster-node-timeout': 'nodeTimeoutMs',
  'cluster-announce-ip': 'nothing (nodes announce their names)',
  'cluster-announce-hostname': 'nothing (nodes announce their names)',
  'cluster-announce-port': 'nothing (nodes announce their names)',
  'cluster-announce-tls-port': 'nothing (nodes announce their names)',
  'tls-port': 'basePort (with tls)',
  'tls-cert-file': 'tls',
  'tls-key-file': 'tls',
  'tls-ca-cert-file': 'tls',
  'tls-ca-cert-dir': 'tls',
  'tls-cluster': 'tls',
  'tls-replication': 'tls',
  'tls-client-cert-file': 'tls',
  'tls-client-key-file': 'tls',
  'cluster-announce-bus-port': 'nothing (nodes announce their names)',
  'cluster-preferred-endpoint-type': 'nothing (nodes announce their names)',
  requirepass: 'password',
  masterauth: 'password',
  masteruser: 'defaultUser',
  user: 'users',
  aclfile: 'users',
  replicaof: 'replicas',
  slaveof: 'replicas',
  include: 'redisConfig entries themselves',
  logfile: "nothing (the fixture reads each node's log to see it start)",
  pidfile: "nothing (the process runtime owns each node's pid file)",
};

const DIRECTIVE_NAME = /^[a-z][a-z0-9-]{0,63}$/;

// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** A Docker network's name or id, as Docker's own object names are spelled. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

/** Docker's networks that are not user-defined: no DNS names for containers (or no network at all). */
const DOCKER_OWN_NETWORKS = ['bridge', 'host', 'none'];

/** The `network` option: a network's name or id, or a Testcontainers `StartedNetwork` (anything with `getName()`). */
export function checkNetwork(value: ClusterNetwork | undefined): { name: string; perRun: boolean } | undefined {
  if (value === undefined) return undefined;
  const allowed =
    'the name (or id) of a Docker network you started, or a Testcontainers StartedNetwork (await new Network().start())';
  let name: unknown = value;
  const perRun = typeof value === 'object' && value !== null;
  if (perRun) {
    if (typeof (value as { getName?: unknown }).getName !== 'function') {
      throw new InvalidOptionError('network', value, allowed);
    }
    name = value.getName();
  }
  if (typeof name !== 'string' || !NETWORK_NAME.test(name)) {
    throw new InvalidOptionError('network', name, `${allowed}: letters, digits, ".", "_" or "-"`);
  }
  if (DOCKER_OWN_NETWORKS.includes(name)) {
    throw new InvalidOptionError(
      'network',
      name,
      `a user-defined network (docker network create, new Network().start()): on Docker's own "${name}" network containers have no names to reach each other by`,
    );
  }
  return { name, perRun };
}

export function checkServerPath(option: string, value: unknown, prefix: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 4096 || CONTROL_CHARS.test(value)) {
    throw new InvalidOptionError(
      option,
      value,
      'a path to redis-server or valkey-server (Redis >= 7.0, Valkey >= 7.2), or a command name on PATH, without control characters',
      prefix,
    );
  }
  return value;
}

export function checkPassword(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 512 || CONTROL_CHARS.test(value)) {
    // A password is never printed; only its absence or wrong type is.
    throw new InvalidOptionError(
      'password',
      typeof value === 'string' && value !== '' ? '<hidden>' : value,
      'a non-empty string of at most 512 characters without control characters',
    );
  }
  return value;
}

export function checkInteger(
  option: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
  unit: string,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(option, value, `an integer number of ${unit} from ${min} to ${max}`);
  }
  return value;
}

export function checkPlainObject(option: string, value: unknown, allowed: string): object | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidOptionError(option, value, allowed);
  return value;
}

/** Turn `redisConfig` into directives, refusing names the fixture owns and values that cannot be passed safely. */
export function checkRedisConfig(value: unknown): Directive[] {
  if (value === undefined) return [];
  checkPlainObject(
    'redisConfig',
    value,
    'an object of redis.conf directives, e.g. { "maxmemory-policy": "allkeys-lru" }',
  );
  const directives: Directive[] = [];
  for (const [name, raw] of Object.entries(value as Record<string, unknown>)) {
    const option = `redisConfig.${name}`;
    if (!DIRECTIVE_NAME.test(name)) {
      throw new InvalidOptionError(
        option,
        raw,
        'a redis.conf directive name: lower-case letters, digits and "-"',
        'Invalid directive name in option',
      );
    }
    const owner = OWNED_DIRECTIVES[name];
    if (owner !== undefined) {
      throw new InvalidOptionError(option, raw, `no value: the fixture sets "${name}" itself; use ${owner}`);
    }
    const items = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    const args = items.map((item) => {
      if (typeof item === 'boolean' && !Array.isArray(raw)) return item ? 'yes' : 'no';
      if (typeof item === 'number' && Number.isFinite(item)) return String(item);
      if (typeof item === 'string' && !CONTROL_CHARS.test(item)) return item;
      throw new InvalidOptionError(
        option,
        raw,
        'a string, a number, a boolean or an array of strings and numbers, without control characters',
      );
    });
    if (args.length === 0) throw new InvalidOptionError(option, raw, 'at least one argument');
    directives.push([name, ...args]);
  }
  return directives;
}
