import { ownerLabels, processAlive } from './docker';

describe('owner labels', () => {
  it('say which process of which machine owns a cluster', () => {
    expect(ownerLabels('abc123', undefined, 42, 'ci-box')).toEqual({
      'redis-cluster-kit': 'true',
      'redis-cluster-kit.pid': '42',
      'redis-cluster-kit.host': 'ci-box',
      'redis-cluster-kit.cluster': 'abc123',
    });
    expect(ownerLabels('abc123', 'checkout-suite', 42, 'ci-box')['redis-cluster-kit.name']).toBe('checkout-suite');
  });
});

describe('processAlive', () => {
  it('knows this process is alive and a made-up pid is not', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(Number.NaN)).toBe(false);
  });
});
