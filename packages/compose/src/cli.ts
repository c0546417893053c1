import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  createPlan,
  describeValue,
  IMAGE_ENV_VAR,
  imageFromEnv,
  InvalidOptionError,
  OPTION_SPECS,
  type ClusterPlan,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import {
  BIN_PROGRAM,
  DEFAULT_BIND,
  DEFAULT_OUTS,
  DEFAULT_TARGET,
  describeFlagValues,
  PLAN_FLAGS,
  REPO_PROGRAM,
  regenerateCommand,
  TARGET_ALLOWED,
  TARGET_PLAN_DEFAULTS,
  TARGETS,
  type Target,
} from './flags';
import { LOCAL_HOST, LOCAL_SCRIPT, PID_FILE } from './local';
import { BIND_ALLOWED, validateBind } from './render';
import { EXECUTABLE_FILES, renderTarget } from './targets';
import {
  COMPOSE_ENV_READER,
  DEFAULT_PASSWORD_ENV,
  ENV_FILE,
  InvalidPasswordError,
  PASSWORD_ENV_ALLOWED,
  passwordFromStdin,
  planEnvFile,
  redactEnv,
  validatePassword,
  validatePasswordEnv,
  type GivenPassword,
  type PasswordSource,
} from './secret';
import { conflictsOf, fileMode, OutputPathError, planWrite, WriteConflictError, writeFiles, type WriteOptions, type WritePlan } from './write';

/** Exit code of every usage error (bad flag or value, refused overwrite, unusable --out). */
export const USAGE_ERROR = 2;

/** Where the CLI writes; the real process's streams by default, buffers in tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** All of standard input, for `--password-stdin`. @default read from the process's stdin */
  stdin?: () => string;
}

const OUT_ALLOWED = 'a folder path (not empty, not starting with "-", no control characters)';

/** A usage error: printed as its one-line message, exit code 2. */
class UsageError extends Error {}

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Parse an integer flag strictly: digits only (an optional minus), so `3x`, `1.5` and `` are
 * errors, and a number too large to be exact is named as it was typed.
 */
function parseInteger(flag: string, option: keyof PlanOptions, text: string): number {
  const value = Number(text);
  if (!/^-?[0-9]+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidOptionError(flag, text, OPTION_SPECS[option].allowed);
  return value;
}

const TARGET_FLAG = '--target';
const OUT_FLAG = '--out';
const BIND_FLAG = '--bind';
/** Why `--bind` does not apply to local nodes. */
const BIND_NOT_LOCAL = `local nodes listen on ${LOCAL_HOST} only`;
const PASSWORD_ENV_FLAG = '--password-env';
const PASSWORD_STDIN_FLAG = '--password-stdin';
/** Where passwords may come from, for messages that refuse one on the command line. */
const PASSWORD_WAYS = `pipe it to ${PASSWORD_STDIN_FLAG} or set the variable named by ${PASSWORD_ENV_FLAG} (default ${DEFAULT_PASSWORD_ENV})`;

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stdin: () => {
    if (process.stdin.isTTY) {
      throw new UsageError(`Invalid option ${PASSWORD_STDIN_FLAG}: standard input is a terminal. Expected the password piped in, e.g. printf '%s' "$SECRET" | ${BIN_PROGRAM} --auth ${PASSWORD_STDIN_FLAG}.`);
    }
    return readFileSync(0, 'utf8');
  },
};

