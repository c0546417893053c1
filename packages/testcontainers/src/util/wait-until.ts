/**
 * Waiting on a state instead of sleeping: poll a check until it holds, and fail with a message
 * that says what was awaited and what was seen last.
 */
import { DEFAULT_FIXTURE_OPTIONS } from '../options';
import { causeMessage } from './messages';
import { delay } from './timing';

export interface WaitUntilOptions {
  /** Give up after this many ms. @default 10000 (`DEFAULT_FIXTURE_OPTIONS.waitTimeoutMs`) */
  timeoutMs?: number;
  /** Time between two checks. @default 20 (`DEFAULT_FIXTURE_OPTIONS.waitIntervalMs`) */
  intervalMs?: number;
  /** What is awaited, in words (`"node \"redis-node-1\" to answer"`); a function is called when the error is built. */
  description: string | (() => string);
}

/** Thrown by {@link waitUntil} when the state did not come in time. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';

  constructor(
    readonly timeoutMs: number,
    readonly description: string,
    /** The last error the check threw, if its last call threw. */
    readonly lastError?: unknown,
  ) {
    super(
      `Timed out after ${timeoutMs} ms waiting for ${description}${lastError === undefined ? '' : ` (last check failed: ${causeMessage(lastError)})`}`,
    );
  }
}

/**
 * Call `check` every `intervalMs` until it returns something other than `undefined` or `false`,
 * and resolve with that. A check that throws counts as "not yet" (a node that does not answer
 * yet); its last error goes into the timeout error. Never waits longer than `timeoutMs` in all.
 *
 * @example
 * ```ts
 * await waitUntil(async () => (await redis.call('CLUSTER', 'INFO')).includes('cluster_state:fail'), {
 *   timeoutMs: 10_000,
 *   description: 'the cluster to notice that a master is gone',
 * });
 * ```
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitUntilOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FIXTURE_OPTIONS.waitTimeoutMs;
  const intervalMs = options.intervalMs ?? DEFAULT_FIXTURE_OPTIONS.waitIntervalMs;
  const until = performance.now() + timeoutMs;
  for (;;) {
    const started = performance.now();
    let lastError: unknown;
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() >= until) {
      const description = typeof options.description === 'function' ? options.description() : options.description;
      throw new WaitTimeoutError(timeoutMs, description, lastError);
    }
    await delay(Math.max(0, Math.min(intervalMs - (performance.now() - started), until - performance.now())));
  }
}
