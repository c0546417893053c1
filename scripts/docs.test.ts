/**
 * The docs in step with the code: every generated block is what `pnpm gen:docs` would write now,
 * every relative link and heading anchor of README.md and docs/*.md exists, and so does every
 * repository path they name; the Jest and Vitest lines of README.md and docs/testing.md are the
 * files the npm-install proof runs.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DEFAULT_PLAN_OPTIONS } from '@redis-cluster-kit/plan';
import {
  docFiles,
  DOCS_DIR,
  headingAnchors,
  optionsTable,
  pathExists,
  README,
  relativeLinks,
  renderDocs,
  replaceSection,
  repositoryEntries,
  repositoryPaths,
  ROOT,
} from './docs';

const pages = docFiles().map((file) => ({ file, name: relative(ROOT, file), text: readFileSync(file, 'utf8') }));

describe('the docs', () => {
  it('hold every generated block as the code makes it now (run `pnpm gen:docs` to refresh)', async () => {
    for (const { file, current, rendered } of await renderDocs()) {
      expect({ file: relative(ROOT, file), text: current }).toEqual({ file: relative(ROOT, file), text: rendered });
    }
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of relativeLinks(page.text)) {
        const [target, anchor] = link.split('#') as [string, string | undefined];
        const file = target === '' ? page.file : resolve(dirname(page.file), decodeURI(target));
        let text: string | undefined;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          // A folder is a fine target; anything else that cannot be read is a broken link.
          if ((err as NodeJS.ErrnoException).code !== 'EISDIR') broken.push(`${page.name}: ${link}`);
          continue;
        }
        if (anchor !== undefined && !headingAnchors(text).has(anchor))
          broken.push(`${page.name}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('name only repository paths that exist', () => {
    const entries = repositoryEntries();
    const missing = pages.flatMap((page) =>
      repositoryPaths(page.text)
        .filter((path) => !pathExists(path, entries))
        .map((path) => `${page.name}: ${path}`),
    );
    expect(missing).toEqual([]);
  });

  it('are all linked from the README, which stays a page a newcomer reads to the end (under 200 lines)', () => {
    const readme = pages.find((p) => p.file === README)!;
    const linked = new Set(relativeLinks(readme.text).map((l) => l.split('#')[0]));
    const unlinked = pages
      .filter((p) => dirname(p.file) === DOCS_DIR)
      .map((p) => `docs/${basename(p.file)}`)
      .filter((p) => !linked.has(p));
    expect(unlinked).toEqual([]);
    expect(readme.text.split('\n').length).toBeLessThan(200);
  });
});

/** The user's project that the npm-install proof (packages/testcontainers/test/npm-install) installs and runs. */
const PROOF_PROJECT = join(ROOT, 'packages/testcontainers/test/npm-install/project');
/** The README's lines that the proof runs: its Jest and Vitest configs and test files, as they are. */
const PROOF_FILES = ['jest.config.js', 'vitest.config.mjs', 'jest/readme.test.ts', 'vitest/readme.test.ts'];

/** Code without its comment-only lines (a file's name, where it comes from), trailing spaces and blank ends. */
function codeLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n')
    .trim();
}

