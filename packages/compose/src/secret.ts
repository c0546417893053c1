import { randomBytes } from 'node:crypto';
import { IMAGE_ENV_VAR, InvalidOptionError } from '@redis-cluster-kit/plan';

/** The variable that holds the password when `--auth` is given without `--password-env`. */
export const DEFAULT_PASSWORD_ENV = 'REDIS_PASSWORD';
/** The file beside compose.yaml that Compose reads variables from: where the password is kept. */
export const ENV_FILE = '.env';

/**
 * Names a password variable may not have: Compose's and Docker's own settings (Compose reads
 * COMPOSE_* from .env), the image variable, and variables every shell sets, whose value would
 * silently become the password when the generator reads the variable.
 */
const RESERVED_NAMES = new Set([
  IMAGE_ENV_VAR,
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'PWD',
  'OLDPWD',
  'SHLVL',
  'TERM',
  'LANG',
  'TMPDIR',
  'HOSTNAME',
  'IFS',
  'PS1',
  'PS2',
  'MAIL',
  'EDITOR',
  'CI',
  'NODE_OPTIONS',
]);
const RESERVED_PREFIXES = ['COMPOSE_', 'DOCKER_', 'LC_', 'NODE_', 'NPM_', 'PNPM_'];

export const PASSWORD_ENV_ALLOWED =
  'an upper-case environment variable name (A-Z, 0-9 and "_", not starting with a digit, at most 64 characters) ' +
  `that is not ${IMAGE_ENV_VAR}, a COMPOSE_, DOCKER_, LC_, NODE_ or NPM_ name, or one the shell sets such as PATH or HOME`;

/** Check a password variable's name; it is written into compose.yaml as `${NAME:?...}`. */
export function validatePasswordEnv(name: unknown, option = 'passwordEnv'): string {
  if (
    typeof name !== 'string' ||
    !/^[A-Z_][A-Z0-9_]{0,63}$/.test(name) ||
    RESERVED_NAMES.has(name) ||
    RESERVED_PREFIXES.some((p) => name.startsWith(p))
  ) {
    throw new InvalidOptionError(option, name, PASSWORD_ENV_ALLOWED);
  }
  return name;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 512;
/**
 * Characters a given password may have: none that `.env` parsers treat specially in an unquoted
 * value (spaces, quotes, `$` interpolation, `#` comments, `\` escapes) in Compose v2 or v1, so the
 * value is written as it is and both read it back unchanged; nor any that redis.conf would split
 * or unquote, so the local target's cluster.sh passes it to redis-server as it is.
 * {@link PASSWORD_CHARS_PATTERN} is the inside of a bracket expression, in a RegExp and in sh.
 */
export const PASSWORD_CHARS_PATTERN = 'A-Za-z0-9._~+/=:,@%^!*?-';
const PASSWORD_CHARS = new RegExp(`^[${PASSWORD_CHARS_PATTERN}]$`);
export const PASSWORD_ALLOWED =
  `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters from A-Z, a-z, 0-9 and . _ ~ + / = : , @ % ^ ! * ? - ` +
  '(no spaces, quotes, $, # or \\, which .env files treat specially)';

/** A password that cannot be used. Its message never contains the password, not even a part of it. */
export class InvalidPasswordError extends Error {
  override readonly name = 'InvalidPasswordError';
}

/** Where the password came from; never the password itself. */
export type PasswordSource = 'stdin' | 'environment' | 'kept' | 'generated';

/** Check a given password; `from` says where it came from in the error (`stdin`, `REDIS_PASSWORD`). */
export function validatePassword(secret: string, from: string): string {
  const length = [...secret].length;
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new InvalidPasswordError(
      `Invalid password from ${from} (not shown): it has ${length} characters. Expected ${PASSWORD_ALLOWED}.`,
    );
  }
  const bad = [...secret].findIndex((c) => !PASSWORD_CHARS.test(c));
  if (bad >= 0) {
    throw new InvalidPasswordError(
      `Invalid password from ${from} (not shown): character ${bad + 1} is not allowed. Expected ${PASSWORD_ALLOWED}.`,
    );
  }
  return secret;
}

