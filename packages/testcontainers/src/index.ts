export { startRedisCluster, removeKeptClusters, nodeCommand, MAX_PORT_ATTEMPTS } from './start-redis-cluster';
export { StartedRedisCluster, type ClusterNodeInfo, type ClusterConnectionInfo } from './started-redis-cluster';
export { connectToCluster, parseConnectionInfo, CONNECTION_ENV_VAR } from './connect';
export {
  DEFAULT_FIXTURE_OPTIONS,
  REUSE_ENV_VAR,
  RUNTIME_CHOICES,
  RUNTIME_ENV_VAR,
  SERVER_PATH_ENV_VAR,
  resolveFixtureOptions,
  type RedisClusterOptions,
  type RedisConfig,
  type RuntimeChoice,
} from './options';
export type { RuntimeKind } from './runtime/types';
export { AddressTable, type HostPort, type NatMapObject } from './cluster/address-table';
export {
  DockerUnavailableError,
  ImageUnavailableError,
  ClusterStartupTimeoutError,
  ClusterStartError,
  ClusterStartAbortedError,
  NoRuntimeAvailableError,
  RedisServerUnavailableError,
  NodeExitedError,
  PortInUseError,
} from './errors';
export { InvalidOptionError } from '@redis-cluster-kit/plan';
export { keyHashSlot, keyForSlot, hashTagForSlot } from './util/slots';
export { LABELS } from './runtime/docker/docker';
export type { ClusterLogEvent, ClusterLogger, ClusterPhase } from './util/log';
export {
  DEFAULT_FAULT_TIMEOUT_MS,
  FAILOVER_MODES,
  type FailoverMode,
  type FailoverOptions,
  type MigrateSlotOptions,
  type StartNodeOptions,
  type StopNodeOptions,
  type WaitOptions,
} from './options';
export { ClusterNotOkError } from './errors';
export type { FailoverResult } from './faults/failover';
export type { MigrationResult } from './faults/migration';
export type { PendingMigration } from './faults/node-state';
export { Topology, type TopologyNode } from './cluster/topology';
export { parseClusterNodes, type ClusterNodesEntry } from './cluster/replies';
export { recordEvents, CLUSTER_EVENTS, NODE_CONNECTION_EVENTS, type EventRecording, type RecordedEvent, type RecordEventsOptions, type WaitForEventOptions } from './cluster/events';
export { waitUntil, WaitTimeoutError, type WaitUntilOptions } from './util/wait-until';
