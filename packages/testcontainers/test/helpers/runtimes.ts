/**
 * Helpers for integration tests that run the same tests on every runtime: the runtimes, and
 * what a cluster has on its runtime, looked at directly (Docker's labels; the process
 * runtime's folders and the redis-server processes working in them, from /proc). Not part of
 * the package's API.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_NAMES } from '@redis-cluster-kit/plan';
import { LABELS } from '../../src/runtime/docker/docker';
import { OWNER_FILE, parseOwnerFile, PROCESS_DIR_PREFIX } from '../../src/runtime/process/dirs';
import type { RuntimeKind } from '../../src/runtime/types';
import { docker, labelled } from './docker';

/** The environment variable that narrows {@link RUNTIMES} (scripts/test.sh's engine passes: `docker` or `process`). */
export const TEST_RUNTIMES_ENV = 'RCK_TEST_RUNTIMES';

/**
 * The runtimes the API tests run on, once per entry (`describe.each(RUNTIMES)`): both, or those
 * {@link TEST_RUNTIMES_ENV} names (comma-separated). A name that is not a runtime fails the run.
 */
export const RUNTIMES: readonly RuntimeKind[] = testRuntimes(process.env[TEST_RUNTIMES_ENV]);

function testRuntimes(value: string | undefined): RuntimeKind[] {
  const all: RuntimeKind[] = ['docker', 'process'];
  if (value === undefined || value.trim() === '') return all;
  const names = value.split(',').map((n) => n.trim());
  const bad = names.find((n) => !(all as string[]).includes(n));
  if (bad !== undefined) throw new Error(`${TEST_RUNTIMES_ENV}=${value}: "${bad}" is not a runtime (docker, process)`);
  return names as RuntimeKind[];
}

/** What a cluster has on its runtime: its nodes (containers / redis-server pids) and the rest (networks / folders). */
export interface RuntimeResources {
  nodes: string[];
  other: string[];
}

/** Nothing: what a stopped cluster leaves. */
export const NOTHING: RuntimeResources = Object.freeze({ nodes: [], other: [] });

/** The process runtime's folders whose name starts with `prefix` (after the runtime's own prefix). */
export function processDirs(prefix = ''): string[] {
  return readdirSync(tmpdir())
    .filter((e) => e.startsWith(`${PROCESS_DIR_PREFIX}${prefix}`))
    .map((e) => join(tmpdir(), e));
}

/** Live redis-server (or valkey-server) processes working in a folder under one of `dirsPrefix` (Linux: /proc), also in folders removed meanwhile. */
export function redisServersUnder(dirsPrefix: string): { pid: number; cwd: string }[] {
  const found: { pid: number; cwd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (!(SERVER_NAMES as readonly string[]).includes(comm)) continue; // redis-server, valkey-server
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd.startsWith(dirsPrefix)) found.push({ pid: Number(entry), cwd: cwd.replace(/ \(deleted\)$/, '') });
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return found;
}

/** What cluster `id` has on `runtime` now. */
export async function resourcesOf(runtime: RuntimeKind, clusterId: string): Promise<RuntimeResources> {
  if (runtime === 'docker') {
    const { containers, networks } = await labelled(LABELS.cluster, clusterId);
    return { nodes: containers, other: networks };
  }
  const prefix = join(tmpdir(), `${PROCESS_DIR_PREFIX}${clusterId}-`);
  return { nodes: redisServersUnder(prefix).map((p) => String(p.pid)), other: processDirs(`${clusterId}-`) };
}

/** What clusters started by this process have on `runtime` now. */
export async function resourcesOfThisProcess(runtime: RuntimeKind): Promise<RuntimeResources> {
  if (runtime === 'docker') {
    const { containers, networks } = await labelled(LABELS.pid, String(process.pid));
    return { nodes: containers, other: networks };
  }
  const mine = processDirs().filter((dir) => {
    try {
      return parseOwnerFile(readFileSync(join(dir, OWNER_FILE), 'utf8'))?.pid === process.pid;
    } catch {
      return false;
    }
  });
  return { nodes: mine.flatMap((dir) => redisServersUnder(`${dir}/`).map((p) => String(p.pid))), other: mine };
}

/** What clusters started with the `name` option `name` (by any process) have on `runtime` now. */
export async function resourcesNamed(runtime: RuntimeKind, name: string): Promise<RuntimeResources> {
  if (runtime === 'docker') {
    const { containers, networks } = await labelled(LABELS.name, name);
    return { nodes: containers, other: networks };
  }
  const named = processDirs().filter((dir) => {
    try {
      return parseOwnerFile(readFileSync(join(dir, OWNER_FILE), 'utf8'))?.name === name;
    } catch {
      return false;
    }
  });
  return { nodes: named.flatMap((dir) => redisServersUnder(`${dir}/`).map((p) => String(p.pid))), other: named };
}

/**
 * The iptables chains of cluster `clusterId`'s partitions now (`rck-<id>-<n>`), looked at directly:
 * in every node container's network namespace (Docker), or in the host's (process runtime).
 */
export async function partitionChains(runtime: RuntimeKind, clusterId: string): Promise<string[]> {
  const chainsIn = (args: string[]) =>
    execFileSync(args[0]!, [...args.slice(1), 'iptables', '-w', '-S'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.startsWith(`-N rck-${clusterId}-`));
  if (runtime === 'process') return chainsIn(['env']);
  const { containers } = await labelled(LABELS.cluster, clusterId);
  const found: string[] = [];
  for (const id of containers) {
    const info = await docker.getContainer(id).inspect();
    if (info.State.Running) found.push(...chainsIn(['nsenter', '-t', String(info.State.Pid), '-n']));
  }
  return found;
}
