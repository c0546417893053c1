/**
 * The pool's claims on a real file system, with real processes' pids: one holder per member,
 * a wait that ends when a member is given back, a dead holder's claim taken over (and the member
 * marked for a recycle), and the one-line error when no member comes free.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@redis-cluster-kit/plan';
import type { ClusterConnectionInfo } from '../started-redis-cluster';
import { claimPoolMember, parsePoolInfo, POOL_INFO_FORMAT, type ClusterPoolInfo } from './pool-claims';
import { runClusterOptions } from './run-cluster';

const member = (id: string) => ({ id }) as unknown as ClusterConnectionInfo;
let dir: string;
let pool: ClusterPoolInfo;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rck-claims-'));
  pool = { format: POOL_INFO_FORMAT, dir, members: [member('a'), member('b')] };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has ended (and been reaped). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
}

it('hands each member to one holder; a third claim waits until one is given back', async () => {
  const first = await claimPoolMember(pool, { waitMs: 0 });
  const second = await claimPoolMember(pool, { waitMs: 0 });
  expect(new Set([first.info.id, second.info.id])).toEqual(new Set(['a', 'b']));
  expect([first.dirty, second.dirty]).toEqual([false, false]);
  const third = claimPoolMember(pool, { waitMs: 10_000 });
  await second.release(false);
  const got = await third;
  expect(got.info.id).toBe(second.info.id);
  expect(got.dirty).toBe(false);
  await Promise.all([first.release(false), got.release(false)]);
  expect(readdirSync(dir).filter((f) => f.endsWith('.claim') || f.endsWith('.tmp'))).toEqual([]);
});

it('takes over the claim of a holder that has ended, once, and says the member needs a recycle', async () => {
  const pid = deadPid();
  for (const i of [0, 1]) writeFileSync(join(dir, `member-${i}.claim`), JSON.stringify({ pid, token: `t${i}` }));
  const claims = await Promise.all([claimPoolMember(pool, { waitMs: 0 }), claimPoolMember(pool, { waitMs: 0 })]);
  expect(claims.map((c) => c.info.id).sort()).toEqual(['a', 'b']);
  expect(claims.map((c) => c.dirty)).toEqual([true, true]);
});

it('marks a member that could not be recycled, so that its next holder recycles it first', async () => {
  const one = { ...pool, members: [member('a')] };
  await (await claimPoolMember(one, { waitMs: 0 })).release(true);
  const next = await claimPoolMember(one, { waitMs: 0 });
  expect(next.dirty).toBe(true);
  await next.release(false);
  expect((await claimPoolMember(one, { waitMs: 0 })).dirty).toBe(false);
});

it('fails with one line naming the pool and its holders when no member comes free in time', async () => {
  const one = { ...pool, members: [member('a')] };
  await claimPoolMember(one, { waitMs: 0 });
  await expect(claimPoolMember(one, { waitMs: 100 })).rejects.toThrow(
    `useRedisCluster({ isolated: true }): every cluster of the pool (pool: 1) was still claimed after 100 ms (by pids ${process.pid}); raise the pool option of the runner's config, or the hook timeout (useRedisCluster({ timeoutMs }))`,
  );
});

it('reads the pool info the globalSetup hands over, and refuses another shape', () => {
  expect(parsePoolInfo(undefined)).toBeUndefined();
  expect(parsePoolInfo(JSON.stringify(pool))).toEqual(pool);
  expect(() => parsePoolInfo('{"format":2}')).toThrow('is not of format 1');
});

it.each([-1, 1.5, 17, '2', null])('refuses pool %p in the runner config with the one-line error', (value) => {
  const attempt = () => runClusterOptions({ masters: 3, pool: value }, 'globals.redisCluster');
  expect(attempt).toThrow(InvalidOptionError);
  expect(attempt).toThrow(/^Invalid option pool .+\. Expected an integer from 0 to 16: /);
});
