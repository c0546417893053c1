import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { ClusterJson } from '../src/targets/view';
import { eventually, freeBasePort, imageUnderTest } from './compose-runner';
import { CLI_LOOKUP } from '@redis-cluster-kit/plan';

// The swarm target for real: a one-node swarm on the test daemon (joined only when the daemon is
// in none, and left again at the end, also after a failure), the generated 3x1 stack deployed
// with the real `docker stack deploy`, a real ioredis client on the host through cluster.json and
// a real `redis-cli -c` in the stack's overlay network. Only what this test made is removed: its
// stack (a unique name) and that stack's volumes.

// The forming script's own bounds (templates/partials/form-settings.sh.hbs): 60 s for a node to
// answer PING, 120 s for the whole cluster to be ok; swarm may start the job task again after a
// failure. The test waits for that plus the test's own set-up.
const PING_TIMEOUT_S = 60;
const READY_TIMEOUT_S = 120;
const FORM_BOUND_MS = (PING_TIMEOUT_S + READY_TIMEOUT_S) * 1000;
jest.setTimeout(FORM_BOUND_MS + 240_000);

const image = imageUnderTest();
const bin = join(__dirname, '..', 'bin', 'redis-cluster-compose.js');
const stack = `rck-${process.pid}-${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'rck-swarm-'));

function run(cmd: string, args: string[], options: { timeout?: number } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir, timeout: options.timeout ?? 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function docker(...args: string[]) {
  const r = run('docker', args);
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
/** A synchronous check as eventually() takes it: a promise that rejects when the check throws. */
const check = (fn: () => void): Promise<void> => new Promise((resolve) => resolve(fn()));
const lines = (text: string) => text.split('\n').filter(Boolean);
const label = `label=com.docker.stack.namespace=${stack}`;
/** What of this stack is left on the daemon, by kind. */
function leftovers() {
  return {
    services: lines(docker('service', 'ls', '-q', '--filter', label)),
    networks: lines(docker('network', 'ls', '-q', '--filter', label)),
    configs: lines(docker('config', 'ls', '-q', '--filter', label)),
    containers: lines(docker('ps', '-a', '--format', '{{.Names}} {{.State}}', '--filter', label)),
  };
}
/**
 * The exited container of the finished init job: Docker 20.10's swarm keeps it after
 * `docker stack rm` (seen here); the README says to remove it, and so does this test.
 */
const initContainers = () =>
  lines(docker('ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${stack}_redis-cluster-init`));
const NODES_GONE = (l: ReturnType<typeof leftovers>) => ({
  ...l,
  containers: l.containers.filter((c) => !c.startsWith(`${stack}_redis-cluster-init.`)),
});
const stackVolumes = () => lines(docker('volume', 'ls', '-q', '--filter', label));

const NOTHING = { services: [], networks: [], configs: [], containers: [] };
// Removing a stack stops its tasks: each gets its stop grace period (10 s, Docker's default) before
// it is killed; the network goes after the last task. Twice that, plus the machine's load.
const REMOVAL_BOUND_MS = 60_000;

let joined = false;
/** Whether the daemon had docker_gwbridge before this file made it a swarm: `swarm init` creates it and `swarm leave` keeps it. */
let hadGwbridge = true;
let deployed = false;
let json: ClusterJson;

beforeAll(async () => {
  const state = docker('info', '--format', '{{.Swarm.LocalNodeState}}').trim();
  if (state === 'inactive') {
    hadGwbridge = run('docker', ['network', 'inspect', 'docker_gwbridge']).status === 0;
    docker('swarm', 'init', '--advertise-addr', '127.0.0.1');
    joined = true;
  } else if (state !== 'active') {
    throw new Error(`the daemon's swarm state is "${state}": expected "inactive" or "active"`);
  }
  const basePort = await freeBasePort(6);
  const gen = run(process.execPath, [
    bin,
    '--target',
    'swarm',
    '--masters',
    '3',
    '--replicas',
    '1',
    '--base-port',
    String(basePort),
    '--image',
    image,
    '--out',
    'out',
  ]);
  expect(gen.stderr).toBe('');
  expect(gen.status).toBe(0);
  json = JSON.parse(readFileSync(join(dir, 'out', 'cluster.json'), 'utf8')) as ClusterJson;
});

