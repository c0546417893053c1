/**
 * The labels of the fixture's Docker resources, apart from the Docker client (docker.ts), so that
 * the package's entry can export them without loading it.
 */

/** Labels on every container and network the fixture makes. */
export const LABELS = Object.freeze({
  kit: 'redis-cluster-kit',
  pid: 'redis-cluster-kit.pid',
  host: 'redis-cluster-kit.host',
  cluster: 'redis-cluster-kit.cluster',
  node: 'redis-cluster-kit.node',
  name: 'redis-cluster-kit.name',
  /** On clusters kept for reuse (instead of a pid): the options' reuse key. */
  reuse: 'redis-cluster-kit.reuse',
});
