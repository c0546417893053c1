// What a project with `"moduleResolution": "bundler"` (tsconfig.bundler.json) sees of every entry
// point: typechecked with `tsc -p tsconfig.bundler.json`, never run. An entry whose types did not
// resolve fails the check (TS2307, or TS7016 for types that fell back to `any`); so does each
// expected error below that does not happen (types missing, or `any`, would let the mistake pass).
import { inject } from 'vitest';
import { startRedisCluster, type RedisClusterOptions } from '@redis-cluster-kit/testcontainers';
import { useRedisCluster as useInJest, type RedisClusterHandle } from '@redis-cluster-kit/testcontainers/jest';
import jestGlobalSetup from '@redis-cluster-kit/testcontainers/jest/global-setup';
import jestGlobalTeardown from '@redis-cluster-kit/testcontainers/jest/global-teardown';
import { createRedisClusterTest, useRedisCluster as useInVitest } from '@redis-cluster-kit/testcontainers/vitest';
import vitestGlobalSetup, { createGlobalSetup } from '@redis-cluster-kit/testcontainers/vitest/global-setup';

export async function typesOfEveryEntry(): Promise<unknown[]> {
  const options: RedisClusterOptions = { masters: 3, replicas: 0 };
  // @ts-expect-error: masters is a number
  const wrong: RedisClusterOptions = { masters: 'three' };
  const rc = await startRedisCluster(options);
  const network: string | undefined = rc.network;
  const jestHandle: RedisClusterHandle = useInJest({ reset: true });
  // @ts-expect-error: not an option of useRedisCluster()
  useInJest({ noSuchOption: true });
  const vitestHandle = useInVitest({ reset: true });
  const namespace: string = vitestHandle.namespace;
  // @ts-expect-error: the handle has no such member
  void vitestHandle.noSuchMember;
  // Typed with no cast: the vitest entry augments Vitest's ProvidedContext.
  const id: string = inject('redisCluster').id;
  const setups: (typeof vitestGlobalSetup)[] = [vitestGlobalSetup, createGlobalSetup({ masters: 1 })];
  // @ts-expect-error: masters is a number
  createGlobalSetup({ masters: 'one' });
  // Only resolved here: what a default import of a CommonJS module is differs between resolutions.
  const jestHooks: unknown[] = [jestGlobalSetup, jestGlobalTeardown];
  return [wrong, network, jestHandle, namespace, id, setups, jestHooks, createRedisClusterTest];
}

// @ts-expect-error: no such entry point; the package's exports are what resolves
export type Nope = import('@redis-cluster-kit/testcontainers/no-such-entry').Nope;
