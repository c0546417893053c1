import { InvalidOptionError } from '@redis-cluster-kit/plan';
import { parseConnectionInfo } from './connect';
import { namespaceFor } from './jest/index';

describe('connection info', () => {
  const info = {
    format: 1,
    id: 'abc123',
    planOptions: { masters: 1, replicas: 0 },
    nodes: [{ name: 'redis-node-1', id: 'a'.repeat(40), host: '127.0.0.1', port: 32768 }],
  };

  it('is read from JSON (what globalSetup puts in the environment) or from an object', () => {
    expect(parseConnectionInfo(JSON.stringify(info))).toEqual(info);
    expect(parseConnectionInfo(info)).toBe(info);
  });

  it('refuses anything else with a clear error', () => {
    expect(() => parseConnectionInfo('{not json')).toThrow(InvalidOptionError);
    expect(() => parseConnectionInfo({ ...info, format: 2 })).toThrow(
      'Expected an object of format 1 from StartedRedisCluster.connectionInfo()',
    );
    expect(() => parseConnectionInfo(null)).toThrow(InvalidOptionError);
    expect(() => parseConnectionInfo({ ...info, network: 42 })).toThrow(InvalidOptionError);
  });

  it("carries the cluster's Docker network to the workers", () => {
    const withNetwork = { ...info, runtime: 'docker', network: 'redis-cluster-kit-abc123' };
    expect(parseConnectionInfo(JSON.stringify(withNetwork))).toEqual(withNetwork);
  });
});

describe('namespaceFor', () => {
  it('is stable per test file, distinct between files, and readable', () => {
    const a = namespaceFor('/repo/test/users.test.ts');
    expect(a).toMatch(/^t[0-9a-f]{8}-users\.test:$/);
    expect(namespaceFor('/repo/test/users.test.ts')).toBe(a);
    expect(namespaceFor('/repo/other/users.test.ts')).not.toBe(a);
    expect(namespaceFor('/repo/a weird {name}.test.ts')).toMatch(/^t[0-9a-f]{8}-a_weird__name_\.test:$/);
  });
});
