/**
 * `pnpm soak` (scripts/soak.sh builds first, then runs this): what must hold on a busy machine
 * before a change to the start path, readiness or the fault helpers is called done (issue 9).
 * Not part of CI. Sections (`--only`), each with a CPU hog keeping one core busy (`--hog`):
 *
 *   integration  the integration project, `--integration-runs` times in a row (CI's way: one
 *                file at a time), under the hog: 0 failures
 *   starts       `--cycles` cycles of start (3x1) -> a write on every master -> stop, per runtime
 *                (docker, process), without and with the hog: 0 failures, 0 leftovers, and the
 *                p50 / p95 / max start time
 *   scenarios    each fault-scenario file (integration tests in a `scenarios` folder, found by
 *                Jest's own path matching) `--scenario-runs` times (one Jest run per round, counted
 *                per file), under the hog: 0 failures
 *   refusals     `--refusals` starts per runtime with a node that refuses a directive, under the
 *                hog: the error must name the node and the directive every time
 *
 * It prints one summary table, exits 1 when any section failed or left something, 130 when
 * interrupted. The hog is always stopped (Ctrl-C, failure, any exit); what the soak's runs left
 * (a Jest run stopped mid-start cannot clean up) is found by owner and removed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startRedisCluster,
  keyForSlot,
  type RuntimeKind,
  type StartedRedisCluster,
} from '@redis-cluster-kit/testcontainers';
import { Hog, type HogReport } from './hog';
import { firstLine, jestLogDir, listTests, runJest, type JestRunResult } from './jest-run';
import { describeResource, leftSince, PidWatch, removeLeftovers, snapshot, type Resource } from './leftovers';
import { hogSettings, parseSoakArgs, SOAK_USAGE, SoakUsageError, type SoakOptions } from './options';
import { formatMs, namesNodeAndDirective, REFUSED, table, tally, type Row } from './report';

/** Integration test files in a folder named `scenarios`: the fault scenarios. */
const SCENARIO_PATTERN = '/scenarios/[^/]+\\.int\\.test\\.ts$';
/** The hog exits by itself after this even if nothing stops it: twice the soak's ~45-minute budget. */
const HOG_MAX_MS = 90 * 60_000;
/** A Jest run told to stop (SIGINT) that has not ended after this is killed. */
const JEST_STOP_GRACE_MS = 20_000;

/** A Jest run stopped mid-start cannot clean up after itself: the soak does. */
const INTERRUPTED_NOTE = 'interrupted: Jest was stopped mid-run; what it left is counted here and was removed';

const say = (line: string) => process.stderr.write(`[soak] ${line}\n`);

/** Ctrl-C / SIGTERM: abort what runs, in order; a second signal ends the soak at once. */
class Control {
  interrupted: NodeJS.Signals | undefined;
  readonly abort = new AbortController();
  child: ChildProcess | undefined;

  interrupt(signal: NodeJS.Signals): void {
    if (this.interrupted) {
      say(`${signal} again: ending at once; what is left is removed by: bash scripts/leftovers.sh reap`);
      this.killChild('SIGKILL');
      process.exit(130); // the exit handlers kill the hog
    }
    this.interrupted = signal;
    say(
      `${signal}: stopping (the hog, the current run), then removing what the soak left; ${signal} again to end at once`,
    );
    this.abort.abort(new Error(`the soak was interrupted (${signal})`));
    if (this.child) {
      this.killChild('SIGINT');
      const child = this.child;
      setTimeout(
        () => child.exitCode === null && child.signalCode === null && this.killChild('SIGKILL'),
        JEST_STOP_GRACE_MS,
      ).unref();
    }
  }

  /** Signals the child's whole process group (Jest and everything it started). */
  killChild(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.child!.exitCode !== null || this.child!.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ended meanwhile
    }
  }
}

interface Soak {
  opts: SoakOptions;
  ctl: Control;
  watch: PidWatch;
  soakTmp: string;
  jestCache: string;
  logDir: string;
  rows: Row[];
  /** "section: what failed" lines, tallied at the end. */
  failures: string[];
  unclaimed: Resource[];
  /** Could not be removed: the soak then fails. */
  removalFailures: string[];
  hogReports: HogReport[];
}

