// A user's vitest.config: the README's lines, with 6 files on 2 forked workers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['vitest/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    globalSetup: ['@redis-cluster-kit/testcontainers/vitest/global-setup'],
    provide: { redisClusterOptions: { masters: 3, replicas: 0, namePrefix: 'npm-proof' } },
    // The fault file's steps each wait up to the fault helpers' own budget (30 s).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
