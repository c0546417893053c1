import { localAddress } from './recycle';

describe('localAddress(): the IP a node was reached at, from its CLIENT INFO', () => {
  it('reads laddr, IPv4 or IPv6', () => {
    expect(localAddress('id=7 addr=172.18.0.1:51234 laddr=172.18.0.3:6379 fd=9 name= age=0\n')).toBe('172.18.0.3');
    expect(localAddress('id=7 addr=[::1]:5000 laddr=[::1]:7101 fd=9')).toBe('::1');
  });

  it('names the reply when there is no laddr', () => {
    expect(() => localAddress('id=7 addr=1.2.3.4:5')).toThrow('no laddr in CLIENT INFO "id=7 addr=1.2.3.4:5"');
  });
});
