/**
 * Errors a user of the fixture meets. Each message is one line that says what went wrong and
 * what to do about it; the fields carry the same facts for programs.
 */
import {
  SUPPORTED_ENGINES,
  SUPPORTED_ENGINES_TEXT,
  serverFromVersionOutput,
  unsupportedServerReason,
} from '@redis-cluster-kit/plan';
import type { HealthVerdict } from './cluster/health';
import { compactClusterInfo } from './cluster/replies';
import { faultLimit } from './options';
import { causeMessage } from './util/messages';

/** No Docker (or compatible) daemon answered. */
export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';

  constructor(
    /** Where the daemon was looked for (`DOCKER_HOST` or the default socket). */
    readonly dockerHost: string,
    override readonly cause?: unknown,
  ) {
    super(
      `Cannot reach a Docker daemon at ${dockerHost} (${causeMessage(cause)}). ` +
        'Start Docker (Docker Desktop, `sudo systemctl start docker` or `sudo dockerd &`) ' +
        'or set DOCKER_HOST to a daemon that answers, then run again.',
    );
  }
}

/** The Redis image is not on the machine and could not be pulled. */
export class ImageUnavailableError extends Error {
  override readonly name = 'ImageUnavailableError';

  constructor(
    readonly image: string,
    /** The environment variable that selects the image. */
    readonly envVar: string,
    override readonly cause?: unknown,
  ) {
    super(
      `Image "${image}" is not on this machine and could not be pulled (${causeMessage(cause)}). ` +
        `Pull or build it (e.g. \`docker pull ${image}\`), or point ${envVar} (or the image option) ` +
        `at an image of ${SUPPORTED_ENGINES_TEXT} you have: \`docker image ls\`.`,
    );
  }
}

/** How to get either runtime, for the errors that say none is there. */
const HOW_TO_START_DOCKER =
  'start Docker (Docker Desktop, `sudo systemctl start docker` or `sudo dockerd &`) or set DOCKER_HOST to a daemon that answers';
const HOW_TO_GET_REDIS_SERVER = (envVar: string) =>
  `install Redis >= 7.0 or Valkey >= 7.2 (e.g. \`apt-get install redis-server\` or \`valkey-server\`, \`brew install redis\`) and put redis-server on PATH, or point ${envVar} (or the redisServerPath option) at one (e.g. valkey-server)`;

/** The process runtime cannot use the redis-server it was given or found: missing, not runnable, or older than Redis 7.0. */
export class RedisServerUnavailableError extends Error {
  override readonly name = 'RedisServerUnavailableError';

  constructor(
    /** The path or command name that was looked for. */
    readonly path: string,
    /** What is wrong with it, as a sentence fragment ("it is not on PATH"). */
    readonly reason: string,
    /** The environment variable that names the binary. */
    readonly envVar: string,
  ) {
    super(
      `Cannot run redis-server "${path}" for the process runtime: ${reason}. To fix it, ${HOW_TO_GET_REDIS_SERVER(envVar)}; or use runtime "docker".`,
    );
  }
}

/** `runtime: "auto"` found neither a Docker daemon nor a usable redis-server. */
export class NoRuntimeAvailableError extends Error {
  override readonly name = 'NoRuntimeAvailableError';

  constructor(
    /** Where the daemon was looked for (`DOCKER_HOST` or the default socket). */
    readonly dockerHost: string,
    /** Why Docker was not used. */
    readonly dockerProblem: string,
    /** Why redis-server was not used. */
    readonly redisServerProblem: string,
    envVar: string,
  ) {
    super(
      `Cannot start Redis Cluster with runtime "auto": no Docker daemon answered at ${dockerHost} (${dockerProblem}), ` +
        `and no usable redis-server was found (${redisServerProblem}). Either ${HOW_TO_START_DOCKER}; ` +
        `or ${HOW_TO_GET_REDIS_SERVER(envVar)}. Then run again.`,
    );
  }
}

/**
 * Thrown when redis-server ends before it accepts connections (e.g. a bad redisConfig directive).
 * When its lines name a server the kit does not support (an older server refuses the plan's
 * directives: `FATAL CONFIG FILE ERROR (Redis 6.2.14)`), the message says so first.
 */
export class NodeExitedError extends Error {
  override readonly name: string = 'NodeExitedError';

  constructor(
    readonly node: string,
    /** The last lines redis-server printed. */
    readonly lastLines: string[],
  ) {
    super(
      `redis-server of node "${node}" exited before it accepted connections: ${unsupportedInLines(lastLines)}${lastLines.slice(-4).join(' | ') || 'it printed nothing'}`,
    );
  }
}

/**
 * "it is Redis 6.2.14; supported: ...; " when a config error line names a known engine too old,
 * else "". Only Redis names itself there; Valkey writes "(Version 8.0.1)", which says nothing.
 */
function unsupportedInLines(lines: readonly string[]): string {
  for (const line of lines) {
    const match = /FATAL CONFIG FILE ERROR \((\S+) (\d+\.\d+\.\d+)\)/.exec(line);
    const server = match && serverFromVersionOutput(`${match[1]} server v=${match[2]}`);
    const known = server && Object.prototype.hasOwnProperty.call(SUPPORTED_ENGINES, server.engine);
    const reason = known && unsupportedServerReason(server);
    if (reason) return `${reason}; `;
  }
  return '';
}

