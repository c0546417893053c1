// A Jest suite whose files each need a cluster of their own, served from the globalSetup's warm
// pool (`pool` in globals.redisCluster), on 2 workers. Run by src/pool.int.test.ts (not by the
// repository's own Jest projects). SUITE_FILES picks the files: "isolated" (4 files, pool 2) or
// "crash" (a file whose worker is killed mid-file, and one after it; pool 1).
const { suiteConfig, src } = require('../suite-config');

const crash = process.env['SUITE_FILES'] === 'crash';

module.exports = suiteConfig(__dirname, {
  testMatch: crash ? ['<rootDir>/crash/*.test.ts'] : ['<rootDir>/isolated/*.test.ts'],
  // What a user writes (with the package installed):
  //   globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
  //   globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
  //   globals: { redisCluster: { masters: 3, pool: 2 } },
  globalSetup: src('testcontainers/src/jest/global-setup.ts'),
  globalTeardown: src('testcontainers/src/jest/global-teardown.ts'),
  globals: {
    redisCluster: { masters: 3, pool: crash ? 1 : 2, namePrefix: 'pool', name: process.env['SUITE_CLUSTER_NAME'] },
  },
  testTimeout: 60_000,
});
