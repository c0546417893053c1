/**
 * A node's container (Testcontainers' GenericContainer): its network alias, its published port,
 * its readiness (redis-server's log line), and its exit while it starts, reported with the
 * node's own last lines.
 */
import type Dockerode from 'dockerode';
import {
  GenericContainer,
  getContainerRuntimeClient,
  type StartedTestContainer,
  type WaitStrategy,
} from 'testcontainers';
import { NodeExitedError } from '../../errors';
import { hideSecret } from '../../util/messages';
import { deferred, delay } from '../../util/timing';
import { dockerode } from './docker';

export interface NodeContainerSpec {
  image: string;
  /** Container name (unique on the daemon). */
  containerName: string;
  networkName: string;
  /** The node's name: its DNS alias on the network. */
  alias: string;
  /** The node's client port inside the container (published on a random host port). */
  port: number;
  command: string[];
  labels: Record<string, string>;
  startupTimeoutMs: number;
  /** Called once the container runs (before redis-server is ready). */
  onRunning?: (() => void) | undefined;
  /** The nodes' password: hidden in the lines redis-server printed, wherever they are quoted. */
  secret?: string | undefined;
  /** Files copied into the container before it starts (TLS certificates and keys), with their modes. */
  files?: readonly { dir: string; name: string; content: string; mode: number }[];
}

/**
 * A node's container: on the cluster's network under the node's name, its client port on a
 * random host port, ready once redis-server logs that it accepts connections (the cheapest
 * reliable signal; the cluster's own readiness is checked afterwards over Redis itself).
 *
 * The alias is given at create time (`NetworkingConfig`), so the container joins only the
 * cluster's network. `withNetworkAliases()` would create it on the default bridge and connect it
 * to the network afterwards: one more API call and a second network endpoint per node, which
 * the daemon sets up one at a time.
 */
export class RedisNodeContainer extends GenericContainer {
  readonly #onRunning: (() => void) | undefined;
  readonly #spec: NodeContainerSpec;
  readonly #ready: RedisReadyWaitStrategy;
  #exitWatch: ExitWatch | undefined;

