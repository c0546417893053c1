/**
 * Finding the process runtime's server: the path given (option or environment, e.g.
 * `redis-server`, `valkey-server`, a path), or the command name on PATH, checked to run and to
 * be a supported engine by what its `--version` says (the plan's SUPPORTED_ENGINES: Redis >=
 * 7.0, whose CLUSTER ADDSLOTSRANGE and hostname announcements the fixture uses, or Valkey >= 7.2).
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describeServer, serverFromVersionOutput, unsupportedServerReason } from '@redis-cluster-kit/plan';
import { RedisServerUnavailableError } from '../../errors';
import { SERVER_PATH_ENV_VAR } from '../../options';

const execFileAsync = promisify(execFile);

/** A redis-server that the process runtime can run. */
export interface RedisServerBinary {
  /** Absolute path. */
  path: string;
  /** "Redis" (or a fork that says its own name, e.g. "Valkey"). */
  product: string;
  /** "7.0.15". */
  version: string;
}

/** `Redis server v=7.0.15 sha=...` (what `redis-server --version` prints) as product and version; undefined if it is not that. */
export function parseServerVersion(
  text: string,
): { product: string; version: string; major: number; minor: number } | undefined {
  const server = serverFromVersionOutput(text);
  if (!server) return undefined;
  const [major, minor] = server.version.split('.').map(Number);
  return { product: describeServer(server).split(' ')[0]!, version: server.version, major: major!, minor: minor! };
}

/** The first executable file called `command` in the directories of `pathVariable`. */
export async function lookupOnPath(command: string, pathVariable: string | undefined): Promise<string | undefined> {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (await isExecutableFile(candidate)) return isAbsolute(candidate) ? candidate : resolve(candidate);
  }
  return undefined;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Found binaries, by what was asked for and PATH (a failed lookup is not kept: the user may fix it and start again). */
const found = new Map<string, Promise<RedisServerBinary>>();

/**
 * The redis-server `spec` names: a path when it contains a "/", else a command name on PATH.
 * @throws RedisServerUnavailableError saying what is wrong and how to fix it.
 */
export function findRedisServer(
  spec: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<RedisServerBinary> {
  const key = `${spec}\u0000${env['PATH'] ?? ''}`;
  let lookup = found.get(key);
  if (!lookup) {
    lookup = locate(spec, env);
    found.set(key, lookup);
    lookup.catch(() => found.delete(key));
  }
  return lookup;
}

async function locate(spec: string, env: Readonly<Record<string, string | undefined>>): Promise<RedisServerBinary> {
  const fail = (reason: string) => new RedisServerUnavailableError(spec, reason, SERVER_PATH_ENV_VAR);
  let path: string;
  if (spec.includes('/')) {
    path = resolve(spec);
    try {
      await stat(path);
    } catch {
      throw fail('no such file');
    }
    if (!(await isExecutableFile(path))) throw fail('it is not an executable file');
  } else {
    const onPath = await lookupOnPath(spec, env['PATH']);
    if (onPath === undefined) throw fail('it is not on PATH');
    path = onPath;
  }
  const output = await execFileAsync(path, ['--version'], { timeout: 10_000, windowsHide: true }).then(
    ({ stdout, stderr }) => `${stdout}${stderr}`,
    (err: unknown) => {
      throw fail(`\`${path} --version\` failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    },
  );
  const parsed = parseServerVersion(output);
  if (!parsed)
    throw fail(
      `\`${path} --version\` did not print a Redis or Valkey version (it printed "${output.trim().split('\n')[0]?.slice(0, 80) ?? ''}")`,
    );
  const reason = unsupportedServerReason(serverFromVersionOutput(output)!);
  if (reason !== undefined) throw fail(reason);
  return { path, product: parsed.product, version: parsed.version };
}
