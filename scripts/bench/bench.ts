/**
 * `pnpm bench`: how fast the fixture gives a usable cluster, against the floor and the hand-rolled
 * peer, on this machine, in one run. Prints a Markdown report (paste it into docs/benchmark.md) and
 * writes the raw figures to .bench/results.json.
 *
 *   pnpm bench                 # every figure, median of 5 runs each
 *   pnpm bench --runs 7        # more runs
 *   pnpm bench --only start    # only some sections: start, ops, reuse, peer, scale, process, compose, recycle, netfaults, pool, engines, tls (comma-separated)
 *
 * The floor: a master cannot report cluster_state:ok until ~2 s after it starts (Redis's
 * CLUSTER_WRITABLE_DELAY), so a fresh cluster is never ready before "the masters' containers
 * run + 2 s". Each fresh start's floor is computed from its own log: the fixture logs "N master
 * containers up" (replicas start while the masters' delay runs, and have no such delay).
 *
 * The `process` section starts the same topologies with the process runtime (local redis-server
 * processes, no container): its floor is "the masters' processes accept connections + 2 s",
 * from the log's "N master processes up".
 *
 * The `compose` section (`scripts/bench/compose.ts`): `docker compose up -d --wait` (v2) and
 * `scripts/compose-up.sh` with Compose v1 of the generated set-up, 3x1, 6x1 and 5x2, against
 * their own floor and the fixture's start in the same rounds; the memory and idle CPU of a 3x1.
 *
 * The `pool` section (`scripts/bench/pool.ts`): a Jest run of 8 files that each need a cluster of
 * their own, on 2 workers, with the warm pool (pool: 2) against a cluster started per file.
 * The `engines` section: a fresh 3x1 to a usable client on the image of every engine of
 * scripts/engines.json (Docker runtime), and with the server of every engine installed on the
 * host (process runtime), rounds interleaving the engines, each against its own floor. The
 * engine of each row is what its nodes report (`INFO server`), not the image's tag.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  removeKeptClusters,
  startRedisCluster,
  type ClusterLogEvent,
  type RuntimeKind,
  type StartedRedisCluster,
} from '@redis-cluster-kit/testcontainers';
import { describeServer, imageFromEnv, serverFromInfo } from '@redis-cluster-kit/plan';
import { BenchProject, idleCpu, memoryMiB, type ComposeSample } from './compose';
import { costSample, partitionSamples, type CostSample, type PartitionSample } from './netfaults';
import { startPeer } from './peer';
import { PoolSuite } from './pool';

const CLUSTER_WRITABLE_DELAY_MS = 2000;
const SECTIONS = [
  'start',
  'ops',
  'reuse',
  'peer',
  'scale',
  'process',
  'compose',
  'recycle',
  'netfaults',
  'pool',
  'engines',
  'tls',
] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string', default: SECTIONS.join(',') },
  },
  strict: true,
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
  console.error(`Invalid option --runs ${JSON.stringify(values.runs)}. Expected an integer from 1 to 50.`);
  process.exit(2);
}
const only = new Set(values.only.split(','));
for (const s of only) {
  if (!(SECTIONS as readonly string[]).includes(s)) {
    console.error(
      `Invalid option --only ${JSON.stringify(s)}. Expected a comma-separated list of ${SECTIONS.join(', ')}.`,
    );
    process.exit(2);
  }
}
const want = (s: Section) => only.has(s);
const image = imageFromEnv(process.env);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number) => `${Math.round(x)} ms`;
const now = () => performance.now();

interface StartSample {
  readyMs: number;
  /** From the call until every master's container (or process) runs: the 2 s writable delay starts then. */
  mastersUpMs: number;
  /** From the call until every container (or process; replicas too) runs. */
  containersMs: number;
  stopMs: number;
}

