import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { InvalidOptionError, type ClusterPlan } from '@redis-cluster-kit/plan';
import { BIN_PROGRAM, OUT_FLAG, REPO_PROGRAM } from '../flags';
import {
  ENV_FILE,
  InvalidPasswordError,
  passwordFromStdin,
  planEnvFile,
  redactEnv,
  validatePassword,
  type GivenPassword,
  type PasswordSource,
} from '../secret';
import { outputTarget, regenerateCommand, renderTarget, type OutputTarget } from '../targets';
import {
  conflictsOf,
  fileMode,
  OutputPathError,
  planWrite,
  WriteConflictError,
  writeFiles,
  type WriteOptions,
  type WritePlan,
} from '../write';
import { editedFiles } from './edited';
import { defaultIO, UsageError, USAGE_ERROR, type CliIO } from './io';
import { parseCommandLine, type Parsed } from './parse';

export { USAGE_ERROR, type CliIO } from './io';

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

const SOURCES: Record<PasswordSource, string> = {
  generated: 'a new random one',
  environment: 'from the environment',
  stdin: 'from stdin',
  kept: 'kept as it was',
};

/** What the CLI prints after writing: what changed, the cluster, where the password is, how to start it. */
function summary(
  target: OutputTarget,
  plan: ClusterPlan,
  result: WritePlan,
  shown: string,
  where: string,
  password?: { env: string; source: PasswordSource },
): string {
  const count = (s: string) => result.files.filter((f) => f.status === s).length;
  return (
    `${shown}: ${count('create')} created, ${count('overwrite')} overwritten, ${count('unchanged')} unchanged (${target.listing(plan)})\n` +
    `Redis Cluster: ${plan.options.masters} master(s) x ${plan.options.replicas} replica(s) each, ${where}\n` +
    (password
      ? `Password: ${password.env} in ${join(shown, ENV_FILE)} (mode 0600, listed in .gitignore), ${SOURCES[password.source]}; ${target.envReader.reader} reads it from there\n`
      : '') +
    `Start it: ${target.startCommand(shown)}\n`
  );
}

/**
 * Run the CLI with `argv` (without node and the script) and return its exit code:
 * 0 done (or help/version), 2 usage error (one line on stderr, nothing written).
 * The password is never printed: not in messages, errors or `--dry-run` output.
 */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIO = defaultIO): Promise<number> {
  try {
    const args = parseCommandLine(argv, io);
    if (!args) return 0;
    const { plan, bind, namespace, out: outArg, passwordEnv, force } = args;
    const target = outputTarget(args.target);
    // What the summary will say of the cluster, computed first: it checks what it reads.
    const where = target.whereItRuns(plan, { bind, env: io.env });
    const programName = io.env.npm_lifecycle_event === 'gen:compose' ? REPO_PROGRAM : BIN_PROGRAM;
    const command = regenerateCommand(
      plan.options,
      { target: args.target, bind, out: outArg, passwordEnv, namespace },
      programName,
    );
    const files = renderTarget(plan, { target: args.target, bind, command, passwordEnv, namespace });

    const conflictReasons = new Map<string, string>();
    const writeOptions: WriteOptions = {
      force,
      executable: target.executables,
      secret: new Set([ENV_FILE]),
      conflictReasons,
    };
    let passwordSource: PasswordSource | undefined;
    if (plan.options.auth) {
      const env = planEnvFile(readEnvFile(outArg), passwordEnv, givenPassword(args, io), command, target.envReader);
      files.set(ENV_FILE, env.content);
      passwordSource = env.source;
      if (env.conflict) conflictReasons.set(ENV_FILE, env.conflict);
    }

    const planned = await planWrite(outArg, files);
    const differing = planned.files.filter((f) => f.status === 'overwrite' && f.path !== ENV_FILE).map((f) => f.path);
    for (const path of editedFiles(outArg, differing)) {
      conflictReasons.set(path, 'it was edited since it was generated. Use --force to overwrite it');
    }
    for (const [path, reason] of target.conflicts?.(outArg, plan, differing) ?? []) conflictReasons.set(path, reason);
    const conflicts = conflictsOf(outArg, planned, conflictReasons);
    if (conflicts.length > 0 && !force) throw new WriteConflictError(conflicts);

    if (args.dryRun) {
      for (const f of planned.files) {
        const content = f.path === ENV_FILE ? redactEnv(files.get(f.path)!) : files.get(f.path)!;
        const mode = fileMode(f.path, writeOptions).toString(8);
        io.stdout(
          `==> ${join(outArg, f.path)} (${f.status === 'unchanged' ? 'unchanged' : `would ${f.status}`}, mode ${mode}) <==\n${content}\n`,
        );
      }
      io.stdout(`Dry run: nothing written to ${outArg}.\n`);
      return 0;
    }
    const result = await writeFiles(outArg, files, writeOptions);

    const shown = isAbsolute(outArg) ? outArg : relative('.', outArg) || '.';
    io.stdout(
      summary(target, plan, result, shown, where, passwordSource && { env: passwordEnv, source: passwordSource }),
    );
    if (passwordSource === 'kept') {
      const mode = statSync(join(outArg, ENV_FILE)).mode & 0o777;
      if (mode & 0o077)
        io.stderr(
          `Warning: "${join(shown, ENV_FILE)}" can be read by other users (mode ${mode.toString(8)}): run chmod 600 on it.\n`,
        );
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
      const hint =
        e instanceof OutputPathError
          ? ` Expected ${OUT_FLAG} to name a folder where this user can create and write the files.`
          : '';
      io.stderr(`${e.message.split('\n')[0]}${hint}\n`);
      return USAGE_ERROR;
    }
    // Not expected: only the error's kind, never its message, which could quote a file's content.
    io.stderr(
      `${BIN_PROGRAM}: unexpected error: ${e instanceof Error ? `${e.name}${(e as NodeJS.ErrnoException).code ? ` ${(e as NodeJS.ErrnoException).code}` : ''}` : typeof e}\n`,
    );
    return 1;
  }
}
