// The public API: render a target's files from a plan, write them all or nothing, or run the CLI.
// Everything else is reached through its own module, by this package's code and tests only.
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
