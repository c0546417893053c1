/**
 * `@redis-cluster-kit/testcontainers/jest/global-setup`: Jest's globalSetup, ready made.
 *
 * @packageDocumentation
 */

import { createGlobalSetup } from './index';

/** Jest globalSetup: `globalSetup: '@redis-cluster-kit/testcontainers/jest/global-setup'` (options from `globals.redisCluster`). */
export default createGlobalSetup();
