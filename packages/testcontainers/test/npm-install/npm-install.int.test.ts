/**
 * The packages the way npm users meet them: `pnpm pack` of the three packages, `npm install` of
 * the tarballs into fresh projects that already have their own ioredis (5 and 6), and there a
 * Jest suite with a `module: commonjs` tsconfig (moduleResolution node10) and one with
 * `nodenext`, a Vitest suite of 7 files on 2 forks, both from the README's config lines
 * (project/jest.config.js, project/vitest.config.mjs, checked against the README by
 * scripts/docs.test.ts), a typecheck of every entry point with moduleResolution bundler
 * (project/bundler/entries.ts), a plain ESM and a CommonJS script, and `npx redis-cluster-compose`.
 * Every run of a project uses the same cluster options with REDIS_CLUSTER_REUSE=1, so the
 * project starts one cluster and the other runs attach to it.
 *
 * npm downloads into a cache of its own (RCK_NPM_CACHE, default .cache/npm at the repository's
 * root), and installs with --prefer-offline: once the cache holds the pinned versions, installs
 * need no registry. The versions are the workspace's own pins (package.json, pnpm-workspace.yaml).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { removeKeptClusters } from '../../src/index';
import { runProcess, type ProcessRun } from '../helpers/run-process';

// A hang guard, not a measure: four install or run steps' own limit (STEP_TIMEOUT_MS below).
jest.setTimeout(1_200_000);

const ROOT = resolve(__dirname, '../../../..');
const PROJECT_FILES = join(__dirname, 'project');
const VITEST_SUITE = join(__dirname, '../vitest-suite');
const NPM_CACHE = process.env['RCK_NPM_CACHE'] ?? join(ROOT, '.cache/npm');
/** One npm install or test run that has not ended after this long is killed. */
const STEP_TIMEOUT_MS = 300_000;
/** The cluster options every run of a project uses (its jest.config globals, vitest.config provide, scripts). */
const PROOF_OPTIONS = { masters: 3, replicas: 0, namePrefix: 'npm-proof' };
const IOREDIS_VERSIONS = ['5.9.3', '6.0.0'];

const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const catalog = (parse(readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8')) as { catalog: Record<string, string> })
  .catalog;
/** The workspace's pin of a package. */
function pinned(name: string): string {
  const version = rootPackage.devDependencies[name] ?? catalog[name];
  if (version === undefined || !/^\d/.test(version)) throw new Error(`no pinned version of ${name} in the workspace`);
  return version;
}

let work: string;
let tarballs: string[];

function ok(run: ProcessRun, what: string): string {
  if (run.code !== 0) throw new Error(`${what} failed (exit code ${run.code}):\n${run.output.slice(-4000)}`);
  return run.output;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'rck-npm-'));
  const packs = join(work, 'packs');
  for (const pkg of ['plan', 'compose', 'testcontainers']) {
    ok(
      await runProcess('pnpm', ['pack', '--pack-destination', packs], {
        cwd: join(ROOT, 'packages', pkg),
        killAfterMs: STEP_TIMEOUT_MS,
      }),
      `pnpm pack of ${pkg}`,
    );
  }
  tarballs = readdirSync(packs).map((f) => join(packs, f));
});

