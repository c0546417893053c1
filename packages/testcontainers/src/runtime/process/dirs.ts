/**
 * The process runtime's folders, and removing those of processes that died.
 *
 * Each cluster has a folder of its own, `<os.tmpdir()>/redis-cluster-kit-process-<cluster id>-XXXXXX`
 * (mode 0700), holding `owner.json` (the pid and host of the process that started it, and the
 * ports it holds) and one folder per node: `redis.conf`, `nodes.conf` (so that a restarted node
 * keeps its id), `redis.log` and `redis.pid`.
 *
 * A test run that is killed cannot stop its redis-servers. Every start of the process runtime
 * first looks for folders whose owner has ended (like `reapStale` does for containers) and kills
 * their redis-servers, each only after checking that the pid still is that node's redis-server
 * (a pid can be reused by any process once its owner has ended), then removes the folder.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import createDebug from 'debug';
import { delay } from '../../util/timing';
import { processAlive } from '../../util/liveness';
import type { PortRange } from './ports';

const debug = createDebug('redis-cluster-kit:process');

/** Every cluster folder of the process runtime starts with this, in `os.tmpdir()`. */
export const PROCESS_DIR_PREFIX = 'redis-cluster-kit-process-';
export const OWNER_FILE = 'owner.json';
export const PID_FILE = 'redis.pid';
export const LOG_FILE = 'redis.log';
export const CONFIG_FILE = 'redis.conf';
/** Version of the owner file's shape. */
export const OWNER_FORMAT = 1;
/** A folder with no readable owner file is someone's start in progress, unless it is older than this. */
const UNOWNED_GRACE_MS = 10 * 60_000;

/** What `owner.json` holds. */
export interface OwnerRecord {
  format: typeof OWNER_FORMAT;
  /** The process that started the cluster. */
  pid: number;
  host: string;
  /** The cluster's id. */
  cluster: string;
  /** The `name` option, if any. */
  name?: string;
  /** The redis-server it runs. */
  server: string;
  /** Client and bus ports the cluster's nodes listen on (other starts leave them alone). */
  ports: PortRange[];
  /** Node name -> client port. */
  nodes: Record<string, number>;
  /** ISO time of the start. */
  created: string;
}

/** The owner file's text. */
export function ownerFileText(record: OwnerRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;

/** Read an owner file; undefined when it is not one (torn write, other format, edited by hand). */
export function parseOwnerFile(text: string): OwnerRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const r = value as Record<string, unknown>;
  if (r['format'] !== OWNER_FORMAT) return undefined;
  if (typeof r['pid'] !== 'number' || !Number.isInteger(r['pid']) || r['pid'] <= 0) return undefined;
  if (
    typeof r['host'] !== 'string' ||
    typeof r['cluster'] !== 'string' ||
    typeof r['server'] !== 'string' ||
    typeof r['created'] !== 'string'
  )
    return undefined;
  if (r['name'] !== undefined && typeof r['name'] !== 'string') return undefined;
  const ports = r['ports'];
  if (
    !Array.isArray(ports) ||
    !ports.every(
      (p: unknown) =>
        p !== null &&
        typeof p === 'object' &&
        'start' in p &&
        'end' in p &&
        isPort(p.start) &&
        isPort(p.end) &&
        p.start <= p.end,
    )
  )
    return undefined;
  const nodes = r['nodes'];
  if (nodes === null || typeof nodes !== 'object' || Array.isArray(nodes) || !Object.values(nodes).every(isPort))
    return undefined;
  return value as OwnerRecord;
}

/** A pid file's pid ("12345\n"); undefined when it holds anything else. */
export function parsePidFile(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[1-9][0-9]{0,9}$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return pid <= 2 ** 31 - 1 ? pid : undefined;
}

/**
 * Is a process's title (`/proc/<pid>/cmdline`, `ps -o args=`) that of a redis-server of port
 * `port`? redis-server sets its title to `<argv0> <bind>:<port> [cluster]`.
 */
export function isRedisServerTitle(title: string, port: number, server?: string): boolean {
  const clean = title.replaceAll('\u0000', ' ').trim();
  const first = clean.split(/\s+/)[0] ?? '';
  const names = new Set(['redis-server', ...(server === undefined ? [] : [basename(server)])]);
  return names.has(basename(first)) && new RegExp(`:${port}(\\s|$)`).test(clean);
}

/**
 * Is `pid` the redis-server of the node folder `nodeDir` listening on `port`? On Linux: its
 * title names redis-server and the port, and its working folder is `nodeDir` (redis-server
 * changes to its `dir`). Elsewhere: its title, from `ps`.
 */
