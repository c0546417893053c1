import type { ClusterPlan } from '@redis-cluster-kit/plan';
import { DEFAULT_TARGET, type Target } from './flags';
import { LOCAL_SCRIPT, renderLocalFiles } from './local';
import { renderFiles, type RenderOptions } from './render';

/** Options of {@link renderTarget}: the Compose target reads all of them, the local one `command` and `passwordEnv`. */
export interface TargetRenderOptions extends RenderOptions {
  /** @default "compose" */
  target?: Target;
}

/**
 * Render every file of a target from the plan: the Compose set-up ({@link renderFiles}) or the
 * local one ({@link renderLocalFiles}). A map from relative path to content; pure.
 */
export function renderTarget(plan: ClusterPlan, options: TargetRenderOptions = {}): Map<string, string> {
  const { target = DEFAULT_TARGET, ...rest } = options;
  if (target === 'local') return renderLocalFiles(plan, { command: rest.command, passwordEnv: rest.passwordEnv });
  return renderFiles(plan, rest);
}

/** Files that are written executable (mode 0755), whatever the target. */
export const EXECUTABLE_FILES: ReadonlySet<string> = new Set(['init-cluster.sh', LOCAL_SCRIPT]);
