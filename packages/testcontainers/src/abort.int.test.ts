/**
 * A start stopped part-way by its `signal`: what it had started (containers and network, or
 * redis-server processes and their folder) is removed before the promise rejects. This is what
 * useRedisCluster() relies on when a file's beforeAll times out while its cluster starts.
 */
import { ClusterStartAbortedError, startRedisCluster, type ClusterLogEvent } from './index';
import { NOTHING, resourcesOfThisProcess, RUNTIMES } from '../test/helpers/runtimes';

// A hang guard, not a measure: twice a start's own limit (startupTimeoutMs, 60 s by default).
jest.setTimeout(120_000);

describe.each(RUNTIMES)('%s runtime: startRedisCluster({ signal })', (runtime) => {
  afterEach(async () => {
    expect(await resourcesOfThisProcess(runtime)).toEqual(NOTHING);
  });

  it('aborted once its masters run (replicas still starting), removes everything and rejects with ClusterStartAbortedError', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const logger = (e: ClusterLogEvent) => {
      seen.push(`${e.phase}: ${e.message}`);
      // Mid-start, deterministically: the masters run, nothing is formed yet.
      if (/^\d+ master (containers|processes) up$/.test(e.message)) controller.abort(new Error('the test gave up'));
    };
    const error = (await startRedisCluster({
      runtime,
      masters: 3,
      replicas: 1,
      logger,
      signal: controller.signal,
    }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ClusterStartAbortedError);
    expect(error.name).toBe('AbortError');
    expect(error.message).toMatch(
      /^Redis Cluster start was aborted while .+ \(the test gave up\)\. Everything started was removed\.$/,
    );
    expect((error as ClusterStartAbortedError).cause).toEqual(new Error('the test gave up'));
    expect(seen.some((l) => l.startsWith('cleanup: '))).toBe(true);
    expect(seen.some((l) => l.startsWith('ready: '))).toBe(false);
  });

  it('already aborted: rejects at once and starts nothing', async () => {
    const seen: ClusterLogEvent[] = [];
    await expect(
      startRedisCluster({
        runtime,
        masters: 1,
        signal: AbortSignal.abort(new Error('no time')),
        logger: (e) => seen.push(e),
      }),
    ).rejects.toThrow(
      'Redis Cluster start was aborted while nothing was started yet (no time). Everything started was removed.',
    );
    // "At once": before any phase, not even choosing the runtime (how fast is no test's business).
    expect(seen).toEqual([]);
  });

  it('a signal that never aborts changes nothing', async () => {
    await using rc = await startRedisCluster({ runtime, masters: 1, signal: new AbortController().signal });
    expect(await rc.cluster.set('k', 'v')).toBe('OK');
  });
});
