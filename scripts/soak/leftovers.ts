/**
 * What the soak's own runs left behind, on a machine where other test runs may be working at
 * the same time.
 *
 * The project's resources are what `scripts/leftovers.sh snapshot` lists (one definition of
 * them for CI and the soak): fixture containers, networks and volumes (labelled with their
 * owner's pid and host), the Compose tests' `rck-<pid>-<random>` projects, and the process
 * runtime's folders and redis-servers. Its `check` fits CI, where the run is alone; here it does
 * not: it would count another run's cluster that appeared meanwhile. So a resource is the
 * soak's when its owner is a process of the soak (itself, the Jest runs it started and their
 * descendants, which {@link PidWatch} records while they run); a new resource whose owner ended
 * and was never seen is listed as unclaimed (a warning, not a failure).
 *
 * The soak gives every run a TMPDIR of its own, so every process-runtime folder and every
 * redis-server working under that folder (also the Compose tests' local clusters) is the soak's.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LABELS } from '@redis-cluster-kit/testcontainers';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const LEFTOVERS_SH = join(ROOT, 'scripts/leftovers.sh');

/** One project resource: a line of `leftovers.sh snapshot` ("kind id name"). */
export interface Resource {
  kind: string;
  id: string;
  name: string;
}

export const resourceKey = (r: Resource) => `${r.kind} ${r.id}`;
const describe = (r: Resource) => `${r.kind} ${r.name === r.id ? r.id : `${r.name} (${r.id.slice(0, 12)})`}`;

/** Parses `leftovers.sh snapshot` output: "kind id name" lines (a process folder's name may hold spaces). */
export function parseSnapshot(text: string): Resource[] {
  const out: Resource[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\S+) (.*)$/.exec(line);
    if (m) out.push({ kind: m[1]!, id: m[2]!, name: m[3]! });
  }
  return out;
}

/** The pid in a Compose test project's name (`rck-<pid>-<hex>`). */
export function projectPid(name: string): number | undefined {
  const m = /^rck-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * A live process (not a zombie) with that pid on this machine. The fixture has the same check,
 * but not in its public API, which is all the soak may use (its files are moving).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every pid on this machine with its parent's (Linux: /proc). */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(Number(entry), ppid);
    } catch {
      // ended meanwhile
    }
  }
  return map;
}

/**
 * The pids of the soak: its own, and every descendant of the processes it started, seen by
 * sampling /proc while they run (a Jest worker lives for seconds at least; a sample every
 * 250 ms sees it). A resource owned by one of them is the soak's, even after it ended.
 */
export class PidWatch {
  readonly pids = new Set<number>([process.pid]);
  #timer: NodeJS.Timeout | undefined;

  /** Records `pid` and, until {@link stop}, its descendants. */
  watch(pid: number): void {
    this.pids.add(pid);
    this.#timer ??= setInterval(() => this.sample(), 250);
    this.#timer.unref();
  }

