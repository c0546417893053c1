// A real multi-file Jest suite that shares one Redis Cluster across workers, the way a user
// configures it. Run by src/jest-integration.int.test.ts (not by the repository's own Jest
// projects: its files are not *.int.test.ts and live outside src/).
const { suiteConfig, src } = require('../suite-config');

module.exports = suiteConfig(__dirname, {
  // What a user writes (with the package installed):
  //   globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
  //   globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
  // Here: the same modules from the sources, wrapped to time the start for the report.
  globalSetup: '<rootDir>/timed-global-setup.ts',
  globalTeardown: src('testcontainers/src/jest/global-teardown.ts'),
  globals: { redisCluster: { masters: 3, replicas: 1, namePrefix: 'suite' } },
  testTimeout: 30_000,
});
