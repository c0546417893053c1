// A user's Vitest project: the README's vitest.config.mjs as it is, plus where this project keeps
// its tests (7 files on 2 forked workers), a name prefix of the proof's own (so that removing what
// reuse kept touches only the proof's cluster) and the fault file's time budget.
import { defineConfig, mergeConfig } from 'vitest/config';
import readme from './vitest.config.mjs';

export default mergeConfig(
  readme,
  defineConfig({
    test: {
      include: ['vitest/*.test.ts'],
      pool: 'forks',
      maxWorkers: 2,
      isolate: false,
      provide: { redisClusterOptions: { namePrefix: 'npm-proof' } },
      // The fault file's steps each wait up to the fault helpers' own budget (30 s).
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  }),
);
