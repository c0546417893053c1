/**
 * The servers the kit forms clusters with (Redis and Valkey), told apart by what a node or a
 * binary says about itself, never by an image's name or tag: `INFO server` (`server_name`,
 * `valkey_version`, `redis_version`) or `--version` (`Valkey server v=8.0.1 ...`). And how the
 * generated scripts and containers find the server and the CLI, whose names differ: Debian's
 * Valkey packages ship only `valkey-server` and `valkey-cli`.
 */

/** The engines the kit supports, with the oldest version of each it forms clusters with. */
export const SUPPORTED_ENGINES = Object.freeze({
  /** CLUSTER ADDSLOTSRANGE, `cluster-port` and hostname announcements came with Redis 7.0. */
  redis: { name: 'Redis', min: [7, 0] as const },
  /** Valkey's first release, 7.2.4, has everything of Redis 7.2. */
  valkey: { name: 'Valkey', min: [7, 2] as const },
});

/** One of {@link SUPPORTED_ENGINES}' keys. */
export type EngineName = keyof typeof SUPPORTED_ENGINES;

/** "Redis \>= 7.0 or Valkey \>= 7.2": what is supported, for error messages and docs. */
export const SUPPORTED_ENGINES_TEXT = Object.values(SUPPORTED_ENGINES)
  .map((e) => `${e.name} >= ${e.min.join('.')}`)
  .join(' or ');

/** What a server says it is. */
export interface ServerIdentity {
  /** The engine's name, lower case as the server reports it (`redis`, `valkey`, or another server's own). */
  engine: string;
  /** "8.0.1": the engine's own version (Valkey's, not the Redis version it reports for compatibility). */
  version: string;
}

/**
 * What `INFO server` says: `server_name` names the engine when there (Valkey: `valkey`, with
 * `valkey_version`; its `redis_version` is a compatibility value), else it is Redis
 * (`redis_version`). Undefined when the reply has neither.
 */
export function serverFromInfo(info: string): ServerIdentity | undefined {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const name = fields.get('server_name')?.toLowerCase();
  if (name !== undefined && name !== '' && name !== 'redis') {
    const version = fields.get(`${name}_version`) ?? fields.get('redis_version');
    return version === undefined ? undefined : { engine: name, version };
  }
  const version = fields.get('redis_version');
  return version === undefined ? undefined : { engine: 'redis', version };
}

/** What `<server> --version` prints (`Redis server v=7.0.15 sha=...`, `Valkey server v=8.0.1 ...`); undefined if it is not that. */
export function serverFromVersionOutput(text: string): ServerIdentity | undefined {
  const match = /^(\S+) server v=(\d+\.\d+\.\d+)/m.exec(text.trim());
  return match ? { engine: match[1]!.toLowerCase(), version: match[2]! } : undefined;
}

function knownEngine(engine: string): (typeof SUPPORTED_ENGINES)[EngineName] | undefined {
  return Object.prototype.hasOwnProperty.call(SUPPORTED_ENGINES, engine)
    ? SUPPORTED_ENGINES[engine as EngineName]
    : undefined;
}

/** "Valkey 8.0.1" (a known engine's own spelling; another server's name as it gave it). */
export function describeServer(server: ServerIdentity): string {
  return `${knownEngine(server.engine)?.name ?? server.engine} ${server.version}`;
}

/**
 * Why this server cannot be used (one line naming what it is and what is supported), or
 * undefined when it can: a known engine at or above its minimum version.
 */
export function unsupportedServerReason(server: ServerIdentity): string | undefined {
  const known = knownEngine(server.engine);
  const parts = /^(\d+)\.(\d+)/.exec(server.version);
  if (known === undefined)
    return `it is ${describeServer(server)}, an unknown server; supported: ${SUPPORTED_ENGINES_TEXT}`;
  if (!parts) return `it reports version "${server.version}"; supported: ${SUPPORTED_ENGINES_TEXT}`;
  const [major, minor] = [Number(parts[1]), Number(parts[2])];
  const [minMajor, minMinor] = known.min;
  if (major < minMajor || (major === minMajor && minor < minMinor))
    return `it is ${describeServer(server)}; supported: ${SUPPORTED_ENGINES_TEXT}`;
  return undefined;
}

/** The server binaries' names, in the order looked for: Redis's, then Valkey's (Debian's Valkey has only its own names). */
export const SERVER_NAMES = ['redis-server', 'valkey-server'] as const;
/** The CLIs' names, in the order looked for. */
export const CLI_NAMES = ['redis-cli', 'valkey-cli'] as const;

/**
 * `sh -c` code that runs the first of {@link SERVER_NAMES} on PATH with the script's arguments
 * (`exec`: the server replaces the shell, signals reach it), or fails naming both. What the
 * fixture's containers and the generated Compose, Swarm and Kubernetes nodes run.
 */
export const SERVER_LAUNCH_SCRIPT =
  `for s in ${SERVER_NAMES.join(' ')}; do if command -v "$s" >/dev/null 2>&1; then exec "$s" "$@"; fi; done; ` +
  `echo "neither ${SERVER_NAMES.join(' nor ')} is on PATH: the image needs ${SUPPORTED_ENGINES_TEXT}" >&2; exit 127`;

/**
 * `sh` code that prints the path of the first of {@link CLI_NAMES} on PATH, and fails (status 1,
 * nothing printed) when there is none: e.g. `CLI=$(${CLI_LOOKUP})`.
 */
export const CLI_LOOKUP = CLI_NAMES.map((n) => `command -v ${n}`).join(' || ');
