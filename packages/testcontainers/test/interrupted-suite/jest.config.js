// A Jest run that starts a cluster and is killed before the start completes (SIGINT, as Ctrl-C
// sends to the whole process group, or SIGKILL, as a CI runner ends a job). Run by
// src/interrupted.int.test.ts, never by the repository's own Jest projects.
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
  },
};
