import { AddressTable } from './address-table';

describe('AddressTable', () => {
  it('maps announced addresses and hands out copies', () => {
    const table = new AddressTable();
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });
    const got = table.get('redis-node-1:7101')!;
    got.port = 1;
    expect(table.get('redis-node-1:7101')).toEqual({ host: '127.0.0.1', port: 32768 });
    expect(table.get('redis-node-9:7109')).toBeUndefined();
    expect(table.size).toBe(1);
  });

  it('snapshot() is a plain object that later changes do not touch', () => {
    const table = new AddressTable();
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });
    const snapshot = table.snapshot();
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32999 });
    expect(snapshot).toEqual({ 'redis-node-1:7101': { host: '127.0.0.1', port: 32768 } });
    expect(table.snapshot()['redis-node-1:7101']!.port).toBe(32999);
  });

  it('natMap() reads the live table at every lookup (a restarted node gets a new port)', () => {
    const table = new AddressTable();
    const natMap = table.natMap();
    table.set('redis-node-2:7102', { host: '127.0.0.1', port: 32770 });
    expect(natMap('redis-node-2:7102')).toEqual({ host: '127.0.0.1', port: 32770 });
    table.set('redis-node-2:7102', { host: '127.0.0.1', port: 32801 });
    expect(natMap('redis-node-2:7102')).toEqual({ host: '127.0.0.1', port: 32801 });
    table.delete('redis-node-2:7102');
    expect(natMap('redis-node-2:7102')).toBeNull();
  });

  it('asks the user natMap (object or function) only for addresses it does not know', () => {
    const table = new AddressTable();
    table.set('redis-node-1:7101', { host: '127.0.0.1', port: 32768 });
    const fromObject = table.natMap({
      'redis-node-1:7101': { host: 'wrong', port: 1 },
      'other:1': { host: 'h', port: 2 },
    });
    expect(fromObject('redis-node-1:7101')).toEqual({ host: '127.0.0.1', port: 32768 });
    expect(fromObject('other:1')).toEqual({ host: 'h', port: 2 });
    expect(fromObject('toString')).toBeNull();
    const fromFunction = table.natMap((key) => (key === 'x:1' ? { host: 'y', port: 2 } : undefined));
    expect(fromFunction('x:1')).toEqual({ host: 'y', port: 2 });
    expect(fromFunction('z:1')).toBeNull();
  });

  it('refuses a port that is not a TCP port', () => {
    expect(() => new AddressTable().set('a:1', { host: '127.0.0.1', port: 0 })).toThrow(
      'Cannot map "a:1" to port 0: not a TCP port',
    );
  });
});
