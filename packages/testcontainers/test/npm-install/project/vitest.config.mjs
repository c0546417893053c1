// vitest.config.mjs: the README's lines (README.md, docs/testing.md), word for word; scripts/docs.test.ts
// checks. The proof's config (vitest.proof.config.mjs) runs it as it is.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@redis-cluster-kit/testcontainers/vitest/global-setup'],
    provide: { redisClusterOptions: { masters: 3, replicas: 0 } }, // optional
  },
});
