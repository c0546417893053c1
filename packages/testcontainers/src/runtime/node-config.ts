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
  type ClusterPlan,
  type Directive,
  type NodeDirectiveOptions,
} from '@redis-cluster-kit/plan';
import type { ResolvedFixtureOptions } from '../resolve-options';

/** Where a node's container holds its TLS files: under its data folder, which the official images' entrypoint hands to the redis user. */
export const CONTAINER_TLS_DIR = '/data/tls';

/** Every directive of node `name`, in the order redis-server applies them (later wins). */
export function nodeConfig(
  plan: ClusterPlan,
  name: string,
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig'>,
  where: NodeDirectiveOptions = {},
  /** Directives of the runtime itself (e.g. the process runtime's `pidfile`), before the user's. */
  runtimeDirectives: readonly Directive[] = [],
): Directive[] {
  const directives: Directive[] = [...nodeDirectives(plan, findNode(plan, name), where)];
  if (resolved.password !== undefined)
    directives.push(['requirepass', resolved.password], ['masterauth', resolved.password]);
  directives.push(...runtimeDirectives, ...resolved.redisConfig);
  return directives;
}

/** A redis.conf file of these directives (the plan's renderDirectives: a password with spaces or quotes stays one argument). */
export function renderConfigFile(
  directives: readonly Directive[],
  header = '# written by redis-cluster-kit (process runtime) - do not edit',
): string {
  return `${header}\n${renderDirectives(directives)}\n`;
}

/** The redis-server command line of one node (the Docker runtime's container command). */
export function nodeCommand(
  plan: ClusterPlan,
  name: string,
  resolved: Pick<ResolvedFixtureOptions, 'password' | 'redisConfig' | 'tls'>,
): string[] {
  const where = resolved.tls === undefined ? {} : { tlsDir: CONTAINER_TLS_DIR };
  return ['redis-server', ...directivesToArgs(nodeConfig(plan, name, resolved, where))];
}