/**
 * A node runs a server the kit does not form clusters with, by what it says in `INFO server`:
 * Redis older than 7.0, Valkey older than 7.2, or another server. Nothing was formed.
 */
export class UnsupportedServerError extends Error {
  override readonly name = 'UnsupportedServerError';

  constructor(
    readonly node: string,
    /** What is wrong, naming what the node reported and what is supported. */
    readonly reason: string,
  ) {
    super(
      `Node "${node}" cannot form a cluster: ${reason} (from INFO server). Use an image (image option, REDIS_CLUSTER_IMAGE) or a redis-server (redisServerPath) of one of those.`,
    );
  }
}

/**
 * A node of the process runtime could not listen: its client or bus port was taken on
 * 127.0.0.1 (by a process that took it after the fixture found it free, or, with `basePort`
 * given, by anything). The start tries another block of ports when it picked them itself.
 */
export class PortInUseError extends NodeExitedError {
  override readonly name = 'PortInUseError';

  constructor(
    node: string,
    /** The port redis-server could not listen on. */
    readonly port: number,
    lastLines: string[],
    /** What to do about it, or what was tried. */
    readonly advice: string,
  ) {
    super(node, lastLines);
    this.message = `port ${port} of node "${node}" is in use on 127.0.0.1 (redis-server: ${
      lastLines
        .filter((l) => /in use|aborting/i.test(l))
        .slice(-2)
        .join(' | ') || 'Address already in use'
    }); ${advice}`;
  }
}

/** The cluster did not become usable within `startupTimeoutMs`. Everything started was removed. */
export class ClusterStartupTimeoutError extends Error {
  override readonly name = 'ClusterStartupTimeoutError';

  constructor(
    readonly timeoutMs: number,
    /** The phase that was running when time ran out. */
    readonly phase: string,
    /** The node that was furthest from ready, if any. */
    readonly node: string | undefined,
    /** What that node still lacked, and its last CLUSTER INFO on one line. */
    readonly detail: string,
  ) {
    super(
      `Redis Cluster was not ready within ${timeoutMs} ms (startupTimeoutMs) while ${phase}` +
        `${node === undefined ? `; ${detail}` : `: node "${node}" is the slowest: ${detail}`}. ` +
        'Everything started was removed. Raise startupTimeoutMs on a slow or busy machine.',
    );
  }
}

/** Starting failed for another reason (a container exited, a command was refused, ...). Everything started was removed. */
export class ClusterStartError extends Error {
  override readonly name = 'ClusterStartError';

  constructor(
    readonly phase: string,
    override readonly cause: unknown,
  ) {
    super(`Redis Cluster failed while ${phase}: ${causeMessage(cause)}. Everything started was removed.`);
  }
}

/**
 * `recycle()` could not bring the cluster back to its plan (a node would not start again, a
 * command was refused, time ran out): the step it was in and the node to blame, as a start's
 * error names them. A node that would not start fails the recycle before anything was reset.
 */
export class ClusterRecycleError extends Error {
  override readonly name = 'ClusterRecycleError';

  constructor(
    /** The cluster's id. */
    readonly cluster: string,
    /** The step that failed ("starting node \"redis-node-2\" again", "forming the cluster", ...). */
    readonly phase: string,
    /** The node to blame, when there is one. */
    readonly node: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `Redis Cluster "${cluster}" could not be recycled while ${phase}` +
        `${node === undefined || phase.includes(`"${node}"`) ? '' : ` (node "${node}")`}: ${causeMessage(cause)}`,
    );
  }
}

/** The start was aborted through its `signal` option. Everything started was removed. */
export class ClusterStartAbortedError extends Error {
  /** As the platform's own aborted operations (fetch, timers/promises) name theirs. */
  override readonly name = 'AbortError';

  constructor(
    /** The phase that was running when the signal aborted. */
    readonly phase: string,
    /** The signal's reason. */
    override readonly cause: unknown,
  ) {
    super(`Redis Cluster start was aborted while ${phase} (${causeMessage(cause)}). Everything started was removed.`);
  }
}

/** Thrown by waitForClusterOk (and the helpers that wait for it) when the cluster did not settle in time. */
export class ClusterNotOkError extends Error {
  override readonly name = 'ClusterNotOkError';

  constructor(
    readonly timeoutMs: number,
    /** The node furthest from ok. */
    readonly node: string | undefined,
    /** What each node not ok still lacked. */
    readonly waiting: HealthVerdict['waiting'],
  ) {
    const first = waiting[0];
    const others = waiting.slice(1).map((w) => `"${w.name}": ${w.problems.join(', ')}`);
    super(
      `Redis Cluster was not ok within ${faultLimit('waitForClusterOk', timeoutMs)}: ` +
        (first
          ? `node "${first.name}" ${first.problems.join(', ')}; last CLUSTER INFO: ${compactClusterInfo(first.clusterInfo)}` +
            (others.length > 0 ? `; also ${others.join('; ')}` : '')
          : 'no running node was polled'),
    );
  }
}

/** Network faults (partition, isolate, link) cannot work where the cluster runs, or were not enabled. */
export class NetworkFaultsUnavailableError extends Error {
  override readonly name = 'NetworkFaultsUnavailableError';

  constructor(
    /** What is needed, as a sentence fragment ("(partitions) need root (iptables rules) ..."). */
    readonly need: string,
  ) {
    super(`Network faults ${need}`);
  }
}
