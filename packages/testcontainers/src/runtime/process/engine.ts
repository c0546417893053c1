/**
 * The process runtime: one local `redis-server` per node, listening on 127.0.0.1 only, in a
 * temp folder of the cluster's own (see dirs.ts for its layout and the reaping of
 * folders whose owner died). No container to start: a node accepts connections a few ms after
 * it is spawned, so a fresh cluster is ready close to Redis's 2 s floor.
 *
 * A node's real ports are the plan's: the runtime picks a free block (ports.ts) unless
 * `basePort` is given. Nodes announce their names, as on Docker (same `name:port` natMap keys,
 * same MOVED/ASK texts), and the address table maps each name to 127.0.0.1 and the same port.
 *
 * Faults are signals: stop is SIGTERM (then SIGKILL after the timeout) or SIGKILL (a crash),
 * pause/unpause are SIGSTOP/SIGCONT; start spawns the node again with the same folder, so it
 * keeps its nodes.conf (and id) and its port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createPlan, type ClusterPlan, type PlannedNode } from '@redis-cluster-kit/plan';
import type { NodeEndpoint } from '../../cluster/admin';
import { NodeExitedError, PortInUseError } from '../../errors';
import type { ResolvedFixtureOptions } from '../../resolve-options';
import { hideSecret } from '../../util/messages';
import { delay, withTimeout } from '../../util/timing';
import { nodeConfig, renderConfigFile } from '../node-config';
import { nodeTlsFiles, type ClusterTls } from '../../security';
import type { NodeHost, NodeRuntime, OpenContext, RuntimeEngine } from '../types';
import {
  CONFIG_FILE,
  listClusterDirs,
  LOG_FILE,
  OWNER_FILE,
  OWNER_FORMAT,
  ownedByLiveProcess,
  ownerFileText,
  PID_FILE,
  PROCESS_DIR_PREFIX,
  reapDeadOwners,
  type OwnerRecord,
} from './dirs';
import {
  blockRanges,
  chooseFreeBlock,
  describeRange,
  portProbe,
  PROCESS_BUS_PORT_OFFSET,
  type PortRange,
} from './ports';
import { clusterLoopbackAddresses, loopbackNetwork, removeChainsOf } from './loopback-cuts';
import { findRedisServer, type RedisServerBinary } from './redis-server';

/** Where every node of the process runtime listens (and what other nodes MEET it at). */
export const LOOPBACK = '127.0.0.1';
/** How often a starting node's log is read for "Ready to accept connections". */
const LOG_POLL_MS = 5;
const READY_LINE = /Ready to accept connections/;
const PORT_TAKEN_LINE = /Could not create server TCP listening socket \S*:(\d+): bind: Address already in use/;

export interface ProcessEngine extends RuntimeEngine {
  readonly kind: 'process';
  /** "Redis 7.0.15 at /usr/bin/redis-server". */
  readonly describe: string;
  readonly server: RedisServerBinary;
}

