/**
 * Record what an ioredis Cluster tells its user (`+node`, `-node`, `close`, `reconnecting`, ...)
 * so that a test can assert the order of events without sleeping.
 */
import type { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_FIXTURE_OPTIONS } from '../options';

/** The events an ioredis `Cluster` emits about its connections, recorded by default. */
export const CLUSTER_EVENTS = Object.freeze([
  'connect',
  'ready',
  'error',
  'close',
  'reconnecting',
  'end',
  '+node',
  '-node',
  'node error',
  'refresh',
] as const);

/**
 * Events of each node's own ioredis connection, recorded with `nodeEvents: true` under these
 * names (the Cluster does not re-emit them): the connection opened, closed, or gave up.
 */
export const NODE_CONNECTION_EVENTS = Object.freeze({
  connect: 'node connect',
  close: 'node close',
  end: 'node end',
} as const);

export interface RecordedEvent {
  /** The event's name (`-node`, `close`, ... or `node close` for a node connection's own event; `fault` for a fault the fixture did, its message in `detail`). */
  name: string;
  /** When it was emitted (`performance.now()`). */
  at: number;
  /** Milliseconds since the recording started. */
  sinceStartMs: number;
  /** `host:port` of the node connection it is about (`+node`, `-node`, `node error`, node events). */
  address?: string;
  /** The fixture's name of that node (`redis-node-3`), when known. */
  node?: string;
  /** The error's message (`error`, `node error`), the fault's (`fault`), else ''. */
  detail: string;
}

export interface WaitForEventOptions {
  /** Give up (rejecting with the events seen meanwhile) after this many ms. @default 10000 (`DEFAULT_FIXTURE_OPTIONS.eventTimeoutMs`) */
  timeoutMs?: number;
  /** Only events for which this returns true count (e.g. `(e) => e.node === 'redis-node-3'`). */
  where?: (event: RecordedEvent) => boolean;
}

export interface EventRecording {
  /** Every event recorded so far, in order. */
  readonly events: readonly RecordedEvent[];
  /** The names of the events recorded so far (those `where` accepts), in order. */
  names(where?: (event: RecordedEvent) => boolean): string[];
  /**
   * Wait for the next event called `name` after the one the previous `waitFor` returned (from
   * the start of the recording the first time): a chain of `waitFor` calls asserts an order.
   * Rejects after `timeoutMs` with the events seen meanwhile.
   */
  waitFor(name: string, options?: WaitForEventOptions): Promise<RecordedEvent>;
  /** One line per event (`+12ms -node 127.0.0.1:32768 (redis-node-3)`), for logs and failure messages. */
  describe(events?: readonly RecordedEvent[]): string;
  /** Stop recording: remove every listener. Pending `waitFor` calls reject. */
  stop(): void;
}

export interface RecordEventsOptions {
  /** Which Cluster events to record. @default CLUSTER_EVENTS */
  events?: readonly string[];
  /** Also record each node connection's own `connect`, `close` and `end` (see {@link NODE_CONNECTION_EVENTS}). @default false */
  nodeEvents?: boolean;
  /** Name the node behind a `host:port` (the fixture passes one that reads its address table). */
  nodeName?: (address: string) => string | undefined;
  /**
   * Subscribe to the faults done meanwhile: each is recorded as an event named `fault` (its
   * message in `detail`), in order with the client's own; `rc.recordEvents()` passes the
   * fixture's fault log. Returns an unsubscriber, called by stop().
   */
  faults?: (record: (detail: string) => void) => () => void;
}

/**
 * Start recording `cluster`'s events.
 *
 * @example
 * ```ts
 * const recording = recordEvents(rc.cluster);
 * await rc.stopNode('redis-node-3');
 * await recording.waitFor('-node');
 * await recording.waitFor('+node', { where: (e) => e.node === 'redis-node-3' });
 * recording.stop();
 * ```
 */