function buildProgram(io: CliIO): Command {
  const program = new Command(BIN_PROGRAM)
    .description(
      'Generate a Docker Compose set-up for a Redis Cluster: compose.yaml, one redis.conf per node, ' +
        'init-cluster.sh (forms the cluster exactly as planned), cluster.json (plan, startupNodes, natMap) and README.md; ' +
        'with --auth also .env (the password, mode 0600) and a .gitignore that lists it. ' +
        `With --target local, the same cluster as redis-server processes on this machine, no Docker: a folder per port with its redis.conf, ` +
        `${LOCAL_SCRIPT} (up, start, form, check, status, stop, clean), cluster.json, README.md and a .gitignore.`,
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .allowExcessArguments(false)
    .exitOverride()
    // A fixed width, so the help (and the README's copy of it) is the same in every terminal.
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined, getOutHelpWidth: () => 80 });
  program.addOption(
    new Option(
      `${TARGET_FLAG} <target>`,
      `what to write: a Docker Compose set-up (compose), or a folder per port and ${LOCAL_SCRIPT} for local redis-server processes (local); ${TARGET_ALLOWED} (default: ${DEFAULT_TARGET})`,
    ),
  );
  for (const f of PLAN_FLAGS) {
    const flags = f.kind === 'boolean' ? f.flag : `${f.flag} ${f.valueName}`;
    program.addOption(new Option(flags, `${f.description}${f.kind === 'boolean' ? ' ' : '; '}${describeFlagValues(f)}`));
  }
  program
    .addOption(
      new Option(
        `${PASSWORD_ENV_FLAG} <name>`,
        `the variable holding the password, in the environment when generating and in .env; implies --auth; an upper-case variable name (default: ${DEFAULT_PASSWORD_ENV})`,
      ),
    )
    .addOption(
      new Option(
        PASSWORD_STDIN_FLAG,
        'read the password from standard input (passwords are never taken as arguments: shell history and ps keep those); implies --auth',
      ),
    )
    .addOption(new Option(`${OUT_FLAG} <dir>`, `folder to write, relative to the current one (default: ${DEFAULT_OUTS.compose}, or ${DEFAULT_OUTS.local} with --target local)`))
    .addOption(new Option(`${BIND_FLAG} <address>`, `host address to publish the client ports on; not with --target local (${BIND_NOT_LOCAL}); an IPv4 address (default: ${DEFAULT_BIND})`))
    .addOption(new Option('--force', 'overwrite files whose content differs, and change the password in an existing .env'))
    .addOption(new Option('--dry-run', 'print what would be written, write nothing'));
  program.addHelpText(
    'after',
    `\nThe image is written as \${${IMAGE_ENV_VAR}:-<image>}: ${IMAGE_ENV_VAR} set when Compose runs picks another one.` +
      `\nErrors exit with code ${USAGE_ERROR} and write nothing. Examples:\n  ${BIN_PROGRAM} --masters 3 --replicas 1 --out compose/redis-cluster` +
      `\n  docker compose -f compose/redis-cluster/compose.yaml up -d --wait` +
      `\n  ${BIN_PROGRAM} --target local --masters 3 --replicas 1 --out local/redis-cluster` +
      `\n  sh local/redis-cluster/${LOCAL_SCRIPT} up   # redis-server and redis-cli from PATH (or REDIS_SERVER, REDIS_CLI)`,
  );
  return program;
}

