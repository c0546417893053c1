/**
 * `@redis-cluster-kit/testcontainers/jest/global-teardown`: Jest's globalTeardown, ready made.
 *
 * @packageDocumentation
 */

import { globalTeardown } from './index';

/** Jest globalTeardown: `globalTeardown: '@redis-cluster-kit/testcontainers/jest/global-teardown'`. */
export default globalTeardown;
