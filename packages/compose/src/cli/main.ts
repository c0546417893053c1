import { statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { ACL_FILE, InvalidAclFileError, KIT_PASSWORD_ENV, KIT_USER } from '../acl';
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
  readOutputFile,
  WriteConflictError,
  writeFiles,
  type WriteOptions,
  type WritePlan,
} from '../write';
import { editedFiles } from './edited';
import { defaultIO, UsageError, USAGE_ERROR, type CliIO } from './io';
import { aclCopy, givenKitPassword, planTls, readAclFile, type TlsPlan } from './material';
import { parseCommandLine, type Parsed } from './parse';

export { USAGE_ERROR, type CliIO } from './io';

/** The password given when generating (stdin, else the variable in the environment), validated. */
function givenPassword(args: Parsed, io: CliIO): GivenPassword | undefined {
  if (args.passwordStdin) return { secret: passwordFromStdin((io.stdin ?? defaultIO.stdin!)()), source: 'stdin' };
  const fromEnv = io.env[args.passwordEnv];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  return { secret: validatePassword(fromEnv, `the environment variable ${args.passwordEnv}`), source: 'environment' };
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
    const { plan, bind, namespace, out: outArg, passwordEnv, force, tls, aclFile } = args;
    // The ACL file first: a bad one is named before anything else is read or made.
    const acl = aclFile === undefined ? undefined : readAclFile(aclFile);
    const target = outputTarget(args.target);
    // What the summary will say of the cluster, computed first: it checks what it reads.
    const where = target.whereItRuns(plan, { bind, env: io.env });
    const programName = io.env.npm_lifecycle_event === 'gen:compose' ? REPO_PROGRAM : BIN_PROGRAM;
    const command = regenerateCommand(
      plan.options,
      { target: args.target, bind, out: outArg, passwordEnv, namespace, tls, aclFile },
      programName,
    );
    const files = renderTarget(plan, { target: args.target, bind, command, passwordEnv, namespace, tls, aclFile });

    const conflictReasons = new Map<string, string>();
    const secret = new Set([ENV_FILE]);
    // Files whose content must never be printed (--dry-run): the secrets, and the copy of the ACL file.
    const hidden = new Set<string>();
    const writeOptions: WriteOptions = {
      force,
      executable: target.executables,
      secret,
      conflictReasons,
      // The ACL file's copy follows the file it copies: generating again updates it.
      replaceable: new Set([ACL_FILE]),
    };
    let tlsPlan: TlsPlan | undefined;
    if (tls) {
      tlsPlan = await planTls(outArg, plan, force);
      for (const [path, content] of tlsPlan.files) files.set(path, content);
      for (const key of tlsPlan.keys) {
        secret.add(key);
        hidden.add(key);
      }
      // Certificates there that do not fit: replacing any of them needs --force (the new ones differ).
      for (const path of tlsPlan.conflict ? tlsPlan.files.keys() : [])
        conflictReasons.set(path, tlsPlan.conflict!.reason);
    }
    let kitPasswordSource: PasswordSource | undefined;
    if (acl) {
      const env = planEnvFile(
        readOutputFile(outArg, ENV_FILE),
        KIT_PASSWORD_ENV,
        givenKitPassword(io.env),
        command,
        target.envReader,
      );
      files.set(ENV_FILE, env.content);
      kitPasswordSource = env.source;
      if (env.conflict) conflictReasons.set(ENV_FILE, env.conflict);
      const [path, content] = aclCopy(acl, env.content);
      files.set(path, content);
      secret.add(path);
      hidden.add(path);
    }
    let passwordSource: PasswordSource | undefined;
    if (plan.options.auth) {
      const env = planEnvFile(
        readOutputFile(outArg, ENV_FILE),
        passwordEnv,
        givenPassword(args, io),
        command,
        target.envReader,
      );
      files.set(ENV_FILE, env.content);
      passwordSource = env.source;
      if (env.conflict) conflictReasons.set(ENV_FILE, env.conflict);
    }

    const planned = await planWrite(outArg, files);
    // Only the rendered files have a header naming the command that made them.
    const differing = planned.files
      .filter(
        (f) => f.status === 'overwrite' && f.path !== ENV_FILE && !tlsPlan?.files.has(f.path) && f.path !== ACL_FILE,
      )
      .map((f) => f.path);
    for (const path of editedFiles(outArg, differing)) {
      conflictReasons.set(path, 'it was edited since it was generated. Use --force to overwrite it');
    }
    for (const [path, reason] of target.conflicts?.(outArg, plan, differing) ?? []) conflictReasons.set(path, reason);
    const conflicts = conflictsOf(outArg, planned, conflictReasons, writeOptions.replaceable);
    if (conflicts.length > 0 && !force) throw new WriteConflictError(conflicts);

    if (args.dryRun) {
      for (const f of planned.files) {
        const content =
          f.path === ENV_FILE
            ? redactEnv(files.get(f.path)!)
            : hidden.has(f.path)
              ? '<secret: not shown>'
              : files.get(f.path)!;
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
      summary(target, plan, result, shown, where, passwordSource && { env: passwordEnv, source: passwordSource }) +
        (tlsPlan
          ? `TLS: ${join(shown, 'tls', 'ca.crt')} is the CA to trust; ${plan.nodes.length} node certificates and keys (keys mode 0600, listed in .gitignore), ${tlsPlan.kept ? 'kept as they were' : 'new'}\n`
          : '') +
        (acl && kitPasswordSource
          ? `ACL users: ${join(shown, ACL_FILE)} (mode 0600, listed in .gitignore), from ${aclFile}: ${acl.users.length === 0 ? 'no users' : acl.users.join(', ')}, and ${KIT_USER} (the generator's, password ${KIT_PASSWORD_ENV} in ${join(shown, ENV_FILE)}, ${SOURCES[kitPasswordSource]})\n`
          : ''),
    );
    if (passwordSource === 'kept' || kitPasswordSource === 'kept') {
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
      e instanceof OutputPathError ||
      e instanceof InvalidAclFileError
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