/** Runs `fn` with the hog on (stopped however `fn` ends) or off. */
async function withHog<T>(s: Soak, on: boolean, fn: () => Promise<T>): Promise<T> {
  if (!on) return fn();
  const hog = await Hog.start(HOG_MAX_MS);
  say(`CPU hog on (pid ${hog.pid}): one core busy`);
  try {
    return await fn();
  } finally {
    if (hog.endedEarly && !s.ctl.interrupted) {
      s.rows.push({
        section: 'hog',
        what: 'the CPU hog',
        hog: true,
        runs: 1,
        failures: 1,
        timesMs: [],
        leftovers: 0,
        note: 'it ended before it was stopped: the runs above were not all under load',
      });
      s.failures.push('hog: the CPU hog ended before it was stopped');
    }
    const report = await hog.stop();
    if (report) {
      s.hogReports.push(report);
      say(
        `CPU hog off: it used ${Math.round((100 * report.cpuMs) / report.wallMs)}% of one core for ${formatMs(report.wallMs)}`,
      );
    } else say('CPU hog off');
  }
}

/** What the soak's runs left since `before`: counted, then removed. Returns the count. */
async function leftoversSince(s: Soak, before: Resource[], where: string): Promise<number> {
  const found = await leftSince(before, s.soakTmp, s.watch);
  s.unclaimed.push(...found.unclaimed);
  if (found.ours.length > 0) {
    say(`${where} left ${found.ours.length}: ${found.ours.map(describeResource).join(', ')}; removing them`);
    s.removalFailures.push(...(await removeLeftovers(found.ours)));
  }
  return found.ours.length;
}

async function jest(s: Soak, label: string, patterns: string[]): Promise<JestRunResult | undefined> {
  if (s.ctl.interrupted) return undefined;
  const base = join(s.logDir, label.replace(/[^a-z0-9]+/gi, '-'));
  say(`${label}: jest (log ${base}.log)`);
  const result = await runJest({
    patterns,
    logFile: `${base}.log`,
    jsonFile: `${base}.json`,
    cacheDirectory: s.jestCache,
    onSpawn: (child) => {
      s.ctl.child = child;
      if (child.pid !== undefined) s.watch.watch(child.pid);
      // A signal that came while it was being spawned.
      if (s.ctl.interrupted) s.ctl.killChild('SIGINT');
    },
    progress: (line) => say(`  ${line}`),
  });
  s.ctl.child = undefined;
  s.watch.stop();
  if (s.ctl.interrupted) return undefined;
  const lag =
    result.exitLagMs > 1000
      ? ` (Jest exited ${formatMs(result.exitLagMs)} after writing its results: open handles)`
      : '';
  say(`${label}: ${result.passed} passed, ${result.failed} failed in ${formatMs(result.durationMs)}${lag}`);
  return result;
}

/** How often open handles kept Jest alive more than a second after its results, and for how long at most. */
function lagNote(lags: readonly number[]): string {
  const lagged = lags.filter((l) => l > 1000);
  return lagged.length
    ? `; Jest exited late (open handles) ${lagged.length}/${lags.length}, up to ${formatMs(Math.max(...lagged))}`
    : '';
}

async function integrationSection(s: Soak): Promise<void> {
  for (const hog of hogSettings('integration', s.opts.hog)) {
    if (s.ctl.interrupted) return;
    const row: Row = {
      section: 'integration',
      what: 'whole project',
      hog,
      runs: 0,
      failures: 0,
      timesMs: [],
      leftovers: 0,
      note: '',
    };
    const lags: number[] = [];
    s.rows.push(row);
    await withHog(s, hog, async () => {
      for (let i = 1; i <= s.opts.integrationRuns && !s.ctl.interrupted; i++) {
        const before = await snapshot(s.soakTmp);
        const result = await jest(s, `integration ${i} of ${s.opts.integrationRuns} hog ${hog ? 'on' : 'off'}`, []);
        row.leftovers += await leftoversSince(s, before, 'the integration run');
        if (!result) {
          row.note = INTERRUPTED_NOTE;
          break;
        }
        row.runs++;
        row.failures += result.failed;
        row.timesMs.push(result.durationMs);
        lags.push(result.exitLagMs);
        row.note = `${result.passed + result.failed} tests per run; times are whole runs${lagNote(lags)}`;
        s.failures.push(...result.failures.map((f) => `integration: ${f.file} › ${f.test}: ${f.message}`));
      }
    });
  }
}