  sample(): void {
    const map = parents();
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, ppid] of map) {
        if (!this.pids.has(pid) && this.pids.has(ppid)) {
          this.pids.add(pid);
          grew = true;
        }
      }
    }
  }

  stop(): void {
    if (this.#timer) this.sample();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The project's resources now, as leftovers.sh lists them, plus redis-servers working under `soakTmp`. */
export async function snapshot(soakTmp: string): Promise<Resource[]> {
  const file = join(soakTmp, 'leftovers-snapshot.txt');
  await run('bash', [LEFTOVERS_SH, 'snapshot', file]);
  const listed = parseSnapshot(readFileSync(file, 'utf8'));
  const servers = new Set(listed.filter((r) => r.kind === 'redis-server').map((r) => r.id));
  for (const { pid, cwd } of redisServersUnder(soakTmp)) {
    if (!servers.has(String(pid))) listed.push({ kind: 'redis-server', id: String(pid), name: cwd });
  }
  return listed;
}

/** redis-server processes whose working folder is under `dir` (also one removed meanwhile). */
function redisServersUnder(dir: string): { pid: number; cwd: string }[] {
  const found: { pid: number; cwd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'redis-server') continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`).replace(/ \(deleted\)$/, '');
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(entry), cwd });
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return found;
}

/** Owner of a Docker resource: from its labels, or from a Compose test project's name. */
async function dockerOwner(r: Resource): Promise<{ pid?: number; host?: string }> {
  const fromName = projectPid(r.name);
  if (fromName !== undefined) return { pid: fromName };
  const inspect =
    r.kind === 'container'
      ? ['inspect', '--format', '{{json .Config.Labels}}']
      : [r.kind, 'inspect', '--format', '{{json .Labels}}'];
  try {
    const { stdout } = await run('docker', [...inspect, r.id]);
    const labels = (JSON.parse(stdout) ?? {}) as Record<string, string>;
    const pid = Number(labels[LABELS.pid]);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, host: labels[LABELS.host] };
  } catch {
    return {}; // removed meanwhile
  }
}

export interface LeftoverCheck {
  /** The soak's resources that appeared since the snapshot and are still there. */
  ours: Resource[];
  /** New resources whose owner ended and was never seen as the soak's: maybe another run's. */
  unclaimed: Resource[];
}

/** What appeared since `before` and is still there, sorted into the soak's and unclaimed. */
export async function leftSince(before: readonly Resource[], soakTmp: string, watch: PidWatch): Promise<LeftoverCheck> {
  watch.sample();
  const known = new Set(before.map(resourceKey));
  const fresh = new Map<string, Resource>();
  for (const r of await snapshot(soakTmp)) if (!known.has(resourceKey(r))) fresh.set(resourceKey(r), r);
  const out: LeftoverCheck = { ours: [], unclaimed: [] };
  const host = hostname();
  for (const r of fresh.values()) {
    if (r.kind === 'process-folder' || r.kind === 'redis-server') {
      // Only the soak's TMPDIR is listed (leftovers.sh reads TMPDIR): all of it is the soak's.
      out.ours.push(r);
      continue;
    }
    const owner = await dockerOwner(r);
    if (owner.host !== undefined && owner.host !== host) continue;
    if (owner.pid !== undefined && watch.pids.has(owner.pid)) out.ours.push(r);
    else if (owner.pid === undefined || !alive(owner.pid)) out.unclaimed.push(r);
    // else: a live process that is not the soak's: another run at work
  }
  return out;
}

/** Removes the soak's leftovers (each by its id: nothing else is touched). Returns what it could not remove. */
export async function removeLeftovers(resources: readonly Resource[]): Promise<string[]> {
  const failed: string[] = [];
  const tryRun = async (r: Resource, args: string[]) => {
    try {
      await run('docker', args);
    } catch (err) {
      const text = String((err as { stderr?: string }).stderr ?? err);
      if (!/No such|not found/i.test(text)) failed.push(`${describe(r)}: ${text.trim().split('\n')[0]}`);
    }
  };
  // Servers first (they hold their folders), containers before their networks and volumes.
  for (const r of resources.filter((x) => x.kind === 'redis-server')) {
    const pid = Number(r.id);
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server') process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  for (const r of resources.filter((x) => x.kind === 'container')) await tryRun(r, ['rm', '-f', '-v', r.id]);
  for (const r of resources.filter((x) => x.kind === 'network')) await tryRun(r, ['network', 'rm', r.id]);
  for (const r of resources.filter((x) => x.kind === 'volume')) await tryRun(r, ['volume', 'rm', '-f', r.id]);
  for (const r of resources.filter((x) => x.kind === 'process-folder')) {
    try {
      rmSync(r.id, { recursive: true, force: true });
    } catch (err) {
      failed.push(`${describe(r)}: ${(err as Error).message}`);
    }
  }
  return failed;
}

export { describe as describeResource };
