import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { failureLine, firstLine, readResults } from './jest-run';
import { parseSnapshot, projectPid } from './leftovers';
import { hogSettings, parseSoakArgs, SOAK_DEFAULTS, SOAK_USAGE, SoakUsageError } from './options';
import { formatMs, namesNodeAndDirective, percentile, table, tally } from './report';

describe('the soak command line', () => {
  it('defaults to every section with the counts of issue 9', () => {
    expect(parseSoakArgs([])).toEqual({
      only: ['integration', 'starts', 'scenarios', 'refusals'],
      hog: undefined,
      integrationRuns: 2,
      cycles: 50,
      scenarioRuns: 5,
      refusals: 5,
      runtimes: ['docker', 'process'],
    });
  });

  it('takes sections, counts, runtimes and the hog', () => {
    expect(
      parseSoakArgs([
        '--only',
        'scenarios,starts',
        '--cycles',
        '5',
        '--hog',
        'off',
        '--runtimes',
        'process',
        '--scenario-runs',
        '1',
        '--refusals',
        '2',
        '--integration-runs',
        '1',
      ]),
    ).toEqual({
      only: ['starts', 'scenarios'],
      hog: 'off',
      integrationRuns: 1,
      cycles: 5,
      scenarioRuns: 1,
      refusals: 2,
      runtimes: ['process'],
    });
    expect(parseSoakArgs(['-h'])).toBe('help');
  });

  it.each([
    [['--cycles', '0'], 'Invalid option --cycles "0". Expected an integer from 1 to 1000.'],
    [['--cycles', '2.5'], 'Invalid option --cycles "2.5". Expected an integer from 1 to 1000.'],
    [['--refusals', '1001'], 'Invalid option --refusals "1001". Expected an integer from 1 to 1000.'],
    [
      ['--only', 'starts,nope'],
      'Invalid option --only "nope". Expected a comma-separated list of integration, starts, scenarios, refusals.',
    ],
    [
      ['--runtimes', 'podman'],
      'Invalid option --runtimes "podman". Expected a comma-separated list of docker, process.',
    ],
    [['--hog', 'maybe'], 'Invalid option --hog "maybe". Expected on, off or both.'],
    [['--bogus'], "Unknown option '--bogus' (see pnpm soak --help)"],
  ])('refuses %j with one line naming the value and what is allowed', (argv, message) => {
    expect(() => parseSoakArgs(argv)).toThrow(new SoakUsageError(message));
  });

  it('runs each section with its own hog settings unless --hog says otherwise (without the hog first)', () => {
    expect(hogSettings('integration', undefined)).toEqual([true]);
    expect(hogSettings('starts', undefined)).toEqual([false, true]);
    expect(hogSettings('scenarios', undefined)).toEqual([true]);
    expect(hogSettings('integration', 'both')).toEqual([false, true]);
    expect(hogSettings('starts', 'on')).toEqual([true]);
    expect(hogSettings('scenarios', 'off')).toEqual([false]);
    expect(hogSettings('refusals', undefined)).toEqual([true]);
  });

  it('shows the defaults in its help from the one defaults object', () => {
    expect(SOAK_USAGE).toContain(`(default ${SOAK_DEFAULTS.cycles})`);
    expect(SOAK_USAGE).toContain(`(default ${SOAK_DEFAULTS.scenarioRuns})`);
    expect(SOAK_USAGE).toContain(`(default ${SOAK_DEFAULTS.refusals})`);
    expect(SOAK_USAGE).toContain(`(default ${SOAK_DEFAULTS.integrationRuns})`);
  });
});

