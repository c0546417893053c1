/**
 * The `compose` section of `pnpm bench`: the generated Compose set-up against its floor and the
 * fixture, in one run. For each topology, one round is a fresh start of the fixture, then
 * `docker compose up -d --wait` (v2), then `scripts/compose-up.sh` with Compose v1 (`up -d` and
 * a poll of the nodes' health), each from the command to a usable cluster, each removed after.
 * The floor of a Compose start is its own: the last master container's start (Docker's
 * State.StartedAt) + Redis's 2 s writable delay. Also the memory and idle CPU of a running 3x1.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'packages', 'compose', 'bin', 'redis-cluster-compose.js');
const COMPOSE_UP = join(ROOT, 'scripts', 'compose-up.sh');
const CLUSTER_WRITABLE_DELAY_MS = 2000;

export interface ComposeSample {
  /** From the command to its return (every node healthy = usable). */
  upMs: number;
  /** The last master container's start + 2 s, from the command. */
  floorMs: number;
}

/** A generated set-up in a temp folder, a project name the leftovers reaper knows (`rck-<pid>-<hex>`). */
export class BenchProject {
  readonly project = `rck-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'rck-bench-'));
  masters: string[] = [];

  constructor(
    readonly image: string,
    masters: number,
    replicas: number,
    basePort: number,
  ) {
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        '--out',
        this.dir,
        '--force',
        '--image',
        image,
        '--masters',
        `${masters}`,
        '--replicas',
        `${replicas}`,
        '--base-port',
        `${basePort}`,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`generator failed: ${r.stderr}`);
    const json = JSON.parse(readFileSync(join(this.dir, 'cluster.json'), 'utf8')) as {
      plan: { nodes: { name: string; role: string }[] };
    };
    this.masters = json.plan.nodes.filter((n) => n.role === 'master').map((n) => n.name);
  }

  private env() {
    return { ...process.env, REDIS_CLUSTER_IMAGE: this.image, COMPOSE_PROJECT_NAME: this.project };
  }

  /**
   * Start with v2's `up -d --wait`, or through compose-up.sh with v1 or v2 (`up`, the wait for
   * health, then the live table it prints); timed, with the floor from Docker.
   */
  async up(tool: 'v2' | 'v1' | 'v2-script'): Promise<ComposeSample> {
    const file = join(this.dir, 'compose.yaml');
    const t0 = Date.now();
    if (tool === 'v2') await run('docker', ['compose', '-f', file, 'up', '-d', '--wait'], { env: this.env() });
    else
      await run('bash', [COMPOSE_UP, file], {
        env: { ...this.env(), COMPOSE_UP_TOOL: tool === 'v1' ? 'v1' : 'v2' },
      });
    const upMs = Date.now() - t0;
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
    ]);
    const { stdout: started } = await run('docker', [
      'inspect',
      '-f',
      '{{index .Config.Labels "com.docker.compose.service"}} {{.State.StartedAt}}',
      ...stdout.split('\n').filter(Boolean),
    ]);
    const masterStarts = started
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([service]) => this.masters.includes(service!))
      .map(([, at]) => Date.parse(at!));
    return { upMs, floorMs: Math.max(...masterStarts) + CLUSTER_WRITABLE_DELAY_MS - t0 };
  }

  /** The project's containers' ids. */
  async containers(): Promise<string[]> {
    const { stdout } = await run('docker', [
      'ps',
      '-q',
      '--no-trunc',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
    ]);
    return stdout.split('\n').filter(Boolean);
  }

  async down(): Promise<void> {
    await run('docker', ['compose', '-f', join(this.dir, 'compose.yaml'), 'down', '-v', '-t', '1'], {
      env: this.env(),
    });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The memory the project's containers use now (docker stats), in MiB. */
export async function memoryMiB(ids: string[]): Promise<number> {
  const { stdout } = await run('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...ids]);
  const units: Record<string, number> = { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024 };
  return stdout
    .split('\n')
    .filter(Boolean)
    .reduce((sum, line) => {
      const m = /^([\d.]+)\s*([KMG]?i?B)/.exec(line);
      return sum + (m ? Number(m[1]) * (units[m[2]!] ?? 1) : 0);
    }, 0);
}

/**
 * The CPU time the idle project's containers use over `ms` (their cgroups: Redis and the
 * healthcheck probes running in them), and the healthcheck probes Docker ran meanwhile.
 */
export async function idleCpu(ids: string[], ms: number): Promise<{ cpuMsPerMin: number; probesPerMin: number }> {
  const usage = () =>
    ids.reduce((sum, id) => sum + Number(readFileSync(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 'utf8')), 0);
  const since = Math.floor(Date.now() / 1000);
  const before = usage();
  await new Promise((r) => setTimeout(r, ms));
  const cpuNs = usage() - before;
  const until = Math.floor(Date.now() / 1000);
  const { stdout } = await run('docker', [
    'events',
    '--since',
    `${since}`,
    '--until',
    `${until}`,
    '--filter',
    'event=exec_start',
    ...ids.flatMap((id) => ['--filter', `container=${id}`]),
    '--format',
    '{{.Action}}',
  ]);
  const probes = stdout.split('\n').filter((l) => l.startsWith('exec_start')).length;
  return { cpuMsPerMin: (cpuNs / 1e6) * (60_000 / ms), probesPerMin: (probes * 60) / Math.max(1, until - since) };
}
