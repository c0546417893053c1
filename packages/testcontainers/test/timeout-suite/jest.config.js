// A Jest suite whose only file gives its beforeAll less time than a cluster takes to start
// (useRedisCluster({ timeoutMs })): Jest fails the file and runs afterAll, which must abort the
// start so that nothing is left. Run by src/jest-integration.int.test.ts.
const { suiteConfig } = require('../suite-config');

module.exports = suiteConfig(__dirname, { testTimeout: 30_000 });