/** Find and check redis-server (RedisServerUnavailableError if it cannot be used). */
export async function processEngine(
  spec: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ProcessEngine> {
  const server = await findRedisServer(spec, env);
  return {
    kind: 'process',
    server,
    describe: `${server.product} ${server.version} at ${server.path}`,
    opening: 'preparing the node folders and picking free ports',
    open: (context) => openProcessHost(server, context),
  };
}

// Port blocks held by clusters of this process, by cluster id (other processes' are in their owner files).
const heldHere = new Map<string, PortRange[]>();
const heldRanges = () => [...heldHere.values()].flat();

async function openProcessHost(
  server: RedisServerBinary,
  { clusterId, resolved, log, signal, tls }: OpenContext,
): Promise<NodeHost> {
  const reaped = await reapDeadOwners();
  if (reaped.dirs.length > 0) {
    log.event(
      'reap',
      `removed ${reaped.dirs.length} cluster folders and ${reaped.processes.length} redis-server processes of dead processes`,
    );
    // Partition rules they left (networkFaults), by the cluster id in each folder's name.
    await removeChainsOf(reaped.dirs.map((d) => basename(d).slice(PROCESS_DIR_PREFIX.length).split('-')[0]!));
  }
  signal.throwIfAborted();
  const count = resolved.plan.nodes.length;
  let plan = resolved.plan;
  let ranges: PortRange[];
  if (resolved.fixedPorts) {
    ranges = blockRanges(plan.options.basePort, count, plan.options.busPortOffset);
    heldHere.set(clusterId, ranges);
  } else {
    const others = (await listClusterDirs())
      .filter((d) => d.owner !== undefined && ownedByLiveProcess(d))
      .flatMap((d) => d.owner!.ports);
    let held: PortRange[] = [];
    const base = await chooseFreeBlock({
      count,
      reserved: () => [...others, ...heldRanges()],
      reserve: (r) => {
        held = r;
        heldHere.set(clusterId, r);
      },
      release: () => heldHere.delete(clusterId),
      isFree: (port) => portProbe.isFree(port),
    });
    ranges = held;
    plan = createPlan({ ...plan.options, basePort: base, busPortOffset: PROCESS_BUS_PORT_OFFSET });
  }
  let root: string | undefined;
  try {
    root = await mkdtemp(join(tmpdir(), `${PROCESS_DIR_PREFIX}${clusterId}-`));
    const owner: OwnerRecord = {
      format: OWNER_FORMAT,
      pid: process.pid,
      host: hostname(),
      cluster: clusterId,
      ...(resolved.name === undefined ? {} : { name: resolved.name }),
      server: server.path,
      ports: ranges,
      nodes: Object.fromEntries(plan.nodes.map((n) => [n.name, n.port])),
      created: new Date().toISOString(),
    };
    await writeFile(join(root, OWNER_FILE), ownerFileText(owner), { mode: 0o600 });
    signal.throwIfAborted();
  } catch (err) {
    heldHere.delete(clusterId);
    if (root !== undefined) await rm(root, { recursive: true, force: true });
    throw err;
  }
  log.event(
    'processes',
    `node folders in ${root}; ports ${ranges.map(describeRange).join(' and ')} on ${LOOPBACK}${resolved.fixedPorts ? ' (basePort given)' : ''}`,
  );
  return new ProcessHost(plan, root, server, resolved, clusterId, signal, tls);
}

/** One node's process and files. */
interface NodeProcess {
  planned: PlannedNode;
  dir: string;
  config: string;
  log: string;
  pidFile: string;
  child?: ChildProcess;
  /** Resolves when the current child has exited. */
  exited?: Promise<void>;
}

const isRunning = (p: NodeProcess): p is NodeProcess & { child: ChildProcess; exited: Promise<void> } =>
  p.child !== undefined && p.child.exitCode === null && p.child.signalCode === null && p.child.pid !== undefined;

// Hosts with processes, killed when this process exits without stopping them (process.exit(),
// the end of the event loop with a cluster never stopped). Signals that kill this process
// cannot be handled; the next start reaps what they leave.
const liveHosts = new Set<ProcessHost>();
const onExit = () => {
  for (const host of liveHosts) host.killNow();
};

class ProcessHost implements NodeHost {
  readonly kind = 'process';
  readonly starting = 'starting redis-server processes';
  readonly unit = { phase: 'processes', one: 'process', many: 'processes' } as const;
  readonly settled = Promise.resolve();
  readonly nodes: NodeRuntime;
  readonly #procs = new Map<string, NodeProcess>();
  /** networkFaults: each node's loopback address of its own (else every node is on {@link LOOPBACK}). */
  readonly #addresses: ReadonlyMap<string, string>;
  readonly #network: ReturnType<typeof loopbackNetwork> | undefined;
  #removed: Promise<void> | undefined;

  constructor(
    readonly plan: ClusterPlan,
    readonly root: string,
    private readonly server: RedisServerBinary,
    private readonly resolved: ResolvedFixtureOptions,
    /** The cluster's id: the key of its port block in `heldHere`. */
    private readonly clusterId: string,
    private readonly signal: AbortSignal,
    /** A TLS cluster's certificates: each node's are written into its folder (the key 0600). */
    private readonly tls: ClusterTls | undefined,
  ) {
    if (liveHosts.size === 0) process.on('exit', onExit);
    liveHosts.add(this);
    const names = plan.nodes.map((n) => n.name);
    this.#addresses = new Map(
      resolved.networkFaults ? clusterLoopbackAddresses(names.length).map((a, i) => [names[i]!, a]) : [],
    );
    this.#network = resolved.networkFaults ? loopbackNetwork(clusterId, (name) => this.#address(name)) : undefined;
    this.nodes = {
      stop: (name, timeoutSeconds) => this.#stop(this.#proc(name), timeoutSeconds),
      start: async (name) => {
        const p = this.#proc(name);
        // A node restarted by startNode() must accept connections within the cluster's faultTimeoutMs.
        if (!isRunning(p)) await this.#spawn(p, this.resolved.timeouts.faultTimeoutMs, undefined);
        return { port: p.planned.port, internalIp: this.#address(name) };
      },
      /* eslint-disable @typescript-eslint/require-await -- async turns a node that is not running
         (a throw of #proc or #signalRunning) into a rejection, as the other methods do */
      pause: async (name) => this.#signalRunning(this.#proc(name), 'SIGSTOP', 'pause'),
      unpause: async (name) => this.#signalRunning(this.#proc(name), 'SIGCONT', 'unpause'),
      /* eslint-enable @typescript-eslint/require-await */
      ...(this.#network ? { network: this.#network } : {}),
    };
  }

  async startNode(node: PlannedNode, onRunning?: () => void): Promise<NodeEndpoint> {
    this.#assertNotRemoved(node.name);
    const dir = join(this.root, node.name);
    await mkdir(dir, { mode: 0o700 });
    const proc: NodeProcess = {
      planned: node,
      dir,
      config: join(dir, CONFIG_FILE),
      log: join(dir, LOG_FILE),
      pidFile: join(dir, PID_FILE),
    };
    // redis-server writes its pid file too, a few ms after it starts: so does this process, at
    // once, so that a crash of this process at any point leaves the pid for the reaper.
    // With networkFaults, outgoing connections (bus, replication) leave from the node's own address too.
    const address = this.#address(node.name);
    const tlsDir = this.resolved.tls === undefined ? {} : { tlsDir: dir };
    const directives = nodeConfig(this.plan, node.name, this.resolved, { dir, bind: address, ...tlsDir }, [
      ['pidfile', proc.pidFile],
      // Redis 7.0's protected mode takes only 127.0.0.1 for local: peers on 127.a.b.c would be
      // refused (replication). The node listens on its loopback address only anyway.
      ...(this.#addresses.size > 0
        ? ([
            ['bind-source-addr', address],
            ['protected-mode', 'no'],
          ] as [string, string][])
        : []),
    ]);
    if (this.tls !== undefined) {
      for (const file of nodeTlsFiles(this.tls, node.name)) {
        await writeFile(join(dir, file.name), file.content, { mode: file.mode });
      }
    }
    await writeFile(proc.config, renderConfigFile(directives), { mode: 0o600 });
    this.#procs.set(node.name, proc);
    // The start's own deadline bounds the wait (through the signal).
    await this.#spawn(proc, Infinity, this.signal, onRunning);
    return { name: node.name, host: address, port: node.port, internalIp: address };
  }

  remove(): Promise<void> {
    this.#removed ??= this.#remove();
    return this.#removed;
  }

  /** Kill every node at once, synchronously (this process is exiting). */
  killNow(): void {
    this.#network?.removeAllNow();
    for (const p of this.#procs.values()) {
      if (isRunning(p)) p.child.kill('SIGKILL');
    }
    try {
      rmSync(this.root, { recursive: true, force: true });
    } catch {
      // The next start reaps it.
    }
  }

  async #remove(): Promise<void> {
    await this.#network?.removeAll().catch(() => this.#network?.removeAllNow());
    // SIGKILL also ends a paused (SIGSTOP) node; nothing of a test cluster needs a clean shutdown.
    const running = [...this.#procs.values()].filter(isRunning);
    for (const p of running) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => withTimeout(p.exited, 10_000).catch(() => undefined)));
    try {
      await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
    } finally {
      heldHere.delete(this.clusterId);
      liveHosts.delete(this);
      if (liveHosts.size === 0) process.off('exit', onExit);
    }
  }

  /** Spawn the node's redis-server (again) and resolve once it accepts connections. */
  async #spawn(
    proc: NodeProcess,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    onRunning?: () => void,
  ): Promise<void> {
    this.#assertNotRemoved(proc.planned.name);
    const offset = await stat(proc.log).then(
      (s) => s.size,
      () => 0,
    );
    // The log file is the child's stdout and stderr: it outlives this process, and nothing of
    // the child is piped through it (no stream handle to close, no lost lines).
    const fd = openSync(proc.log, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(this.server.path, [proc.config], {
        cwd: proc.dir,
        stdio: ['ignore', fd, fd],
        detached: false,
        windowsHide: true,
      });
    } finally {
      closeSync(fd);
    }
    const failed = new Promise<Error>((resolve) => child.once('error', resolve));
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      failed.then(
        () => resolve(),
        () => resolve(),
      );
    });
    proc.child = child;
    proc.exited = exited;
    if (child.pid !== undefined) writeFileSync(proc.pidFile, `${child.pid}\n`, { mode: 0o600 });
    if (this.#removed) {
      child.kill('SIGKILL');
      await exited;
      this.#assertNotRemoved(proc.planned.name);
    }
    onRunning?.();
    await this.#waitForReady(proc, child, exited, failed, offset, timeoutMs, signal);
  }

  /** Read the node's log from `offset` until it says it accepts connections; fail with its last lines if it exits first. */
  async #waitForReady(
    proc: NodeProcess,
    child: ChildProcess,
    exited: Promise<void>,
    failed: Promise<Error>,
    offset: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const name = proc.planned.name;
    let spawnError: Error | undefined;
    void failed.then((err) => (spawnError = err));
    let ended = false;
    void exited.then(() => (ended = true));
    const handle = await open(proc.log, 'r');
    const until = performance.now() + timeoutMs;
    const buffer = Buffer.alloc(16 * 1024);
    let text = '';
    try {
      for (;;) {
        const wasEnded = ended;
        for (;;) {
          const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          text = (text + buffer.toString('utf8', 0, bytesRead)).slice(-64 * 1024);
        }
        if (READY_LINE.test(text) && isRunning(proc)) return;
        if (spawnError) throw new Error(`Cannot run "${this.server.path}" for node "${name}": ${spawnError.message}`);
        // Read once more after the exit: what it printed last is in the file by then.
        if (wasEnded) throw this.#exitError(proc, child, lastLines(text, this.resolved.password));
        if (performance.now() > until) {
          throw new Error(
            `redis-server of node "${name}" did not accept connections within ${timeoutMs} ms; last lines: ${lastLines(text, this.resolved.password).slice(-4).join(' | ')}`,
          );
        }
        await Promise.race([delay(LOG_POLL_MS, signal), exited]);
      }
    } finally {
      await handle.close();
    }
  }

  #exitError(proc: NodeProcess, child: ChildProcess, lines: string[]): Error {
    const name = proc.planned.name;
    const taken = lines.map((l) => PORT_TAKEN_LINE.exec(l)).find((m) => m !== null);
    if (taken) {
      const advice = this.resolved.fixedPorts
        ? `basePort ${this.plan.options.basePort} was given: choose free ports, or leave basePort out so that the process runtime picks them`
        : 'another process took it after it was found free';
      return new PortInUseError(name, Number(taken[1]), lines, advice);
    }
    const how = child.signalCode ? `killed by ${child.signalCode}` : `exit code ${child.exitCode}`;
    return new NodeExitedError(name, lines.length > 0 ? lines : [`(no output; ${how}; log ${proc.log})`]);
  }

  async #stop(proc: NodeProcess, timeoutSeconds: number): Promise<void> {
    if (!isRunning(proc)) return;
    if (timeoutSeconds === 0) {
      proc.child.kill('SIGKILL'); // a crash: no shutdown, no goodbye to the other nodes
      await proc.exited;
      return;
    }
    proc.child.kill('SIGTERM');
    const ended = await Promise.race([proc.exited.then(() => true), delay(timeoutSeconds * 1000).then(() => false)]);
    if (!ended && isRunning(proc)) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }

  #signalRunning(proc: NodeProcess, signal: 'SIGSTOP' | 'SIGCONT', action: string): void {
    if (!isRunning(proc))
      throw new Error(`Cannot ${action} node "${proc.planned.name}": its redis-server is not running`);
    proc.child.kill(signal);
  }

  #address(name: string): string {
    return this.#addresses.get(name) ?? LOOPBACK;
  }

  #proc(name: string): NodeProcess {
    const p = this.#procs.get(name);
    if (!p) throw new Error(`No redis-server process for node "${name}"`);
    return p;
  }

  #assertNotRemoved(name: string): void {
    if (this.#removed) throw new Error(`Cannot start node "${name}": its cluster's processes were removed`);
  }
}

/** The non-empty lines of a log text, the last 40, with the password (if any) hidden. */
function lastLines(text: string, secret: string | undefined): string[] {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-40);
  return hideSecret(lines, secret);
}
