/**
 * Generate a Redis Cluster set-up from one plan: a Docker Compose set-up (`compose`) or
 * redis-server processes on this machine (`local`). The public API: render a target's files,
 * write them all or nothing, or run the CLI (`redis-cluster-compose`) with `main`.
 *
 * @packageDocumentation
 */
export {
  renderTarget,
  renderFiles,
  renderLocalFiles,
  TARGETS,
  DEFAULT_TARGET,
  DEFAULT_OUT,
  DEFAULT_OUTS,
  type Target,
  type TargetRenderOptions,
  type RenderOptions,
  type LocalRenderOptions,
} from './targets';
export type { ClusterJson } from './targets/view';
export { DEFAULT_BIND } from './flags';
export { DEFAULT_PASSWORD_ENV, ENV_FILE, InvalidPasswordError } from './secret';
export {
  writeFiles,
  WriteConflictError,
  OutputPathError,
  type WriteOptions,
  type WritePlan,
  type Conflict,
  type FileStatus,
} from './write';
export { main, USAGE_ERROR, type CliIO } from './cli/main';