/** The fenced code blocks of a Markdown page, as codeLines(). */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[\w-]*\n([\s\S]*?)^```$/gm)].map((m) => codeLines(m[1]!));
}

describe.each(['README.md', 'docs/testing.md'])("%s's Jest and Vitest lines", (page) => {
  const blocks = codeBlocks(readFileSync(join(ROOT, page), 'utf8'));

  it.each(PROOF_FILES)('hold %s of the npm-install proof, word for word', (file) => {
    expect(blocks).toContain(codeLines(readFileSync(join(PROOF_PROJECT, file), 'utf8')));
  });
});

describe('what the docs check reads', () => {
  it('compares code blocks with files without their comment-only lines', () => {
    const md = ['Text', '```js', '// jest.config.js', 'module.exports = {}; // kept  ', '```', '```', 'b', '```'].join(
      '\n',
    );
    expect(codeBlocks(md)).toEqual(['module.exports = {}; // kept', 'b']);
    expect(codeLines('// from the README\n\nmodule.exports = {}; // kept\n')).toBe('module.exports = {}; // kept');
  });

  it('replaces only the body between the markers', () => {
    const text = 'a\n<!-- x:start note -->\nold\n<!-- x:end -->\nb\n';
    expect(replaceSection(text, 'x', 'new')).toBe('a\n<!-- x:start note -->\nnew\n<!-- x:end -->\nb\n');
    expect(() => replaceSection(text, 'y', 'new', 'docs/x.md')).toThrow('docs/x.md has no "y" section markers');
  });

  it('finds relative links outside code, and leaves URLs out', () => {
    const md = [
      'See [the CLI](docs/cli.md#errors), [`faults.md`](faults.md) and [a site](https://example.org/x).',
      '`[not](a-link.md)`',
      '```md',
      '[in a block](block.md)',
      '```',
    ].join('\n');
    expect(relativeLinks(md)).toEqual(['docs/cli.md#errors', 'faults.md']);
  });

  it("gives headings GitHub's anchors, numbering repeated ones", () => {
    const md =
      '# Title\n## Without Docker: `--target local`\n## 1. The fixture: `startRedisCluster()`\n## Usage\n## Usage\n';
    expect([...headingAnchors(md)]).toEqual([
      'title',
      'without-docker---target-local',
      '1-the-fixture-startrediscluster',
      'usage',
      'usage-1',
    ]);
  });

  it('finds repository paths in prose and code, and checks them with globs and braces', () => {
    const md = [
      'Run `bash scripts/test.sh`; see packages/plan/src/plan.ts.',
      "require('./compose/redis-cluster/cluster.json') and https://github.com/x/packages/y, not local/redis-cluster/",
      'Tests: `packages/testcontainers/src/{abort,reuse}.int.test.ts`, `packages/*/etc/*.api.md`.',
    ].join('\n');
    const paths = repositoryPaths(md);
    expect(paths).toEqual([
      'scripts/test.sh',
      'packages/plan/src/plan.ts',
      'compose/redis-cluster/cluster.json',
      'packages/testcontainers/src/{abort,reuse}.int.test.ts',
      'packages/*/etc/*.api.md',
    ]);
    const entries = [
      'scripts/',
      'scripts/test.sh',
      'packages/',
      'packages/plan/',
      'packages/plan/etc/plan.api.md',
      'packages/testcontainers/src/abort.int.test.ts',
    ];
    expect(pathExists('scripts/test.sh', entries)).toBe(true);
    expect(pathExists('packages/plan', entries)).toBe(true);
    expect(pathExists('packages/plan/', entries)).toBe(true);
    expect(pathExists('scripts/test.sh/', entries)).toBe(false);
    expect(pathExists('packages/*/etc/*.api.md', entries)).toBe(true);
    expect(pathExists('packages/**/*.int.test.ts', entries)).toBe(true);
    expect(pathExists('packages/testcontainers/src/{abort,reuse}.int.test.ts', entries)).toBe(false);
    expect(pathExists('scripts/build-redis-image.sh', entries)).toBe(false);
  });

  it('renders an options table from TSDoc, one line per option', () => {
    expect(
      optionsTable([
        { name: 'masters', text: 'Number of masters.', default: '3' },
        { name: 'clusterOptions', text: 'ioredis options, `a | b`.', default: undefined },
        { name: 'image', text: 'The image.', default: '`IMAGE`, else `DEFAULT_PLAN_OPTIONS.image`' },
      ]),
    ).toBe(
      [
        '| option | default | what it does |',
        '| --- | --- | --- |',
        '| `masters` | 3 | Number of masters. |',
        '| `clusterOptions` | - | ioredis options, `a \\| b`. |',
        `| \`image\` | \`IMAGE\`, else \`DEFAULT_PLAN_OPTIONS.image\` (\`"${DEFAULT_PLAN_OPTIONS.image}"\`) | The image. |`,
        '',
      ].join('\n'),
    );
  });
});
