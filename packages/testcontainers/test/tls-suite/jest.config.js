// A real Jest suite on a shared cluster with TLS, ACL users and the `default` user turned off,
// configured the way a user would. Run by src/jest-integration.int.test.ts on 2 workers: each
// worker connects from what the globalSetup hands it (the CA, the client certificate, the
// fixture's own user), and the files use the cluster as usual.
const { suiteConfig, src } = require('../suite-config');

module.exports = suiteConfig(__dirname, {
  // What a user writes: '@redis-cluster-kit/testcontainers/jest/global-setup' and '.../global-teardown'.
  globalSetup: src('testcontainers/src/jest/global-setup.ts'),
  globalTeardown: src('testcontainers/src/jest/global-teardown.ts'),
  globals: {
    redisCluster: {
      masters: 3,
      replicas: 1,
      namePrefix: 'tls-suite',
      tls: true,
      defaultUser: false,
      // The passwords come from the test that runs the suite: it checks no output shows them.
      users: [
        {
          name: 'app',
          password: process.env.TLS_SUITE_APP_PASSWORD,
          rules: '~* +@read +@write +info +cluster|slots +cluster|info',
        },
        {
          name: 'reader',
          password: process.env.TLS_SUITE_READER_PASSWORD,
          rules: '~* +@read +info +cluster|slots +cluster|info',
        },
      ],
    },
  },
  testTimeout: 30_000,
});
