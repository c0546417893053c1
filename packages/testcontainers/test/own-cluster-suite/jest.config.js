// A Jest suite whose files each start a cluster of their own (useRedisCluster() without the
// globalSetup), run on 2 workers at once. Run by src/jest-integration.int.test.ts.
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
