/**
 * A Jest run killed in the middle of startRedisCluster() (Ctrl-C sends SIGINT to the whole
 * process group; a CI runner that gives up sends SIGKILL) cannot clean up after itself, and
 * Ryuk, which would, is not there when no registry can be reached. What it left carries the
 * pid of a process that has ended: the next start on this machine removes it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { LABELS, startRedisCluster, waitUntil } from './index';
import { docker, labelled } from '../test/helpers/docker';

// A hang guard, not a measure: three starts' own limit (startupTimeoutMs, 60 s by default): the killed run's, the next one's, a spare.
jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../../..');
const SUITE_CONFIG = join(ROOT, 'packages/testcontainers/test/interrupted-suite/jest.config.js');

/** Is any process of the process group `pgid` still alive? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Containers of the cluster labelled `name`, with their owner's pid and state. */
async function containersNamed(name: string) {
  const listed = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`${LABELS.name}=${name}`] }),
  });
  return listed.map((c) => ({ id: c.Id, pid: Number(c.Labels[LABELS.pid]), state: c.State }));
}

describe.each(['SIGINT', 'SIGKILL'] as const)('a Jest run killed with %s while its cluster starts', (signal) => {
  it('leaves containers of a dead process, which the next start removes (containers and network)', async () => {
    const name = `interrupted-${signal.toLowerCase()}-${randomBytes(3).toString('hex')}`;
    // Its own process group, as a terminal's foreground job: the signal reaches Jest and all it started.
    const child = spawn(
      process.execPath,
      [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', SUITE_CONFIG, '--runInBand', '--ci'],
      {
        cwd: ROOT,
        env: { ...process.env, SUITE_CLUSTER_NAME: name },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((done) =>
      child.on('exit', (code, sig) => done(sig ?? code)),
    );
    const pgid = child.pid!;
    try {
      // Mid-start: as soon as its first node container exists (a 3x1 cluster has 6 and takes seconds).
      await waitUntil(async () => (await containersNamed(name)).length > 0, {
        timeoutMs: 90_000, // a limit, not a measure: the run's Jest start-up and a start's own limit (startupTimeoutMs, 60 s)
        intervalMs: 10,
        description: () =>
          `the interrupted run to create its first container; its output so far:\n${output.slice(-2000)}`,
      });
      process.kill(-pgid, signal);
      await exited;
      await waitUntil(() => !groupAlive(pgid), {
        timeoutMs: 30_000, // a limit, not a measure: a killed group ends at once; this only stops a hang
        description: `every process of the killed run (group ${pgid}) to end`,
      });
    } finally {
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    }
    expect(output).not.toContain('CLUSTER STARTED');

    // What the killed run left: its containers (in whatever state the kill caught them) and its
    // network, owned by a process that no longer exists.
    const left = await containersNamed(name);
    const leftNetworks = (await labelled(LABELS.name, name)).networks;
    expect(left.length).toBeGreaterThan(0);
    expect(leftNetworks).toHaveLength(1);
    for (const { pid } of left) expect(groupAlive(pid)).toBe(false);
    console.log(
      `[interrupted] ${signal} left ${left.length} containers (${[...new Set(left.map((c) => c.state))].join(', ')}) and 1 network`,
    );

    // The next start on this machine removes them before it returns.
    const next = await startRedisCluster({ masters: 1 });
    try {
      expect(await labelled(LABELS.name, name)).toEqual({ containers: [], networks: [] });
    } finally {
      await next.stop();
    }
  });
});
