// A user's Jest project with a nodenext tsconfig: the README's jest.config.js as it is, plus where this
// project keeps its tests, ts-jest with its tsconfig, and a name prefix of the proof's own (so that
// removing what reuse kept touches only the proof's cluster).
const readme = require('./jest.config.js');

module.exports = {
  ...readme,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/jest/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.nodenext.json' }] },
  globals: { redisCluster: { ...readme.globals.redisCluster, namePrefix: 'npm-proof' } },
};
