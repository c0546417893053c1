/**
 * The generator's CLI as users run it, for the unit tests of src/cli: the compiled bin in a real
 * process (`pnpm build` first; the root test scripts build before running Jest), and what the
 * tests read of the folders it writes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KIT_PASSWORD_ENV } from '../src/acl';

/** The CLI's bin, as a user's `npx redis-cluster-compose` runs it. */
export const CLI_BIN = join(__dirname, '..', 'bin', 'redis-cluster-compose.js');
const built = join(__dirname, '..', 'dist', 'cli', 'main.js');

/** For a beforeAll: the CLI's build is there, or the tests say how to make it. */
export function assertCliBuilt(): void {
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` before these tests.`);
}

/**
 * Run the CLI in `cwd` with `args`, `env` over this process's environment (without the variables
 * of the developer's own that the CLI reads), and `stdin`. Bounded: a CLI that hangs fails its
 * test instead of the whole run.
 */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}, stdin = '') {
  const {
    REDIS_CLUSTER_IMAGE: _image,
    npm_lifecycle_event: _lifecycle,
    REDIS_PASSWORD: _password,
    [KIT_PASSWORD_ENV]: _kitPassword,
    ...base
  } = process.env;
  const r = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd,
    env: { ...base, ...env },
    input: stdin,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under a folder, relative, sorted ([] when there is no such folder). */
export function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(root, p)).isFile())
    .sort();
}

/** Everything under a folder: each entry's path, kind, mode and content hash, sorted. */
export function snapshotOf(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((p) => {
      const st = lstatSync(join(root, p));
      const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      const hash = st.isFile()
        ? createHash('sha256')
            .update(readFileSync(join(root, p)))
            .digest('hex')
        : '';
      return `${kind} ${(st.mode & 0o7777).toString(8)} ${p} ${hash}`;
    })
    .sort();
}
