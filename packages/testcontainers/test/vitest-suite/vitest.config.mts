// A real multi-file Vitest suite that shares one Redis Cluster across 2 forked workers, the way a
// user configures it (with the package installed, the globalSetup line is all they write). Run by
// src/vitest-integration.int.test.ts, not by the repository's Jest projects.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.test.ts'],
    // 6 files on 2 forked workers, each worker running its files one after the other.
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
    // What a user writes: ['@redis-cluster-kit/testcontainers/vitest/global-setup']; here the same
    // globalSetup, timed for the outer test's report.
    globalSetup: ['./timed-global-setup.ts'],
    provide: {
      // SUITE_BAD_OPTION: a bad value, which must fail the run at once, before anything starts.
      redisClusterOptions: process.env['SUITE_BAD_OPTION']
        ? { masters: 3, replicas: 1, namePrefix: 'vsuite', nodeTimeoutMs: -1 }
        : { masters: 3, replicas: 1, namePrefix: 'vsuite' },
    },
    // The fault file's steps each wait up to the fault helpers' own budget
    // (DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs, 30 s); its afterAll heals the cluster.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The package is linked from the workspace (packages/testcontainers/dist, not node_modules):
    // load it as Node does for an installed package, instead of through Vite's transform.
    server: { deps: { external: [/\/packages\/testcontainers\/dist\//] } },
  },
});