/** One fresh start, timed from the call to a usable client, then a timed stop. */
async function freshStart(
  masters: number,
  replicas: number,
  after?: (rc: StartedRedisCluster) => Promise<void>,
  runtime: RuntimeKind = 'docker',
  /** The Docker runtime's image, or the process runtime's server (default: redis-server on PATH); `tls: true` for the `tls` section. */
  on: { image?: string; redisServerPath?: string; tls?: boolean } = {},
): Promise<StartSample> {
  let containersMs = NaN;
  let mastersUpMs = NaN;
  const t0 = now();
  // Durations of the log are from the start of their phase; the bench wants them from the call.
  const unit = runtime === 'docker' ? 'containers' : 'processes';
  const logger = (e: ClusterLogEvent) => {
    if (e.phase !== unit || !/ up$/.test(e.message)) return;
    if (new RegExp(`master ${unit} up`).test(e.message)) mastersUpMs = now() - t0;
    containersMs = now() - t0;
  };
  // The process runtime takes no image (it runs redis-server from PATH).
  const rc = await startRedisCluster(
    runtime === 'docker'
      ? { masters, replicas, image: on.image ?? image, logger, ...(on.tls ? { tls: true } : {}) }
      : {
          runtime,
          masters,
          replicas,
          logger,
          ...(on.redisServerPath ? { redisServerPath: on.redisServerPath } : {}),
          ...(on.tls ? { tls: true } : {}),
        },
  );
  const readyMs = now() - t0;
  let stopMs: number;
  try {
    await after?.(rc);
  } finally {
    const t1 = now();
    await rc.stop();
    stopMs = now() - t1;
  }
  return { readyMs, mastersUpMs, containersMs, stopMs };
}

