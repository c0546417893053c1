import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { describeValue, OPTION_SPECS } from '@redis-cluster-kit/plan';
import {
  BIN_PROGRAM,
  BIND_ALLOWED,
  BIND_FLAG,
  DEFAULT_BIND,
  DEFAULT_NAMESPACE,
  describeFlagValues,
  NAMESPACE_ALLOWED,
  NAMESPACE_FLAG,
  OUT_FLAG,
  PASSWORD_ENV_FLAG,
  PASSWORD_STDIN_FLAG,
  PLAN_FLAGS,
  TARGET_FLAG,
  TLS_FLAG,
  ACL_FILE_FLAG,
} from '../flags';
import { KIT_PASSWORD_ENV, KIT_USER } from '../acl';
import { DEFAULT_PASSWORD_ENV, PASSWORD_ENV_ALLOWED } from '../secret';
import { DEFAULT_TARGET, outputTarget, TARGET_ALLOWED, TARGETS, type OutputTarget } from '../targets';
import { USAGE_ERROR, type CliIO } from './io';

export const OUT_ALLOWED = 'a folder path (not empty, not starting with "-", no control characters)';
/** Where passwords may come from, for messages that refuse one on the command line. */
const PASSWORD_WAYS = `pipe it to ${PASSWORD_STDIN_FLAG} or set the variable named by ${PASSWORD_ENV_FLAG} (default ${DEFAULT_PASSWORD_ENV})`;

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** `; not with --target X (why)` for the targets that refuse `flag`, for its help line; empty when none does. */
function notWith(targets: readonly OutputTarget[], flag: `--${string}`): string {
  const refusing = targets.filter((t) => Object.hasOwn(t.refusedFlags, flag));
  return refusing.length === 0
    ? ''
    : `; not with ${refusing.map((t) => `${TARGET_FLAG} ${t.name} (${t.refusedFlags[flag]})`).join(' or ')}`;
}

/** The command line's flags, help and examples, every target's part read from the targets table. */
export function buildProgram(io: CliIO): Command {
  const targets = TARGETS.map(outputTarget);
  const others = targets.filter((t) => t.name !== DEFAULT_TARGET);
  const fallback = outputTarget(DEFAULT_TARGET);
  const example = (t: OutputTarget) =>
    [
      BIN_PROGRAM,
      ...(t.name === DEFAULT_TARGET ? [] : [TARGET_FLAG, t.name]),
      '--masters',
      '3',
      '--replicas',
      '1',
      OUT_FLAG,
      t.defaultOut,
    ].join(' ');
  const program = new Command(BIN_PROGRAM)
    .description(
      [`Generate ${fallback.about}`, ...others.map((t) => `With ${TARGET_FLAG} ${t.name}, ${t.about}`)].join(' '),
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .allowExcessArguments(false)
    .exitOverride()
    // A fixed width, so the help (and docs/cli.md's copy of it) is the same in every terminal.
    .configureOutput({ writeOut: io.stdout, writeErr: () => undefined, getOutHelpWidth: () => 80 });
  program.addOption(
    new Option(
      `${TARGET_FLAG} <target>`,
      `what to write: ${targets.map((t) => `${t.choice} (${t.name})`).join(', or ')}; ${TARGET_ALLOWED} (default: ${DEFAULT_TARGET})`,
    ),
  );
  for (const f of PLAN_FLAGS) {
    const flags = f.kind === 'boolean' ? f.flag : `${f.flag} ${f.valueName}`;
    program.addOption(
      new Option(flags, `${f.description}${f.kind === 'boolean' ? ' ' : '; '}${describeFlagValues(f)}`),
    );
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
    .addOption(
      new Option(
        TLS_FLAG,
        `TLS for clients, the cluster bus and replication, plain TCP off: writes tls/ca.crt and each node's certificate and key (keys mode 0600, in .gitignore; kept when generating again, new ones with --force); the image must be built with TLS${notWith(targets, TLS_FLAG)}`,
      ),
    )
    .addOption(
      new Option(
        `${ACL_FILE_FLAG} <file>`,
        `the same ACL users on every node: a Redis ACL file (user NAME on >password ~keys +@commands), checked, then copied to users.acl (mode 0600, in .gitignore) with a user of the generator's own (${KIT_USER}, its password in .env as ${KIT_PASSWORD_ENV}) that forms the cluster, runs the healthchecks and logs replicas in; not with --auth${notWith(targets, ACL_FILE_FLAG)}`,
      ),
    )
    .addOption(
      new Option(
        `${OUT_FLAG} <dir>`,
        `folder to write, relative to the current one (default: ${fallback.defaultOut}${others.map((t) => `, or ${t.defaultOut} with ${TARGET_FLAG} ${t.name}`).join('')})`,
      ),
    )
    .addOption(
      new Option(
        `${BIND_FLAG} <address>`,
        `host address to publish the client ports on${notWith(targets, BIND_FLAG)}; an IPv4 address (default: ${DEFAULT_BIND})`,
      ),
    )
    .addOption(
      new Option(
        `${NAMESPACE_FLAG} <name>`,
        `the namespace of every object${notWith(targets, NAMESPACE_FLAG)}; a DNS-1123 label (default: ${DEFAULT_NAMESPACE})`,
      ),
    )
    .addOption(
      new Option('--force', 'overwrite files whose content differs, and change the password in an existing .env'),
    )
    .addOption(new Option('--dry-run', 'print what would be written, write nothing'));
  program.addHelpText(
    'after',
    targets.map((t) => (t.helpNote ? `\n${t.helpNote}` : '')).join('') +
      `\nErrors exit with code ${USAGE_ERROR} and write nothing. Examples:` +
      targets
        .map((t) => `\n  ${example(t)}\n  ${t.startCommand(t.defaultOut)}${t.startNote ? `   # ${t.startNote}` : ''}`)
        .join(''),
  );
  return program;
}

/** Translate commander's own errors into this CLI's one-line messages. */
export function commanderMessage(error: CommanderError, program: Command, argv: readonly string[]): string {
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
      const option =
        program.options.find((o) => o.long && error.message.includes(`'${o.flags}'`)) ??
        program.options.find((o) => o.long && error.message.includes(`${o.long} `));
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

/** What a flag that takes a value allows, for messages. */
export function allowedFor(long: string | undefined): string {
  const spec = PLAN_FLAGS.find((f) => f.flag === long);
  if (spec) return OPTION_SPECS[spec.option].allowed;
  if (long === OUT_FLAG) return OUT_ALLOWED;
  if (long === TARGET_FLAG) return TARGET_ALLOWED;
  if (long === BIND_FLAG) return BIND_ALLOWED;
  if (long === PASSWORD_ENV_FLAG) return PASSWORD_ENV_ALLOWED;
  if (long === NAMESPACE_FLAG) return NAMESPACE_ALLOWED;
  if (long === ACL_FILE_FLAG) return 'a readable Redis ACL file';
  return 'a value';
}
