/** The phase log of one cluster: each step with its duration, to the user's logger and to `debug`. */
import createDebug from 'debug';
import type { ClusterLogEvent, ClusterLogger, ClusterPhase } from '../options';

const debugByPhase = new Map<ClusterPhase, createDebug.Debugger>();

/** Sends events to the user's hook and to `debug('redis-cluster-kit:<phase>')` (silent unless `DEBUG` enables it). */
export class PhaseLog {
  readonly #listeners = new Set<(phase: ClusterPhase, message: string) => void>();

  constructor(
    readonly cluster: string,
    private readonly hook: ClusterLogger | undefined,
  ) {}

  /** Call `listener` with every event of `phase` from now on (an event recording's timeline); returns its remover. */
  listen(phase: ClusterPhase, listener: (message: string) => void): () => void {
    const wrapped = (p: ClusterPhase, message: string) => {
      if (p === phase) listener(message);
    };
    this.#listeners.add(wrapped);
    return () => this.#listeners.delete(wrapped);
  }

  event(phase: ClusterPhase, message: string, durationMs?: number): void {
    for (const listener of this.#listeners) listener(phase, message);
    let debug = debugByPhase.get(phase);
    if (!debug) {
      debug = createDebug(`redis-cluster-kit:${phase}`);
      debugByPhase.set(phase, debug);
    }
    if (debug.enabled)
      debug('%s %s%s', this.cluster, message, durationMs === undefined ? '' : ` (${Math.round(durationMs)} ms)`);
    if (this.hook) {
      const event: ClusterLogEvent = { cluster: this.cluster, phase, message };
      if (durationMs !== undefined) event.durationMs = durationMs;
      try {
        this.hook(event);
      } catch {
        // A logger must not break the cluster's start or stop.
      }
    }
  }

  /** Run `fn`, then log `message` for `phase` with how long it took. */
  async timed<T>(phase: ClusterPhase, message: string | ((result: T) => string), fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const result = await fn();
    this.event(phase, typeof message === 'function' ? message(result) : message, performance.now() - t0);
    return result;
  }
}