/** A new random password: 32 random bytes, URL-safe base64 (43 characters, all allowed above). */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** The password text read from standard input: one trailing line end is not part of it. */
export function passwordFromStdin(text: string): string {
  return validatePassword(text.replace(/\r?\n$/, ''), 'stdin');
}

/** A password given at generation time, and where from. */
export interface GivenPassword {
  secret: string;
  source: 'stdin' | 'environment';
}

/** What writing the password into `.env` means. */
export interface EnvFilePlan {
  /** The whole content of `.env` to write (equal to the existing content when it is kept). */
  content: string;
  source: PasswordSource;
  /** Why changing the existing file needs `--force` (undefined when it is new or unchanged). */
  conflict?: string;
}

const assignment = (name: string) => new RegExp(`^[ \\t]*(?:export[ \\t]+)?${name}[ \\t]*=(.*)$`);

/** The value of the last `NAME=` line of a .env text, unquoted; undefined when there is none. */
export function envValue(text: string, name: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = assignment(name).exec(line);
    if (!m) continue;
    const raw = m[1]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    value = quoted ? quoted[2]! : raw;
  }
  return value;
}

/** Who reads a `.env`, for its first lines: the Compose set-up, or the local target's cluster.sh. */
export interface EnvFileReader {
  /** The file whose cluster the password protects. */
  of: string;
  /** What reads the file. */
  reader: string;
}
/** The Compose target's `.env` is read by Compose. */
export const COMPOSE_ENV_READER: EnvFileReader = { of: 'compose.yaml', reader: 'Compose' };

/** The first lines of a `.env` the generator creates. Not "do not edit": the file is the user's. */
export function envFileHeader(name: string, command: string, reader: EnvFileReader = COMPOSE_ENV_READER): string {
  return (
    `# ${name}: the password of the Redis Cluster of ${reader.of} (created by ${command}).\n` +
    `# ${reader.reader} reads this file; keep it private (mode 0600) and out of version control (.gitignore).\n` +
    '# This file is yours: the generator keeps it and never changes it without --force.\n'
  );
}

/**
 * Decide the content of `.env` (the password in `NAME=...`) from what is there and what was given:
 * - no `.env`: a new one with the given password, or a new random one;
 * - a `.env` with a value for NAME: kept as it is (re-running is a no-op), unless a different
 *   password was given (a conflict: replacing it needs `--force`);
 * - a `.env` without a value for NAME: NAME is added (a conflict too: the file is the user's).
 * Other lines of an existing `.env` are always kept.
 */
export function planEnvFile(
  existing: string | undefined,
  name: string,
  given: GivenPassword | undefined,
  command: string,
  reader: EnvFileReader = COMPOSE_ENV_READER,
): EnvFilePlan {
  if (existing === undefined) {
    const secret = given?.secret ?? generatePassword();
    return {
      content: `${envFileHeader(name, command, reader)}${name}=${secret}\n`,
      source: given?.source ?? 'generated',
    };
  }
  const current = envValue(existing, name);
  if (current !== undefined && current !== '') {
    if (!given || given.secret === current) return { content: existing, source: 'kept' };
    return {
      content: withValue(existing, name, given.secret),
      source: given.source,
      conflict: `its ${name} differs from the password from ${given.source === 'stdin' ? 'stdin' : `the environment variable ${name}`}. Use --force to replace it (other lines are kept)`,
    };
  }
  return {
    content: withValue(existing, name, given?.secret ?? generatePassword()),
    source: given?.source ?? 'generated',
    conflict: `it has no value for ${name}. Use --force to add one (other lines are kept)`,
  };
}

/** Set NAME's value: the first NAME line is replaced and later ones dropped, or a line is appended. */
function withValue(text: string, name: string, secret: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out: string[] = [];
  let done = false;
  for (const line of lines) {
    if (assignment(name).test(line.replace(/\r$/, ''))) {
      if (!done) out.push(`${name}=${secret}`);
      done = true;
    } else {
      out.push(line);
    }
  }
  if (!done) out.push(`${name}=${secret}`);
  return `${out.join('\n')}\n`;
}

/** A .env text with every value replaced by `<redacted>`, for printing (`--dry-run`). */
export function redactEnv(text: string): string {
  return text.replace(/^([ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*=).*$/gm, '$1<redacted>');
}
