import { AddressTable } from './address-table';
import { clientOptions, liveStartupNodes } from './clients';

describe('client options', () => {
  const table = new AddressTable();
  table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });

  it("put the fixture natMap first, then the cluster-wide options, then the call's own", () => {
    const options = clientOptions(
      table,
      { password: 'pw' },
      { scaleReads: 'slave', redisOptions: { connectionName: 'suite' }, natMap: { 'x:1': { host: 'h', port: 2 } } },
      { maxRedirections: 3, redisOptions: { db: 0 } },
    );
    expect(options).toMatchObject({
      scaleReads: 'slave',
      maxRedirections: 3,
      redisOptions: { password: 'pw', connectionName: 'suite', db: 0 },
    });
    const natMap = options.natMap as (key: string) => unknown;
    expect(natMap('redis-node-1:7101')).toEqual({ host: '127.0.0.1', port: 32768 });
    expect(natMap('x:1')).toEqual({ host: 'h', port: 2 });
  });

  it('keep the fixture natMap even when a call passes its own', () => {
    const options = clientOptions(table, {}, {}, { natMap: { 'redis-node-1:7101': { host: 'elsewhere', port: 1 } } });
    expect((options.natMap as (key: string) => unknown)('redis-node-1:7101')).toEqual({
      host: '127.0.0.1',
      port: 32768,
    });
    expect(options.redisOptions).toEqual({});
  });
});

describe('liveStartupNodes', () => {
  it('reads the table whenever ioredis copies them (Object.assign on every connect)', () => {
    const table = new AddressTable();
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });
    const [node] = liveStartupNodes(table, ['redis-node-1:7101']);
    expect({ ...node }).toEqual({ host: '127.0.0.1', port: 32768 });
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32999 });
    expect(Object.assign({}, node)).toEqual({ host: '127.0.0.1', port: 32999 });
    expect(() => liveStartupNodes(table, ['redis-node-9:7109'])).toThrow(
      'No address known for node "redis-node-9:7109"',
    );
  });
});