export function recordEvents(cluster: Cluster, options: RecordEventsOptions = {}): EventRecording {
  const names = options.events ?? CLUSTER_EVENTS;
  const started = performance.now();
  const events: RecordedEvent[] = [];
  const removers: (() => void)[] = [];
  const watchedNodes = new WeakSet<Redis>();
  const waiters = new Set<{ check: () => void; fail: (err: Error) => void }>();
  let cursor = 0;
  let stopped = false;

  const addressOf = (redis: Redis | undefined): string | undefined =>
    redis?.options?.host === undefined ? undefined : `${redis.options.host}:${redis.options.port}`;

  const push = (name: string, address: string | undefined, detail = '') => {
    if (stopped) return;
    const at = performance.now();
    const event: RecordedEvent = { name, at, sinceStartMs: at - started, detail };
    if (address !== undefined) {
      event.address = address;
      const node = options.nodeName?.(address);
      if (node !== undefined) event.node = node;
    }
    events.push(event);
    for (const waiter of [...waiters]) waiter.check();
  };

  const listen = (emitter: EventEmitter, event: string, listener: (...args: unknown[]) => void) => {
    emitter.on(event, listener);
    removers.push(() => emitter.off(event, listener));
  };

  const watchNode = (redis: Redis) => {
    if (!options.nodeEvents || watchedNodes.has(redis)) return;
    watchedNodes.add(redis);
    for (const [event, recorded] of Object.entries(NODE_CONNECTION_EVENTS)) {
      listen(redis, event, () => push(recorded, addressOf(redis)));
    }
  };

  for (const name of names) {
    listen(cluster, name, (...args: unknown[]) => {
      switch (name) {
        case '+node':
        case '-node': {
          const redis = args[0] as Redis | undefined;
          if (name === '+node' && redis) watchNode(redis);
          push(name, addressOf(redis));
          break;
        }
        case 'node error':
          push(name, typeof args[1] === 'string' ? args[1] : undefined, messageOf(args[0]));
          break;
        case 'error':
          push(name, undefined, messageOf(args[0]));
          break;
        default:
          push(name, undefined);
      }
    });
  }
  if (options.faults) removers.push(options.faults((detail) => push('fault', undefined, detail)));
  // Node connections made before the recording started.
  for (const redis of cluster.nodes('all')) watchNode(redis);

  const describe = (list: readonly RecordedEvent[] = events) =>
    list
      .map(
        (e) =>
          `+${Math.round(e.sinceStartMs)}ms ${e.name}${e.address ? ` ${e.address}` : ''}${e.node ? ` (${e.node})` : ''}${e.detail ? `: ${e.detail}` : ''}`,
      )
      .join('\n');

  return {
    events,
    names: (where) => events.filter((e) => !where || where(e)).map((e) => e.name),
    describe,
    waitFor(name, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? DEFAULT_FIXTURE_OPTIONS.eventTimeoutMs;
      const from = cursor;
      return new Promise<RecordedEvent>((resolve, reject) => {
        const waiter = {
          check: () => {
            for (let i = from; i < events.length; i++) {
              const e = events[i]!;
              if (e.name === name && (!waitOptions.where || waitOptions.where(e))) {
                cursor = i + 1;
                done();
                resolve(e);
                return;
              }
            }
          },
          fail: (err: Error) => {
            done();
            reject(err);
          },
        };
        const timer = setTimeout(() => {
          const seen = events.slice(from);
          waiter.fail(
            new Error(
              `No "${name}" event${waitOptions.where ? ' matching the condition' : ''} within ${timeoutMs} ms` +
                `${from > 0 ? ` after "${events[from - 1]!.name}"` : ''}; events since: ${seen.length === 0 ? 'none' : `\n${describe(seen)}`}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        waiters.add(waiter);
        if (stopped) waiter.fail(new Error(`Cannot wait for "${name}": the recording is stopped`));
        else waiter.check();
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const remove of removers.splice(0)) remove();
      for (const waiter of [...waiters]) waiter.fail(new Error('The event recording was stopped'));
    },
  };
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
