export { startRedisCluster, removeKeptClusters, nodeCommand } from './start';
export { StartedRedisCluster, type ClusterNodeInfo } from './started-cluster';
export { DEFAULT_FIXTURE_OPTIONS, REUSE_ENV_VAR, resolveFixtureOptions, type RedisClusterOptions, type RedisConfig } from './options';
export { AddressTable, type HostPort, type NatMapObject } from './address-table';
export { DockerUnavailableError, ImageUnavailableError, ClusterStartupTimeoutError, ClusterStartError } from './errors';
export { InvalidOptionError } from '@redis-cluster-kit/plan';
export { keyHashSlot, keyForSlot, hashTagForSlot } from './slots';
export { LABELS } from './docker';
export type { ClusterLogEvent, ClusterLogger, ClusterPhase } from './log';
