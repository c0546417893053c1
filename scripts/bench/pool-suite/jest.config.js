// The `pool` section of `pnpm bench`: 8 files that each need a cluster of their own, on 2 Jest
// workers. BENCH_POOL=1: the kit's globalSetup keeps 2 clusters ready (pool: 2) and each file
// claims one (`useRedisCluster({ isolated: true })`), recycled when the file is done.
// BENCH_POOL=0: no globalSetup, each file starts a cluster of its own and stops it (the way
// before the pool). Files are *.bench.ts, so that no test project of the repository runs them.
const { suiteConfig, src } = require('../../../packages/testcontainers/test/suite-config');

const pool = process.env['BENCH_POOL'] === '1';

module.exports = suiteConfig(__dirname, {
  testMatch: ['<rootDir>/*.bench.ts'],
  ...(pool
    ? {
        globalSetup: src('testcontainers/src/jest/global-setup.ts'),
        globalTeardown: src('testcontainers/src/jest/global-teardown.ts'),
        globals: { redisCluster: { masters: 3, pool: 2, namePrefix: 'bench-pool' } },
      }
    : {}),
  testTimeout: 120_000,
});
