import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACL_FILE, KIT_PASSWORD_ENV, KIT_USER } from '../acl';
import type { ClusterJson } from '../targets/view';
import { assertCliBuilt, filesUnder, runCli, snapshotOf } from '../../test/cli-process';

// --tls and --acl-file as users run them: the compiled bin in a real process (`pnpm build` first).
const APP_PASSWORD = 'App-Password_0123456789';
const ACL_TEXT = `user default off\nuser app on >${APP_PASSWORD} ~app:* +@read +@write +@connection\n`;
const small = ['--masters', '1', '--replicas', '1'];

let dir: string;
beforeAll(assertCliBuilt);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rck-tls-acl-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, env);
const mode = (path: string) => (statSync(join(dir, path)).mode & 0o777).toString(8);
/** Every file under `o`, relative, sorted. */
const files = () => filesUnder(join(dir, 'o'));
/** Everything under the temp folder. */
const snapshot = () => snapshotOf(dir);

describe.each(['compose', 'local'])('--tls with --target %s (real process)', (target) => {
  const args = [...small, '--target', target, '--tls', '--out', 'o'];

  it('writes tls/ca.crt and each node certificate and key (keys 0600, git-ignored, in no other file); running again keeps them; --force makes new ones', () => {
    const r = cli(args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('TLS: o/tls/ca.crt is the CA to trust; 2 node certificates and keys');
    const nodes = ['redis-node-1', 'redis-node-2'];
    for (const n of nodes) {
      expect(mode(`o/tls/${n}.key`)).toBe('600');
      expect(mode(`o/tls/${n}.crt`)).toBe('644');
      const cert = new X509Certificate(readFileSync(join(dir, `o/tls/${n}.crt`)));
      expect(cert.verify(new X509Certificate(readFileSync(join(dir, 'o/tls/ca.crt'))).publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe(`DNS:${n}, DNS:localhost, IP Address:127.0.0.1`);
    }
    const ignored = readFileSync(join(dir, 'o/.gitignore'), 'utf8');
    for (const n of nodes) expect(ignored).toMatch(new RegExp(`^/?tls/${n}\\.key$`, 'm'));
    // No private key in any other file.
    const keys = nodes.map((n) => readFileSync(join(dir, `o/tls/${n}.key`), 'utf8').split('\n')[1]!);
    for (const f of files().filter((p) => !p.endsWith('.key'))) {
      const text = readFileSync(join(dir, 'o', f), 'utf8');
      expect(text).not.toContain('PRIVATE KEY');
      for (const k of keys) expect(text).not.toContain(k);
    }
    const json = JSON.parse(readFileSync(join(dir, 'o/cluster.json'), 'utf8')) as ClusterJson;
    expect(json.tls).toEqual({ ca: 'tls/ca.crt' });
    const conf = readFileSync(
      join(dir, target === 'compose' ? 'o/nodes/redis-node-1/redis.conf' : 'o/7101/redis.conf'),
      'utf8',
    );
    expect(conf).toMatch(/^port 0$/m);
    expect(conf).toMatch(/^tls-port 7101$/m);
    expect(conf).toMatch(/^tls-cluster yes$/m);
    expect(conf).toMatch(/^tls-replication yes$/m);
    const dirInNode = target === 'compose' ? '/usr/local/etc/redis/tls' : '../tls';
    expect(conf).toContain(`tls-key-file ${dirInNode}/redis-node-1.key\n`);

    const before = snapshot();
    const ca = readFileSync(join(dir, 'o/tls/ca.crt'), 'utf8');
    const again = cli(args);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain(`${files().length} unchanged`);
    expect(again.stdout).toContain('kept as they were');
    expect(snapshot()).toEqual(before);

    const forced = cli([...args, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/, new\n/);
    expect(readFileSync(join(dir, 'o/tls/ca.crt'), 'utf8')).not.toBe(ca);
    expect(snapshot()).not.toEqual(before);
    expect(mode('o/tls/redis-node-1.key')).toBe('600');
  });

  it('refuses certificates that no longer fit (a key missing, or one more node) without --force, writing nothing', () => {
    expect(cli(args).status).toBe(0);
    unlinkSync(join(dir, 'o/tls/redis-node-2.key'));
    const before = snapshot();
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      'do not fit this cluster (tls/redis-node-2.key is missing). Use --force to make a new CA and certificates',
    );
    expect(snapshot()).toEqual(before);
    // Two masters: redis-node-2 is another node now, and redis-node-3 has no certificate.
    expect(cli([...args, '--force']).status).toBe(0);
    const grown = cli(['--masters', '2', '--replicas', '1', '--target', target, '--tls', '--out', 'o']);
    expect(grown.status).toBe(2);
    expect(grown.stderr).toContain('do not fit this cluster');
  });
});

describe.each(['compose', 'local'])('--acl-file with --target %s (real process)', (target) => {
  const args = [...small, '--target', target, '--acl-file', 'users.acl', '--out', 'o'];

  it("copies the file 0600 with the generator's user (its password only in .env), git-ignores both, and no other file has a password", () => {
    writeFileSync(join(dir, 'users.acl'), ACL_TEXT);
    const r = cli(args);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `ACL users: o/${ACL_FILE} (mode 0600, listed in .gitignore), from users.acl: default, app, and ${KIT_USER}`,
    );
    expect(mode(`o/${ACL_FILE}`)).toBe('600');
    expect(mode('o/.env')).toBe('600');
    const env = readFileSync(join(dir, 'o/.env'), 'utf8');
    const kitPassword = new RegExp(`^${KIT_PASSWORD_ENV}=(.+)$`, 'm').exec(env)![1]!;
    const copy = readFileSync(join(dir, `o/${ACL_FILE}`), 'utf8');
    expect(copy.startsWith(ACL_TEXT)).toBe(true);
    expect(copy).toContain(`user ${KIT_USER} on #${createHash('sha256').update(kitPassword).digest('hex')} `);
    expect(copy).not.toContain(kitPassword);
    const ignored = readFileSync(join(dir, 'o/.gitignore'), 'utf8').split('\n');
    expect(ignored.some((l) => /^\/?\.env$/.test(l))).toBe(true);
    expect(ignored.some((l) => l.replace(/^\//, '') === ACL_FILE)).toBe(true);
    for (const f of files().filter((p) => p !== ACL_FILE && p !== '.env')) {
      const text = readFileSync(join(dir, 'o', f), 'utf8');
      expect([f, text.includes(APP_PASSWORD) || text.includes(kitPassword)]).toEqual([f, false]);
    }
    const conf = readFileSync(
      join(dir, target === 'compose' ? 'o/nodes/redis-node-2/redis.conf' : 'o/7102/redis.conf'),
      'utf8',
    );
    expect(conf).toMatch(
      new RegExp(`^aclfile ${target === 'compose' ? '/usr/local/etc/redis/' : '../'}${ACL_FILE}$`, 'm'),
    );
    expect(conf).toMatch(new RegExp(`^masteruser ${KIT_USER}$`, 'm'));
    expect(conf).not.toMatch(/^masterauth/m);
    const json = JSON.parse(readFileSync(join(dir, 'o/cluster.json'), 'utf8')) as ClusterJson;
    expect(json.acl).toEqual({
      file: ACL_FILE,
      generatorUser: KIT_USER,
      passwordEnv: KIT_PASSWORD_ENV,
      envFile: '.env',
    });

    // Again: .env kept; a changed ACL file is copied again without --force.
    writeFileSync(join(dir, 'users.acl'), `${ACL_TEXT}user extra on nopass +ping\n`);
    const again = cli(args);
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(readFileSync(join(dir, 'o/.env'), 'utf8')).toBe(env);
    expect(readFileSync(join(dir, `o/${ACL_FILE}`), 'utf8')).toContain('user extra on nopass +ping\n');
    expect(mode(`o/${ACL_FILE}`)).toBe('600');

    // --dry-run shows neither file's content.
    const dry = cli([...args, '--dry-run', '--force']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).not.toContain(APP_PASSWORD);
    expect(dry.stdout).not.toContain(kitPassword);
  });

  const bad: Array<[string, () => void, string[], string]> = [
    [
      'a missing file',
      () => undefined,
      [],
      'Invalid option --acl-file "users.acl": no such file. Expected a readable Redis ACL file.',
    ],
    [
      'a folder',
      () => mkdirSync(join(dir, 'users.acl')),
      [],
      'Invalid option --acl-file "users.acl": it is not a file. Expected a readable Redis ACL file.',
    ],
    [
      'a malformed line',
      () => writeFileSync(join(dir, 'users.acl'), `user default off\nuser app on ${APP_PASSWORD} ~*\n`),
      [],
      'Invalid ACL file "users.acl" line 2: word 4 (not shown) is not an ACL rule (on, off, >password, #hash, nopass, ~keys, %R~keys, &channels, +command, -command, +@category, allkeys, ...). Expected lines of the form "user NAME on >password ~keys +@commands" (Redis\'s ACL file format).',
    ],
    [
      'with --auth',
      () => writeFileSync(join(dir, 'users.acl'), ACL_TEXT),
      ['--auth'],
      'Invalid option --auth (or --password-env, --password-stdin) with --acl-file. Expected one of them: with an ACL file its users have the passwords (a line "user default on >PASSWORD ~* &* +@all" gives the default user one).',
    ],
  ];
  it.each(bad)('refuses %s: one line, exit 2, nothing written, no password', (_label, setup, extra, expected) => {
    setup();
    const before = snapshot();
    const r = cli([...args, ...extra]);
    expect(r.stderr).toBe(`${expected}\n`);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(snapshot()).toEqual(before);
  });
});

it.each(['swarm', 'kubernetes'])('--tls and --acl-file are refused with --target %s', (target) => {
  for (const flag of [['--tls'], ['--acl-file', 'x.acl']]) {
    const r = cli(['--target', target, ...flag]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`Invalid option ${flag[0]}`);
    expect(r.stderr).toContain(
      `with --target ${target}. Expected ${flag[0]} only with --target compose or --target local`,
    );
    expect(existsSync(join(dir, `${target}`))).toBe(false);
  }
});