/** A write (and read back) on every master: the cluster serves all of its slots. */
async function writeEveryMaster(rc: StartedRedisCluster): Promise<void> {
  for (const node of rc.nodes.filter((n) => n.role === 'master')) {
    const key = keyForSlot(node.slots[0]!.start, ':soak');
    await rc.cluster.set(key, node.name);
    const back = await rc.cluster.get(key);
    if (back !== node.name) throw new Error(`key "${key}" on "${node.name}" read back ${JSON.stringify(back)}`);
  }
}

const errorLine = (err: unknown) =>
  err instanceof Error ? `${err.name}: ${firstLine(err.message)}` : firstLine(String(err));

async function startsSection(s: Soak): Promise<void> {
  for (const hog of hogSettings('starts', s.opts.hog)) {
    if (s.ctl.interrupted) return;
    await withHog(s, hog, async () => {
      for (const runtime of s.opts.runtimes) {
        if (s.ctl.interrupted) return;
        const row: Row = {
          section: 'starts',
          what: `${runtime} 3x1`,
          hog,
          runs: 0,
          failures: 0,
          timesMs: [],
          leftovers: 0,
          note: 'start -> a write on every master -> stop; times are starts',
        };
        s.rows.push(row);
        const before = await snapshot(s.soakTmp);
        say(`starts: ${s.opts.cycles} cycles on ${runtime}, hog ${hog ? 'on' : 'off'}`);
        for (let i = 1; i <= s.opts.cycles && !s.ctl.interrupted; i++) {
          const failed = await cycle(s, runtime, row);
          if (failed) s.failures.push(`starts ${runtime} hog ${hog ? 'on' : 'off'}: ${failed}`);
          if (i % 10 === 0 || i === s.opts.cycles) say(`  ${runtime}: ${i}/${s.opts.cycles}, ${row.failures} failed`);
        }
        row.leftovers += await leftoversSince(s, before, `the ${runtime} start cycles`);
      }
    });
  }
}

/** One start -> write -> stop. Returns what failed, if anything (an interruption is not a failure). */
async function cycle(s: Soak, runtime: RuntimeKind, row: Row): Promise<string | undefined> {
  const t0 = performance.now();
  let rc: StartedRedisCluster | undefined;
  let failed: string | undefined;
  try {
    rc = await startRedisCluster({ runtime, masters: 3, replicas: 1, name: 'soak', signal: s.ctl.abort.signal });
    row.timesMs.push(performance.now() - t0);
    await writeEveryMaster(rc);
  } catch (err) {
    if (!s.ctl.interrupted) failed = errorLine(err);
  } finally {
    if (rc) {
      await rc.stop().catch((err: unknown) => {
        failed ??= `stop(): ${errorLine(err)}`;
      });
    }
  }
  if (s.ctl.interrupted && failed === undefined && rc === undefined) return undefined;
  row.runs++;
  if (failed) row.failures++;
  return failed;
}

async function scenariosSection(s: Soak): Promise<void> {
  const files = await listTests([SCENARIO_PATTERN], s.jestCache);
  if (files.length === 0) {
    s.rows.push({
      section: 'scenarios',
      what: 'no file matched',
      hog: true,
      runs: 0,
      failures: 1,
      timesMs: [],
      leftovers: 0,
      note: `no integration test matches ${SCENARIO_PATTERN}`,
    });
    s.failures.push(`scenarios: no integration test file matches ${SCENARIO_PATTERN}`);
  }
  for (const hog of hogSettings('scenarios', s.opts.hog)) {
    if (s.ctl.interrupted) return;
    await withHog(s, hog, async () => {
      if (files.length > 0) await scenarioRounds(s, files, hog);
    });
  }
}

async function refusalsSection(s: Soak): Promise<void> {
  for (const hog of hogSettings('refusals', s.opts.hog)) {
    if (s.ctl.interrupted) return;
    await withHog(s, hog, async () => {
      for (const runtime of s.opts.runtimes) await refusalsOn(s, runtime, hog);
    });
  }
}

/**
 * Every scenario file, `--scenario-runs` rounds: one Jest run per round with all of them (CI's
 * way, one file at a time; a run per file would pay Jest's start and exit once per file, ~20 s
 * each under load, minutes over the soak), counted per file from Jest's results. What a round
 * left cannot be told apart by file: it has a row of its own.
 */
