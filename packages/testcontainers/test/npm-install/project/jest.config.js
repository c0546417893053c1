// jest.config.js: the README's lines (README.md, docs/testing.md), word for word; scripts/docs.test.ts
// checks. The proof's configs (jest.node10.config.js, jest.nodenext.config.js) run it as it is.
module.exports = {
  globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup',
  globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown',
  globals: { redisCluster: { masters: 3, replicas: 0 } }, // optional
};
