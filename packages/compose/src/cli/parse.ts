import { CommanderError, Option } from 'commander';
import {
  createPlan,
  describeValue,
  InvalidOptionError,
  OPTION_SPECS,
  type ClusterPlan,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import {
  BIND_FLAG,
  DEFAULT_BIND,
  DEFAULT_NAMESPACE,
  NAMESPACE_FLAG,
  OUT_FLAG,
  ACL_FILE_FLAG,
  PASSWORD_ENV_FLAG,
  PLAN_FLAGS,
  TARGET_FLAG,
  validateBind,
  validateNamespace,
} from '../flags';
import { DEFAULT_PASSWORD_ENV, validatePasswordEnv } from '../secret';
import { DEFAULT_TARGET, outputTarget, TARGET_ALLOWED, TARGETS, type Target } from '../targets';
import { UsageError, type CliIO } from './io';
import { allowedFor, buildProgram, commanderMessage, OUT_ALLOWED } from './program';

/**
 * Parse an integer flag strictly: digits only (an optional minus), so `3x`, `1.5` and `` are
 * errors, and a number too large to be exact is named as it was typed.
 */
function parseInteger(flag: string, option: keyof PlanOptions, text: string): number {
  const value = Number(text);
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(value))
    throw new InvalidOptionError(flag, text, OPTION_SPECS[option].allowed);
  return value;
}

/** Everything the command line asks for, validated. */
export interface Parsed {
  target: Target;
  plan: ClusterPlan;
  bind: string;
  namespace: string;
  out: string;
  passwordEnv: string;
  passwordStdin: boolean;
  force: boolean;
  dryRun: boolean;
  /** TLS (`--tls`). */
  tls: boolean;
  /** The ACL file as given (`--acl-file`): read by the CLI, not here. */
  aclFile: string | undefined;
}

/**
 * Parse and validate the whole command line, reading nothing but `argv`: every error is thrown
 * (one line) before anything is read from stdin or the disk. `undefined` for --help / --version.
 */
export function parseCommandLine(argv: readonly string[], io: CliIO): Parsed | undefined {
  const program = buildProgram(io);
  // A flag given twice is an error: count every occurrence (both --flag v and --flag=v forms).
  const seen = new Map<string, string[]>();
  for (const option of program.options) {
    const name = option.attributeName();
    program.on(`option:${option.name()}`, (value: string | boolean | undefined) => {
      const list = seen.get(name) ?? [];
      list.push(value === undefined ? '' : String(value));
      seen.set(name, list);
      // `--masters --replicas 1`: commander takes the next flag as the value; say what happened.
      if ((option.required || option.optional) && typeof value === 'string' && /^--?[A-Za-z]/.test(value)) {
        throw new UsageError(
          `Invalid option ${option.long} (no value: ${describeValue(value)} is an option). Expected ${allowedFor(option.long)}.`,
        );
      }
      if (list.length === 2) {
        const shown = option.required || option.optional ? ` (${list.map((v) => describeValue(v)).join(' and ')})` : '';
        throw new UsageError(`Invalid option ${option.long} given twice${shown}. Expected it at most once.`);
      }
    });
  }
  try {
    program.parse([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return undefined; // --help, --version
      throw new UsageError(commanderMessage(e, program, argv));
    }
    throw e;
  }
  const opts = program.opts<Record<string, string | boolean | undefined>>();

  const targetArg = opts.target as string | undefined;
  if (targetArg !== undefined && !(TARGETS as readonly string[]).includes(targetArg))
    throw new InvalidOptionError(TARGET_FLAG, targetArg, TARGET_ALLOWED);
  const target = (targetArg ?? DEFAULT_TARGET) as Target;
  const spec = outputTarget(target);
  const given = (flag: string) => opts[new Option(flag).attributeName()];
  // Flags that do not apply to the target: refused, whatever their value.
  for (const [flag, why] of Object.entries(spec.refusedFlags)) {
    const raw = given(flag);
    if (raw === undefined) continue;
    const onlyWith = TARGETS.filter((t) => !Object.hasOwn(outputTarget(t).refusedFlags, flag)).map(
      (t) => `${TARGET_FLAG} ${t}`,
    );
    throw new UsageError(
      `Invalid option ${flag} ${describeValue(raw)} with ${TARGET_FLAG} ${target}. Expected ${flag} only with ${onlyWith.join(' or ')}: ${why}.`,
    );
  }
  // Plan options the target fixes: any other value is refused.
  for (const f of PLAN_FLAGS) {
    const why = spec.fixedOptions[f.option];
    const raw = given(f.flag);
    const fixed = spec.planDefaults[f.option];
    if (why === undefined || raw === undefined || String(raw) === String(fixed)) continue;
    throw new UsageError(
      `Invalid option ${f.flag} ${describeValue(raw)} with ${TARGET_FLAG} ${target}. Expected ${describeValue(fixed)} (the default there): ${why}.`,
    );
  }

  const input: Partial<PlanOptions> = { ...spec.planDefaults };
  for (const f of PLAN_FLAGS) {
    const raw = opts[new Option(f.flag).attributeName()];
    if (raw === undefined) continue;
    const value = f.kind === 'integer' ? parseInteger(f.flag, f.option, String(raw)) : raw;
    (input as Record<string, unknown>)[f.option] = value;
  }
  const passwordEnvArg = opts.passwordEnv as string | undefined;
  const passwordEnv =
    passwordEnvArg === undefined ? DEFAULT_PASSWORD_ENV : validatePasswordEnv(passwordEnvArg, PASSWORD_ENV_FLAG);
  const passwordStdin = opts.passwordStdin === true;
  // Naming the password's variable or giving the password means the nodes need one.
  if (passwordEnvArg !== undefined || passwordStdin) input.auth = true;
  const aclFile = opts.aclFile as string | undefined;
  if (aclFile !== undefined) {
    // eslint-disable-next-line no-control-regex -- control characters are what this refuses
    if (aclFile === '' || aclFile.startsWith('-') || /[\u0000-\u001f\u007f]/.test(aclFile))
      throw new InvalidOptionError(ACL_FILE_FLAG, aclFile, 'a readable Redis ACL file (a path, not starting with "-")');
    if (input.auth)
      throw new UsageError(
        `Invalid option --auth (or ${PASSWORD_ENV_FLAG}, --password-stdin) with ${ACL_FILE_FLAG}. Expected one of them: with an ACL file its users have the passwords (a line "user default on >PASSWORD ~* &* +@all" gives the default user one).`,
      );
  }
  let plan: ClusterPlan;
  try {
    plan = createPlan(input);
  } catch (e) {
    if (e instanceof InvalidOptionError) {
      const f = PLAN_FLAGS.find((p) => p.option === e.option);
      throw new InvalidOptionError(f?.flag ?? e.option, e.value, e.allowed);
    }
    throw e;
  }
  const bind = validateBind(opts.bind ?? DEFAULT_BIND, BIND_FLAG);
  const namespace = validateNamespace(opts.namespace ?? DEFAULT_NAMESPACE, NAMESPACE_FLAG);
  const out = (opts.out as string | undefined) ?? spec.defaultOut;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (out === '' || out.startsWith('-') || /[\u0000-\u001f\u007f]/.test(out))
    throw new InvalidOptionError(OUT_FLAG, out, OUT_ALLOWED);
  return {
    target,
    plan,
    bind,
    namespace,
    out,
    passwordEnv,
    passwordStdin,
    force: opts.force === true,
    dryRun: opts.dryRun === true,
    tls: opts.tls === true,
    aclFile,
  };
}
