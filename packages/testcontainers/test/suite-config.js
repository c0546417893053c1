// What the jest.config of every example suite here shares: the folder's *.test.ts files through
// ts-jest, and the packages mapped to their sources (with the packages installed, a user's config
// needs neither). Each suite is run as its own Jest process by an integration test in ../src.
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
/** A package's source file, e.g. src('testcontainers/src/index.ts'). */
const src = (p) => path.join(root, 'packages', p);

/**
 * The Jest config of the suite in `dir`, with `extra` (globalSetup, globals, testTimeout...) on top.
 * @returns {import('jest').Config}
 */
function suiteConfig(dir, extra = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/*.test.ts'],
    transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(root, 'tsconfig.json') }] },
    moduleNameMapper: {
      '^@redis-cluster-kit/plan$': src('plan/src/index.ts'),
      '^@redis-cluster-kit/testcontainers$': src('testcontainers/src/index.ts'),
      '^@redis-cluster-kit/testcontainers/jest$': src('testcontainers/src/jest/index.ts'),
    },
    ...extra,
  };
}

module.exports = { suiteConfig, src };
