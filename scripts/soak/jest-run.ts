/**
 * One run of the integration project (or of the files matching patterns), as its own process:
 * the way CI runs it (one file at a time, `--ci`), with Jest's JSON results read back. Files are
 * picked by path patterns (`--testPathPatterns`), never by a source path, so moving test files
 * between folders does not break the soak.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const JEST = require.resolve('jest/bin/jest', { paths: [ROOT] });
/** The colour codes of Jest's output (ESC [ ... m). */
// eslint-disable-next-line no-control-regex -- ESC, a control character, is what starts one
const COLOURS = /\u001b\[[0-9;]*m/g;

/** One failing test (or a file that failed to run): where, and the first line of why. */
export interface TestFailure {
  file: string;
  test: string;
  message: string;
}

export interface JestRunResult {
  passed: number;
  failed: number;
  /** Per test file (relative to the repository): failing tests (a file that did not run counts 1). */
  failedByFile: Map<string, number>;
  /** Per test file: how long it ran (its start and end in Jest's results). */
  durationByFile: Map<string, number>;
  files: string[];
  failures: TestFailure[];
  durationMs: number;
  /**
   * From Jest writing its results to its exit: more than ~1 s means open handles kept it
   * alive ("Jest did not exit one second after the test run has completed").
   */
  exitLagMs: number;
  /** Jest did not write its results: it crashed or was killed. */
  crashed: boolean;
  /** Jest had not exited {@link JEST_EXIT_GRACE_MS} after writing its results and was killed (a CI run would hang). */
  hung: boolean;
}

/**
 * How long Jest may stay alive after writing its results before the soak kills it. Jest warns
 * after 1 s ("did not exit one second after the test run has completed"); single scenario files
 * that did exit took up to ~12 s under the hog on a busy machine; a full in-band run was seen
 * not to exit at all (still alive 22 minutes after its results). 60 s is 5x the longest lag
 * that ended by itself.
 */
export const JEST_EXIT_GRACE_MS = 60_000;

/** The first line of a failure message that says something (Jest's start with blank lines). */
export function firstLine(text: string): string {
  const line = text
    .replace(COLOURS, '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return (line ?? '(no message)').slice(0, 300);
}

/**
 * A failing test's message on one line: its first line, and for a matcher's failure ("expect(received)
 * ..."), which says nothing by itself, the first later line that names an error (e.g. a recorded
 * `"error": "Too many Cluster redirections. ..."`).
 */
export function failureLine(text: string): string {
  const first = firstLine(text);
  if (!/expect\(/.test(first)) return first;
  const lines = text
    .replace(COLOURS, '')
    .split('\n')
    .map((l) => l.trim());
  const detail = lines.slice(lines.findIndex((l) => l.length > 0) + 1).find((l) => /error/i.test(l) && !/^at /.test(l));
  return detail
    ? `${first} ... ${detail
        .replace(/^[+-]\s*/, '')
        .replace(/\s+/g, ' ')
        .slice(0, 200)}`
    : first;
}

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numRuntimeErrorTestSuites: number;
  testResults: {
    name: string;
    status: string;
    message: string;
    startTime?: number;
    endTime?: number;
    assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
  }[];
}

/** Reads Jest's `--json` results; undefined when there are none (a crash or a kill). */
export function readResults(jsonFile: string, durationMs: number, exitLagMs = 0, hung = false): JestRunResult {
  const text = existsSync(jsonFile) ? readFileSync(jsonFile, 'utf8') : '';
  if (!text)
    return {
      passed: 0,
      failed: 1,
      failedByFile: new Map(),
      files: [],
      durationByFile: new Map(),
      failures: [{ file: '-', test: '-', message: 'no Jest results: the run crashed or was stopped' }],
      durationMs,
      exitLagMs,
      crashed: true,
      hung,
    };
  const r = JSON.parse(text) as JestJson;
  const failedByFile = new Map<string, number>();
  const durationByFile = new Map<string, number>();
  const failures: TestFailure[] = [];
  const files: string[] = [];
  for (const file of r.testResults) {
    const rel = relative(ROOT, file.name);
    files.push(rel);
    const failing = file.assertionResults.filter((a) => a.status === 'failed');
    for (const a of failing)
      failures.push({ file: rel, test: a.fullName, message: failureLine(a.failureMessages.join('\n')) });
    // A file that failed outside any test (it did not compile, a hook threw): counted once.
    const fileError = file.status === 'failed' && failing.length === 0;
    if (fileError) failures.push({ file: rel, test: '(the file)', message: firstLine(file.message) });
    failedByFile.set(rel, failing.length + (fileError ? 1 : 0));
    if (file.startTime !== undefined && file.endTime !== undefined)
      durationByFile.set(rel, file.endTime - file.startTime);
  }
  if (hung)
    failures.push({
      file: '-',
      test: '(Jest itself)',
      message: `Jest did not exit ${JEST_EXIT_GRACE_MS / 1000} s after writing its results (open handles: a CI run would hang); killed`,
    });
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + r.numRuntimeErrorTestSuites + (hung ? 1 : 0),
    failedByFile,
    durationByFile,
    files,
    failures,
    durationMs,
    exitLagMs,
    crashed: false,
    hung,
  };
}

export interface JestRunOptions {
  /** Jest path patterns (regular expressions); none: the whole project. */
  patterns?: string[];
  /** Where Jest's output goes. */
  logFile: string;
  jsonFile: string;
  /** Jest's cache (the soak's TMPDIR would otherwise give it a cold one). */
  cacheDirectory: string;
  /** Told the child once it runs (the soak records it and its descendants). */
  onSpawn: (child: ChildProcess) => void;
  /** A line of progress (each file's PASS / FAIL). */
  progress: (line: string) => void;
}

/**
 * Runs Jest's integration project. Its own process group: Ctrl-C reaches the soak only, which
 * then stops Jest (SIGINT to the group) and cleans up after it in order.
 */
export function runJest(opts: JestRunOptions): Promise<JestRunResult> {
  const args = [
    JEST,
    '--ci',
    '--selectProjects',
    'integration',
    '--runInBand',
    '--json',
    '--outputFile',
    opts.jsonFile,
    '--cacheDirectory',
    opts.cacheDirectory,
  ];
  if (opts.patterns?.length) args.push('--testPathPatterns', ...opts.patterns);
  const t0 = performance.now();
  const log = createWriteStream(opts.logFile);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  opts.onSpawn(child);
  child.stdout.pipe(log, { end: false });
  let pending = '';
  let resultsAt: number | undefined;
  let hangTimer: NodeJS.Timeout | undefined;
  let hung = false;
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const plain = line.replace(COLOURS, '');
      if (/^(PASS|FAIL) /.test(plain)) opts.progress(plain.replace(/^(PASS|FAIL) +integration +/, '$1 '));
      if (plain.startsWith('Test results written to') && resultsAt === undefined) {
        resultsAt = performance.now();
        hangTimer = setTimeout(() => {
          hung = true;
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // ended meanwhile
          }
        }, JEST_EXIT_GRACE_MS);
      }
    }
  });
  return new Promise((done) => {
    child.on('close', () => {
      log.end();
      clearTimeout(hangTimer);
      const end = performance.now();
      done(readResults(opts.jsonFile, end - t0, resultsAt === undefined ? 0 : end - resultsAt, hung));
    });
  });
}

/** The integration test files whose paths match `patterns` (Jest's own --listTests: the same selection as a run). */
export async function listTests(patterns: string[], cacheDirectory: string): Promise<string[]> {
  const child = spawn(
    process.execPath,
    [
      JEST,
      '--selectProjects',
      'integration',
      '--listTests',
      '--cacheDirectory',
      cacheDirectory,
      '--testPathPatterns',
      ...patterns,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`jest --listTests failed: ${firstLine(err)}`);
  return out
    .split('\n')
    .filter((l) => l.startsWith('/'))
    .map((l) => relative(ROOT, l))
    .sort();
}

export const jestLogDir = (root = ROOT) => join(root, '.soak');