describe('the soak summary', () => {
  it('takes percentiles by nearest rank', () => {
    const xs = Array.from({ length: 20 }, (_, i) => 20 - i); // 20..1, unsorted on purpose
    expect(percentile(xs, 50)).toBe(10);
    expect(percentile(xs, 95)).toBe(19);
    expect(percentile(xs, 100)).toBe(20);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('prints one Markdown row per section and variant, "-" where no time applies', () => {
    const text = table([
      {
        section: 'starts',
        what: 'docker 3x1',
        hog: true,
        runs: 3,
        failures: 1,
        timesMs: [2800, 3100, 15_500],
        leftovers: 0,
        note: 'n',
      },
      {
        section: 'integration',
        what: 'whole project',
        hog: false,
        runs: 0,
        failures: 0,
        timesMs: [],
        leftovers: 2,
        note: '',
      },
    ]).split('\n');
    expect(text[2]).toBe('| starts | docker 3x1 | on | 3 | 1 | 3100 ms | 15.5 s | 15.5 s | 0 | n |');
    expect(text[3]).toBe('| integration | whole project | off | 0 | 0 | - | - | - | 2 |  |');
    expect(formatMs(245_000)).toBe('4m05s');
  });

  it('counts equal failures, most frequent first', () => {
    expect(tally(['b', 'a', 'b'])).toEqual(['2x b', '1x a']);
  });

  it('knows an error that names the node and the refused directive from one that does not', () => {
    // The fixture's messages on each runtime (start-failures / process-runtime integration tests).
    expect(
      namesNodeAndDirective(
        `Redis Cluster failed while starting containers: redis-server of node "redis-node-1" exited before it accepted connections: *** FATAL CONFIG FILE ERROR (Redis 7.0.15) *** | Reading the configuration file, at line 2 | >>> 'maxmemory-policy "not-a-policy"' | argument(s) must be one of the following: volatile-lru, ...`,
      ),
    ).toBe(true);
    expect(
      namesNodeAndDirective(
        `Redis Cluster failed while starting redis-server processes: redis-server of node "redis-node-2" exited before it accepted connections: *** FATAL CONFIG FILE ERROR *** | >>> 'maxmemory-policy not-a-policy'`,
      ),
    ).toBe(true);
    // Issue 9's failure under load: the node's error lost to the port wait.
    expect(
      namesNodeAndDirective(
        'Redis Cluster failed while starting containers: Timed out after 10000ms while waiting for container ports to be bound to the host. Everything started was removed.',
      ),
    ).toBe(false);
    expect(
      namesNodeAndDirective(
        'Redis Cluster was not ready within 60000 ms (startupTimeoutMs) while forming: node "redis-node-1" is the slowest: down',
      ),
    ).toBe(false);
  });
});

describe('what the soak reads back', () => {
  it('reads leftovers.sh snapshot lines and the pid in a Compose test project name', () => {
    expect(parseSnapshot('container abc redis-cluster-kit-x-redis-node-1\nprocess-folder /tmp/a b/c a b\n\n')).toEqual([
      { kind: 'container', id: 'abc', name: 'redis-cluster-kit-x-redis-node-1' },
      { kind: 'process-folder', id: '/tmp/a', name: 'b/c a b' },
    ]);
    expect(projectPid('rck-4242-9f00aa11')).toBe(4242);
    expect(projectPid('redis-cluster-kit-abc')).toBeUndefined();
  });

  it("reads Jest's JSON results per file, and a run without results as a crash", () => {
    const dir = mkdtempSync(join(tmpdir(), 'soak-test-'));
    try {
      const root = resolve(__dirname, '../..');
      const file = join(dir, 'r.json');
      writeFileSync(
        file,
        JSON.stringify({
          numPassedTests: 3,
          numFailedTests: 1,
          numRuntimeErrorTestSuites: 1,
          testResults: [
            {
              name: join(root, 'a/scenarios/x.int.test.ts'),
              status: 'failed',
              message: '',
              startTime: 1000,
              endTime: 4500,
              assertionResults: [
                {
                  fullName: 'x fails',
                  status: 'failed',
                  failureMessages: [
                    '\n  Error: Too many Cluster redirections. Last error: Error: Connection is closed.\n    at foo',
                  ],
                },
                { fullName: 'x ok', status: 'passed', failureMessages: [] },
              ],
            },
            {
              name: join(root, 'b/y.int.test.ts'),
              status: 'failed',
              message: '\u001b[1mTest suite failed to run\u001b[22m\n\n  SyntaxError',
              assertionResults: [],
            },
          ],
        }),
      );
      const r = readResults(file, 1000, 5);
      expect(r).toMatchObject({
        passed: 3,
        failed: 2,
        crashed: false,
        files: ['a/scenarios/x.int.test.ts', 'b/y.int.test.ts'],
        exitLagMs: 5,
      });
      expect([...r.failedByFile]).toEqual([
        ['a/scenarios/x.int.test.ts', 1],
        ['b/y.int.test.ts', 1],
      ]);
      expect(r.durationByFile.get('a/scenarios/x.int.test.ts')).toBe(3500);
      expect(r.failures).toEqual([
        {
          file: 'a/scenarios/x.int.test.ts',
          test: 'x fails',
          message: 'Error: Too many Cluster redirections. Last error: Error: Connection is closed.',
        },
        { file: 'b/y.int.test.ts', test: '(the file)', message: 'Test suite failed to run' },
      ]);
      expect(readResults(join(dir, 'missing.json'), 1000)).toMatchObject({ crashed: true, failed: 1 });
      // Results written, but Jest had to be killed: one more failure, said so.
      const hung = readResults(file, 1000, 60_000, true);
      expect(hung).toMatchObject({ failed: 3, hung: true });
      expect(hung.failures.at(-1)?.message).toMatch(/^Jest did not exit 60 s after writing its results/);
      expect(firstLine('')).toBe('(no message)');
      // A matcher's failure says what went wrong further down: the first line naming an error.
      const matcher =
        'Error: expect(received).toEqual(expected) // deep equality\n\n- Expected  - 1\n+ Received  + 9\n\n-   Array []\n+   Object {\n+     "error": "Too many Cluster redirections. Last error: ReplyError: MOVED 84 redis-node-1:13359",\n    at Object.<anonymous> (x.ts:1:1)';
      expect(failureLine(matcher)).toBe(
        'Error: expect(received).toEqual(expected) // deep equality ... "error": "Too many Cluster redirections. Last error: ReplyError: MOVED 84 redis-node-1:13359",',
      );
      expect(failureLine('\n  Error: boom\n    at x')).toBe('Error: boom');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
