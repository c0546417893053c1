import createDebug from 'debug';

/**
 * The steps of a cluster's life that are logged, each with its duration when it ends.
 * `runtime`: which runtime runs the nodes and why; `docker`/`containers` are the Docker
 * runtime's, `processes` the process runtime's (its redis-server processes up).
 */
export type ClusterPhase = 'runtime' | 'docker' | 'reap' | 'containers' | 'processes' | 'formed' | 'ready' | 'attach' | 'reset' | 'fault' | 'stop' | 'cleanup';

export interface ClusterLogEvent {
  /** The cluster's id (the `redis-cluster-kit.cluster` label). */
  cluster: string;
  phase: ClusterPhase;
  message: string;
  /** How long the phase took, when the event marks its end. */
  durationMs?: number;
}

/** A logger hook: `startRedisCluster({ logger: (e) => console.log(e.phase, e.message) })`. */
export type ClusterLogger = (event: ClusterLogEvent) => void;

const debugByPhase = new Map<ClusterPhase, createDebug.Debugger>();

/** Sends events to the user's hook and to `debug('redis-cluster-kit:<phase>')` (silent unless `DEBUG` enables it). */
export class PhaseLog {
  constructor(
    readonly cluster: string,
    private readonly hook: ClusterLogger | undefined,
  ) {}

  event(phase: ClusterPhase, message: string, durationMs?: number): void {
    let debug = debugByPhase.get(phase);
    if (!debug) {
      debug = createDebug(`redis-cluster-kit:${phase}`);
      debugByPhase.set(phase, debug);
    }
    if (debug.enabled) debug('%s %s%s', this.cluster, message, durationMs === undefined ? '' : ` (${Math.round(durationMs)} ms)`);
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