  constructor(spec: NodeContainerSpec) {
    super(spec.image);
    this.#spec = spec;
    this.#onRunning = spec.onRunning;
    this.#ready = new RedisReadyWaitStrategy(spec.alias, spec.secret);
    this.withName(spec.containerName)
      .withNetworkMode(spec.networkName)
      .withExposedPorts(spec.port)
      .withCommand(spec.command)
      .withLabels(spec.labels)
      .withWaitStrategy(this.#ready)
      .withStartupTimeout(Math.max(1, Math.round(spec.startupTimeoutMs)));
    if (spec.files !== undefined && spec.files.length > 0) {
      this.withCopyContentToContainer(
        spec.files.map((f) => ({ content: f.content, target: `${f.dir}/${f.name}`, mode: f.mode })),
      );
    }
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [spec.networkName]: { Aliases: [spec.alias] } } };
  }

  /**
   * Start the container; when redis-server exits while Testcontainers still waits (for the
   * host port to be bound, or for the log line), reject at once with redis-server's own last
   * lines ({@link NodeExitedError}) instead of whatever that wait says later. A node that exits
   * at once (a directive it refuses) never gets a bound port, and on a busy machine
   * Testcontainers' port wait (a fixed 10 s) would otherwise answer first with "Timed out
   * after 10000ms while waiting for container ports to be bound to the host".
   */
  override async start(): Promise<StartedTestContainer> {
    const exit = deferred<NodeExitedError>();
    this.#onExit = exit.resolve;
    const starting = super.start();
    try {
      return await Promise.race([
        starting,
        exit.promise.then((err) => {
          throw err;
        }),
      ]);
    } catch (err) {
      // When the exit won, the start's own failure comes later and is dropped; either way, the
      // node's error is preferred to one that followed from its exit.
      starting.catch(() => undefined);
      throw (await this.#exitWatch?.settledExit()) ?? err;
    } finally {
      this.#onExit = undefined;
      this.#exitWatch?.stop();
    }
  }

  #onExit: ((err: NodeExitedError) => void) | undefined;

  /** Created, not started yet: from now on an exit of the container is watched for (a dockerode wait). */
  protected override async containerCreated(containerId: string): Promise<void> {
    const client = await getContainerRuntimeClient();
    const watch = new ExitWatch(dockerode(client).getContainer(containerId), this.#spec, () => this.#ready.failed);
    this.#exitWatch = watch;
    void watch.exited.then((err) => err && this.#onExit?.(err));
    // The daemon answers a wait with headers once it is registered (at once); start only then, so
    // that an exit right after the start is not missed. Should it not, settledExit() looks at the
    // container's state after the start failed instead.
    await Promise.race([watch.registered, delay(EXIT_CHECK_MS)]);
  }

  protected override containerStarting(): Promise<void> {
    this.#onRunning?.();
    return Promise.resolve();
  }
}

/**
 * One starting container's exit, watched from before it starts until {@link ExitWatch.stop}:
 * a wait request (`condition=next-exit`) that the daemon answers with headers as soon as it is
 * registered and with the exit code when the container exits. {@link ExitWatch.exited} resolves
 * with the node's own error ({@link NodeExitedError}, its last lines) when it exits of itself,
 * and with undefined when it was Testcontainers that stopped it (its wait had failed), or the
 * watch stopped.
 */
/** The part of docker-modem (dockerode's HTTP client, untyped there) that ExitWatch uses. */
interface DockerModem {
  dial(options: object, callback: (err: Error | null, stream?: NodeJS.ReadableStream) => void): void;
}

class ExitWatch {
  readonly exited: Promise<NodeExitedError | undefined>;
  /** Resolves once the daemon has registered the wait (or could not): an exit from then on is seen. */
  readonly registered: Promise<void>;
  readonly #controller = new AbortController();
  readonly #container: Dockerode.Container;
  readonly #spec: NodeContainerSpec;
  readonly #waitFailed: () => boolean;
  readonly #startedAt = performance.now();

  constructor(
    container: Dockerode.Container,
    spec: NodeContainerSpec,
    /** True once the wait strategy gave up: an exit after that is Testcontainers' own stop. */
    waitFailed: () => boolean,
  ) {
    this.#container = container;
    this.#spec = spec;
    this.#waitFailed = waitFailed;
    const registered = deferred();
    this.registered = registered.promise;
    this.exited = new Promise<number | undefined>((resolve, reject) => {
      // dockerode's container.wait() resolves only with the body; the stream gives the headers first.
      (container.modem as DockerModem).dial(
        {
          path: `/containers/${container.id}/wait?`,
          method: 'POST',
          options: { condition: 'next-exit' },
          isStream: true,
          abortSignal: this.#controller.signal,
          statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        },
        (err: Error | null, stream?: NodeJS.ReadableStream) => {
          registered.resolve();
          if (err || !stream) return reject(err ?? new Error('no reply'));
          let body = '';
          stream.on('data', (chunk: Buffer | string) => (body += chunk.toString()));
          stream.on('error', reject);
          stream.on('end', () => {
            try {
              resolve((JSON.parse(body) as { StatusCode?: number }).StatusCode);
            } catch {
              reject(new Error(`unexpected wait reply: ${body}`));
            }
          });
        },
      );
    }).then(
      (code) => this.#ownError(code),
      () => undefined, // stopped (aborted), or the container is gone
    );
  }

  /**
   * The node's own exit error, if it exited of itself: the watch's, or (should the daemon not
   * have registered the wait in time) what the container's state says now.
   */
  async settledExit(): Promise<NodeExitedError | undefined> {
    const seen = await Promise.race([this.exited, delay(EXIT_CHECK_MS).then(() => undefined)]);
    if (seen !== undefined) return seen;
    const state = await this.#container.inspect().then(
      (info) => info.State,
      () => undefined,
    );
    return state && !state.Running && state.Status !== 'created' ? this.#ownError(state.ExitCode) : undefined;
  }

  /** Stop watching (the start is over either way): the long-polling request is closed. */
  stop(): void {
    this.#controller.abort();
  }

  async #ownError(code: number | undefined): Promise<NodeExitedError | undefined> {
    if (this.#waitFailed()) return undefined;
    // The daemon may report the exit before its log has the last lines (seen on a busy machine:
    // an empty log right after the exit): look again a few times, never past the start's deadline.
    const until = this.#startedAt + this.#spec.startupTimeoutMs;
    let lines: string[] = [];
    for (let look = 1; look <= EXIT_LOG_LOOKS; look++) {
      const tail = await this.#container
        .logs({ stdout: true, stderr: true, follow: false, tail: 20 })
        .catch(() => Buffer.alloc(0));
      lines = hideSecret(demuxedLines(tail), this.#spec.secret);
      if (lines.length > 0 || performance.now() + EXIT_CHECK_MS >= until) break;
      await delay(EXIT_CHECK_MS);
    }
    if (lines.length === 0 && code !== undefined) lines.push(`exit code ${code} (it printed nothing)`);
    return new NodeExitedError(this.#spec.alias, lines);
  }
}

/**
 * Ready when redis-server logs "Ready to accept connections" (as Testcontainers' log wait
 * strategy), but when the process ends first, the error carries redis-server's last lines:
 * a FATAL CONFIG FILE ERROR says which directive was wrong, "log stream ended" does not.
 */
export class RedisReadyWaitStrategy implements WaitStrategy {
  #timeoutMs = 60_000;
  #timeoutSet = false;
  /** Set when the wait gave up for another reason than the node's exit: Testcontainers then stops the container itself. */
  failed = false;

  constructor(
    private readonly node: string,
    /** Hidden in every line kept (see hideSecret): the lines end up in errors. */
    private readonly secret?: string,
  ) {}

  withStartupTimeout(startupTimeoutMs: number): this {
    this.#timeoutMs = startupTimeoutMs;
    this.#timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.#timeoutSet;
  }

  getStartupTimeout(): number {
    return this.#timeoutMs;
  }

  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    const client = await getContainerRuntimeClient();
    const stream = await client.container.logs(container, { since: 0 });
    await new Promise<void>((resolve, reject) => {
      const lines: string[] = [];
      let partial = '';
      let done = false;
      // Ref'd on purpose: while a start is awaited, the process must not exit under it.
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `redis-server of node "${this.node}" did not accept connections within ${this.#timeoutMs} ms; last lines: ${lines.slice(-4).join(' | ')}`,
            ),
          ),
        this.#timeoutMs,
      );
      // The log stream does not always end when the process exits: look at the container too.
      const watch = setInterval(() => {
        container.inspect().then(
          async (info) => {
            if (done || info.State.Running || info.State.Status === 'created') return;
            const tail = await container
              .logs({ stdout: true, stderr: true, follow: false, tail: 20 })
              .catch(() => Buffer.alloc(0));
            const own = hideSecret(demuxedLines(tail), this.secret);
            finish(new NodeExitedError(this.node, own.length > 0 ? own : lines)); // its log may lag its exit
          },
          (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
        );
      }, EXIT_CHECK_MS);
      const finish = (error?: Error) => {
        if (done) return;
        done = true;
        if (error && !(error instanceof NodeExitedError)) this.failed = true;
        clearTimeout(timer);
        clearInterval(watch);
        stream.destroy();
        if (error) reject(error);
        else resolve();
      };
      stream.on('data', (chunk: string | Buffer) => {
        const split = (partial + chunk.toString()).split('\n');
        partial = split.pop() ?? '';
        for (const line of split) {
          const trimmed = line.trim();
          if (trimmed === '') continue;
          lines.push(...hideSecret([trimmed], this.secret));
          if (lines.length > 40) lines.shift();
          if (trimmed.includes('Ready to accept connections')) finish();
        }
      });
      stream.on('end', () => {
        if (partial.trim() !== '') lines.push(...hideSecret([partial.trim()], this.secret));
        finish(new NodeExitedError(this.node, lines));
      });
      stream.on('error', (err: Error) => finish(err));
    });
  }
}

/** How often a starting node's container is checked for having exited. */
const EXIT_CHECK_MS = 250;
/** How many times an exited node's log is read while it is still empty (EXIT_CHECK_MS apart: ~5 s at most). */
const EXIT_LOG_LOOKS = 20;

/** The text lines of a non-following `docker logs` reply (multiplexed 8-byte frames, or raw for TTYs). */
export function demuxedLines(raw: Buffer | string): string[] {
  const buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
  const parts: Buffer[] = [];
  let offset = 0;
  const framed =
    buffer.length >= 8 && (buffer[0] === 1 || buffer[0] === 2) && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (framed) {
    while (offset + 8 <= buffer.length) {
      const size = buffer.readUInt32BE(offset + 4);
      parts.push(buffer.subarray(offset + 8, offset + 8 + size));
      offset += 8 + size;
    }
  } else {
    parts.push(buffer);
  }
  return Buffer.concat(parts)
    .toString()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
