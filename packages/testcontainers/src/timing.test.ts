import { AddressTable } from './address-table';
import { clientOptions } from './clients';
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

describe('client options', () => {
  const table = new AddressTable();
  table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });

  it('put the fixture natMap first, then the cluster-wide options, then the call\'s own', () => {
    const options = clientOptions(
      table,
      'pw',
      { scaleReads: 'slave', redisOptions: { connectionName: 'suite' }, natMap: { 'x:1': { host: 'h', port: 2 } } },
      { maxRedirections: 3, redisOptions: { db: 0 } },
    );
    expect(options).toMatchObject({ scaleReads: 'slave', maxRedirections: 3, redisOptions: { password: 'pw', connectionName: 'suite', db: 0 } });
    const natMap = options.natMap as (key: string) => unknown;
    expect(natMap('redis-node-1:7101')).toEqual({ host: '127.0.0.1', port: 32768 });
    expect(natMap('x:1')).toEqual({ host: 'h', port: 2 });
  });

  it('keep the fixture natMap even when a call passes its own', () => {
    const options = clientOptions(table, undefined, {}, { natMap: { 'redis-node-1:7101': { host: 'elsewhere', port: 1 } } });
    expect((options.natMap as (key: string) => unknown)('redis-node-1:7101')).toEqual({ host: '127.0.0.1', port: 32768 });
    expect(options.redisOptions).toEqual({});
  });
});
