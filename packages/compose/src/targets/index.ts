import {
  DEFAULT_PLAN_OPTIONS,
  InvalidOptionError,
  oneOf,
  type ClusterPlan,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import {
  BIN_PROGRAM,
  BIND_FLAG,
  DEFAULT_BIND,
  DEFAULT_NAMESPACE,
  NAMESPACE_FLAG,
  OUT_FLAG,
  ACL_FILE_FLAG,
  PASSWORD_ENV_FLAG,
  PLAN_FLAGS,
  shellWord,
  TARGET_FLAG,
  TLS_FLAG,
} from '../flags';
import { DEFAULT_PASSWORD_ENV } from '../secret';
import { composeTarget } from './compose';
import { kubernetesTarget } from './kubernetes';
import { localTarget } from './local';
import { swarmTarget } from './swarm';
import type { OutputTarget, TargetSettings } from './target';

export type { OutputTarget, SummaryContext, TargetSettings } from './target';

/**
 * What the generator writes from the plan: `compose`, a Docker Compose set-up; `local`, a folder
 * per port for redis-server processes on this machine (no Docker), with `cluster.sh`;
 * `swarm`, a Docker Swarm stack; `kubernetes`, manifests (a StatefulSet and a Job that forms the cluster).
 */
export type Target = 'compose' | 'local' | 'swarm' | 'kubernetes';

/** Every target by its name, the one place that says what a target is: the CLI asks this table. */
const TABLE: { readonly [T in Target]: OutputTarget } = {
  compose: composeTarget,
  local: localTarget,
  swarm: swarmTarget,
  kubernetes: kubernetesTarget,
};

/** Every target's name, in the order the help lists them. */
export const TARGETS = Object.keys(TABLE) as readonly Target[];
/** The target when `--target` is not given: every output made before targets existed is a Compose one. */
export const DEFAULT_TARGET: Target = 'compose';
export const TARGET_ALLOWED = oneOf(TARGETS);

/** Where the files go when `--out` is not given (relative to the current directory), by target. */
export const DEFAULT_OUTS = Object.fromEntries(TARGETS.map((t) => [t, TABLE[t].defaultOut])) as {
  readonly [T in Target]: string;
};
/** Where the files go when neither `--target` nor `--out` is given. */
export const DEFAULT_OUT = DEFAULT_OUTS[DEFAULT_TARGET];

/** The table's entry of a target. @throws InvalidOptionError for a name that is not a target. */
export function outputTarget(name: string): OutputTarget {
  if (!Object.hasOwn(TABLE, name)) throw new InvalidOptionError('target', name, TARGET_ALLOWED);
  return TABLE[name as Target];
}

/** Settings of the output that are not part of the plan. */
export interface OutputSettings {
  /** What is generated. @default "compose" */
  target: Target;
  bind: string;
  out: string;
  /** With `auth`: the variable holding the password. */
  passwordEnv: string;
  /** The Kubernetes namespace (`kubernetes` only). @default "default" */
  namespace: string;
  /** TLS (`--tls`). @default false */
  tls: boolean;
  /** The ACL file as given (`--acl-file`), or undefined. */
  aclFile: string | undefined;
}

/** The default of a plan option for a target: its plan defaults, else the plan's own. */
function targetDefault<K extends keyof PlanOptions>(target: OutputTarget, option: K): PlanOptions[K] {
  return target.planDefaults[option] ?? DEFAULT_PLAN_OPTIONS[option];
}

/**
 * The command line that regenerates a set of files: `--target` unless it is the default, then
 * `--masters` and `--replicas` always, every other flag only where it differs from its default
 * for that target (and never one the target refuses), in PLAN_FLAGS order. Deterministic (no
 * time, no machine state), so the files it heads are too.
 */
export function regenerateCommand(
  options: Readonly<PlanOptions>,
  settings: Partial<OutputSettings> = {},
  program = BIN_PROGRAM,
): string {
  const name = settings.target ?? DEFAULT_TARGET;
  const target = outputTarget(name);
  const applies = (flag: `--${string}`) => !Object.hasOwn(target.refusedFlags, flag);
  const words: string[] = [program];
  if (name !== DEFAULT_TARGET) words.push(TARGET_FLAG, name);
  for (const f of PLAN_FLAGS) {
    const value = options[f.option];
    const always = f.option === 'masters' || f.option === 'replicas';
    if (!applies(f.flag) || (!always && value === targetDefault(target, f.option))) continue;
    if (f.kind === 'boolean') {
      if (value === true) words.push(f.flag);
    } else {
      words.push(f.flag, shellWord(String(value)));
    }
  }
  if (options.auth && settings.passwordEnv !== undefined && settings.passwordEnv !== DEFAULT_PASSWORD_ENV) {
    words.push(PASSWORD_ENV_FLAG, shellWord(settings.passwordEnv));
  }
  if (applies(TLS_FLAG) && settings.tls) words.push(TLS_FLAG);
  if (applies(ACL_FILE_FLAG) && settings.aclFile !== undefined) words.push(ACL_FILE_FLAG, shellWord(settings.aclFile));
  if (applies(BIND_FLAG) && settings.bind !== undefined && settings.bind !== DEFAULT_BIND)
    words.push(BIND_FLAG, shellWord(settings.bind));
  if (applies(NAMESPACE_FLAG) && settings.namespace !== undefined && settings.namespace !== DEFAULT_NAMESPACE)
    words.push(NAMESPACE_FLAG, shellWord(settings.namespace));
  if (settings.out !== undefined && settings.out !== target.defaultOut) words.push(OUT_FLAG, shellWord(settings.out));
  return words.join(' ');
}

/** Options of {@link renderFiles}: the Compose target's settings. */
export interface RenderOptions {
  /** Host address the client ports are published on. @default "127.0.0.1" */
  bind?: string;
  /**
   * The command line that regenerates these files, written into every header.
   * @default the `redis-cluster-compose` command for this plan and `bind`
   */
  command?: string;
  /**
   * With `auth`: the variable Compose reads the password from (in the environment or `.env`).
   * Only its name is written, as `${NAME:?...}`; the password never is.
   * @default "REDIS_PASSWORD"
   */
  passwordEnv?: string;
  /** TLS for clients, the cluster bus and replication (the certificates are written by the CLI, in `tls/`). @default false */
  tls?: boolean;
  /** Users from this ACL file (the CLI copies it to `users.acl`); only its name goes into the headers. @default none */
  aclFile?: string;
}

/** Options of {@link renderLocalFiles}. */
export interface LocalRenderOptions {
  /** The command line that regenerates these files, written into every header. @default the `redis-cluster-compose --target local` command for this plan */
  command?: string;
  /** With `auth`: the variable holding the password, in the environment or `.env`. @default "REDIS_PASSWORD" */
  passwordEnv?: string;
  /** TLS (see {@link RenderOptions.tls}). @default false */
  tls?: boolean;
  /** Users from this ACL file (see {@link RenderOptions.aclFile}). @default none */
  aclFile?: string;
}

/** Options of {@link renderTarget}: the Compose target reads all but `namespace`, the local one `command` and `passwordEnv`, the Kubernetes one all but `bind`. */
export interface TargetRenderOptions extends RenderOptions {
  /** What to render: the Compose set-up, the local one or Kubernetes manifests. @default "compose" */
  target?: Target;
  /** The namespace of every Kubernetes object (`kubernetes` only). @default "default" */
  namespace?: string;
}

/** The settings a target renders with: the options given, the defaults for the others. */
export function renderSettings(plan: ClusterPlan, options: TargetRenderOptions = {}): TargetSettings {
  const {
    target = DEFAULT_TARGET,
    bind = DEFAULT_BIND,
    passwordEnv = DEFAULT_PASSWORD_ENV,
    namespace = DEFAULT_NAMESPACE,
    tls = false,
    aclFile,
  } = options;
  return {
    bind,
    passwordEnv,
    namespace,
    tls,
    acl: aclFile !== undefined,
    command:
      options.command ??
      regenerateCommand(plan.options, { target, bind, passwordEnv, namespace, tls, aclFile }, BIN_PROGRAM),
  };
}

/**
 * Render every file of a target from the plan: a map from relative path (`/`-separated) to
 * content. Pure apart from reading the templates once.
 * @throws InvalidOptionError for a value the target cannot use.
 */
export function renderTarget(plan: ClusterPlan, options: TargetRenderOptions = {}): Map<string, string> {
  return outputTarget(options.target ?? DEFAULT_TARGET).render(plan, renderSettings(plan, options));
}

/** Every file of the Compose set-up: compose.yaml, a redis.conf per node, init-cluster.sh, cluster.json, README.md (and .gitignore with auth). */
export function renderFiles(plan: ClusterPlan, options: RenderOptions = {}): Map<string, string> {
  return renderTarget(plan, { ...options, target: 'compose' });
}

/**
 * Every file of the local set-up: `<port>/redis.conf` per node, `cluster.sh`, `cluster.json`,
 * `README.md` and `.gitignore`.
 * @throws InvalidOptionError when nodes do not announce 127.0.0.1.
 */
export function renderLocalFiles(plan: ClusterPlan, options: LocalRenderOptions = {}): Map<string, string> {
  return renderTarget(plan, { ...options, target: 'local' });
}
