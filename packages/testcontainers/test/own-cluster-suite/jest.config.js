// A Jest suite whose files each start a cluster of their own (useRedisCluster() without the
// globalSetup), run on 2 workers at once. Run by src/jest-integration.int.test.ts.
const { suiteConfig } = require('../suite-config');

module.exports = suiteConfig(__dirname, { testTimeout: 30_000 });