async function scenarioRounds(s: Soak, files: string[], hog: boolean): Promise<void> {
  const rowOf = new Map<string, Row>();
  for (const file of files) {
    const row: Row = {
      section: 'scenarios',
      what: file.slice(file.lastIndexOf('/scenarios/') + 1),
      hog,
      runs: 0,
      failures: 0,
      timesMs: [],
      leftovers: 0,
      note: '',
    };
    rowOf.set(file, row);
    s.rows.push(row);
  }
  const rounds: Row = {
    section: 'scenarios',
    what: `all ${files.length} files (Jest runs)`,
    hog,
    runs: 0,
    failures: 0,
    timesMs: [],
    leftovers: 0,
    note: '',
  };
  const lags: number[] = [];
  s.rows.push(rounds);
  for (let i = 1; i <= s.opts.scenarioRuns && !s.ctl.interrupted; i++) {
    const before = await snapshot(s.soakTmp);
    const result = await jest(s, `scenarios ${i} of ${s.opts.scenarioRuns} hog ${hog ? 'on' : 'off'}`, [
      SCENARIO_PATTERN,
    ]);
    rounds.leftovers += await leftoversSince(s, before, 'the scenario run');
    if (!result) {
      rounds.note = INTERRUPTED_NOTE;
      break;
    }
    rounds.runs++;
    rounds.timesMs.push(result.durationMs);
    // Failures outside any file (Jest crashed, or did not exit): the round's own.
    rounds.failures += result.crashed || result.hung ? 1 : 0;
    lags.push(result.exitLagMs);
    rounds.note = `${result.passed + result.failed} tests per round; times are whole runs; leftovers are per round${lagNote(lags)}`;
    for (const [file, row] of rowOf) {
      const ran = result.failedByFile.has(file);
      row.runs++;
      // A file that should have run and did not (Jest crashed or skipped it) failed this round.
      row.failures += ran ? result.failedByFile.get(file)! : 1;
      const ms = result.durationByFile.get(file);
      if (ms !== undefined) row.timesMs.push(ms);
      row.note = "times are the file's own run";
      if (!ran && !result.crashed) s.failures.push(`scenarios: ${file}: did not run in round ${i}`);
    }
    s.failures.push(...result.failures.map((f) => `scenarios: ${f.file} › ${f.test}: ${f.message}`));
  }
}

