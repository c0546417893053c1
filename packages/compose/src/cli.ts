import { readFileSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  createPlan,
  describeValue,
  IMAGE_ENV_VAR,
  imageFromEnv,
  InvalidOptionError,
  OPTION_SPECS,
  type PlanOptions,
} from '@redis-cluster-kit/plan';
import { BIN_PROGRAM, DEFAULT_BIND, DEFAULT_OUT, describeFlagValues, PLAN_FLAGS, REPO_PROGRAM, regenerateCommand } from './flags';
import { EXECUTABLE_FILES, renderFiles, validateBind } from './render';
import { OutputPathError, planWrite, WriteConflictError, writeFiles, type WritePlan } from './write';

/** Exit code of every usage error (bad flag or value, refused overwrite, unusable --out). */
export const USAGE_ERROR = 2;

/** Where the CLI writes; the real process's streams by default, buffers in tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
};

/** A usage error: printed as its one-line message, exit code 2. */
class UsageError extends Error {}

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Parse an integer flag strictly: digits only (an optional minus), so `3x`, `1.5` and `` are errors. */
function parseInteger(flag: string, option: keyof PlanOptions, text: string): number {
  if (!/^-?[0-9]+$/.test(text)) throw new InvalidOptionError(flag, text, OPTION_SPECS[option].allowed);
  return Number(text);
}

const OUT_FLAG = '--out';
const BIND_FLAG = '--bind';

function buildProgram(io: CliIO): Command {
  const program = new Command(BIN_PROGRAM)
    .description(
      'Generate a Docker Compose set-up for a Redis Cluster: compose.yaml, one redis.conf per node, ' +
        'init-cluster.sh (forms the cluster exactly as planned), cluster.json (plan, startupNodes, natMap) and README.md.',
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .allowExcessArguments(false)
    .exitOverride()
    // A fixed width, so the help (and the README's copy of it) is the same in every terminal.
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined, getOutHelpWidth: () => 80 });
  for (const f of PLAN_FLAGS) {
    const flags = f.kind === 'boolean' ? f.flag : `${f.flag} ${f.valueName}`;
    program.addOption(new Option(flags, `${f.description}${f.kind === 'boolean' ? ' ' : '; '}${describeFlagValues(f)}`));
  }
  program
    .addOption(new Option(`${OUT_FLAG} <dir>`, `folder to write, relative to the current one (default: ${DEFAULT_OUT})`))
    .addOption(new Option(`${BIND_FLAG} <address>`, `host address to publish the client ports on; an IPv4 address (default: ${DEFAULT_BIND})`))
    .addOption(new Option('--force', 'overwrite files whose content differs'))
    .addOption(new Option('--dry-run', 'print what would be written, write nothing'));
  program.addHelpText(
    'after',
    `\nThe image is written as \${${IMAGE_ENV_VAR}:-<image>}: ${IMAGE_ENV_VAR} set when Compose runs picks another one.` +
      `\nErrors exit with code ${USAGE_ERROR} and write nothing. Example:\n  ${BIN_PROGRAM} --masters 3 --replicas 1 --out compose/redis-cluster` +
      `\n  docker compose -f compose/redis-cluster/compose.yaml up -d --wait`,
  );
  return program;
}

/** Translate commander's own errors into this CLI's one-line messages. */
function commanderMessage(error: CommanderError, program: Command): string {
  const known = program.options.map((o) => o.long).filter((l): l is string => !!l);
  const flagIn = (m: string) => /'(-[^' ]+)/.exec(m)?.[1] ?? '?';
  switch (error.code) {
    case 'commander.unknownOption':
      return `Unknown option ${flagIn(error.message)}. Expected one of: ${known.join(', ')}.`;
    case 'commander.optionMissingArgument': {
      const flag = flagIn(error.message);
      const spec = PLAN_FLAGS.find((f) => error.message.includes(`${f.flag} `));
      const allowed = spec ? OPTION_SPECS[spec.option].allowed : 'a value';
      return `Invalid option ${spec?.flag ?? flag} (no value). Expected ${allowed}.`;
    }
    case 'commander.excessArguments':
      return `Unexpected argument ${describeValue(program.args[0])}. Expected only options (see --help).`;
    default:
      return error.message.replace(/^error: /, '').split('\n')[0]!;
  }
}

