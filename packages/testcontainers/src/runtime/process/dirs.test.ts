import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isNodeProcess,
  isRedisServerTitle,
  listClusterDirs,
  OWNER_FORMAT,
  ownedByLiveProcess,
  ownerFileText,
  parseOwnerFile,
  parsePidFile,
  PROCESS_DIR_PREFIX,
  reapDeadOwners,
  type OwnerRecord,
} from './dirs';
import { waitUntil } from '../../util/wait-until';
import { processAlive } from '../../util/liveness';

const owner = (over: Partial<OwnerRecord> = {}): OwnerRecord => ({
  format: OWNER_FORMAT,
  pid: 4242,
  host: 'ci-box',
  cluster: 'abc123',
  server: '/usr/bin/redis-server',
  ports: [
    { start: 15000, end: 15002 },
    { start: 25000, end: 25002 },
  ],
  nodes: { 'redis-node-1': 15000, 'redis-node-2': 15001, 'redis-node-3': 15002 },
  created: '2026-12-01T00:00:00.000Z',
  ...over,
});

/** A pid that existed and has ended: a short-lived child process's. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

describe('owner files', () => {
  it('round-trip, and anything else is not an owner file', () => {
    expect(parseOwnerFile(ownerFileText(owner()))).toEqual(owner());
    expect(parseOwnerFile(ownerFileText(owner({ name: 'suite' })))?.name).toBe('suite');
    for (const bad of [
      '',
      '{',
      'null',
      '[]',
      JSON.stringify({ ...owner(), format: 2 }),
      JSON.stringify({ ...owner(), pid: 0 }),
      JSON.stringify({ ...owner(), pid: '4242' }),
      JSON.stringify({ ...owner(), host: 7 }),
      JSON.stringify({ ...owner(), ports: [{ start: 2, end: 1 }] }),
      JSON.stringify({ ...owner(), ports: [{ start: 0, end: 1 }] }),
      JSON.stringify({ ...owner(), nodes: { a: 70000 } }),
      JSON.stringify({ ...owner(), name: 1 }),
      ownerFileText(owner()).slice(0, 40), // a torn write
    ]) {
      expect(parseOwnerFile(bad)).toBeUndefined();
    }
  });

  it('say whether the owner lives: this machine asks the pid, another machine is not judged, a folder without one gets 10 minutes', () => {
    const alive = (pid: number) => pid === 1;
    const now = Date.now();
    expect(ownedByLiveProcess({ dir: 'd', owner: owner({ pid: 1 }), mtimeMs: 0 }, 'ci-box', alive, now)).toBe(true);
    expect(ownedByLiveProcess({ dir: 'd', owner: owner({ pid: 2 }), mtimeMs: now }, 'ci-box', alive, now)).toBe(false);
    expect(
      ownedByLiveProcess({ dir: 'd', owner: owner({ pid: 2, host: 'other' }), mtimeMs: 0 }, 'ci-box', alive, now),
    ).toBe(true);
    expect(ownedByLiveProcess({ dir: 'd', owner: undefined, mtimeMs: now - 60_000 }, 'ci-box', alive, now)).toBe(true);
    expect(ownedByLiveProcess({ dir: 'd', owner: undefined, mtimeMs: now - 11 * 60_000 }, 'ci-box', alive, now)).toBe(
      false,
    );
  });
});

describe('pid files and process titles', () => {
  it('read a pid, and nothing else', () => {
    expect(parsePidFile('12345\n')).toBe(12345);
    expect(parsePidFile(' 7 ')).toBe(7);
    for (const bad of ['', '0', '-1', '12a', '1 2', '3.5', '99999999999', '0012'])
      expect(parsePidFile(bad)).toBeUndefined();
  });

  it('recognise the title redis-server gives itself, for the right port only', () => {
    expect(isRedisServerTitle('redis-server 127.0.0.1:15000 [cluster]\u0000\u0000', 15000)).toBe(true);
    expect(isRedisServerTitle('/opt/redis/bin/redis-server 127.0.0.1:15000 [cluster]', 15000)).toBe(true);
    expect(isRedisServerTitle('redis-server 127.0.0.1:150001 [cluster]', 15000)).toBe(false);
    expect(isRedisServerTitle('redis-server 127.0.0.1:15001 [cluster]', 15000)).toBe(false);
    expect(isRedisServerTitle('node server.js 127.0.0.1:15000', 15000)).toBe(false);
    expect(isRedisServerTitle('valkey-server 127.0.0.1:15000 [cluster]', 15000)).toBe(false);
    expect(isRedisServerTitle('valkey-server 127.0.0.1:15000 [cluster]', 15000, '/usr/bin/valkey-server')).toBe(true);
  });

  it('count a live owner as alive and a dead one as dead', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(deadPid())).toBe(false);
  });

  // /proc tells a zombie apart; elsewhere kill -0 is all there is.
  (process.platform === 'linux' ? it : it.skip)(
    'count a zombie (ended, never reaped by its parent) as dead, although kill -0 answers',
    async () => {
      // The shell's background child outlives the shell, which becomes `sleep`: no one reaps it when it exits.
      const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
        const pid = Number(chunk.toString().trim());
        await waitUntil(() => readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '), {
          timeoutMs: 5000,
          description: `pid ${pid} to be a zombie`,
        });
        expect(() => process.kill(pid, 0)).not.toThrow();
        expect(processAlive(pid)).toBe(false);
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );

  it('never take another process for a node: this test process is not a redis-server, a dead pid is nothing', async () => {
    expect(await isNodeProcess(process.pid, process.cwd(), 15000)).toBe(false);
    expect(await isNodeProcess(deadPid(), process.cwd(), 15000)).toBe(false);
  });
});

describe('reaping the folders of dead owners', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'rck-reap-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const makeDir = (name: string, record: OwnerRecord | undefined, pids: Record<string, number> = {}) => {
    const dir = join(root, `${PROCESS_DIR_PREFIX}${name}`);
    mkdirSync(dir);
    if (record) writeFileSync(join(dir, 'owner.json'), ownerFileText(record));
    for (const [node, pid] of Object.entries(pids)) {
      mkdirSync(join(dir, node));
      writeFileSync(join(dir, node, 'redis.pid'), `${pid}\n`);
    }
    return dir;
  };

  it('removes folders of dead owners and keeps those of live ones, killing only processes that really are their redis-servers', async () => {
    // A live process that is not a redis-server, named in a dead owner's pid file (a reused pid): it must survive.
    const bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const host = 'ci-box';
      const dead = deadPid();
      const deadDir = makeDir('dead-aaaaaa', owner({ pid: dead, host }), {
        'redis-node-1': bystander.pid!,
        'redis-node-2': dead,
      });
      const liveDir = makeDir('live-bbbbbb', owner({ pid: process.pid, host }));
      const foreignDir = makeDir('foreign-cccccc', owner({ pid: dead, host: 'another-machine' }));
      const unownedYoung = makeDir('young-dddddd', undefined);
      const unownedOld = makeDir('old-eeeeee', undefined);
      const old = new Date(Date.now() - 20 * 60_000);
      utimesSync(unownedOld, old, old);
      writeFileSync(join(root, `${PROCESS_DIR_PREFIX}a-file`), 'not a folder');

      expect((await listClusterDirs(root)).map((d) => d.dir).sort()).toEqual(
        [deadDir, foreignDir, liveDir, unownedOld, unownedYoung].sort(),
      );
      const reaped = await reapDeadOwners(root, host);
      expect(reaped.dirs.sort()).toEqual([deadDir, unownedOld].sort());
      expect(reaped.processes).toEqual([]);
      expect((await listClusterDirs(root)).map((d) => d.dir).sort()).toEqual(
        [foreignDir, liveDir, unownedYoung].sort(),
      );
      expect(bystander.exitCode).toBeNull();
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow();
    } finally {
      bystander.kill('SIGKILL');
      await new Promise((resolve) =>
        bystander.exitCode !== null || bystander.signalCode !== null
          ? resolve(undefined)
          : bystander.once('exit', resolve),
      );
    }
  });

  it('finds nothing in a folder that does not exist', async () => {
    expect(await listClusterDirs(join(root, 'missing'))).toEqual([]);
    expect(await reapDeadOwners(join(root, 'missing'))).toEqual({ dirs: [], processes: [] });
  });
});
