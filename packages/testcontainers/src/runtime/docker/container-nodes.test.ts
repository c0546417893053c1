import { publishedAddress } from './container-nodes';

describe('publishedAddress', () => {
  const info = (ports: Record<string, { HostIp: string; HostPort: string }[]>, ip = '172.18.0.7') =>
    ({ NetworkSettings: { Ports: ports, Networks: { net: { IPAddress: ip } } } }) as never;

  it('reads the IPv4 host port of the client port and the IP on the network', () => {
    const ports = {
      '7101/tcp': [
        { HostIp: '::', HostPort: '33001' },
        { HostIp: '0.0.0.0', HostPort: '33000' },
      ],
    };
    expect(publishedAddress(info(ports), 7101, 'net', 'redis-node-1')).toEqual({
      port: 33000,
      internalIp: '172.18.0.7',
    });
  });

  it('says what is missing', () => {
    expect(() => publishedAddress(info({}), 7101, 'net', 'redis-node-1')).toThrow(
      'Node "redis-node-1" started, but port 7101/tcp is not published (bindings: [])',
    );
    expect(() =>
      publishedAddress(info({ '7101/tcp': [{ HostIp: '', HostPort: '1' }] }, ''), 7101, 'net', 'redis-node-1'),
    ).toThrow('Node "redis-node-1" started, but has no IP on network "net"');
  });
});
