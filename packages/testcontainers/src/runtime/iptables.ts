/**
 * The iptables side of network partitions, shared by both runtimes: one chain per partition
 * (`rck-<cluster id>-<n>`), jumped to from INPUT, holding only DROP rules between the cluster's
 * own node addresses. Docker applies it in each node's network namespace (`nsenter -t <pid> -n`),
 * the process runtime in the host's, on loopback addresses of the cluster's own. Removing a
 * partition removes its jump and its chain, nothing else: other rules are never touched.
 *
 * Both ways need root on Linux and the `iptables` (iptables-restore) and `nsenter` commands.
 */
import { spawn } from 'node:child_process';
import { NetworkFaultsUnavailableError } from '../errors';

/** A DROP rule of a partition chain: TCP from `source` (to `destination`, when given). */
export interface DropRule {
  source: string;
  destination?: string;
}

/** The chain of partition `seq` of cluster `clusterId` (iptables allows 28 characters). */
export function partitionChain(clusterId: string, seq: number): string {
  return `rck-${clusterId.slice(0, 12)}-${seq}`;
}

/** The prefix of every chain of the cluster (stop() removes them all). */
export function clusterChainPrefix(clusterId: string): string {
  return `rck-${clusterId.slice(0, 12)}-`;
}

/** iptables-restore input that adds `chain` with `rules` and jumps to it first thing in INPUT. */
export function addChainInput(chain: string, rules: readonly DropRule[]): string {
  const lines = ['*filter', `:${chain} - [0:0]`];
  for (const r of rules) {
    lines.push(`-A ${chain} -s ${r.source}/32${r.destination ? ` -d ${r.destination}/32` : ''} -p tcp -j DROP`);
  }
  lines.push(`-I INPUT 1 -j ${chain}`, 'COMMIT', '');
  return lines.join('\n');
}

/** iptables-restore input that removes the jumps to `chains` and the chains themselves. */
export function removeChainsInput(chains: readonly string[]): string {
  const lines = ['*filter'];
  for (const chain of chains) lines.push(`-D INPUT -j ${chain}`, `-F ${chain}`, `-X ${chain}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Apply iptables-restore input (`--noflush`: the other rules stay), in the network namespace of `pid` or the host's. */
export function iptablesRestore(input: string, pid?: number): Promise<void> {
  const [command, args] =
    pid === undefined
      ? ['iptables-restore', ['-w', '--noflush']]
      : ['nsenter', ['-t', String(pid), '-n', 'iptables-restore', '-w', '--noflush']];
  return run(command, args, input).then(() => undefined);
}

/** The chains of this cluster present in the network namespace of `pid` (or the host's). */
export async function listChains(prefix: string, pid?: number): Promise<string[]> {
  const [command, args] =
    pid === undefined ? ['iptables', ['-w', '-S']] : ['nsenter', ['-t', String(pid), '-n', 'iptables', '-w', '-S']];
  const out = await run(command, args);
  return out
    .split('\n')
    .map((l) => /^-N (\S+)$/.exec(l.trim())?.[1])
    .filter((c): c is string => c !== undefined && c.startsWith(prefix));
}

/**
 * Throw a one-line {@link NetworkFaultsUnavailableError} saying what is needed when partitions
 * cannot work here: not Linux, not root, or no iptables-restore / nsenter.
 */
export async function checkIptables(needNsenter: boolean): Promise<void> {
  if (process.platform !== 'linux') {
    throw new NetworkFaultsUnavailableError(`(partitions) need Linux (iptables rules); this is ${process.platform}`);
  }
  if (process.getuid?.() !== 0) {
    throw new NetworkFaultsUnavailableError(
      `(partitions) need root (iptables rules); this process runs as uid ${process.getuid?.()}: run the tests as root, as CI does`,
    );
  }
  try {
    await run('iptables-restore', ['--version']);
    if (needNsenter) await run('nsenter', ['--version']);
  } catch (err) {
    throw new NetworkFaultsUnavailableError(
      `(partitions) need the iptables-restore${needNsenter ? ' and nsenter' : ''} commands on PATH (Debian: apt-get install iptables util-linux): ${(err as Error).message}`,
    );
  }
}

function run(command: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${code}): ${err.trim().split('\n')[0] ?? ''}`));
    });
    if (input !== undefined) {
      child.stdin!.once('error', () => undefined); // an early exit is reported by 'close'
      child.stdin!.end(input);
    }
  });
}
