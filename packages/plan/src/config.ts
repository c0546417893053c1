import type { ClusterPlan, PlannedNode } from './plan';

/** One redis.conf line as data: the directive's name and its arguments (unquoted). */
export type Directive = readonly [name: string, ...args: string[]];

/** Where every node keeps `nodes.conf` and its data, in the container or the node's folder. */
export const DATA_DIR = '/data';

/** Where a node listens: every interface of its container, or loopback only (local processes). */
export interface NodeDirectiveOptions {
  /** The data directory (`nodes.conf`, dumps). @default DATA_DIR */
  dir?: string;
  /** `bind` addresses. @default "0.0.0.0" (a container's own interfaces; its port is published on 127.0.0.1) */
  bind?: string;
  /**
   * TLS for clients, the cluster bus and replication, plain TCP off (`port 0`, the node's port as
   * `tls-port`). The folder holds the files {@link tlsFileNames} names. @default none (plain TCP)
   */
  tlsDir?: string;
}

/** The TLS files of a node, by name inside the TLS folder: the CA's certificate and the node's own certificate and private key. */
export function tlsFileNames(node: Pick<PlannedNode, 'name'>): { ca: string; cert: string; key: string } {
  return { ca: 'ca.crt', cert: `${node.name}.crt`, key: `${node.name}.key` };
}

/**
 * The TLS directives of a node whose files are in `dir`: the node's port as `tls-port` (plain
 * TCP refused with `port 0`), TLS on the cluster bus and for replication, client certificates
 * checked when a client presents one (`tls-auth-clients optional`: a client needs only the CA,
 * as with managed services). Redis does not check host names, only the chain: the names in the
 * certificates are for the clients.
 */
export function tlsDirectives(node: PlannedNode, dir: string): Directive[] {
  const files = tlsFileNames(node);
  const path = (file: string) => `${dir.replace(/\/+$/, '')}/${file}`;
  return [
    ['tls-port', String(node.port)],
    ['tls-cert-file', path(files.cert)],
    ['tls-key-file', path(files.key)],
    ['tls-ca-cert-file', path(files.ca)],
    ['tls-auth-clients', 'optional'],
    ['tls-cluster', 'yes'],
    ['tls-replication', 'yes'],
  ];
}

/** True when every address of a `bind` value is a loopback address. */
export function bindsLoopbackOnly(bind: string): boolean {
  return bind.split(/\s+/).every((a) => /^-?(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(a));
}

/**
 * The redis.conf directives of one node. Both the Compose files and the Testcontainers fixture
 * use this list, so a node is configured the same way whichever way it is started.
 * Secrets are not here: outputs add `requirepass`/`masterauth` their own way when `auth` is on.
 */
export function nodeDirectives(plan: ClusterPlan, node: PlannedNode, options: NodeDirectiveOptions = {}): Directive[] {
  const o = plan.options;
  const bind = options.bind ?? '0.0.0.0';
  const directives: Directive[] = [
    ['port', options.tlsDir !== undefined ? '0' : String(node.port)],
    ...(options.tlsDir !== undefined ? tlsDirectives(node, options.tlsDir) : []),
    ['bind', ...bind.split(/\s+/)],
    // Without a password, protected mode would refuse every client that is not on loopback,
    // including the other nodes in their containers; the outputs keep ports on 127.0.0.1
    // instead. Nodes that listen on loopback only (local processes) keep it on.
    ['protected-mode', o.auth || bindsLoopbackOnly(bind) ? 'yes' : 'no'],
    ['dir', options.dir ?? DATA_DIR],
    ['cluster-enabled', 'yes'],
    ['cluster-config-file', 'nodes.conf'],
    ['cluster-node-timeout', String(o.nodeTimeoutMs)],
    ['cluster-port', String(node.busPort)],
  ];
  if (o.announce === 'hostname') {
    directives.push(['cluster-announce-hostname', node.name], ['cluster-preferred-endpoint-type', 'hostname']);
  } else {
    // Clients are sent to 127.0.0.1:<port> (published 1:1); the bus still uses the real IPs.
    directives.push(['cluster-announce-hostname', '127.0.0.1'], ['cluster-preferred-endpoint-type', 'hostname']);
  }
  switch (o.persistence) {
    case 'aof':
      directives.push(['appendonly', 'yes']);
      break;
    case 'rdb':
      directives.push(['appendonly', 'no']);
      break;
    case 'none':
      directives.push(['appendonly', 'no'], ['save', '']);
      break;
  }
  // Replicas sync at once instead of after Redis's default 5 s wait for more replicas.
  directives.push(['repl-diskless-sync', 'yes'], ['repl-diskless-sync-delay', '0']);
  return directives;
}

/**
 * One argument of a redis.conf line, the way redis-server reads it back (`sdssplitargs`): a plain
 * word as it is; anything else (empty, spaces, quotes, a backslash, `#`, control characters: a
 * password may hold them) double-quoted, with backslash and double quote escaped and control
 * characters as `\xHH`.
 */
export function configArg(arg: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what must be quoted
  if (/^[^\s"'\\#\u0000-\u001f\u007f]+$/.test(arg)) return arg;
  // eslint-disable-next-line no-control-regex -- and what is written as \xHH
  return `"${arg.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;
}

/** Render directives as redis.conf lines, each argument through `configArg`. */
export function renderDirectives(directives: readonly Directive[]): string {
  return directives.map(([name, ...args]) => [name, ...args.map(configArg)].join(' ')).join('\n');
}

/** Render directives as `redis-server` command-line arguments (`--port 7101 ...`). */
export function directivesToArgs(directives: readonly Directive[]): string[] {
  return directives.flatMap(([name, ...args]) => [`--${name}`, ...args]);
}
