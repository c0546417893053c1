import { createHash } from 'node:crypto';

// `--acl-file FILE`: a Redis ACL file (`user NAME on >password ~keys +@cmds`, one user a line)
// checked line by line before anything is written, and the copy every node loads (`aclfile`):
// the user's lines as they are, and one line for the generator's own user.

/** The copy of the ACL file in the output folder (mode 0600, git-ignored), loaded by every node. */
export const ACL_FILE = 'users.acl';
/**
 * The generator's own user, with which the init step (or cluster.sh), the healthchecks and the
 * replicas (`masteruser`) log in, whatever the file does with `default`. The fixture's user has
 * the same name.
 */
export const KIT_USER = 'redis-cluster-kit';
/**
 * What the generator's user may do, and no more: log in (PING, AUTH), INFO, the CLUSTER commands
 * and CLIENT INFO of forming and of the healthchecks, and replication (replicas log in as it).
 * No keys, no channels.
 */
export const KIT_USER_RULES =
  'resetkeys resetchannels -@all +@connection +info +cluster +client|info +psync +replconf +sync';
/** The variable (in `.env`, mode 0600) that holds the generator's user's password with `--acl-file`. */
export const KIT_PASSWORD_ENV = 'REDIS_CLUSTER_KIT_PASSWORD';

/** An ACL file that cannot be used: one line naming the file and the line, never a password. */
export class InvalidAclFileError extends Error {
  override readonly name = 'InvalidAclFileError';
}

/** One user of an ACL file: its name and the line it is on (1-based). */
export interface AclUser {
  name: string;
  line: number;
}

const FLAGS = new Set([
  'on',
  'off',
  'nopass',
  'resetpass',
  'reset',
  'allkeys',
  'resetkeys',
  'allchannels',
  'resetchannels',
  'allcommands',
  'nocommands',
  'clearselectors',
  'sanitize-payload',
  'skip-sanitize-payload',
]);

/** What is wrong with one rule of a user (never quoting it: a misplaced password would be one), or undefined. */
function ruleProblem(rule: string): string | undefined {
  if (FLAGS.has(rule.toLowerCase())) return undefined;
  const c = rule[0];
  if (c === '>' || c === '<') return undefined; // a password to add or remove (may be empty)
  if (c === '#' || c === '!')
    return /^[#!][0-9a-f]{64}$/.test(rule) ? undefined : 'a password hash that is not 64 hex digits (SHA-256)';
  if (c === '~' || c === '&') return rule.length > 1 ? undefined : 'a key or channel pattern that is empty';
  if (c === '%')
    return /^%(R|W|RW|WR)~./i.test(rule) ? undefined : 'a key permission that is not %R~, %W~ or %RW~ and a pattern';
  if (c === '+' || c === '-') return rule.length > 1 ? undefined : 'a command rule with no command';
  return 'not an ACL rule (on, off, >password, #hash, nopass, ~keys, %R~keys, &channels, +command, -command, +@category, allkeys, ...)';
}

/**
 * Split a line the way Redis reads an ACL file: words apart by spaces (a tab is part of a word,
 * quotes are characters like any other: a password may hold them).
 */
export function splitWords(line: string): string[] {
  return line.split(' ').filter((w) => w !== '');
}

/**
 * Check an ACL file's text, line by line as Redis reads it: every line that is not blank is
 * `user NAME RULE...` (Redis's ACL files have no comments), each rule one Redis knows (a
 * selector `(...)` is taken as it is), each user once, and not the generator's own user.
 * @param shown the file as the user named it, for messages.
 * @throws InvalidAclFileError naming the file and the line; never a password.
 */
export function parseAclFile(text: string, shown: string): AclUser[] {
  const users: AclUser[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    // Redis trims blanks and line ends around a line.
    const line = raw.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
    const n = index + 1;
    const fail = (why: string) => {
      throw new InvalidAclFileError(
        `Invalid ACL file "${shown}" line ${n}: ${why}. Expected lines of the form "user NAME on >password ~keys +@commands" (Redis's ACL file format).`,
      );
    };
    if (line === '') return;
    const words = splitWords(line);
    if (words[0] !== 'user')
      return fail(line.startsWith('#') ? 'Redis ACL files have no comments' : 'it does not start with "user"');
    const name = words[1];
    if (name === undefined || name === '') return fail('no user name');
    // eslint-disable-next-line no-control-regex -- control characters are refused in names
    if (/[\s\u0000-\u001f\u007f]/.test(name)) return fail('a user name with a tab or control characters');
    if (name === KIT_USER)
      return fail(
        `the user "${KIT_USER}" is the generator's own (it forms the cluster and runs the healthchecks); name yours another way`,
      );
    const before = seen.get(name);
    if (before !== undefined) return fail(`user "${name}" again (first on line ${before})`);
    seen.set(name, n);
    let selector = false;
    for (let w = 2; w < words.length; w++) {
      const rule = words[w]!;
      if (selector) {
        if (rule.endsWith(')')) selector = false;
        continue;
      }
      if (rule.startsWith('(')) {
        selector = !rule.endsWith(')');
        continue;
      }
      const problem = ruleProblem(rule);
      if (problem) return fail(`word ${w + 1} (not shown) is ${problem}`);
    }
    if (selector) return fail('a selector "(" is not closed');
    users.push({ name, line: n });
  });
  return users;
}

/** The line of the generator's own user: its password as a SHA-256 hash (`#...`), so the copy holds no new plain password. */
export function kitUserLine(password: string): string {
  return `user ${KIT_USER} on #${createHash('sha256').update(password).digest('hex')} ${KIT_USER_RULES}`;
}

/** The copy every node loads: the user's lines as they are (blank lines dropped, CRLF ends made LF), then the generator's user. */
export function aclFileCopy(text: string, kitPassword: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return `${[...lines, kitUserLine(kitPassword)].join('\n')}\n`;
}
