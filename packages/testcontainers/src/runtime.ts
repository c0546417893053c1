/**
 * Runtimes: what runs the nodes. `startRedisCluster()` has one orchestration (start the nodes,
 * form the cluster from the plan, wait until it is ready, connect the client, probe every
 * master, clean up on failure); a runtime only starts nodes and removes them:
 *
 * - `runtime-docker.ts`: one container per node on a network of the cluster's own;
 * - `runtime-process.ts`: one local redis-server per node on 127.0.0.1, in a temp folder.
 *
 * A {@link RuntimeEngine} is opened once per start (connect to Docker, find redis-server); it
 * opens a {@link NodeHost} per attempt (the process runtime tries again with other ports when
 * one it picked was taken meanwhile).
 */
import Dockerode from 'dockerode';
import type { ClusterPlan, PlannedNode } from '@redis-cluster-kit/plan';
import { getContainerRuntimeClient } from 'testcontainers';
import type { NodeEndpoint } from './admin';
import type { NodeRuntime } from './container-nodes';
import { describeDockerHost } from './docker';
import { causeMessage, NoRuntimeAvailableError } from './errors';
import type { PhaseLog } from './log';
import { SERVER_PATH_ENV_VAR, type ResolvedFixtureOptions, type RuntimeChoice } from './options';
import { findRedisServer } from './redis-server';
import { dockerEngine } from './runtime-docker';
import { processEngine } from './runtime-process';
import type { StartedRedisCluster } from './started-cluster';
import { withTimeout, type Deadline } from './timing';

/** A runtime that runs nodes (`auto` resolves to one of these). */
export type RuntimeKind = Exclude<RuntimeChoice, 'auto'>;

/** How long `auto` waits for a Docker daemon to answer before it looks for redis-server. */
export const AUTO_DOCKER_TIMEOUT_MS = 2000;

export interface OpenContext {
  clusterId: string;
  resolved: ResolvedFixtureOptions;
  /** For a cluster kept for reuse (Docker only): its reuse key. */
  reuseKey: string | undefined;
  log: PhaseLog;
  deadline: Deadline;
  /** Aborts when the start's deadline passes. */
  signal: AbortSignal;
}

/** One start's runtime, ready to open hosts. */
export interface RuntimeEngine {
  readonly kind: RuntimeKind;
  /** What a start is doing while it opens a host (for errors: "while checking the image and creating the network"). */
  readonly opening: string;
  /** Attach to a cluster kept by an earlier start (reuse); undefined when there is none. Docker only. */
  attachKept?(key: string, resolved: ResolvedFixtureOptions, signal: AbortSignal): Promise<StartedRedisCluster | undefined>;
  /**
   * Make what one cluster's nodes need (a network; a temp folder and free ports) and return the
   * host that starts them. On failure (or when `signal` aborts) it removes what it made itself.
   */
  open(context: OpenContext): Promise<NodeHost>;
}

/** Where one cluster's nodes run. */
export interface NodeHost {
  readonly kind: RuntimeKind;
  /** The plan the nodes are started from: the options' plan, or (process runtime) the same with the ports it picked. */
  readonly plan: ClusterPlan;
  /** What the start is doing while nodes start (for errors: "starting containers"). */
  readonly starting: string;
  /** The log phase and the word for a node (`containers`/`container`, `processes`/`process`). */
  readonly unit: { phase: 'containers' | 'processes'; one: string; many: string };
  /**
   * Start one node; resolves once redis-server accepts connections, with where the test process
   * and the other nodes reach it. `onRunning` is called as soon as the node's process runs.
   */
  startNode(node: PlannedNode, onRunning?: () => void): Promise<NodeEndpoint>;
  /** Stop, start, pause and unpause single nodes (the fault helpers). */
  readonly nodes: NodeRuntime;
  /** Work in the background that must be over before the start resolves (Docker's stale-resource reaping). */
  readonly settled: Promise<void>;
  /** Remove every node and whatever else the host made, also what is still being created. Idempotent. */
  remove(): Promise<void>;
}

/** Does a Docker daemon answer, within `timeoutMs`? With DOCKER_HOST set to a socket, that socket must answer. */
export async function dockerAnswers(env: Readonly<Record<string, string | undefined>>, timeoutMs = AUTO_DOCKER_TIMEOUT_MS): Promise<{ ok: true } | { ok: false; problem: string }> {
  const host = env['DOCKER_HOST'];
  try {
    if (host !== undefined && /^(unix|npipe):\/\//.test(host)) {
      // Testcontainers would fall back to /var/run/docker.sock when DOCKER_HOST does not
      // answer; for `auto`, the daemon the user named is the one that counts.
      const docker = new Dockerode({ socketPath: new URL(host).pathname, timeout: timeoutMs });
      await withTimeout(docker.ping(), timeoutMs);
    } else {
      await withTimeout(getContainerRuntimeClient(), timeoutMs);
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, problem: causeMessage(err) };
  }
}

/**
 * The runtime this start uses (`auto`: Docker when a daemon answers, else redis-server when
 * found, else {@link NoRuntimeAvailableError}), opened: connected to Docker, or with
 * redis-server found and checked. Logs the choice (phase `runtime`) and the options it ignores.
 */
export async function openRuntime(resolved: ResolvedFixtureOptions, env: Readonly<Record<string, string | undefined>>, log: PhaseLog, signal: AbortSignal): Promise<RuntimeEngine> {
  const from = { option: 'the runtime option', environment: 'REDIS_CLUSTER_RUNTIME', default: 'the default' }[resolved.runtimeFrom];
  const ignored = (kind: RuntimeKind) => {
    const names =
      kind === 'process'
        ? [...(resolved.given.image ? ['image'] : []), ...(resolved.reuse ? [resolved.given.reuse ? 'reuse' : 'REDIS_CLUSTER_REUSE'] : [])]
        : resolved.given.redisServerPath
          ? ['redisServerPath']
          : [];
    return names.length === 0 ? '' : `; ignored for this runtime: ${names.join(', ')}`;
  };

  if (resolved.runtime === 'docker') {
    const engine = await dockerEngine(log, signal);
    log.event('runtime', `runtime "docker" (${from})${ignored('docker')}`);
    return engine;
  }
  if (resolved.runtime === 'process') {
    const engine = await withTimeout(processEngine(resolved.redisServerPath, env), Infinity, signal);
    log.event('runtime', `runtime "process" (${from}): ${engine.describe}${ignored('process')}`);
    return engine;
  }

  const server = findRedisServer(resolved.redisServerPath, env);
  server.catch(() => undefined); // not needed when Docker answers
  const docker = await withTimeout(dockerAnswers(env), Infinity, signal);
  if (docker.ok) {
    const engine = await dockerEngine(log, signal);
    log.event('runtime', `runtime "docker" (auto: a Docker daemon answered)${ignored('docker')}`);
    return engine;
  }
  let engine: Awaited<ReturnType<typeof processEngine>>;
  try {
    await withTimeout(server, Infinity, signal);
    engine = await processEngine(resolved.redisServerPath, env);
  } catch (err) {
    if (signal.aborted) throw err;
    const problem = err instanceof Error && 'reason' in err ? `"${resolved.redisServerPath}": ${String((err as { reason: unknown }).reason)}` : causeMessage(err);
    throw new NoRuntimeAvailableError(describeDockerHost(env), docker.problem, problem, SERVER_PATH_ENV_VAR);
  }
  log.event('runtime', `runtime "process" (auto: no Docker daemon answered at ${describeDockerHost(env)}: ${docker.problem}): ${engine.describe}${ignored('process')}`);
  return engine;
}