afterAll(async () => {
  try {
    if (deployed) {
      run('docker', ['stack', 'rm', stack]);
      // Tasks stop after the services are removed: the volumes can go only then.
      await eventually(() => check(() => expect(NODES_GONE(leftovers())).toEqual(NOTHING)), REMOVAL_BOUND_MS).catch(
        () => undefined,
      );
    }
    for (const c of initContainers()) run('docker', ['rm', '-f', c]);
    for (const v of stackVolumes())
      await eventually(() => check(() => expect(run('docker', ['volume', 'rm', v]).status).toBe(0)), REMOVAL_BOUND_MS);
  } finally {
    if (joined) {
      docker('swarm', 'leave', '--force');
      // The swarm's bridge to the host outlives it: removed, as it was not there before.
      if (!hadGwbridge) {
        await eventually(
          () => check(() => expect(run('docker', ['network', 'rm', 'docker_gwbridge']).status).toBe(0)),
          REMOVAL_BOUND_MS,
        );
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('--target swarm on a one-node swarm (real docker stack deploy)', () => {
  it('deploys with no warning, and the init job forms the cluster', async () => {
    const r = run('docker', ['stack', 'deploy', '--resolve-image', 'never', '-c', join('out', 'stack.yaml'), stack]);
    deployed = true;
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).not.toMatch(/unsupported|ignoring|not supported/i);
    const job = `${stack}_redis-cluster-init`;
    await eventually(
      () =>
        check(() => {
          const states = lines(docker('service', 'ps', job, '--format', '{{.CurrentState}}'));
          expect(states.some((s) => s.startsWith('Complete'))).toBe(true);
        }),
      FORM_BOUND_MS,
      1000,
    );
    expect(docker('service', 'logs', '--raw', job)).toContain('cluster formed and ok: 3 masters x 1 replica (6 nodes)');
  });

  it('has every node ok on its host-mode port, each replica linked', async () => {
    for (const node of json.plan.nodes) {
      const c = new Redis({ host: '127.0.0.1', port: node.port, maxRetriesPerRequest: 1 });
      try {
        const info = (await c.call('CLUSTER', 'INFO')) as string;
        expect([node.name, /cluster_state:(\w+)/.exec(info)?.[1]]).toEqual([node.name, 'ok']);
        expect(info).toMatch(/cluster_known_nodes:6\r?\n/);
        if (node.role === 'replica') expect(await c.info('replication')).toMatch(/master_link_status:up/);
      } finally {
        c.disconnect();
      }
    }
  });

  it('serves a host ioredis client through cluster.json (startupNodes + natMap)', async () => {
    const cluster = new Cluster(json.startupNodes, { natMap: json.natMap, enableReadyCheck: true });
    try {
      for (let i = 0; i < 20; i++) await cluster.set(`swarm:${i}`, String(i));
      for (let i = 0; i < 20; i++) expect(await cluster.get(`swarm:${i}`)).toBe(String(i));
      // The keys landed on every master: the client followed the announced names through the natMap.
      expect(new Set(Array.from({ length: 20 }, (_, i) => cluster.slots[slotOf(`swarm:${i}`)]?.[0])).size).toBe(3);
    } finally {
      cluster.disconnect();
    }
  });

  it('serves redis-cli -c in the overlay network, following redirects by name', () => {
    const first = json.plan.nodes[0]!;
    // A key of the last master's slots: redis-cli on the first node is sent there by name.
    const key = 'swarm:{c}';
    const r = run('docker', [
      'run',
      '--rm',
      '--name',
      `${stack}-cli`,
      '--label',
      `com.docker.stack.namespace=${stack}`,
      '--network',
      `${stack}_redis-cluster`,
      image,
      'sh',
      '-c',
      // The image's CLI: redis-cli, or valkey-cli where it has only Valkey's names.
      `c=$(${CLI_LOOKUP}) && "$c" -c -h ${first.name} -p ${first.port} SET '${key}' v && "$c" -c -h ${first.name} -p ${first.port} GET '${key}'`,
    ]);
    expect(r.stderr).toBe('');
    expect(lines(r.stdout)).toEqual(['OK', 'v']);
  });

  it('is removed by docker stack rm: no service, network, config or node container is left; then the job container and volumes', async () => {
    const volumes = stackVolumes();
    expect(volumes.sort()).toEqual(json.plan.nodes.map((n) => `${stack}_${n.name}-data`).sort());
    expect(run('docker', ['stack', 'rm', stack]).status).toBe(0);
    await eventually(() => check(() => expect(NODES_GONE(leftovers())).toEqual(NOTHING)), REMOVAL_BOUND_MS);
    deployed = false;
    // What is left is at most the init job's exited container: removed as the README says.
    expect(leftovers().containers.every((c) => /_redis-cluster-init\.\S+ exited$/.test(c))).toBe(true);
    const job = initContainers();
    if (job.length > 0) docker('rm', ...job);
    expect(leftovers()).toEqual(NOTHING);
    // docker stack rm keeps named volumes (the nodes' data): the README's command removes them.
    for (const v of volumes) docker('volume', 'rm', v);
    expect(stackVolumes()).toEqual([]);
  });
});

/** The hash slot of a key (CRC16 of its hash tag or whole key, mod 16384), as Redis computes it. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
