/**
 * The warm pool's claims, whichever runner runs the tests: a worker claims a pool member by
 * creating its claim file in the run's pool folder (made by the globalSetup), atomically
 * (`link()` of a finished file, which fails when the claim exists), holding the worker's pid.
 * Files only, so that it works the same for Jest's and Vitest's workers, on both runtimes
 * (Docker labels cannot be changed on a running container). A claim whose pid has ended (a
 * worker killed mid-file) is stale: one worker takes it over, and the member is recycled
 * before it is used again.
 *
 * A file done with its member hands it to the pool's recycler (the globalSetup's process, which
 * owns the members: pool-recycler.ts) by replacing its claim, atomically, with one that holds
 * the recycler's pid and says `recycle`: the member stays claimed while it is recycled in the
 * background, and the worker goes on to its next file at once. When the recycler has ended (its
 * pid is gone), that claim is stale like any other: the next holder takes it over and recycles.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterConnectionInfo } from '../started-redis-cluster';
import { processAlive } from '../util/liveness';

/** Version of {@link ClusterPoolInfo}'s shape. */
export const POOL_INFO_FORMAT = 1;

/** The environment variable through which Jest's globalSetup hands the pool to its workers. */
export const POOL_ENV_VAR = 'REDIS_CLUSTER_KIT_POOL';

/** What a worker needs to claim and connect to the run's pool members. */
export interface ClusterPoolInfo {
  format: typeof POOL_INFO_FORMAT;
  /** The run's pool folder (the claims live there). */
  dir: string;
  /** Every member, as it was when the run started (node ids change with each recycle: read them again). */
  members: ClusterConnectionInfo[];
  /** The pid of the process that recycles members handed back to it (the globalSetup's); without it, each holder recycles its member itself. */
  recycler?: number;
}

/** Read pool info (JSON text or an object), checking its shape; undefined when there is none. */
export function parsePoolInfo(value: unknown): ClusterPoolInfo | undefined {
  if (value === undefined || value === '') return undefined;
  const info = (typeof value === 'string' ? JSON.parse(value) : value) as Partial<ClusterPoolInfo> | null;
  if (
    info === null ||
    typeof info !== 'object' ||
    info.format !== POOL_INFO_FORMAT ||
    typeof info.dir !== 'string' ||
    !Array.isArray(info.members) ||
    (info.recycler !== undefined && typeof info.recycler !== 'number')
  ) {
    throw new Error(`useRedisCluster(): the pool info from the globalSetup is not of format ${POOL_INFO_FORMAT}`);
  }
  return info as ClusterPoolInfo;
}

/** A member this worker holds: release it when the file is done. */
export interface PoolClaim {
  index: number;
  info: ClusterConnectionInfo;
  /** The member must be recycled before use: its last holder died or failed to recycle it. */
  dirty: boolean;
  /** The pool has a recycler: give the member back with {@link PoolClaim.handOff}, not recycled. */
  hasRecycler: boolean;
  /** Give the member back; `dirty` when it could not be recycled (the next holder recycles it first). */
  release(dirty: boolean): Promise<void>;
  /**
   * Give the member, as the holder left it, to the pool's recycler ({@link ClusterPoolInfo.recycler}):
   * it stays claimed (by the recycler) until it is recycled. Only when the pool has a recycler.
   */
  handOff(): Promise<void>;
}

/** A claim file's content. `recycle`: the holder (the recycler) is to recycle the member, then release it. */
export interface ClaimContent {
  pid: number;
  token: string;
  recycle?: boolean;
}

export const claimPath = (dir: string, i: number) => join(dir, `member-${i}.claim`);
export const dirtyPath = (dir: string, i: number) => join(dir, `member-${i}.dirty`);

export async function readClaim(path: string): Promise<ClaimContent | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ClaimContent;
  } catch {
    return undefined; // released meanwhile
  }
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/**
 * Try to claim member `i` once: create its claim, or take over a stale one (its pid has
 * ended). Resolves with the claim, or with the pid that holds the member now.
 */
async function tryClaim(pool: ClusterPoolInfo, i: number): Promise<PoolClaim | { heldBy: number }> {
  const path = claimPath(pool.dir, i);
  const mine: ClaimContent = { pid: process.pid, token: randomUUID() };
  const tmp = `${path}.${mine.token}.tmp`;
  await writeFile(tmp, JSON.stringify(mine));
  let tookOver = false;
  try {
    try {
      await link(tmp, path); // atomic: fails when the member is claimed
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = await readClaim(path);
      if (held === undefined) return { heldBy: 0 };
      if (processAlive(held.pid)) return { heldBy: held.pid };
      // Stale: one worker only wins the takeover of this claim (its token is unique), checks the
      // claim is still the stale one, and replaces it atomically with its own.
      try {
        await writeFile(`${path}.takeover-${held.token}`, String(process.pid), { flag: 'wx' });
      } catch {
        return { heldBy: held.pid };
      }
      if ((await readClaim(path))?.token !== held.token) return { heldBy: held.pid };
      await rename(tmp, path);
      tookOver = true;
    }
  } finally {
    await rm(tmp, { force: true });
  }
  const dirty = tookOver || (await exists(dirtyPath(pool.dir, i)));
  return {
    index: i,
    info: pool.members[i]!,
    dirty,
    hasRecycler: pool.recycler !== undefined,
    release: async (stillDirty) => {
      if (stillDirty) await writeFile(dirtyPath(pool.dir, i), String(process.pid));
      else await rm(dirtyPath(pool.dir, i), { force: true });
      if ((await readClaim(path))?.token === mine.token) await unlink(path);
    },
    handOff: async () => {
      if (pool.recycler === undefined) throw new Error('this pool has no recycler');
      if ((await readClaim(path))?.token !== mine.token) return; // taken over meanwhile
      const theirs: ClaimContent = { pid: pool.recycler, token: randomUUID(), recycle: true };
      const next = `${path}.${theirs.token}.tmp`;
      await writeFile(next, JSON.stringify(theirs));
      await rename(next, path); // atomic: the member is never free between the two claims
    },
  };
}

/**
 * Claim a free member of the pool for this worker, waiting for one (polling every
 * {@link POOL_POLL_MS}) while all are claimed, up to `waitMs`.
 * @throws Error (one line) when none became free in time, naming the pids that hold them.
 */
export async function claimPoolMember(
  pool: ClusterPoolInfo,
  options: { waitMs: number; signal?: AbortSignal },
): Promise<PoolClaim> {
  const until = performance.now() + options.waitMs;
  for (;;) {
    if (options.signal?.aborted)
      throw new Error('useRedisCluster({ isolated: true }): the file ended before a pool cluster was free');
    const holders: number[] = [];
    // Start at a place of this worker's own, so that workers do not all race for member 0.
    for (let k = 0; k < pool.members.length; k++) {
      const i = (process.pid + k) % pool.members.length;
      const got = await tryClaim(pool, i);
      if ('index' in got) return got;
      holders.push(got.heldBy);
    }
    if (performance.now() >= until) {
      throw new Error(
        `useRedisCluster({ isolated: true }): every cluster of the pool (pool: ${pool.members.length}) was still claimed after ${options.waitMs} ms (by pids ${holders.join(', ')}); raise the pool option of the runner's config, or the hook timeout (useRedisCluster({ timeoutMs }))`,
      );
    }
    await new Promise((done) => setTimeout(done, POOL_POLL_MS));
  }
}

/** How often a worker looks again while every pool member is claimed (a recycle takes ~1 s). */
export const POOL_POLL_MS = 50;