/**
 * Run the CLI with `argv` (without node and the script) and return its exit code:
 * 0 done (or help/version), 2 usage error (one line on stderr, nothing written).
 */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIO = defaultIO): Promise<number> {
  const program = buildProgram(io);
  // A flag given twice is an error: count every occurrence (both --flag v and --flag=v forms).
  const seen = new Map<string, string[]>();
  for (const option of program.options) {
    const name = option.attributeName();
    program.on(`option:${option.name()}`, (value: unknown) => {
      const list = seen.get(name) ?? [];
      list.push(value === undefined ? '' : String(value));
      seen.set(name, list);
      if (list.length === 2) {
        const shown = option.required || option.optional ? ` (${list.map((v) => describeValue(v)).join(' and ')})` : '';
        throw new UsageError(`Invalid option ${option.long} given twice${shown}. Expected it at most once.`);
      }
    });
  }
  try {
    try {
      program.parse([...argv], { from: 'user' });
    } catch (e) {
      if (e instanceof CommanderError) {
        if (e.exitCode === 0) return 0; // --help, --version
        throw new UsageError(commanderMessage(e, program));
      }
      throw e;
    }
    const opts = program.opts<Record<string, string | boolean | undefined>>();

    const input: Partial<PlanOptions> = {};
    for (const f of PLAN_FLAGS) {
      const raw = opts[new Option(f.flag).attributeName()];
      if (raw === undefined) continue;
      const value = f.kind === 'integer' ? parseInteger(f.flag, f.option, String(raw)) : raw;
      (input as Record<string, unknown>)[f.option] = value;
    }
    // The environment's image is used when Compose runs; a bad value is caught here already.
    const envImage = io.env[IMAGE_ENV_VAR] ? imageFromEnv(io.env) : undefined;
    let plan;
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
    const outArg = (opts.out as string | undefined) ?? DEFAULT_OUT;
    if (outArg === '' || /[\u0000-\u001f\u007f]/.test(outArg)) {
      throw new InvalidOptionError(OUT_FLAG, outArg, 'a folder path (not empty, no control characters)');
    }
    const programName = io.env.npm_lifecycle_event === 'gen:compose' ? REPO_PROGRAM : BIN_PROGRAM;
    const command = regenerateCommand(plan.options, { bind, out: outArg }, programName);
    const files = renderFiles(plan, { bind, command });

    const force = opts.force === true;
    let result: WritePlan;
    if (opts.dryRun === true) {
      result = await planWrite(outArg, files);
      const conflicts = result.files.filter((f) => f.status === 'overwrite');
      if (conflicts.length > 0 && !force) throw new WriteConflictError(conflicts.map((f) => join(outArg, f.path)));
      for (const f of result.files) {
        io.stdout(`==> ${join(outArg, f.path)} (${f.status === 'unchanged' ? 'unchanged' : `would ${f.status}`}) <==\n${files.get(f.path)}\n`);
      }
      io.stdout(`Dry run: nothing written to ${outArg}.\n`);
      return 0;
    }
    result = await writeFiles(outArg, files, { force, executable: EXECUTABLE_FILES });

    const count = (s: string) => result.files.filter((f) => f.status === s).length;
    const shown = isAbsolute(outArg) ? outArg : relative('.', outArg) || '.';
    const nodes = plan.nodes;
    io.stdout(
      `${shown}: ${count('create')} created, ${count('overwrite')} overwritten, ${count('unchanged')} unchanged ` +
        `(compose.yaml, ${nodes.length} x nodes/*/redis.conf, init-cluster.sh, cluster.json, README.md)\n` +
        `Redis Cluster: ${plan.options.masters} master(s) x ${plan.options.replicas} replica(s) each, ports ${nodes[0]!.port}-${nodes[nodes.length - 1]!.port} on ${bind}` +
        `${envImage ? `, image ${envImage} (from ${IMAGE_ENV_VAR})` : `, image ${plan.options.image}`}\n` +
        `Start it: docker compose -f ${join(shown, 'compose.yaml')} up -d --wait\n`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidOptionError || e instanceof WriteConflictError || e instanceof OutputPathError) {
      io.stderr(`${e.message.split('\n')[0]}\n`);
      return USAGE_ERROR;
    }
    io.stderr(`${BIN_PROGRAM}: unexpected error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return 1;
  }
}
