// A Jest run that starts a cluster and is killed before the start completes (SIGINT, as Ctrl-C
// sends to the whole process group, or SIGKILL, as a CI runner ends a job). Run by
// src/interrupted.int.test.ts, never by the repository's own Jest projects.
const { suiteConfig } = require('../suite-config');

module.exports = suiteConfig(__dirname);
