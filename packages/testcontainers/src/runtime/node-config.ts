/**
 * One node's redis-server configuration, the same for every runtime: the plan's directives
 * (`nodeDirectives`, shared with the Compose files), the password, then the user's extra
 * directives. The Docker runtime passes it as command-line arguments; the process runtime
 * writes it to the node's `redis.conf` (mode 0600: the password is not on any command line a
 * `ps` on the machine shows).
 */
import {
  directivesToArgs,
  findNode,
  nodeDirectives,
  renderDirectives,
  SERVER_LAUNCH_SCRIPT,
  type ClusterPlan,
  type Directive,
  type NodeDirectiveOptions,
} from '@redis-cluster-kit/plan';
import type { ResolvedFixtureOptions } from '../resolve-options';
import { secretDirectives } from '../security';

/** Where a node's container holds its TLS files: under its data folder, which the official images' entrypoint hands to the redis user. */
export const CONTAINER_TLS_DIR = '/data/tls';

/** Every directive of node `name`, in the order redis-server applies them (later wins). */
export function nodeConfig(
  plan: ClusterPlan,
  name: string,
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig' | 'users' | 'fixtureUser'>,
  where: NodeDirectiveOptions = {},
  /** Directives of the runtime itself (e.g. the process runtime's `pidfile`), before the user's. */
  runtimeDirectives: readonly Directive[] = [],
): Directive[] {
  const directives: Directive[] = [...nodeDirectives(plan, findNode(plan, name), where)];
  directives.push(...secretDirectives(resolved), ...runtimeDirectives, ...resolved.redisConfig);
  return directives;
}

/** A redis.conf file of these directives (the plan's renderDirectives: a password with spaces or quotes stays one argument). */
export function renderConfigFile(
  directives: readonly Directive[],
  header = '# written by redis-cluster-kit (process runtime) - do not edit',
): string {
  return `${header}\n${renderDirectives(directives)}\n`;
}

/** Where a node's container holds the directives with secrets ({@link secretDirectives}), mode 0600: read before the command line's. */
export const CONTAINER_SECRETS_FILE = '/data/secrets.conf';

/**
 * The command line of one node (the Docker runtime's container command): `sh -c` runs the
 * image's `redis-server`, or its `valkey-server` where it has only Valkey's names (Debian's
 * Valkey packages), with the node's directives as arguments; and the config file with its
 * secrets (password, ACL users) that must be copied into the container first: a secret is never
 * an argument, which `docker inspect` and `ps` would show.
 */
export function nodeCommand(
  plan: ClusterPlan,
  name: string,
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig' | 'tls' | 'users' | 'fixtureUser'>,
): { command: string[]; secrets: string | undefined } {
  const where = resolved.tls === undefined ? {} : { tlsDir: CONTAINER_TLS_DIR };
  const secrets = secretDirectives(resolved);
  const open = nodeConfig(plan, name, { ...resolved, password: undefined, users: [], fixtureUser: undefined }, where);
  if (secrets.length === 0) return { command: [...SERVER_COMMAND, ...directivesToArgs(open)], secrets: undefined };
  return {
    command: [...SERVER_COMMAND, CONTAINER_SECRETS_FILE, ...directivesToArgs(open)],
    secrets: renderConfigFile(secrets, '# written by redis-cluster-kit (Docker runtime) - do not edit'),
  };
}

/** What comes before a node's directives in its container's command (`$0` of the script names the kit). */
export const SERVER_COMMAND = ['sh', '-c', SERVER_LAUNCH_SCRIPT, 'redis-cluster-kit'] as const;
