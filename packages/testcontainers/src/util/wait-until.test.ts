import { waitUntil, WaitTimeoutError } from './wait-until';

describe('waitUntil', () => {
  it('resolves with the first value that is not undefined or false', async () => {
    let calls = 0;
    await expect(
      waitUntil(() => (++calls >= 3 ? `after ${calls}` : undefined), { intervalMs: 1, description: 'x' }),
    ).resolves.toBe('after 3');
    await expect(waitUntil(() => Promise.resolve(0), { description: 'zero is a value' })).resolves.toBe(0);
  });

  it('counts a throwing check as "not yet" and puts its last error in the timeout error', async () => {
    const error = await waitUntil(
      () => {
        throw new Error('connect ECONNREFUSED');
      },
      { timeoutMs: 30, intervalMs: 5, description: () => 'node "redis-node-1" to answer' },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toBe(
      'Timed out after 30 ms waiting for node "redis-node-1" to answer (last check failed: connect ECONNREFUSED)',
    );
  });

  it('times out on a check that stays false', async () => {
    await expect(waitUntil(() => false, { timeoutMs: 20, intervalMs: 5, description: 'never' })).rejects.toThrow(
      'Timed out after 20 ms waiting for never',
    );
  });
});
