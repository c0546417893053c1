/**
 * Errors a user of the fixture meets. Each message is one line that says what went wrong and
 * what to do about it; the fields carry the same facts for programs.
 */

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
        'at a Redis 7 image you have: `docker image ls`.',
    );
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

/** A one-line message of any thrown value. */
export function causeMessage(cause: unknown): string {
  if (cause === undefined) return 'no detail';
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.replace(/\s+/g, ' ').trim();
}
