import { Deadline, DeadlineExceeded, delay, withTimeout } from './timing';

describe('timing helpers', () => {
  it('withTimeout leaves no unhandled rejection behind when the signal had aborted already', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      let rejectLater!: (err: Error) => void;
      const given = new Promise<never>((_resolve, reject) => (rejectLater = reject));
      await expect(withTimeout(given, Infinity, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
      rejectLater(new Error('Connection is closed.')); // the work given up on fails afterwards
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('withTimeout resolves, rejects on time, and follows an abort signal', async () => {
    await expect(withTimeout(Promise.resolve(1), 1000)).resolves.toBe(1);
    await expect(withTimeout(new Promise(() => undefined), 10)).rejects.toThrow('no answer within 10 ms');
    const controller = new AbortController();
    const pending = withTimeout(new Promise(() => undefined), Infinity, controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });

  it('delay can be aborted and a Deadline aborts its signal when it passes', async () => {
    const deadline = new Deadline(20);
    const { signal, dispose } = deadline.signal();
    await expect(delay(10_000, signal)).rejects.toBeInstanceOf(DeadlineExceeded);
    // Timers may fire a fraction of a millisecond before performance.now() says so.
    expect(deadline.remaining()).toBeLessThan(2);
    dispose();
  });
});
