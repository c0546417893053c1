/**
 * The warm pool's recycler, in the process that owns the pool members (the globalSetup's, which
 * lives for the whole run): a file done with its member hands it over (pool-claims.ts: a claim
 * with this process's pid that says `recycle`) and goes on at once, and the member is recycled
 * here in the background, so that the next file to claim it finds it ready instead of each file
 * waiting for its own recycle in its afterAll. A member that cannot be recycled is marked dirty
 * and released: its next holder recycles it itself, and gets the error.
 *
 * It learns of hand-overs by watching the pool folder, and looks again every
 * {@link RECYCLER_SCAN_MS} in case a change was not reported (a watch may miss events).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { claimPath, dirtyPath, readClaim } from './pool-claims';

/** How often the recycler looks for hand-overs besides the folder's watch. */
export const RECYCLER_SCAN_MS = 250;

const CLAIM = /^member-(\d+)\.claim$/;

/** What the recycler needs of a pool member (a StartedRedisCluster). */
export interface Recyclable {
  recycle(): Promise<unknown>;
}

export class PoolRecycler {
  readonly #dir: string;
  readonly #members: readonly Recyclable[];
  /** Members being recycled now, by index: each at most once at a time. */
  readonly #busy = new Map<number, Promise<void>>();
  readonly #watcher: FSWatcher | undefined;
  readonly #timer: NodeJS.Timeout;
  #scanning: Promise<void> | undefined;
  #rescan = false;
  #stopped = false;

  constructor(dir: string, members: readonly Recyclable[]) {
    this.#dir = dir;
    this.#members = members;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dir, () => this.#scan());
      watcher.on('error', () => undefined); // the periodic scan still runs
      watcher.unref();
    } catch {
      watcher = undefined;
    }
    this.#watcher = watcher;
    this.#timer = setInterval(() => this.#scan(), RECYCLER_SCAN_MS);
    this.#timer.unref();
  }

  /** The pid that files hand their members to. */
  get pid(): number {
    return process.pid;
  }

  /** Stop looking for hand-overs (at the end of the run); {@link PoolRecycler.settled} waits for the recycles under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    clearInterval(this.#timer);
    await this.#scanning;
  }

  /** Resolves once no recycle is under way (their failures are marked, not thrown). */
  async settled(): Promise<void> {
    await Promise.all(this.#busy.values());
  }

  /** One look at the folder at a time; a change reported meanwhile makes it look once more. */
  #scan(): void {
    if (this.#stopped) return;
    if (this.#scanning !== undefined) {
      this.#rescan = true;
      return;
    }
    this.#scanning = this.#look()
      .catch(() => undefined) // the folder is gone (the run ends): nothing to do
      .finally(() => {
        this.#scanning = undefined;
        if (this.#rescan) {
          this.#rescan = false;
          this.#scan();
        }
      });
  }

  async #look(): Promise<void> {
    for (const entry of await readdir(this.#dir)) {
      const index = Number(CLAIM.exec(entry)?.[1] ?? -1);
      const rc = this.#members[index];
      if (rc === undefined || this.#busy.has(index)) continue;
      const claim = await readClaim(claimPath(this.#dir, index));
      if (claim?.recycle !== true || claim.pid !== process.pid || this.#stopped) continue;
      const recycled = this.#recycle(index, rc, claim.token).finally(() => this.#busy.delete(index));
      this.#busy.set(index, recycled);
    }
  }

  /** Recycle member `index`, then release the claim (marked dirty when the recycle failed). */
  async #recycle(index: number, rc: Recyclable, token: string): Promise<void> {
    let failed = false;
    try {
      await rc.recycle();
    } catch {
      failed = true; // logged by recycle(); the next holder recycles it and sees the error
    }
    const claim = claimPath(this.#dir, index);
    try {
      if (failed) await writeFile(dirtyPath(this.#dir, index), String(process.pid));
      else await rm(dirtyPath(this.#dir, index), { force: true });
      if ((await readClaim(claim))?.token === token) await unlink(claim);
    } catch {
      // the pool folder is gone: the run is ending
    }
  }
}
