/**
 * The pool's recycler on a real file system: a member a file hands over stays claimed while it is
 * recycled in this process (the worker does not wait), then comes free, clean; one whose recycle
 * fails comes free marked for its next holder to recycle; nothing is left when it stops.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConnectionInfo } from '../started-redis-cluster';
import { claimPoolMember, POOL_INFO_FORMAT, type ClusterPoolInfo } from './pool-claims';
import { PoolRecycler } from './pool-recycler';

const member = (id: string) => ({ id }) as unknown as ClusterConnectionInfo;

/** A member whose recycle ends when the test says so. */
class Member {
  recycles = 0;
  #finish: ((ok: boolean) => void) | undefined;
  readonly started: Promise<void>;
  #startedNow!: () => void;

  constructor() {
    this.started = new Promise((done) => (this.#startedNow = done));
  }

  recycle(): Promise<void> {
    this.recycles++;
    this.#startedNow();
    return new Promise((done, fail) => (this.#finish = (ok) => (ok ? done() : fail(new Error('boom')))));
  }

  finish(ok: boolean): void {
    this.#finish!(ok);
  }
}

let dir: string;
let pool: ClusterPoolInfo;
let members: Member[];
let recycler: PoolRecycler;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rck-recycler-'));
  members = [new Member()];
  recycler = new PoolRecycler(dir, members);
  pool = { format: POOL_INFO_FORMAT, dir, members: [member('a')], recycler: recycler.pid };
});
afterEach(async () => {
  await recycler.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('recycles a handed-over member in the background; it stays claimed until then, and comes free clean', async () => {
  const claim = await claimPoolMember(pool, { waitMs: 0 });
  expect(claim.hasRecycler).toBe(true);
  await claim.handOff(); // resolves before the recycle ends: the worker goes on
  await members[0]!.started;
  await expect(claimPoolMember(pool, { waitMs: 0 })).rejects.toThrow(/still claimed after 0 ms/);
  const next = claimPoolMember(pool, { waitMs: 10_000 });
  members[0]!.finish(true);
  const got = await next;
  expect(got.dirty).toBe(false);
  expect(members[0]!.recycles).toBe(1);
  await got.release(false);
  expect(readdirSync(dir)).toEqual([]);
});

it('a member whose recycle failed comes free marked, so that its next holder recycles it first', async () => {
  await (await claimPoolMember(pool, { waitMs: 0 })).handOff();
  await members[0]!.started;
  const next = claimPoolMember(pool, { waitMs: 10_000 });
  members[0]!.finish(false);
  expect((await next).dirty).toBe(true);
});

it('stop() does not wait for the recycle under way; settled() does, and no new hand-over is taken', async () => {
  await (await claimPoolMember(pool, { waitMs: 0 })).handOff();
  await members[0]!.started;
  await recycler.stop();
  let settled = false;
  const settling = recycler.settled().then(() => (settled = true));
  await new Promise((done) => setTimeout(done, 50));
  expect(settled).toBe(false);
  members[0]!.finish(true);
  await settling;
  expect(readdirSync(dir)).toEqual([]);
  await (await claimPoolMember(pool, { waitMs: 0 })).handOff();
  await new Promise((done) => setTimeout(done, 400)); // more than a scan period (RECYCLER_SCAN_MS)
  expect(members[0]!.recycles).toBe(1);
});