async function series<T>(label: string, n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await fn());
    process.stderr.write(`  ${label}: run ${i + 1}/${n}\n`);
  }
  return out;
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const results: Record<string, unknown> = { date, machine, image, runs, load: loadavg() };
  const lines: string[] = [];
  lines.push(
    `Machine: ${machine}; image ${image}; median of ${runs} runs; ${date}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start`,
    '',
  );

  const ours: Record<string, StartSample[]> = {};
  const topologies: [number, number][] = [
    [3, 0],
    [3, 1],
    [6, 1],
  ];
  if (want('start') || want('peer')) {
    for (const [m, r] of topologies) {
      process.stderr.write(`fresh start ${m}x${r}\n`);
      ours[`${m}x${r}`] = await series(`${m}x${r}`, runs, () => freshStart(m, r));
    }
  }
  const peer: Record<string, number[]> = {};
  if (want('peer')) {
    for (const [m, r] of topologies) {
      process.stderr.write(`hand-rolled peer ${m}x${r}\n`);
      peer[`${m}x${r}`] = await series(`peer ${m}x${r}`, runs, async () => {
        const t0 = now();
        const p = await startPeer(image, m, r);
        const t = now() - t0;
        await p.stop();
        return t;
      });
    }
  }
  if (want('start') || want('peer')) {
    lines.push(
      '| topology | masters up | all containers up | floor (masters up + 2 s) | ours: call to usable client | ours - floor | hand-rolled peer | ours / peer | stop() |',
    );
    lines.push('|---|---|---|---|---|---|---|---|---|');
    for (const [m, r] of topologies) {
      const key = `${m}x${r}`;
      const s = ours[key]!;
      const ready = median(s.map((x) => x.readyMs));
      const mastersUp = median(s.map((x) => x.mastersUpMs));
      const containers = median(s.map((x) => x.containersMs));
      const floor = median(s.map((x) => x.mastersUpMs + CLUSTER_WRITABLE_DELAY_MS));
      const overFloor = median(s.map((x) => x.readyMs - x.mastersUpMs - CLUSTER_WRITABLE_DELAY_MS));
      const p = peer[key] ? median(peer[key]) : NaN;
      lines.push(
        `| ${key} | ${ms(mastersUp)} | ${ms(containers)} | ${ms(floor)} | ${ms(ready)} | ${ms(overFloor)} | ${Number.isNaN(p) ? '-' : ms(p)} | ${Number.isNaN(p) ? '-' : (ready / p).toFixed(2)} | ${ms(median(s.map((x) => x.stopMs)))} |`,
      );
    }
    lines.push('');
    results.start = ours;
    results.peer = peer;
  }

  if (want('ops')) {
    process.stderr.write('reset() on 3x1\n');
    const resets: number[] = [];
    await freshStart(3, 1, async (rc) => {
      for (let i = 0; i < Math.max(20, runs); i++) {
        await Promise.all(Array.from({ length: 30 }, (_, k) => rc.cluster.set(`bench:${i}:${k}`, 'x')));
        const t0 = now();
        await rc.reset();
        resets.push(now() - t0);
      }
    });
    lines.push(
      `reset() on 3x1 with 30 keys written before each: median ${median(resets).toFixed(1)} ms over ${resets.length} resets`,
      '',
    );
    results.reset = resets;
  }

  if (want('reuse')) {
    // The edit-test loop: a cluster kept by the previous run (reuse: true) is attached to,
    // emptied and handed out, instead of started.
    process.stderr.write('reuse: attach to a kept 3x1\n');
    const options = { masters: 3, replicas: 1, image, reuse: true, name: 'bench-reuse' } as const;
    await removeKeptClusters(options);
    const attaches: number[] = [];
    try {
      await (await startRedisCluster(options)).stop(); // keeps it
      for (let i = 0; i < Math.max(10, runs); i++) {
        const t0 = now();
        const rc = await startRedisCluster(options);
        attaches.push(now() - t0);
        if (!rc.reused) throw new Error('reuse: the start did not attach to the kept cluster');
        await rc.cluster.set('bench:reuse', String(i));
        await rc.stop();
      }
    } finally {
      await removeKeptClusters(options);
    }
    lines.push(
      `reuse: attach to a kept 3x1 (reuse: true / REDIS_CLUSTER_REUSE=1) to a usable, emptied client: median ${ms(median(attaches))} over ${attaches.length} attaches`,
      '',
    );
    results.reuse = attaches;
  }

  if (want('scale')) {
    lines.push('| masters (no replicas) | call to usable client | containers up |', '|---|---|---|');
    const scale: Record<string, StartSample[]> = {};
    for (const m of [3, 6, 12, 24]) {
      process.stderr.write(`scale ${m}x0\n`);
      const s = await series(`${m}x0`, runs, () => freshStart(m, 0));
      scale[m] = s;
      lines.push(`| ${m} | ${ms(median(s.map((x) => x.readyMs)))} | ${ms(median(s.map((x) => x.containersMs)))} |`);
    }
    lines.push('');
    results.scale = scale;
  }

  if (want('process')) {
    // The process runtime: no container to start, so a fresh cluster is close to the 2 s floor.
    const processSamples: Record<string, StartSample[]> = {};
    for (const [m, r] of topologies) {
      process.stderr.write(`process runtime ${m}x${r}\n`);
      processSamples[`${m}x${r}`] = await series(`process ${m}x${r}`, runs, () =>
        freshStart(m, r, undefined, 'process'),
      );
    }
    lines.push("Process runtime (`runtime: 'process'`, local redis-server processes on 127.0.0.1):", '');
    lines.push(
      "| topology | masters' processes up | all processes up | floor (masters up + 2 s) | ours: call to usable client | ours - floor | Docker runtime, same run | stop() |",
    );
    lines.push('|---|---|---|---|---|---|---|---|');
    for (const [m, r] of topologies) {
      const key = `${m}x${r}`;
      const s = processSamples[key]!;
      const docker = ours[key] ? median(ours[key].map((x) => x.readyMs)) : NaN;
      lines.push(
        `| ${key} | ${ms(median(s.map((x) => x.mastersUpMs)))} | ${ms(median(s.map((x) => x.containersMs)))} | ${ms(median(s.map((x) => x.mastersUpMs + CLUSTER_WRITABLE_DELAY_MS)))} | ` +
          `${ms(median(s.map((x) => x.readyMs)))} | ${ms(median(s.map((x) => x.readyMs - x.mastersUpMs - CLUSTER_WRITABLE_DELAY_MS)))} | ${Number.isNaN(docker) ? '-' : ms(docker)} | ${ms(median(s.map((x) => x.stopMs)))} |`,
      );
    }
    lines.push('');
    results.process = processSamples;
  }

  if (want('compose')) {
    // Rounds interleave the fixture, v2 and v1, so each ratio compares starts under the same load.
    const composeTopologies: [number, number][] = [
      [3, 1],
      [6, 1],
      [5, 2],
    ];
    const compose: Record<
      string,
      { fixture: number[]; v2: ComposeSample[]; v1: ComposeSample[]; 'v2-script': ComposeSample[] }
    > = {};
    // v1's path (compose-up.sh: `up -d`, a health poll, the live table) against v2 through the same script.
    lines.push(
      '| topology | fixture: call to usable client | v2 `up -d --wait` | v2 floor (masters up + 2 s) | v2 - floor | v2 / fixture | `compose-up.sh` v1 | `compose-up.sh` v2 | v1 / v2 (same script) |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const [m, r] of composeTopologies) {
      const key = `${m}x${r}`;
      process.stderr.write(`compose ${key}\n`);
      const c = (compose[key] = {
        fixture: [] as number[],
        v2: [] as ComposeSample[],
        v1: [] as ComposeSample[],
        'v2-script': [] as ComposeSample[],
      });
      for (let i = 0; i < runs; i++) {
        c.fixture.push((await freshStart(m, r)).readyMs);
        for (const tool of ['v2', 'v1', 'v2-script'] as const) {
          const p = new BenchProject(image, m, r, 27101);
          try {
            c[tool].push(await p.up(tool));
          } finally {
            await p.down();
            p.remove();
          }
        }
        process.stderr.write(`  compose ${key}: run ${i + 1}/${runs}\n`);
      }
      const fixture = median(c.fixture);
      const v2 = median(c.v2.map((x) => x.upMs));
      const v1 = median(c.v1.map((x) => x.upMs));
      const v2Script = median(c['v2-script'].map((x) => x.upMs));
      lines.push(
        `| ${key} | ${ms(fixture)} | **${ms(v2)}** | ${ms(median(c.v2.map((x) => x.floorMs)))} | ${ms(median(c.v2.map((x) => x.upMs - x.floorMs)))} | ${(v2 / fixture).toFixed(2)} | ${ms(v1)} | ${ms(v2Script)} | ${(v1 / v2Script).toFixed(2)} |`,
      );
      process.stderr.write(`${lines[lines.length - 1]}\n`);
    }
    // A running 3x1: memory, and idle CPU (Redis and the healthcheck probes) over 30 s.
    const p = new BenchProject(image, 3, 1, 27101);
    try {
      await p.up('v2');
      const ids = await p.containers();
      const mem = await memoryMiB(ids);
      const idle = await idleCpu(ids, 30_000);
      lines.push(
        '',
        `A running 3x1 (6 nodes + the idle init step): ${mem.toFixed(1)} MiB (docker stats); idle, ${Math.round(idle.cpuMsPerMin)} ms CPU per minute in its containers and ${Math.round(idle.probesPerMin)} healthcheck probes per minute (over 30 s)`,
      );
      results.composeRunning = { memoryMiB: mem, ...idle };
    } finally {
      await p.down();
      p.remove();
    }
    lines.push('');
    results.compose = compose;
  }

  if (want('recycle')) {
    // recycle() of a 3x1 that a test has disturbed (a failover and a half-done migration, with
    // keys), against a fresh start of the same topology on the same runtime, in this run.
    lines.push(
      '| runtime | recycle() of a 3x1 after a failover and a half-done migration | its steps: nodes / reset / form / ready / clients | fresh start of a 3x1, same run | recycle / start |',
      '|---|---|---|---|---|',
    );
    // Also after keys only (the cluster still as planned: recycle() only empties it).
    type RecycleSample = { durationMs: number; phases: Record<string, number>; reformed: boolean };
    const recycles: Record<string, { faults: RecycleSample[]; dataOnly: RecycleSample[] }> = {};
    const dataOnlyLines: string[] = [];
    for (const runtime of ['docker', 'process'] as const) {
      process.stderr.write(`recycle: ${runtime} 3x1\n`);
      const starts = await series(`${runtime} fresh 3x1`, runs, () => freshStart(3, 1, undefined, runtime));
      const samples: RecycleSample[] = [];
      const dataOnly: RecycleSample[] = [];
      await freshStart(
        3,
        1,
        async (rc) => {
          const [first, second] = rc.plan.shards;
          for (let i = 0; i < runs; i++) {
            await Promise.all(Array.from({ length: 30 }, (_, k) => rc.cluster.set(`bench:${i}:${k}`, 'x')));
            await rc.failover(first!.replicas[0]!.name);
            await rc.migrateSlot(second!.slots.start, first!.replicas[0]!.name, { finish: false, keys: 'all' });
            const { durationMs, phases, reformed } = await rc.recycle();
            samples.push({ durationMs, phases, reformed });
            await Promise.all(Array.from({ length: 30 }, (_, k) => rc.cluster.set(`bench:${i}:${k}`, 'x')));
            const quick = await rc.recycle();
            dataOnly.push({ durationMs: quick.durationMs, phases: quick.phases, reformed: quick.reformed });
            process.stderr.write(`  ${runtime} recycle: run ${i + 1}/${runs}\n`);
          }
        },
        runtime,
      );
      recycles[runtime] = { faults: samples, dataOnly };
      const start = median(starts.map((x) => x.readyMs));
      const steps = (xs: RecycleSample[]) =>
        ['nodesMs', 'resetMs', 'formMs', 'readyMs', 'clientsMs']
          .map((k) => Math.round(median(xs.map((x) => x.phases[k]!))))
          .join(' / ');
      const recycle = median(samples.map((x) => x.durationMs));
      lines.push(
        `| ${runtime} | ${ms(recycle)} | ${steps(samples)} ms | ${ms(start)} | ${(recycle / start).toFixed(2)} |`,
      );
      const quick = median(dataOnly.map((x) => x.durationMs));
      const reformedCount = dataOnly.filter((x) => x.reformed).length;
      dataOnlyLines.push(
        `| ${runtime} | ${ms(quick)} | ${steps(dataOnly)} ms | ${reformedCount} of ${dataOnly.length} | ${(quick / start).toFixed(2)} |`,
      );
    }
    lines.push(
      '',
      '| runtime | recycle() of a 3x1 after 30 keys only (still as planned: emptied) | its steps: nodes / reset / form / ready / clients | formed again | recycle / start |',
      '|---|---|---|---|---|',
      ...dataOnlyLines,
      '',
    );
    results.recycle = recycles;
  }

  if (want('netfaults')) {
    // What networkFaults: true costs (link proxies; on the process runtime, a loopback address per
    // node), and the minority-master partition (scripts/bench/netfaults.ts).
    lines.push(
      '| runtime | networkFaults | fresh 3x0 start | one SET at a time (median round trip) | SETs/s, 50 in flight |',
      '|---|---|---|---|---|',
    );
    const cost: Record<string, CostSample[]> = {};
    const partitions: Record<string, PartitionSample[]> = {};
    for (const runtime of ['docker', 'process'] as const) {
      for (const on of [false, true]) {
        process.stderr.write(`netfaults: ${runtime} networkFaults ${on}\n`);
        const s = await series(`${runtime} ${on}`, runs, () => costSample(runtime, on, image));
        cost[`${runtime} ${on}`] = s;
        lines.push(
          `| ${runtime} | ${on} | ${ms(median(s.map((x) => x.startMs)))} | ${Math.round(median(s.map((x) => x.sequentialUs)))} µs | ${Math.round(median(s.map((x) => x.concurrentPerSec)))} |`,
        );
      }
    }
    lines.push(
      '',
      '| runtime | partition to CLUSTERDOWN | to promotion | lift to rejoin | writes acknowledged in the window / lost (medians) |',
      '|---|---|---|---|---|',
    );
    for (const runtime of ['docker', 'process'] as const) {
      process.stderr.write(`netfaults: ${runtime} partitions\n`);
      const s = await partitionSamples(runtime, runs, image);
      partitions[runtime] = s;
      const range = (xs: number[]) => `${ms(median(xs))} (${ms(Math.min(...xs))}-${ms(Math.max(...xs))})`;
      lines.push(
        `| ${runtime} | ${range(s.map((x) => x.toClusterDownMs))} | ${range(s.map((x) => x.toPromotionMs))} | ${range(s.map((x) => x.toRejoinMs))} | ${median(s.map((x) => x.acknowledged))} / ${median(s.map((x) => x.lost))} |`,
      );
    }
    lines.push('');
    results.netfaults = { cost, partitions };
  }
  if (want('pool')) {
    // 8 Jest files that each need a cluster of their own, 2 workers: the warm pool against a
    // cluster per file, in alternating rounds (the machine's load falls on both alike).
    const walls: { pool: number[]; perFile: number[] } = { pool: [], perFile: [] };
    const [withPool, perFileSuite] = [new PoolSuite(true), new PoolSuite(false)];
    try {
      for (let i = 0; i < runs; i++) {
        walls.perFile.push(await perFileSuite.run());
        walls.pool.push(await withPool.run());
        process.stderr.write(`  pool: round ${i + 1}/${runs}\n`);
      }
    } finally {
      withPool.remove();
      perFileSuite.remove();
    }
    const [pool, perFile] = [median(walls.pool), median(walls.perFile)];
    lines.push(
      '| Jest run of 8 files that each need a cluster of their own, 2 workers (wall time) | with the pool (pool: 2) | a cluster started per file | pool / per file |',
      '|---|---|---|---|',
      `| 3x0 clusters, load average ${loadavg()[0]!.toFixed(1)} at the end | ${ms(pool)} | ${ms(perFile)} | ${(pool / perFile).toFixed(2)} |`,
      '',
    );
    results.pool = walls;
  }
  if (want('engines')) {
    // Every engine of scripts/engines.json; rounds interleave them, so they share the load.
    const { engines } = JSON.parse(readFileSync(join(__dirname, '..', 'engines.json'), 'utf8')) as {
      engines: { engine: string; version: string; image: string; from: string; server: string }[];
    };
    const cases = engines.flatMap((e) => [
      { label: `${e.image}`, runtime: 'docker' as const, on: { image: e.image } },
      ...(e.from === 'host'
        ? [{ label: `${e.server} (host)`, runtime: 'process' as const, on: { redisServerPath: e.server } }]
        : []),
    ]);
    const samples = cases.map(() => [] as StartSample[]);
    const reported = cases.map(() => '');
    for (let i = 0; i < runs; i++) {
      for (const [k, c] of cases.entries()) {
        samples[k]!.push(
          await freshStart(
            3,
            1,
            async (rc) => {
              const info = String(await rc.cluster.nodes('master')[0]!.info('server'));
              const server = serverFromInfo(info);
              reported[k] = server ? describeServer(server) : 'unknown';
            },
            c.runtime,
            c.on,
          ),
        );
      }
      process.stderr.write(`  engines: round ${i + 1}/${runs}\n`);
    }
    lines.push(
      '| engine (INFO server) | image / server | runtime | masters up | floor (masters up + 2 s) | call to usable client | usable - floor | stop() |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const [k, c] of cases.entries()) {
      const s = samples[k]!;
      lines.push(
        `| ${reported[k]} | \`${c.label}\` | ${c.runtime} | ${ms(median(s.map((x) => x.mastersUpMs)))} | ${ms(median(s.map((x) => x.mastersUpMs + CLUSTER_WRITABLE_DELAY_MS)))} | ` +
          `**${ms(median(s.map((x) => x.readyMs)))}** | ${ms(median(s.map((x) => x.readyMs - x.mastersUpMs - CLUSTER_WRITABLE_DELAY_MS)))} | ${ms(median(s.map((x) => x.stopMs)))} |`,
      );
    }
    lines.push('');
    results.engines = Object.fromEntries(
      cases.map((c, k) => [`${c.label} ${c.runtime}`, { server: reported[k], samples: samples[k] }]),
    );
  }
  if (want('tls')) {
    // startRedisCluster({ tls: true }) (certificates made, nodes on TLS only) against the same
    // start without TLS, runs taken in turns in this run, on each runtime.
    lines.push('| runtime | fresh 3x1 | fresh 3x1 with `tls: true` | difference |', '|---|---|---|---|');
    const tls: Record<string, { plain: StartSample[]; tls: StartSample[] }> = {};
    for (const runtime of ['docker', 'process'] as const) {
      process.stderr.write(`tls: ${runtime} 3x1\n`);
      const plain: StartSample[] = [];
      const withTls: StartSample[] = [];
      for (let i = 0; i < runs; i++) {
        plain.push(await freshStart(3, 1, undefined, runtime));
        withTls.push(await freshStart(3, 1, undefined, runtime, { tls: true }));
        process.stderr.write(`  ${runtime} plain and tls: run ${i + 1}/${runs}\n`);
      }
      tls[runtime] = { plain, tls: withTls };
      const a = median(plain.map((x) => x.readyMs));
      const b = median(withTls.map((x) => x.readyMs));
      lines.push(`| ${runtime} | ${ms(a)} | ${ms(b)} | ${b >= a ? '+' : ''}${ms(b - a)} |`);
    }
    lines.push('');
    results.tls = tls;
  }

  mkdirSync('.bench', { recursive: true });
  writeFileSync(join('.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