/** Translate commander's own errors into this CLI's one-line messages. */
function commanderMessage(error: CommanderError, program: Command, argv: readonly string[]): string {
  const known = program.options.map((o) => o.long).filter((l): l is string => !!l);
  // Only the flag's name: a value after `=` is never repeated (it may be a password).
  const flagIn = (m: string) => /'(-[^' =]+)/.exec(m)?.[1] ?? '?';
  switch (error.code) {
    case 'commander.unknownOption': {
      const flag = flagIn(error.message);
      if (flag === '--password' || flag === '--requirepass' || flag === '--pass') {
        return `Unknown option ${flag}: passwords are not taken as arguments (shell history and ps keep those). Expected --auth and the password piped to ${PASSWORD_STDIN_FLAG}, or in the variable named by ${PASSWORD_ENV_FLAG} (default ${DEFAULT_PASSWORD_ENV}).`;
      }
      if (known.includes(flag)) {
        // Commander reports `--auth=yes` as unknown: the flag is known, the value is not wanted.
        return `Invalid option ${flag} (a value after "=", not shown). Expected ${flag} alone: it takes no value.`;
      }
      return `Unknown option ${flag}. Expected one of: ${known.join(', ')}.`;
    }
    case 'commander.optionMissingArgument': {
      const option = program.options.find((o) => o.long && error.message.includes(`'${o.flags}'`)) ?? program.options.find((o) => o.long && error.message.includes(`${o.long} `));
      const flag = option?.long ?? flagIn(error.message);
      return `Invalid option ${flag} (no value). Expected ${allowedFor(flag)}.`;
    }
    case 'commander.excessArguments': {
      // An argument right after a flag that takes no value may be a password typed by mistake:
      // it is not repeated.
      const before = argv[argv.indexOf(program.args[0]!) - 1];
      if (before === '--auth' || before === PASSWORD_STDIN_FLAG) {
        return `Unexpected argument after ${before} (not shown: it may be a password). Expected only options: ${before} takes no value; ${PASSWORD_WAYS}.`;
      }
      return `Unexpected argument ${describeValue(program.args[0])}. Expected only options (see --help).`;
    }
    default:
      return error.message.replace(/^error: /, '').split('\n')[0]!;
  }
}

/** Everything the command line asks for, validated. */
interface Parsed {
  target: Target;
  plan: ClusterPlan;
  bind: string;
  out: string;
  passwordEnv: string;
  passwordStdin: boolean;
  force: boolean;
  dryRun: boolean;
}

/** What a flag that takes a value allows, for messages. */
function allowedFor(long: string | undefined): string {
  const spec = PLAN_FLAGS.find((f) => f.flag === long);
  if (spec) return OPTION_SPECS[spec.option].allowed;
  if (long === OUT_FLAG) return OUT_ALLOWED;
  if (long === TARGET_FLAG) return TARGET_ALLOWED;
  if (long === BIND_FLAG) return BIND_ALLOWED;
  if (long === PASSWORD_ENV_FLAG) return PASSWORD_ENV_ALLOWED;
  return 'a value';
}

/**
 * Parse and validate the whole command line, reading nothing but `argv`: every error is thrown
 * (one line) before anything is read from stdin or the disk. `undefined` for --help / --version.
 */
