// A real Vitest suite whose 4 files each need a cluster of their own, served from the
// globalSetup's warm pool (pool: 2) to 2 forked workers. Run by src/vitest-integration.int.test.ts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    // What a user writes (with the package installed, as here).
    globalSetup: ['@redis-cluster-kit/testcontainers/vitest/global-setup'],
    provide: { redisClusterOptions: { masters: 3, pool: 2, namePrefix: 'vpool' } },
    // The first file waits in its test for a file on the other fork (its start and its claim).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    server: { deps: { external: [/\/packages\/testcontainers\/dist\//] } },
  },
});
