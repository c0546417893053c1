/**
 * The checks of the options that give access to a cluster: `tls` (certificates a user brings
 * must fit the plan's nodes) and `users` (ACL users). One-line errors that never print a
 * password or a key. Used by resolve-options.ts.
 */
import {
  certificateProblem,
  InvalidOptionError,
  LOCAL_NAMES,
  type ClusterPlan,
  type TlsMaterial,
} from '@redis-cluster-kit/plan';
import { FIXTURE_USER, type RedisUser } from './options';

// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** `tls`: true (make certificates), false/undefined (none), or `{ ca, cert, key }` that covers every node's name and 127.0.0.1. */
export function checkTls(value: unknown, plan: ClusterPlan): 'generate' | TlsMaterial | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 'generate';
  const shape = '{ ca, cert, key } as PEM strings';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('tls', value, `true, false or ${shape}`);
  }
  const record = value as Record<string, unknown>;
  // The value is never printed: it holds a private key.
  const hidden = `{ ${Object.keys(record).join(', ')} }`;
  const extra = Object.keys(record).filter((k) => !['ca', 'cert', 'key'].includes(k));
  if (extra.length > 0 || ['ca', 'cert', 'key'].some((k) => typeof record[k] !== 'string' || record[k] === '')) {
    throw new InvalidOptionError('tls', hidden, `true, false or ${shape}`);
  }
  const material = record as unknown as TlsMaterial;
  const names = [...plan.nodes.map((n) => n.name), LOCAL_NAMES[1]!];
  const problem = certificateProblem(material, names);
  if (problem !== undefined) {
    throw new InvalidOptionError(
      'tls',
      hidden,
      `certificates that fit this cluster, but ${problem}: "cert" must be signed by "ca", match "key" and name every node (${names.join(', ')})`,
    );
  }
  return { ca: material.ca, cert: material.cert, key: material.key };
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;

/** `users`: names unique, not `default` nor the fixture's own; passwords and rules without control characters. Passwords are never printed. */
export function checkUsers(value: unknown): RedisUser[] {
  if (value === undefined) return [];
  const allowed = 'an array of { name, password, rules } (rules: Redis ACL rules such as "~app:* +@read")';
  if (!Array.isArray(value)) throw new InvalidOptionError('users', typeof value, allowed);
  const users: RedisUser[] = [];
  (value as unknown[]).forEach((entry, i) => {
    const option = `users[${i}]`;
    const user = entry as Record<string, unknown> | null;
    if (user === null || typeof user !== 'object' || Array.isArray(user))
      throw new InvalidOptionError(option, typeof entry, allowed);
    const extra = Object.keys(user).filter((k) => !['name', 'password', 'rules'].includes(k));
    if (extra.length > 0)
      throw new InvalidOptionError(
        `${option}.${extra[0]}`,
        '<hidden>',
        'no such key: users have name, password and rules',
      );
    const { name, password, rules } = user;
    if (typeof name !== 'string' || !USER_NAME.test(name) || name === 'default' || name === FIXTURE_USER) {
      throw new InvalidOptionError(
        `${option}.name`,
        name,
        `a user name of letters, digits, "_", ".", ":", "@" or "-" (at most 64), not "default" (see defaultUser) nor "${FIXTURE_USER}" (the fixture's own)`,
      );
    }
    if (users.some((u) => u.name === name))
      throw new InvalidOptionError(`${option}.name`, name, 'a name no other user has');
    if (typeof password !== 'string' || password === '' || password.length > 512 || CONTROL_CHARS.test(password)) {
      throw new InvalidOptionError(
        `${option}.password`,
        typeof password === 'string' && password !== '' ? '<hidden>' : password,
        'a non-empty string of at most 512 characters without control characters',
      );
    }
    if (
      rules !== undefined &&
      (typeof rules !== 'string' || rules.length > 4096 || CONTROL_CHARS.test(rules) || /(^|\s)[<>#]/.test(rules))
    ) {
      throw new InvalidOptionError(
        `${option}.rules`,
        typeof rules === 'string' ? rules.replace(/(^|\s)[<>#]\S*/g, '$1<hidden>') : rules,
        'ACL rules without control characters and without passwords (">...", "<...", "#..."): the password goes in "password"',
      );
    }
    users.push({ name, password, ...(rules === undefined ? {} : { rules }) });
  });
  return users;
}
