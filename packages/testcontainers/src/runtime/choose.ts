/**
 * Choosing the runtime of a start: the only file that knows both runtimes. `auto` takes Docker
 * when a daemon answers, else redis-server when one is found.
 */
import Dockerode from 'dockerode';
import { getContainerRuntimeClient } from 'testcontainers';
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { NoRuntimeAvailableError } from '../errors';
import type { PhaseLog } from '../util/log';
import { DEFAULT_FIXTURE_OPTIONS, SERVER_PATH_ENV_VAR } from '../options';
import type { ResolvedFixtureOptions } from '../resolve-options';
import { causeMessage } from '../util/messages';
import { withTimeout } from '../util/timing';
import { connectDocker, describeDockerHost } from './docker/docker';
import { dockerEngine } from './docker/engine';
import { removeKeptClusters } from './docker/reuse';
import { processEngine } from './process/engine';
import { findRedisServer } from './process/redis-server';
import type { RuntimeEngine, RuntimeKind } from './types';

/**
 * Does a Docker daemon answer, within `timeoutMs` (`auto` then looks for redis-server: the
 * `dockerCheckTimeoutMs` option)? With DOCKER_HOST set to a socket, that socket must answer.
 */
export async function dockerAnswers(
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number = DEFAULT_FIXTURE_OPTIONS.dockerCheckTimeoutMs,
): Promise<{ ok: true } | { ok: false; problem: string }> {
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
export async function openRuntime(
  resolved: ResolvedFixtureOptions,
  env: Readonly<Record<string, string | undefined>>,
  log: PhaseLog,
  signal: AbortSignal,
): Promise<RuntimeEngine> {
  const from = { option: 'the runtime option', environment: 'REDIS_CLUSTER_RUNTIME', default: 'the default' }[
    resolved.runtimeFrom
  ];
  const ignored = (kind: RuntimeKind) => {
    const names =
      kind === 'process'
        ? [
            ...(resolved.given.image ? ['image'] : []),
            ...(resolved.reuse ? [resolved.given.reuse ? 'reuse' : 'REDIS_CLUSTER_REUSE'] : []),
          ]
        : resolved.given.redisServerPath
          ? ['redisServerPath']
          : [];
    const reuseNote = resolved.reuseIgnoredForNetwork
      ? '; REDIS_CLUSTER_REUSE ignored: the network is a Testcontainers one, made for this run only'
      : '';
    return (names.length === 0 ? '' : `; ignored for this runtime: ${names.join(', ')}`) + reuseNote;
  };
  const network = resolved.network?.name;

  if (resolved.runtime === 'docker') {
    const engine = await dockerEngine(log, signal, network);
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
  const docker = await withTimeout(dockerAnswers(env, resolved.dockerCheckTimeoutMs), Infinity, signal);
  if (docker.ok) {
    const engine = await dockerEngine(log, signal, network);
    log.event('runtime', `runtime "docker" (auto: a Docker daemon answered)${ignored('docker')}`);
    return engine;
  }
  if (network !== undefined) {
    throw new InvalidOptionError(
      'network',
      network,
      `no network when runtime "auto" finds no Docker daemon (${describeDockerHost(env)}: ${docker.problem}): the process runtime's nodes listen on 127.0.0.1, which no container reaches; start Docker, or leave network out`,
    );
  }
  let engine: Awaited<ReturnType<typeof processEngine>>;
  try {
    await withTimeout(server, Infinity, signal);
    engine = await processEngine(resolved.redisServerPath, env);
  } catch (err) {
    if (signal.aborted) throw err;
    const problem =
      err instanceof Error && 'reason' in err
        ? `"${resolved.redisServerPath}": ${String((err as { reason: unknown }).reason)}`
        : causeMessage(err);
    throw new NoRuntimeAvailableError(describeDockerHost(env), docker.problem, problem, SERVER_PATH_ENV_VAR);
  }
  log.event(
    'runtime',
    `runtime "process" (auto: no Docker daemon answered at ${describeDockerHost(env)} within ${resolved.dockerCheckTimeoutMs} ms (dockerCheckTimeoutMs): ${docker.problem}): ${engine.describe}${ignored('process')}`,
  );
  return engine;
}

/** Remove clusters kept for reuse (only the Docker runtime keeps any): those with this reuse key, or all. Resolves with how many. */
export async function removeKept(key: string | undefined): Promise<number> {
  return removeKeptClusters(await connectDocker(), key);
}
