// A Jest suite whose only file gives its beforeAll less time than a cluster takes to start
// (useRedisCluster({ timeoutMs })): Jest fails the file and runs afterAll, which must abort the
// start so that nothing is left. Run by src/jest-integration.int.test.ts.
const path = require('node:path');

const root = path.resolve(__dirname, '../../../..');
const src = (p) => path.join(root, 'packages', p);

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(root, 'tsconfig.json') }] },
  moduleNameMapper: {
    '^@redis-cluster-kit/plan$': src('plan/src/index.ts'),
    '^@redis-cluster-kit/testcontainers$': src('testcontainers/src/index.ts'),
    '^@redis-cluster-kit/testcontainers/jest$': src('testcontainers/src/jest/index.ts'),
  },
  testTimeout: 30_000,
};
