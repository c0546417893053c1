/**
 * The public API of `@redis-cluster-kit/testcontainers` (the Jest helpers are in `./jest`): what the
 * README, docs/fixture.md and docs/faults.md show a user. Tests import what they test from its own file.
 *
 * @packageDocumentation
 */
export { startRedisCluster, removeKeptClusters } from './start-redis-cluster';
export {
  StartedRedisCluster,
  type ClusterNodeInfo,
  type ClusterConnectionInfo,
  type RecycleResult,
} from './started-redis-cluster';
export { connectToCluster, parseConnectionInfo, CONNECTION_ENV_VAR } from './connect';
export {
  DEFAULT_FIXTURE_OPTIONS,
  FAILOVER_MODES,
  FIXTURE_USER,
  FIXTURE_USER_RULES,
  REUSE_ENV_VAR,
  RUNTIME_CHOICES,
  RUNTIME_ENV_VAR,
  SERVER_PATH_ENV_VAR,
  type ClusterLogEvent,
  type ClusterLogger,
  type ClusterNetwork,
  type ClusterPhase,
  type FailoverMode,
  type FailoverOptions,
  type MigrateSlotOptions,
  type RedisClusterOptions,
  type RedisConfig,
  type RunnerClusterOptions,
  type RedisUser,
  type RuntimeChoice,
  type StartNodeOptions,
  type StopNodeOptions,
  type WaitOptions,
} from './options';
export {
  ClusterNotOkError,
  ClusterRecycleError,
  ClusterStartAbortedError,
  ClusterStartError,
  ClusterStartupTimeoutError,
  DockerUnavailableError,
  ImageUnavailableError,
  NodeExitedError,
  NetworkFaultsUnavailableError,
  NoRuntimeAvailableError,
  PortInUseError,
  RedisServerUnavailableError,
  UnsupportedServerError,
} from './errors';
export { InvalidOptionError, type TlsMaterial } from '@redis-cluster-kit/plan';
export type { RuntimeKind } from './runtime/types';
export { LABELS } from './runtime/docker/labels';
export type { HostPort, NatMapObject } from './cluster/address-table';
export { Topology, type TopologyNode } from './cluster/topology';
export type { FailoverResult } from './faults/failover';
export type { MigrationResult } from './faults/migration';
export type { PendingMigration } from './faults/node-state';
export type { NetworkPartition } from './faults/network';
export type { NetworkLink } from './cluster/links';
export {
  recordEvents,
  CLUSTER_EVENTS,
  NODE_CONNECTION_EVENTS,
  type EventRecording,
  type RecordedEvent,
  type RecordEventsOptions,
  type WaitForEventOptions,
} from './cluster/events';
export { keyHashSlot, keyForSlot, hashTagForSlot } from './util/slots';
export { waitUntil, WaitTimeoutError, type WaitUntilOptions } from './util/wait-until';