/** Starts whose nodes refuse a directive: each must fail, naming the node and the directive. */
async function refusalsOn(s: Soak, runtime: RuntimeKind, hog: boolean): Promise<void> {
  if (s.ctl.interrupted) return;
  const row: Row = {
    section: 'refusals',
    what: `refused directive, ${runtime} 3x1`,
    hog,
    runs: 0,
    failures: 0,
    timesMs: [],
    leftovers: 0,
    note: '',
  };
  s.rows.push(row);
  const before = await snapshot(s.soakTmp);
  let named = 0;
  say(`refused directive: ${s.opts.refusals} starts on ${runtime}`);
  for (let i = 1; i <= s.opts.refusals && !s.ctl.interrupted; i++) {
    const t0 = performance.now();
    let failed: string | undefined;
    try {
      const rc = await startRedisCluster({
        runtime,
        masters: 3,
        replicas: 1,
        name: 'soak-refused',
        signal: s.ctl.abort.signal,
        redisConfig: { [REFUSED.directive]: REFUSED.value },
      });
      await rc.stop();
      failed = `started although every node refuses ${REFUSED.directive} ${REFUSED.value}`;
    } catch (err) {
      if (s.ctl.interrupted) break;
      const message = err instanceof Error ? err.message : String(err);
      if (namesNodeAndDirective(message)) named++;
      else failed = `the error does not name the node and the refused directive: ${errorLine(err)}`;
    }
    row.runs++;
    row.timesMs.push(performance.now() - t0);
    if (failed) {
      row.failures++;
      s.failures.push(`refused directive ${runtime} hog ${hog ? 'on' : 'off'}: ${failed}`);
    }
  }
  row.note = `named node and directive ${named}/${row.runs}; times are start to error`;
  row.leftovers += await leftoversSince(s, before, `the refused starts on ${runtime}`);
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SoakUsageError)) throw err;
    console.error(err.message);
    return 2;
  }
  if (opts === 'help') {
    console.log(SOAK_USAGE);
    return 0;
  }
  const t0 = performance.now();
  const load0 = loadavg()[0]!;
  // Jest's own default cache folder, taken before TMPDIR changes (a cold cache costs minutes).
  const jestCache = join(realpathSync(tmpdir()), `jest_${(process.getuid?.() ?? 0).toString(36)}`);
  // A TMPDIR of the soak's own: every process-runtime folder and local cluster under it is the soak's.
  const soakTmp = realpathSync(mkdtempSync(join(tmpdir(), 'redis-cluster-kit-soak-')));
  process.env.TMPDIR = soakTmp;
  const logDir = jestLogDir();
  mkdirSync(logDir, { recursive: true });
  const s: Soak = {
    opts,
    ctl: new Control(),
    watch: new PidWatch(),
    soakTmp,
    jestCache,
    logDir,
    rows: [],
    failures: [],
    unclaimed: [],
    removalFailures: [],
    hogReports: [],
  };
  process.on('SIGINT', () => s.ctl.interrupt('SIGINT'));
  process.on('SIGTERM', () => s.ctl.interrupt('SIGTERM'));
  process.on('exit', () => s.ctl.killChild('SIGKILL'));

  say(`sections ${opts.only.join(', ')}; TMPDIR ${soakTmp}; logs in ${logDir}`);
  let first: Resource[] | undefined;
  try {
    first = await snapshot(soakTmp);
    if (opts.only.includes('integration')) await integrationSection(s);
    if (opts.only.includes('starts')) await startsSection(s);
    if (opts.only.includes('scenarios')) await scenariosSection(s);
    if (opts.only.includes('refusals')) await refusalsSection(s);
  } catch (err) {
    s.rows.push({
      section: 'soak',
      what: 'the soak itself',
      hog: false,
      runs: 1,
      failures: 1,
      timesMs: [],
      leftovers: 0,
      note: errorLine(err),
    });
    s.failures.push(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    // Whatever is still the soak's (nothing, unless a row's check missed it), then its TMPDIR.
    try {
      const rest = first ? await leftoversSince(s, first, 'the soak') : 0;
      if (rest > 0)
        s.rows.push({
          section: 'soak',
          what: 'final check',
          hog: false,
          runs: 1,
          failures: 0,
          timesMs: [],
          leftovers: rest,
          note: 'left after every row was checked',
        });
    } finally {
      rmSync(soakTmp, { recursive: true, force: true });
    }
  }

  const failures = s.rows.reduce((n, r) => n + r.failures, 0);
  const leftovers = s.rows.reduce((n, r) => n + r.leftovers, 0);
  const hogShare = s.hogReports.length
    ? Math.round((100 * s.hogReports.reduce((n, h) => n + h.cpuMs, 0)) / s.hogReports.reduce((n, h) => n + h.wallMs, 0))
    : undefined;
  const out: string[] = [];
  out.push(
    '',
    `Soak ${new Date().toISOString()} on ${hostname()}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; load average ${load0.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end; ${formatMs(performance.now() - t0)} in all${hogShare === undefined ? '' : `; the hog used ${hogShare}% of one core while on`}`,
    '',
  );
  out.push(table(s.rows), '');
  if (s.failures.length)
    out.push('Failures (count x where: first line):', ...tally(s.failures).map((l) => `  ${l}`), '');
  if (s.unclaimed.length)
    out.push(
      `Unclaimed (new while the soak ran, owner ended, never seen as the soak's; maybe another run's, left alone): ${s.unclaimed.map(describeResource).join(', ')}`,
      '',
    );
  if (s.removalFailures.length) out.push('Could not remove:', ...s.removalFailures.map((l) => `  ${l}`), '');
  const verdict = s.ctl.interrupted
    ? `INTERRUPTED (${s.ctl.interrupted}): the table shows what ran; what the stopped runs left was removed`
    : failures + leftovers + s.removalFailures.length === 0
      ? 'PASSED: 0 failures, 0 leftovers'
      : `FAILED: ${failures} failures, ${leftovers} leftovers`;
  out.push(verdict);
  console.log(out.join('\n'));
  if (s.ctl.interrupted) return 130;
  return failures + leftovers + s.removalFailures.length === 0 ? 0 : 1;
}

if (require.main === module) {
  void main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
