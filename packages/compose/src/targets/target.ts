import type { ClusterPlan, PlanOptions } from '@redis-cluster-kit/plan';
import type { EnvFileReader } from '../secret';

/** What a target renders with, every setting given (`renderTarget` fills the defaults). */
export interface TargetSettings {
  /** Host address the client ports are published on (a target that publishes none ignores it). */
  bind: string;
  /** The command line that regenerates the files, written into every header. */
  command: string;
  /** With `auth`: the variable holding the password, in the environment or `.env`. */
  passwordEnv: string;
  /** The Kubernetes namespace of every object (a target without one ignores it). */
  namespace: string;
  /** TLS for clients, the cluster bus and replication, with the certificates in `tls/` (`--tls`). */
  tls: boolean;
  /** Users from an ACL file (`--acl-file`), copied to `users.acl`; the generator logs in as its own user. */
  acl: boolean;
}

/** What a target's summary may read, besides the plan: what the CLI was given. */
export interface SummaryContext {
  bind: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * One target of the generator: everything the CLI and `renderTarget` need to know of it. Adding
 * a target is adding one of these to the table (`targets/index.ts`) and its templates.
 */
export interface OutputTarget {
  /** Its name, as `--target` takes it. */
  readonly name: string;
  /** What it writes, for the `--target` help (`a Docker Compose set-up`). */
  readonly choice: string;
  /** What it writes, in full, for the program's description. */
  readonly about: string;
  /** Where the files go when `--out` is not given (relative to the current folder). */
  readonly defaultOut: string;
  /** Plan options whose default differs for this target. */
  readonly planDefaults: Readonly<Partial<PlanOptions>>;
  /** Plan options that must keep their default ({@link planDefaults}) here, and why. */
  readonly fixedOptions: { readonly [K in keyof PlanOptions]?: string };
  /** Flags that do not apply to this target, and why: given with it, whatever their value, they are refused. */
  readonly refusedFlags: Readonly<Record<`--${string}`, string>>;
  /** The files written executable (mode 0755). */
  readonly executables: ReadonlySet<string>;
  /** What reads the password in its `.env`, for that file's first lines and the summary. */
  readonly envReader: EnvFileReader;
  /** Every file, from the plan: a map from relative `/`-separated path to content; pure. */
  render(plan: ClusterPlan, settings: TargetSettings): Map<string, string>;
  /** What was written, for the first line of the summary (`compose.yaml, 6 x nodes/*\/redis.conf, ...`). */
  listing(plan: ClusterPlan): string;
  /**
   * Where the cluster runs, for the second line of the summary. Called before anything is
   * written, so it may refuse a setting it reads (a bad image variable) with a usage error.
   */
  whereItRuns(plan: ClusterPlan, context: SummaryContext): string;
  /** The command that starts the cluster written to `out`. */
  startCommand(out: string): string;
  /** A note after the start command in the help's example, or none. */
  readonly startNote?: string;
  /** A paragraph of the help about this target, or none. */
  readonly helpNote?: string;
  /**
   * Why existing files of `out` may not be replaced, besides an edit (by relative path): checked
   * when `changing` (the files that would be overwritten) is known, before anything is written.
   */
  conflicts?(out: string, plan: ClusterPlan, changing: readonly string[]): ReadonlyMap<string, string>;
}
