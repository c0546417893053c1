// The public API: the plan options and their defaults, the plan, the redis.conf directives of a node.
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
  renderDirectives,
  directivesToArgs,
  DATA_DIR,
  type Directive,
  type NodeDirectiveOptions,
} from './config';
