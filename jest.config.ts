import type { Config } from 'jest';

// Tests run against the TypeScript sources of every workspace package (no build needed for
// imports); tests that run the CLI as a real process use the compiled bin (`pnpm build` first).
const moduleNameMapper = {
  '^@redis-cluster-kit/plan$': '<rootDir>/packages/plan/src/index.ts',
  '^@redis-cluster-kit/compose$': '<rootDir>/packages/compose/src/index.ts',
  '^@redis-cluster-kit/testcontainers$': '<rootDir>/packages/testcontainers/src/index.ts',
  '^@redis-cluster-kit/testcontainers/jest$': '<rootDir>/packages/testcontainers/src/jest/index.ts',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };

const config: Config = {
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      // Unit tests sit beside the source; they need no Docker.
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/scripts/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
    },
    {
      displayName: 'integration',
      rootDir: __dirname,
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      // Integration tests talk to a real Docker daemon, real Redis nodes and real Compose.
      testMatch: ['<rootDir>/packages/*/src/**/*.int.test.ts', '<rootDir>/packages/*/test/**/*.int.test.ts'],
      // Jest ignores testTimeout inside a project: integration files call jest.setTimeout().
      slowTestThreshold: 30,
    },
  ],
};

export default config;
