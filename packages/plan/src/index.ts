/**
 * The pure plan of a Redis Cluster, no I/O: the options and their one constant of defaults, the
 * plan (names, ports, slot ranges, replicas) and each node's redis.conf directives.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_PLAN_OPTIONS,
  OPTION_SPECS,
  ANNOUNCE_MODES,
  PERSISTENCE_MODES,
  MAX_NODES,
  SLOT_COUNT,
  oneOf,
  resolvePlanOptions,
  IMAGE_ENV_VAR,
  imageFromEnv,
  type AnnounceMode,
  type Persistence,
  type PlanOptions,
} from './options';
export { InvalidOptionError, describeValue } from './errors';
export {
  createPlan,
  splitSlots,
  announcedAddress,
  findNode,
  type ClusterPlan,
  type PlannedNode,
  type Shard,
  type SlotRange,
  type NodeRole,
} from './plan';
export {
  nodeDirectives,
  tlsDirectives,
  tlsFileNames,
  renderDirectives,
  directivesToArgs,
  DATA_DIR,
  type Directive,
  type NodeDirectiveOptions,
} from './config';
export {
  SUPPORTED_ENGINES,
  SUPPORTED_ENGINES_TEXT,
  SERVER_NAMES,
  CLI_NAMES,
  SERVER_LAUNCH_SCRIPT,
  CLI_LOOKUP,
  serverFromInfo,
  serverFromVersionOutput,
  describeServer,
  unsupportedServerReason,
  type EngineName,
  type ServerIdentity,
} from './engines';
export {
  createClusterCertificates,
  certificateProblem,
  LOCAL_NAMES,
  type CertificateOptions,
  type CertifiedKey,
  type ClusterCertificates,
  type TlsMaterial,
} from './certificates';
