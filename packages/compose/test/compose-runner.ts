import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI_LOOKUP } from '@redis-cluster-kit/plan';
import { INIT_SERVICE } from '../src/targets/compose';
import type { ClusterJson } from '../src/targets/view';

const run = promisify(execFile);

/** One way to run Compose: v2 (`docker compose`) or v1 (`docker-compose`). */
export interface ComposeTool {
  name: 'v2' | 'v1';
  argv: string[];
  /** v2 has `up --wait`; v1 needs a poll of the containers' health. */
  hasWait: boolean;
}

const TOOLS: ComposeTool[] = [
  { name: 'v2', argv: ['docker', 'compose'], hasWait: true },
  { name: 'v1', argv: ['docker-compose'], hasWait: false },
];

/**
 * The Compose tools this machine has. In CI (CI set) both must be there: a missing one is an
 * error, never a skipped test.
 */
export function composeTools(): ComposeTool[] {
  const found = TOOLS.filter(
    (t) => spawnSync(t.argv[0]!, [...t.argv.slice(1), 'version'], { stdio: 'ignore' }).status === 0,
  );
  const missing = TOOLS.filter((t) => !found.includes(t)).map((t) => t.argv.join(' '));
  if (missing.length > 0 && process.env.CI) {
    throw new Error(
      `CI needs both Compose versions; missing: ${missing.join(', ')} (scripts/setup-docker.sh installs them)`,
    );
  }
  if (found.length === 0)
    throw new Error('Neither `docker compose` nor `docker-compose` works here: run scripts/setup-docker.sh');
  return found;
}

/** The image under test: REDIS_CLUSTER_IMAGE (the CI command sets it to the locally built image). */
export function imageUnderTest(): string {
  const image = process.env.REDIS_CLUSTER_IMAGE;
  if (!image)
    throw new Error(
      'Set REDIS_CLUSTER_IMAGE to a local Redis image (scripts/build-engine-images.sh builds one per engine of scripts/engines.json, e.g. redis-cluster-kit/redis:7.0.15): nothing can be pulled here',
    );
  return image;
}

/** Can a server listen on `port` of 127.0.0.1 now? */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A random base port in 20000-40000 whose `count` client ports are all free on 127.0.0.1. */
export async function freeBasePort(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (20000 - count));
    const checks = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
  throw new Error(`No ${count} free consecutive ports found in 20000-40000`);
}

/**
 * A generated Compose project in a temp folder, with a unique project name that carries this
 * process's pid (`rck-<pid>-<hex>`): `scripts/leftovers.sh reap` removes the projects of test
 * processes that have ended (a killed run cannot clean up after itself).
 */
export class ComposeProject {
  readonly project = `rck-${process.pid}-${randomBytes(4).toString('hex')}`;
  /** The temp folder this project owns (removed by {@link destroy}). */
  private readonly temp = mkdtempSync(join(tmpdir(), 'rck-int-'));
  /** The output folder. */
  readonly dir: string;
  readonly network = `${this.project}_default`;
  cluster!: ClusterJson;

  /**
   * `folderIsProject`: the output folder is named after the project (inside the temp folder), so
   * that Compose commands run there without `-p`, as a user types them, use the project name.
   */
  constructor(
    readonly tool: ComposeTool,
    readonly image: string,
    options: { folderIsProject?: boolean } = {},
  ) {
    this.dir = options.folderIsProject ? join(this.temp, this.project) : this.temp;
  }

  /** Read the output folder's cluster.json (after something else generated it). */
  load(): void {
    this.cluster = JSON.parse(readFileSync(join(this.dir, 'cluster.json'), 'utf8')) as ClusterJson;
  }

