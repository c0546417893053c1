// A user's jest.config with a nodenext tsconfig: the README's lines, nothing more.
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/jest/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.nodenext.json' }] },
  globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
  globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
  globals: { redisCluster: { masters: 3, replicas: 0, namePrefix: 'npm-proof' } },
};
