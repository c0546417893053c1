/**
 * What it takes to talk to a cluster's nodes, and what the nodes are given for it: the
 * credentials of the fixture's connections ({@link NodeAccess}) and a TLS cluster's certificates
 * ({@link ClusterTls}). Every connection the fixture opens (admin connections, its ioredis
 * Clusters, a worker's connection) reads its credentials from one NodeAccess.
 */
import {
  createClusterCertificates,
  tlsFileNames,
  type CertifiedKey,
  type ClusterPlan,
  type Directive,
  type TlsMaterial,
} from '@redis-cluster-kit/plan';
import { createHash } from 'node:crypto';
import { FIXTURE_USER_RULES, type RedisUser } from './options';
import type { ResolvedFixtureOptions } from './resolve-options';

/** How the fixture's connections authenticate and encrypt: what `AUTH` and `tls` of ioredis get. */
export interface NodeAccess {
  /** An ACL user (absent: `default`). */
  username?: string | undefined;
  password?: string | undefined;
  /** TLS: the CA to trust, and a client certificate and key to present. */
  tls?: TlsMaterial | undefined;
  /**
   * The ACL users every node had at its start, each as `ACL SETUSER` arguments, passwords as
   * SHA-256 hashes (`#<hex>`, never the password): what `recycle()` puts back. Absent for a
   * cluster attached from a connection info that does not carry it.
   */
  aclUsers?: string[][] | undefined;
}

/** A TLS cluster's certificates: what each node is given, and what clients get ({@link StartedRedisCluster.tls}). */
export interface ClusterTls {
  /** Node name -> its certificate and key. */
  nodes: ReadonlyMap<string, CertifiedKey>;
  /** What clients need: the CA, and a client certificate and key. */
  client: TlsMaterial;
}

/** How the fixture's own connections reach the nodes of a start: its own user (defaultUser false) or the password, and TLS with the client certificate. */
export function fixtureAccess(
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'users' | 'fixtureUser'>,
  tls: ClusterTls | undefined,
): NodeAccess {
  const user = resolved.fixtureUser;
  const aclUsers = startAclUsers(resolved);
  return user === undefined
    ? { password: resolved.password, tls: tls?.client, aclUsers }
    : { username: user.name, password: user.password, tls: tls?.client, aclUsers };
}

/** A password as ACL rules know it by its hash (`#<sha256 hex>`): the same user, no secret written. */
function hashedPassword(password: string): string {
  return `#${createHash('sha256').update(password).digest('hex')}`;
}

/**
 * Every ACL user the nodes have at a start ({@link secretDirectives}), as `ACL SETUSER`
 * arguments from a clean slate (`reset`), the `default` user first: off with `defaultUser:
 * false`, else as Redis makes it (every right; the password's, or none).
 */
export function startAclUsers(
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'users' | 'fixtureUser'>,
): string[][] {
  const own = resolved.fixtureUser;
  return [
    own !== undefined
      ? ['default', 'reset', 'off']
      : [
          'default',
          'reset',
          'on',
          resolved.password === undefined ? 'nopass' : hashedPassword(resolved.password),
          '~*',
          '&*',
          '+@all',
        ],
    ...resolved.users.map((u) => userArgs(u, hashedPassword)),
    ...(own === undefined ? [] : [fixtureUserArgs(own, hashedPassword)]),
  ];
}

/** A user of `users` as ACL SETUSER (or a `user` directive) takes it, from a clean slate; `password` writes its password rule. */
function userArgs(user: RedisUser, password: (p: string) => string): string[] {
  return [user.name, 'reset', 'on', password(user.password), ...(user.rules ?? '').split(/\s+/).filter(Boolean)];
}

/** The fixture's own user (defaultUser: false) the same way, with its rules. */
function fixtureUserArgs(own: { name: string; password: string }, password: (p: string) => string): string[] {
  return [own.name, 'reset', 'on', password(own.password), ...FIXTURE_USER_RULES.split(' ')];
}

/** A password rule with the password itself, for the nodes' own files. */
const plainPassword = (password: string) => `>${password}`;

/**
 * The directives of a node that hold secrets, the same on every node: the password
 * (`requirepass`/`masterauth`), the ACL users, and with `defaultUser: false` the `default` user
 * off, the fixture's own user and replicas logging in as it. Never on a command line: the process
 * runtime writes them into the node's redis.conf, the Docker runtime into a file it copies into
 * the container (both mode 0600).
 */
export function secretDirectives(
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'users' | 'fixtureUser'>,
): Directive[] {
  const directives: Directive[] = [];
  if (resolved.password !== undefined)
    directives.push(['requirepass', resolved.password], ['masterauth', resolved.password]);
  for (const user of resolved.users) directives.push(['user', ...userArgs(user, plainPassword)]);
  const own = resolved.fixtureUser;
  if (own !== undefined) {
    directives.push(
      ['user', 'default', 'reset', 'off'],
      ['user', ...fixtureUserArgs(own, plainPassword)],
      ['masteruser', own.name],
      ['masterauth', own.password],
    );
  }
  return directives;
}

/** The credentials and TLS material a connection info carries (only those there are). */
export function accessInfo(access: NodeAccess): {
  username?: string;
  password?: string;
  tls?: TlsMaterial;
  aclUsers?: string[][];
} {
  const { aclUsers } = access;
  return {
    ...accessOptions(access),
    ...(aclUsers === undefined ? {} : { aclUsers: aclUsers.map((u) => [...u]) }),
  };
}

/** The ioredis options of a connection with this access (no `tls` key without TLS: plain TCP). */
export function accessOptions(access: NodeAccess): { username?: string; password?: string; tls?: TlsMaterial } {
  const { username, password, tls } = access;
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(tls === undefined ? {} : { tls: { ...tls } }),
  };
}

/** The `AUTH` arguments of a MIGRATE to another node with this access (`AUTH2` for an ACL user), or none. */
export function migrateAuth(access: NodeAccess): string[] {
  if (access.password === undefined) return [];
  return access.username === undefined ? ['AUTH', access.password] : ['AUTH2', access.username, access.password];
}

/**
 * The certificates of a TLS cluster: the user's own (every node gets the same certificate and
 * key, checked when the options were), or a CA and node certificates made now for the plan's
 * nodes. Undefined without TLS.
 */
export async function clusterTls(
  resolved: Pick<ResolvedFixtureOptions, 'tls'>,
  plan: ClusterPlan,
  label: string,
): Promise<ClusterTls | undefined> {
  const { tls } = resolved;
  if (tls === undefined) return undefined;
  if (tls !== 'generate') {
    const own = { cert: tls.cert, key: tls.key };
    return { nodes: new Map(plan.nodes.map((n) => [n.name, own])), client: tls };
  }
  const made = await createClusterCertificates(
    plan.nodes.map((n) => n.name),
    { label },
  );
  return { nodes: made.nodes, client: { ca: made.ca, ...made.client } };
}

/** A file a node is given: its name in the node's TLS folder, its text, and its mode (0600 for keys). */
export interface NodeFile {
  name: string;
  content: string;
  mode: number;
}

/** The TLS files of one node (the names `tlsDirectives` points at): the CA's certificate, its own certificate and key. */
export function nodeTlsFiles(tls: ClusterTls, name: string): NodeFile[] {
  const own = tls.nodes.get(name);
  if (own === undefined) throw new Error(`No certificate for node "${name}"`);
  const files = tlsFileNames({ name });
  return [
    { name: files.ca, content: tls.client.ca, mode: 0o644 },
    { name: files.cert, content: own.cert, mode: 0o644 },
    { name: files.key, content: own.key, mode: 0o600 },
  ];
}