  /** Generate with the real CLI (compiled bin); `env` adds to the environment, `stdin` is piped in. */
  generate(args: string[], options: { env?: Record<string, string>; stdin?: string } = {}): void {
    const bin = join(__dirname, '..', 'bin', 'redis-cluster-compose.js');
    const r = spawnSync(process.execPath, [bin, '--out', this.dir, '--force', '--image', this.image, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...options.env },
      input: options.stdin ?? '',
    });
    if (r.status !== 0) throw new Error(`generator failed (${r.status}): ${r.stderr}`);
    this.load();
  }

  nodeNames(): string[] {
    return this.cluster.plan.nodes.map((n) => n.name);
  }

  async compose(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return this.composeUsing(this.tool, ...args);
  }

  /**
   * `docker compose down ARGS`, as a user runs it. On a busy machine dockerd 20.10 sometimes
   * refuses to remove the network because an endpoint of a container that is already gone is
   * still registered ("network ... has active endpoints": a daemon race, not the set-up's). Then,
   * as Docker's own advice goes, the stale endpoints are disconnected with force and `down` runs
   * once more; anything else fails as it is.
   */
  async down(...args: string[]): Promise<void> {
    try {
      await this.compose('down', ...args);
    } catch (e) {
      if (!/has active endpoints/.test(String((e as Error).message))) throw e;
      await this.disconnectStaleEndpoints();
      await this.compose('down', ...args);
    }
  }

  /** Force-disconnect whatever the daemon still lists on the project's networks. */
  private async disconnectStaleEndpoints(): Promise<void> {
    const label = `label=com.docker.compose.project=${this.project}`;
    const networks = (await run('docker', ['network', 'ls', '-q', '--filter', label])).stdout
      .split('\n')
      .filter(Boolean);
    for (const network of networks) {
      const { stdout } = await run('docker', [
        'network',
        'inspect',
        '--format',
        '{{range $id, $c := .Containers}}{{$c.Name}} {{end}}',
        network,
      ]).catch(() => ({ stdout: '' }));
      for (const endpoint of stdout.split(' ').filter(Boolean)) {
        await run('docker', ['network', 'disconnect', '-f', network, endpoint]).catch(() => undefined);
      }
    }
  }

  /** Run Compose on this project with another tool (v1 or v2), e.g. to check `config` with both. */
  async composeUsing(tool: ComposeTool, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const [cmd, ...pre] = tool.argv;
    try {
      return await run(cmd!, [...pre, '-f', join(this.dir, 'compose.yaml'), '-p', this.project, ...args], {
        env: { ...process.env, REDIS_CLUSTER_IMAGE: this.image },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 180_000,
      });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(
        `${tool.argv.join(' ')} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-8).join('\n')}`,
      );
    }
  }

  /**
   * Start and wait until every node is healthy: `up -d --wait` (v2), or `up -d` and a bounded
   * poll of health (v1). When it fails, the error carries the init step's own last lines (it
   * says which command a node refused), not only Compose's.
   */
  async up(): Promise<number> {
    const start = Date.now();
    try {
      if (this.tool.hasWait) {
        await this.compose('up', '-d', '--wait');
      } else {
        await this.compose('up', '-d');
        await this.waitHealthy();
      }
    } catch (e) {
      const init = await this.compose('logs', '--no-color', '--tail', '30', INIT_SERVICE).then(
        ({ stdout, stderr }) => `${stdout}${stderr}`.trim(),
        (err: unknown) => `(no logs: ${String(err)})`,
      );
      throw new Error(`${(e as Error).message}\n${INIT_SERVICE} logs:\n${init}`);
    }
    return Date.now() - start;
  }

  /** The health of each node container, by service name. */
  async health(): Promise<Record<string, string>> {
    const { stdout: ids } = await run('docker', [
      'ps',
      '-aq',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
    ]);
    const list = ids.split('\n').filter(Boolean);
    if (list.length === 0) return {};
    const { stdout } = await run('docker', [
      'inspect',
      '-f',
      '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
      ...list,
    ]);
    const result: Record<string, string> = {};
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [service, status, health] = line.split(' ');
      result[service!] = health === 'none' ? status! : health!;
    }
    return result;
  }

  /** Poll (bounded) until every node container reports healthy. */
  async waitHealthy(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, string> = {};
    while (Date.now() < deadline) {
      last = await this.health();
      if (this.nodeNames().every((n) => last[n] === 'healthy')) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`nodes not healthy after ${timeoutMs} ms: ${JSON.stringify(last)}`);
  }

  /** Each node container's IP on the project's network, by service name. */
  async addresses(): Promise<Record<string, string>> {
    const { stdout: ids } = await run('docker', [
      'ps',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${this.project}`,
    ]);
    const { stdout } = await run('docker', [
      'inspect',
      '-f',
      '{{index .Config.Labels "com.docker.compose.service"}} {{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
      ...ids.split('\n').filter(Boolean),
    ]);
    const nodes = new Set(this.nodeNames());
    return Object.fromEntries(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ') as [string, string])
        .filter(([service]) => nodes.has(service))
        .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })),
    );
  }

  /**
   * Run redis-cli inside the project's network, as the generated README says: `docker compose exec`
   * in the first node's container. (A throw-away `docker run --network` container per call once
   * left dockerd 20.10, on a busy machine, with a phantom endpoint that kept the network from
   * ever being removed.)
   */
  async cliInNetwork(...args: string[]): Promise<string> {
    const service = this.cluster.plan.nodes[0]!.name;
    // The image's CLI: redis-cli, or valkey-cli where it has only Valkey's names.
    const { stdout } = await this.compose(
      'exec',
      '-T',
      service,
      'sh',
      '-c',
      `exec "$(${CLI_LOOKUP})" "$@"`,
      'cli',
      ...args,
    );
    return stdout.trim();
  }

  /** What is left of the project: containers, networks and volumes with its label. */
  async leftovers(): Promise<string[]> {
    const label = `label=com.docker.compose.project=${this.project}`;
    const lists = await Promise.all([
      run('docker', ['ps', '-aq', '--filter', label]),
      run('docker', ['network', 'ls', '-q', '--filter', label]),
      run('docker', ['volume', 'ls', '-q', '--filter', label]),
    ]);
    return lists.flatMap((l) => l.stdout.split('\n').filter(Boolean));
  }

  /**
   * Always safe to call: removes containers, network and volumes, then the temp folder. When
   * `down` fails (seen on an overloaded machine: "network ... has active endpoints"), everything
   * with the project's label is removed with docker itself, so nothing is left either way.
   */
  async destroy(): Promise<void> {
    try {
      await this.down('-v', '--remove-orphans', '-t', '2');
    } catch (e) {
      await this.disconnectStaleEndpoints();
      await this.removeByLabel();
      if ((await this.leftovers()).length > 0) throw e;
    } finally {
      rmSync(this.temp, { recursive: true, force: true });
    }
  }

  /** Remove the project's containers, then its networks and volumes, by label. */
  private async removeByLabel(): Promise<void> {
    const label = `label=com.docker.compose.project=${this.project}`;
    const list = async (...args: string[]) =>
      (await run('docker', [...args, '--filter', label])).stdout.split('\n').filter(Boolean);
    const containers = await list('ps', '-aq');
    if (containers.length > 0) await run('docker', ['rm', '-f', '-v', ...containers]).catch(() => undefined);
    const networks = await list('network', 'ls', '-q');
    if (networks.length > 0) await run('docker', ['network', 'rm', ...networks]).catch(() => undefined);
    const volumes = await list('volume', 'ls', '-q');
    if (volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...volumes]).catch(() => undefined);
  }
}

/** Poll (bounded, every `intervalMs`) until `fn` passes, e.g. a cluster usable again after `restart`; its last error otherwise. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 90_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