function parseCommandLine(argv: readonly string[], io: CliIO): Parsed | undefined {
  const program = buildProgram(io);
  // A flag given twice is an error: count every occurrence (both --flag v and --flag=v forms).
  const seen = new Map<string, string[]>();
  for (const option of program.options) {
    const name = option.attributeName();
    program.on(`option:${option.name()}`, (value: unknown) => {
      const list = seen.get(name) ?? [];
      list.push(value === undefined ? '' : String(value));
      seen.set(name, list);
      // `--masters --replicas 1`: commander takes the next flag as the value; say what happened.
      if ((option.required || option.optional) && typeof value === 'string' && /^--?[A-Za-z]/.test(value)) {
        throw new UsageError(`Invalid option ${option.long} (no value: ${describeValue(value)} is an option). Expected ${allowedFor(option.long)}.`);
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
  if (targetArg !== undefined && !(TARGETS as readonly string[]).includes(targetArg)) throw new InvalidOptionError(TARGET_FLAG, targetArg, TARGET_ALLOWED);
  const target = (targetArg ?? DEFAULT_TARGET) as Target;
  // Flags of one target only: given with another, they are refused, whatever their value.
  const notWith = (flag: string, value: unknown, why: string) =>
    new UsageError(`Invalid option ${flag} ${describeValue(value)} with ${TARGET_FLAG} ${target}. Expected ${flag} only with ${TARGET_FLAG} compose: ${why}.`);
  for (const f of PLAN_FLAGS) {
    const raw = opts[new Option(f.flag).attributeName()];
    if (raw !== undefined && f.targets && !f.targets.includes(target)) throw notWith(f.flag, raw, f.notApplicable ?? `it does not apply to ${TARGET_FLAG} ${target}`);
  }
  if (target === 'local' && opts.bind !== undefined) throw notWith(BIND_FLAG, opts.bind, BIND_NOT_LOCAL);
  if (target === 'local' && opts.announce !== undefined && opts.announce !== TARGET_PLAN_DEFAULTS.local.announce) {
    throw new UsageError(
      `Invalid option --announce ${describeValue(opts.announce)} with ${TARGET_FLAG} local. Expected "${TARGET_PLAN_DEFAULTS.local.announce}" (the default there): local nodes announce ${LOCAL_HOST}, their names do not resolve on this machine.`,
    );
  }

  const input: Partial<PlanOptions> = { ...TARGET_PLAN_DEFAULTS[target] };
  for (const f of PLAN_FLAGS) {
    const raw = opts[new Option(f.flag).attributeName()];
    if (raw === undefined) continue;
    const value = f.kind === 'integer' ? parseInteger(f.flag, f.option, String(raw)) : raw;
    (input as Record<string, unknown>)[f.option] = value;
  }
  const passwordEnvArg = opts.passwordEnv as string | undefined;
  const passwordEnv = passwordEnvArg === undefined ? DEFAULT_PASSWORD_ENV : validatePasswordEnv(passwordEnvArg, PASSWORD_ENV_FLAG);
  const passwordStdin = opts.passwordStdin === true;
  // Naming the password's variable or giving the password means the nodes need one.
  if (passwordEnvArg !== undefined || passwordStdin) input.auth = true;
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
  const out = (opts.out as string | undefined) ?? DEFAULT_OUTS[target];
  if (out === '' || out.startsWith('-') || /[\u0000-\u001f\u007f]/.test(out)) throw new InvalidOptionError(OUT_FLAG, out, OUT_ALLOWED);
  return { target, plan, bind, out, passwordEnv, passwordStdin, force: opts.force === true, dryRun: opts.dryRun === true };
}

/** The password given when generating (stdin, else the variable in the environment), validated. */
function givenPassword(args: Parsed, io: CliIO): GivenPassword | undefined {
  if (args.passwordStdin) return { secret: passwordFromStdin((io.stdin ?? defaultIO.stdin!)()), source: 'stdin' };
  const fromEnv = io.env[args.passwordEnv];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  return { secret: validatePassword(fromEnv, `the environment variable ${args.passwordEnv}`), source: 'environment' };
}

/** The content of `<out>/.env` now, or undefined when there is none (or no folder yet). */
function readEnvFile(out: string): string | undefined {
  const path = join(out, ENV_FILE);
  try {
    if (!statSync(path).isFile()) throw new OutputPathError(`Cannot use "${path}": it is not a file.`);
    return readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined; // the write reports a file in the way
    throw new OutputPathError(`Cannot read "${path}": ${code ?? 'error'}.`);
  }
}

/**
 * The node folders of `out` (named by a port) that are not in `ports` and whose pid file names
 * a live process: nodes an older cluster.sh started, which the new one would not know.
 */
function runningNodesOutside(out: string, ports: ReadonlySet<string>): string[] {
  let entries: string[];
  try {
    entries = readdirSync(out);
  } catch {
    return [];
  }
  return entries
    .filter((name) => /^\d+$/.test(name) && !ports.has(name))
    .filter((name) => {
      try {
        const pid = Number(readFileSync(join(out, name, PID_FILE), 'utf8').trim());
        if (!Number.isInteger(pid) || pid <= 0) return false;
        process.kill(pid, 0);
        return true;
      } catch (e) {
        // EPERM: alive, another user's process.
        return (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    })
    .sort((a, b) => Number(a) - Number(b));
}

/** Split a command line as {@link shellWord} quotes words (plain words and '...' with '\'' inside). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const HEADER = /generated by redis-cluster-kit \((.*)\) - do not edit/;

/**
 * Which of the existing files were edited since they were generated: a file is pristine when it
 * is exactly what the command in its own header generates (the header names every option).
 * Anything else (edited, no header, written by another version) counts as edited.
 */
function editedFiles(out: string, paths: readonly string[]): Set<string> {
  const edited = new Set<string>();
  const rendered = new Map<string, Map<string, string> | undefined>();
  const silent: CliIO = { stdout: () => undefined, stderr: () => undefined, env: {} };
  for (const path of paths) {
    let content: string;
    try {
      content = readFileSync(join(out, path), 'utf8');
    } catch {
      edited.add(path);
      continue;
    }
    const command = HEADER.exec(content)?.[1];
    if (command === undefined) {
      edited.add(path);
      continue;
    }
    if (!rendered.has(command)) {
      let files: Map<string, string> | undefined;
      try {
        const words = shellWords(command);
        const flags = words.slice(words.findIndex((w) => w.startsWith('--')));
        const args = words.some((w) => w.startsWith('--')) ? parseCommandLine(flags, silent) : parseCommandLine([], silent);
        if (args) files = renderTarget(args.plan, { target: args.target, bind: args.bind, command, passwordEnv: args.passwordEnv });
      } catch {
        files = undefined;
      }
      rendered.set(command, files);
    }
    if (rendered.get(command)?.get(path) !== content) edited.add(path);
  }
  return edited;
}

const SOURCES: Record<PasswordSource, string> = {
  generated: 'a new random one',
  environment: 'from the environment',
  stdin: 'from stdin',
  kept: 'kept as it was',
};

/**
 * Run the CLI with `argv` (without node and the script) and return its exit code:
 * 0 done (or help/version), 2 usage error (one line on stderr, nothing written).
 * The password is never printed: not in messages, errors or `--dry-run` output.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIO = defaultIO): Promise<number> {
  try {
    const args = parseCommandLine(argv, io);
    if (!args) return 0;
    const { target, plan, bind, out: outArg, passwordEnv, force } = args;
    const local = target === 'local';
    // The environment's image is used when Compose runs; a bad value is caught here already.
    // Local nodes use no image: the variable means nothing to them.
    const envImage = !local && io.env[IMAGE_ENV_VAR] ? imageFromEnv(io.env) : undefined;
    const programName = io.env.npm_lifecycle_event === 'gen:compose' ? REPO_PROGRAM : BIN_PROGRAM;
    const command = regenerateCommand(plan.options, { target, bind, out: outArg, passwordEnv }, programName);
    const files = renderTarget(plan, { target, bind, command, passwordEnv });

    const writeOptions: WriteOptions = { force, executable: EXECUTABLE_FILES, secret: new Set([ENV_FILE]), conflictReasons: new Map() };
    let passwordSource: PasswordSource | undefined;
    if (plan.options.auth) {
      const reader = local ? { of: LOCAL_SCRIPT, reader: LOCAL_SCRIPT } : COMPOSE_ENV_READER;
      const env = planEnvFile(readEnvFile(outArg), passwordEnv, givenPassword(args, io), command, reader);
      files.set(ENV_FILE, env.content);
      passwordSource = env.source;
      if (env.conflict) (writeOptions.conflictReasons as Map<string, string>).set(ENV_FILE, env.conflict);
    }

    const planned = await planWrite(outArg, files);
    const differing = planned.files.filter((f) => f.status === 'overwrite' && f.path !== ENV_FILE).map((f) => f.path);
    for (const path of editedFiles(outArg, differing)) {
      (writeOptions.conflictReasons as Map<string, string>).set(path, 'it was edited since it was generated. Use --force to overwrite it');
    }
    if (local && differing.includes(LOCAL_SCRIPT)) {
      // The new cluster.sh knows only the new plan's nodes: running nodes of other ports would be orphaned.
      const orphans = runningNodesOutside(outArg, new Set(plan.nodes.map((n) => String(n.port))));
      if (orphans.length > 0) {
        (writeOptions.conflictReasons as Map<string, string>).set(
          LOCAL_SCRIPT,
          `nodes that the new plan does not have still run (${orphans.map((p) => join(outArg, p)).join(', ')}): stop them first (sh ${join(outArg, LOCAL_SCRIPT)} stop), or use --force to leave them running`,
        );
      }
    }
    const conflicts = conflictsOf(outArg, planned, writeOptions.conflictReasons);
    if (conflicts.length > 0 && !force) throw new WriteConflictError(conflicts);

    let result: WritePlan;
    if (args.dryRun) {
      for (const f of planned.files) {
        const content = f.path === ENV_FILE ? redactEnv(files.get(f.path)!) : files.get(f.path)!;
        const mode = fileMode(f.path, writeOptions).toString(8);
        io.stdout(`==> ${join(outArg, f.path)} (${f.status === 'unchanged' ? 'unchanged' : `would ${f.status}`}, mode ${mode}) <==\n${content}\n`);
      }
      io.stdout(`Dry run: nothing written to ${outArg}.\n`);
      return 0;
    }
    result = await writeFiles(outArg, files, writeOptions);

    const count = (s: string) => result.files.filter((f) => f.status === s).length;
    const shown = isAbsolute(outArg) ? outArg : relative('.', outArg) || '.';
    const nodes = plan.nodes;
    const first = nodes[0]!;
    const last = nodes[nodes.length - 1]!;
    const secretFiles = plan.options.auth ? ', .gitignore, .env' : '';
    const listed = local
      ? `${nodes.length} x <port>/redis.conf, ${LOCAL_SCRIPT}, cluster.json, README.md, .gitignore${plan.options.auth ? ', .env' : ''}`
      : `compose.yaml, ${nodes.length} x nodes/*/redis.conf, init-cluster.sh, cluster.json, README.md${secretFiles}`;
    const where = local
      ? `local redis-server processes on ${LOCAL_HOST}, ports ${first.port}-${last.port}, bus ports ${first.busPort}-${last.busPort}`
      : `ports ${first.port}-${last.port} on ${bind}${envImage ? `, image ${envImage} (from ${IMAGE_ENV_VAR})` : `, image ${plan.options.image}`}`;
    io.stdout(
      `${shown}: ${count('create')} created, ${count('overwrite')} overwritten, ${count('unchanged')} unchanged (${listed})\n` +
        `Redis Cluster: ${plan.options.masters} master(s) x ${plan.options.replicas} replica(s) each, ${where}\n` +
        (passwordSource
          ? `Password: ${passwordEnv} in ${join(shown, ENV_FILE)} (mode 0600, listed in .gitignore), ${SOURCES[passwordSource]}; ${local ? LOCAL_SCRIPT : 'Compose'} reads it from there\n`
          : '') +
        (local ? `Start it: sh ${join(shown, LOCAL_SCRIPT)} up\n` : `Start it: docker compose -f ${join(shown, 'compose.yaml')} up -d --wait\n`),
    );
    if (passwordSource === 'kept') {
      const mode = statSync(join(outArg, ENV_FILE)).mode & 0o777;
      if (mode & 0o077) io.stderr(`Warning: "${join(shown, ENV_FILE)}" can be read by other users (mode ${mode.toString(8)}): run chmod 600 on it.\n`);
    }
    return 0;
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof InvalidOptionError ||
      e instanceof InvalidPasswordError ||
      e instanceof WriteConflictError ||
      e instanceof OutputPathError
    ) {
      const hint = e instanceof OutputPathError ? ` Expected ${OUT_FLAG} to name a folder where this user can create and write the files.` : '';
      io.stderr(`${e.message.split('\n')[0]}${hint}\n`);
      return USAGE_ERROR;
    }
    // Not expected: only the error's kind, never its message, which could quote a file's content.
    io.stderr(`${BIN_PROGRAM}: unexpected error: ${e instanceof Error ? `${e.name}${(e as NodeJS.ErrnoException).code ? ` ${(e as NodeJS.ErrnoException).code}` : ''}` : typeof e}\n`);
    return 1;
  }
}