afterAll(async () => {
  await removeKeptClusters(PROOF_OPTIONS);
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

test('the tarballs hold only what users need: compiled code, types, templates, the bin', async () => {
  for (const tarball of tarballs) {
    const files = ok(await runProcess('tar', ['tzf', tarball], { cwd: work, killAfterMs: 30_000 }), 'tar')
      .trim()
      .split('\n');
    const unexpected = files.filter(
      (f) =>
        !/^package\/(package\.json|README\.md|LICENSE)$/.test(f) &&
        !/^package\/dist\/.+\.(js|mjs|d\.ts|d\.mts|hbs)$/.test(f) &&
        !/^package\/bin\/[\w-]+\.js$/.test(f),
    );
    expect({ tarball, unexpected }).toEqual({ tarball, unexpected: [] });
    expect(files.some((f) => /\.test\.|\.map$|\/src\//.test(f))).toBe(false);
  }
});

describe.each(IOREDIS_VERSIONS)('installed with npm beside the user’s ioredis %s', (ioredisVersion) => {
  let project: string;
  /** Run a command of the project, with the kept cluster shared by every run. */
  const run = (command: string, args: string[], env: Record<string, string> = {}) =>
    runProcess(command, args, {
      cwd: project,
      env: { REDIS_CLUSTER_REUSE: '1', NO_COLOR: '1', npm_config_cache: NPM_CACHE, ...env },
      killAfterMs: STEP_TIMEOUT_MS,
    });

  beforeAll(async () => {
    project = join(work, `ioredis-${ioredisVersion}`);
    cpSync(PROJECT_FILES, project, { recursive: true });
    cpSync(VITEST_SUITE, join(project, 'vitest'), {
      recursive: true,
      filter: (src) => !/(vitest\.config\.mts|package\.json|watch-rerun\.mjs|timed-global-setup\.ts)$/.test(src),
    });
    const devDependencies: Record<string, string> = { ioredis: ioredisVersion };
    for (const name of ['jest', 'ts-jest', 'typescript', '@types/jest', '@types/node', 'vitest', 'vite'])
      devDependencies[name] = pinned(name);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, devDependencies }, null, 2),
    );
    // First what the user had, then the kit's tarballs, as a user adds them.
    const flags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
    ok(await run('npm', ['install', ...flags]), `npm install (ioredis ${ioredisVersion})`);
    ok(await run('npm', ['install', '--save-dev', ...flags, ...tarballs]), 'npm install of the tarballs');
  });

  test('npm ls shows one ioredis: the user’s', async () => {
    const tree = JSON.parse(
      ok(await run('npm', ['ls', 'ioredis', '--all', '--json', '--loglevel=error']), 'npm ls'),
    ) as Tree;
    interface Tree {
      version?: string;
      dependencies?: Record<string, Tree>;
    }
    const versions = new Set<string>();
    const walk = (node: Tree) => {
      for (const [name, dep] of Object.entries(node.dependencies ?? {})) {
        if (name === 'ioredis' && dep.version !== undefined) versions.add(dep.version);
        walk(dep);
      }
    };
    walk(tree);
    expect([...versions]).toEqual([ioredisVersion]);
  });

  test.each(['node10', 'nodenext'])('Jest + ts-jest with a %s tsconfig: a shared cluster', async (resolution) => {
    const output = ok(await run('npx', ['jest', '--config', `jest.${resolution}.config.js`, '--ci']), 'jest');
    // first, second and the README's test file.
    expect(output).toMatch(/Tests:\s+3 passed, 3 total/);
  });

  test('Vitest: 7 files on 2 forks sharing one cluster', async () => {
    const output = ok(await run('npx', ['vitest', 'run', '--config', 'vitest.proof.config.mjs']), 'vitest');
    // The 6 files of test/vitest-suite (11 tests) and the README's test file.
    expect(output).toMatch(/Test Files\s+7 passed \(7\)/);
    expect(output).toMatch(/Tests\s+12 passed \(12\)/);
  });

  test('TypeScript with moduleResolution bundler: every entry point typed', async () => {
    // bundler/entries.ts imports every entry and expects its types to refuse mistakes.
    ok(await run('npx', ['tsc', '-p', 'tsconfig.bundler.json']), 'tsc with moduleResolution bundler');
  });

  test.each(['script.mjs', 'script.cjs'])('a plain %s script', async (script) => {
    const output = ok(await run('node', [script]), script);
    const result = JSON.parse(output.trim().split('\n').at(-1)!) as { value: string; sameIoredis: boolean };
    expect(result).toMatchObject({ value: 'v', sameIoredis: true });
  });

  test('npx redis-cluster-compose: --help, and a set-up written from the installed templates', async () => {
    expect(ok(await run('npx', ['redis-cluster-compose', '--help']), '--help')).toContain(
      'Usage: redis-cluster-compose',
    );
    ok(await run('npx', ['redis-cluster-compose', '--out', 'compose-setup']), 'generate');
    for (const file of ['compose.yaml', 'cluster.json', 'init-cluster.sh', 'README.md'])
      expect([file, existsSync(join(project, 'compose-setup', file))]).toEqual([file, true]);
  });
});
