export {
  renderFiles,
  viewModel,
  clusterJson,
  healthcheckScript,
  headerLine,
  hostAddress,
  validateBind,
  TEMPLATES_DIR,
  INIT_SERVICE,
  READY_SERVICE,
  CONF_PATH,
  INIT_SCRIPT_PATH,
  PASSWORD_ENV_VAR,
  EXECUTABLE_FILES,
  type RenderOptions,
  type ClusterJson,
  type ViewModel,
} from './render';
export {
  PLAN_FLAGS,
  DEFAULT_OUT,
  DEFAULT_BIND,
  REPO_PROGRAM,
  BIN_PROGRAM,
  regenerateCommand,
  describeFlagValues,
  shellWord,
  type PlanFlag,
  type OutputSettings,
} from './flags';
export { writeFiles, planWrite, WriteConflictError, OutputPathError, type WritePlan, type WriteOptions, type FileStatus } from './write';
export { main, USAGE_ERROR, type CliIO } from './cli';