export async function isNodeProcess(pid: number, nodeDir: string, port: number, server?: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    // Before redis-server sets its title, its command line is `<argv0> <node dir>/redis.conf`.
    const starting = cmdline.split('\u0000')[1] === join(nodeDir, CONFIG_FILE);
    if (!starting && !isRedisServerTitle(cmdline, port, server)) return false;
    try {
      const cwd = await readlink(`/proc/${pid}/cwd`);
      return cwd === nodeDir || cwd === `${nodeDir} (deleted)`;
    } catch {
      return true; // not ours to inspect (another user): the title matched
    }
  } catch {
    // No /proc (macOS, BSD): ask ps.
  }
  const title = await new Promise<string>((done) => {
    execFile('ps', ['-p', String(pid), '-o', 'args='], { timeout: 5000 }, (err, stdout) => done(err ? '' : stdout));
  });
  return isRedisServerTitle(title, port, server);
}

/** A cluster folder found in the temp folder. */
export interface ClusterDir {
  dir: string;
  owner: OwnerRecord | undefined;
  /** Last change of the folder itself. */
  mtimeMs: number;
}

/** Every cluster folder of the process runtime in `root`. */
export async function listClusterDirs(root = tmpdir()): Promise<ClusterDir[]> {
  let entries: string[];
  try {
    entries = (await readdir(root)).filter((e) => e.startsWith(PROCESS_DIR_PREFIX));
  } catch {
    return [];
  }
  const dirs = await Promise.all(
    entries.map(async (entry): Promise<ClusterDir | undefined> => {
      const dir = join(root, entry);
      try {
        const info = await stat(dir);
        if (!info.isDirectory()) return undefined;
        const owner = await readFile(join(dir, OWNER_FILE), 'utf8').then(parseOwnerFile, () => undefined);
        return { dir, owner, mtimeMs: info.mtimeMs };
      } catch {
        return undefined; // removed meanwhile
      }
    }),
  );
  return dirs.filter((d): d is ClusterDir => d !== undefined);
}

/** Is this folder's owner a live process of this machine (or of another machine sharing the folder)? */
export function ownedByLiveProcess(
  d: ClusterDir,
  host = hostname(),
  alive: (pid: number) => boolean = processAlive,
  now = Date.now(),
): boolean {
  if (!d.owner) return now - d.mtimeMs < UNOWNED_GRACE_MS;
  if (d.owner.host !== host) return true; // not ours to judge
  return alive(d.owner.pid);
}

/** The redis-servers of a cluster folder that still run (checked as {@link isNodeProcess} does): pid and node folder. */
export async function liveNodeProcesses(d: ClusterDir): Promise<{ pid: number; nodeDir: string }[]> {
  let entries: string[];
  try {
    entries = await readdir(d.dir);
  } catch {
    return [];
  }
  const found = await Promise.all(
    entries.map(async (entry) => {
      const nodeDir = join(d.dir, entry);
      const pid = await readFile(join(nodeDir, PID_FILE), 'utf8').then(parsePidFile, () => undefined);
      if (pid === undefined) return undefined;
      const port = d.owner?.nodes[entry] ?? (await portOfConfig(nodeDir));
      if (port === undefined) return undefined;
      return (await isNodeProcess(pid, nodeDir, port, d.owner?.server)) ? { pid, nodeDir } : undefined;
    }),
  );
  return found.filter((f): f is { pid: number; nodeDir: string } => f !== undefined);
}

/** The port of a node's redis.conf (for folders whose owner file is unreadable). */
async function portOfConfig(nodeDir: string): Promise<number | undefined> {
  const text = await readFile(join(nodeDir, 'redis.conf'), 'utf8').catch(() => '');
  // A TLS node has `port 0` and its port as `tls-port`.
  const match = /^tls-port "?(\d+)"?$/m.exec(text) ?? /^port "?(\d+)"?$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * Kill the redis-servers of cluster folders whose owner process has ended, and remove the
 * folders. Folders of live owners (this process's own included) are left alone.
 */
export async function reapDeadOwners(
  root = tmpdir(),
  host = hostname(),
  alive: (pid: number) => boolean = processAlive,
): Promise<{ dirs: string[]; processes: number[] }> {
  const dirs = (await listClusterDirs(root)).filter((d) => !ownedByLiveProcess(d, host, alive));
  const killed: number[] = [];
  await Promise.all(
    dirs.map(async (d) => {
      const procs = await liveNodeProcesses(d);
      for (const { pid } of procs) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.push(pid);
        } catch {
          // ended meanwhile
        }
      }
      // Gone within a few ms; the folder is removed either way.
      for (let i = 0; i < 50 && procs.some((p) => processAlive(p.pid)); i++) await delay(10);
      await rm(d.dir, { recursive: true, force: true, maxRetries: 3 });
      debug(
        'reaped %s (owner %s): killed %o',
        d.dir,
        d.owner ? `${d.owner.pid}@${d.owner.host}` : 'unknown',
        procs.map((p) => p.pid),
      );
    }),
  );
  return { dirs: dirs.map((d) => d.dir), processes: killed };
}
