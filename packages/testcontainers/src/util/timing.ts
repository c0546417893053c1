import { setMaxListeners } from 'node:events';

/** Wait `ms` without keeping the process alive; rejects with the signal's reason if aborted. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Thrown (as an abort reason) when a deadline passes; callers turn it into a user-facing error. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/** An absolute point in time that several steps share. */
export class Deadline {
  readonly at: number;

  constructor(readonly budgetMs: number) {
    this.at = performance.now() + budgetMs;
  }

  remaining(): number {
    return Math.max(0, this.at - performance.now());
  }

  passed(): boolean {
    return performance.now() >= this.at;
  }

  /**
   * An AbortSignal that fires when the deadline passes. Its timer keeps the process alive on
   * purpose (whoever waits for the deadline is awaiting something); call `dispose()` when done.
   */
  signal(): { signal: AbortSignal; dispose: () => void } {
    const controller = new AbortController();
    // Every pending step of a start (one per node and more) listens to this one signal.
    setMaxListeners(0, controller.signal);
    const timer = setTimeout(
      () => controller.abort(new DeadlineExceeded(`deadline of ${this.budgetMs} ms passed`)),
      this.remaining(),
    );
    return { signal: controller.signal, dispose: () => clearTimeout(timer) };
  }
}

/**
 * Resolve with `promise`, or reject after `ms` (Infinity: never) or when `signal` aborts;
 * the timer never keeps the process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => finish(() => reject(signal!.reason));
    const timer = Number.isFinite(ms)
      ? setTimeout(() => finish(() => reject(new Error(`no answer within ${ms} ms`))), ms)
      : undefined;
    timer?.unref();
    let done = false;
    function finish(settle: () => void) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    // Handlers first, always: a promise given up on (aborted, timed out) must still not reject unhandled.
    promise.then(
      (value) => finish(() => resolve(value)),
      (err: unknown) => finish(() => reject(err)),
    );
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise and its resolve function (Promise.withResolvers() needs Node 22). */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
