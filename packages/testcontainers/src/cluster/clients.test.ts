import { AddressTable } from './address-table';
import { clientOptions } from './clients';

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
