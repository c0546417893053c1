/**
 * The generated blocks of the docs: the text between `<!-- NAME:start ... -->` and
 * `<!-- NAME:end -->` is computed from the code, so that it cannot drift from it.
 *
 *   cli-help          docs/cli.md      `redis-cluster-compose --help` (which reads the plan's defaults)
 *   fixture-options   docs/fixture.md  startRedisCluster()'s options: RedisClusterOptions' TSDoc and @default
 *   fixture-defaults  docs/fixture.md  DEFAULT_FIXTURE_OPTIONS: every key, its value and its TSDoc
 *   jest-options      docs/fixture.md  useRedisCluster()'s options: UseRedisClusterOptions' TSDoc and @default
 *   engines           docs/testing.md  scripts/engines.json
 *
 *   pnpm gen:docs    # rewrite every block (scripts/docs.test.ts fails when one is stale)
 *
 * Also here, for that test: what README.md and docs/*.md link to and name (relative links, heading
 * anchors, repository paths), so that it can check that each exists.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { main } from '@redis-cluster-kit/compose';
import { DEFAULT_PLAN_OPTIONS } from '@redis-cluster-kit/plan';
import { DEFAULT_FIXTURE_OPTIONS } from '@redis-cluster-kit/testcontainers';

export const ROOT = join(__dirname, '..');
export const README = join(ROOT, 'README.md');
export const DOCS_DIR = join(ROOT, 'docs');
const FIXTURE_OPTIONS_FILE = join(ROOT, 'packages/testcontainers/src/options.ts');
const JEST_FILE = join(ROOT, 'packages/testcontainers/src/test-runner/file-session.ts');
const ENGINES_FILE = join(ROOT, 'scripts/engines.json');

/** A generated block: its name (the markers' NAME), the file it is in, and how it is made. */
export interface DocBlock {
  name: string;
  file: string;
  render: () => string | Promise<string>;
}

export const DOC_BLOCKS: readonly DocBlock[] = [
  { name: 'cli-help', file: join(DOCS_DIR, 'cli.md'), render: cliHelpSection },
  {
    name: 'fixture-options',
    file: join(DOCS_DIR, 'fixture.md'),
    render: () => optionsTable(documentedProperties(FIXTURE_OPTIONS_FILE, 'RedisClusterOptions')),
  },
  { name: 'fixture-defaults', file: join(DOCS_DIR, 'fixture.md'), render: fixtureDefaultsTable },
  {
    name: 'jest-options',
    file: join(DOCS_DIR, 'fixture.md'),
    render: () => optionsTable(documentedProperties(JEST_FILE, 'UseRedisClusterOptions')),
  },
  { name: 'engines', file: join(DOCS_DIR, 'testing.md'), render: enginesTable },
];

/** Replace the body of block `name` in `text` (the content of `file`); throws if its markers are missing. */
export function replaceSection(text: string, name: string, body: string, file = 'the text'): string {
  const block = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!block.test(text)) throw new Error(`${file} has no "${name}" section markers`);
  return text.replace(
    block,
    (_m, open: string, close: string) => `${open}${body.endsWith('\n') ? body : `${body}\n`}${close}`,
  );
}

/** Every file that has generated blocks: its text now, and with every block rendered afresh. */
export async function renderDocs(): Promise<{ file: string; current: string; rendered: string }[]> {
  const files = [...new Set(DOC_BLOCKS.map((b) => b.file))];
  return Promise.all(
    files.map(async (file) => {
      const current = readFileSync(file, 'utf8');
      let rendered = current;
      for (const block of DOC_BLOCKS.filter((b) => b.file === file)) {
        rendered = replaceSection(rendered, block.name, await block.render(), relative(ROOT, file));
      }
      return { file, current, rendered };
    }),
  );
}

/** The CLI reference exactly as `redis-cluster-compose --help` prints it. */
export async function cliHelpSection(): Promise<string> {
  let out = '';
  await main(['--help'], { stdout: (t) => (out += t), stderr: () => undefined, env: {} });
  return `\`\`\`text\n${out.trimEnd()}\n\`\`\`\n`;
}

/** A property of an interface or of a constant's object literal, with its TSDoc. */
export interface DocumentedProperty {
  name: string;
  /** The TSDoc's text without its tags, on one line. */
  text: string;
  /** The `@default` tag's text, on one line; undefined when there is none. */
  default: string | undefined;
}

/**
 * The properties of `owner` in `file`, in their order, with their TSDoc: the members of an
 * interface, or of the object literal a constant is made of (`Object.freeze({ ... })` too).
 * Read from the source with TypeScript's parser, as an editor shows them.
 */
export function documentedProperties(file: string, owner: string): DocumentedProperty[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  let members: readonly ts.Node[] | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node) && node.name.text === owner) members = node.members;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === owner) {
      let init = node.initializer;
      if (init && ts.isCallExpression(init)) init = init.arguments[0];
      if (init && ts.isObjectLiteralExpression(init)) members = init.properties;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (!members) throw new Error(`${relative(ROOT, file)} has no interface or object constant "${owner}"`);
  return members.map((member) => {
    const name = ts.getNameOfDeclaration(member as ts.Declaration);
    const doc = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc).at(-1);
    if (!name || !ts.isIdentifier(name) || !doc)
      throw new Error(`${relative(ROOT, file)}: a property of ${owner} has no name or no TSDoc`);
    const tag = doc.tags?.find((t) => t.tagName.text === 'default');
    return {
      name: name.text,
      text: oneLine(ts.getTextOfJSDocComment(doc.comment) ?? ''),
      default: tag ? oneLine(ts.getTextOfJSDocComment(tag.comment) ?? '') : undefined,
    };
  });
}

/** TSDoc text as one line of Markdown: list items and lines joined, `{@link X}` as code. */
function oneLine(text: string): string {
  return text
    .replace(/\{@link\s+([^}\s|]+)[^}]*\}/g, '`$1`')
    .replace(/\n\s*-\s+/g, ' ')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** A Markdown table; `|` in a cell is escaped. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

/**
 * An options interface as a table: option, default, what its TSDoc says. A default that names the
 * plan's constant (`DEFAULT_PLAN_OPTIONS.image`) also shows that constant's value.
 */
export function optionsTable(properties: readonly DocumentedProperty[]): string {
  const plan = DEFAULT_PLAN_OPTIONS as Readonly<Record<string, unknown>>;
  const withValue = (text: string) =>
    text.replace(/`DEFAULT_PLAN_OPTIONS\.(\w+)`/g, (ref, key: string) => `${ref} (\`${JSON.stringify(plan[key])}\`)`);
  return table(
    ['option', 'default', 'what it does'],
    properties.map((p) => [`\`${p.name}\``, p.default === undefined ? '-' : withValue(p.default), p.text]),
  );
}

/** DEFAULT_FIXTURE_OPTIONS as a table: every key, its value (from the constant itself) and its TSDoc. */
export function fixtureDefaultsTable(): string {
  const documented = documentedProperties(FIXTURE_OPTIONS_FILE, 'DEFAULT_FIXTURE_OPTIONS');
  const values = DEFAULT_FIXTURE_OPTIONS as Readonly<Record<string, unknown>>;
  const keys = Object.keys(values);
  const names = documented.map((p) => p.name);
  if (keys.join() !== names.join())
    throw new Error(`DEFAULT_FIXTURE_OPTIONS has the keys ${keys.join(', ')}, its source ${names.join(', ')}`);
  return table(
    ['key', 'value', 'the default of'],
    documented.map((p) => [`\`${p.name}\``, `\`${JSON.stringify(values[p.name])}\``, p.text]),
  );
}

interface Engine {
  engine: string;
  version: string;
  image: string;
  suite: string;
  from: 'host' | 'rootfs';
  packages: string[];
  server: string;
}

/** The image scripts/test.sh's main integration run uses (its REDIS_CLUSTER_IMAGE default); every other engine gets a lean pass. */
export function mainTestImage(): string {
  const match = /REDIS_CLUSTER_IMAGE="\$\{REDIS_CLUSTER_IMAGE:-([^}]+)\}"/.exec(
    readFileSync(join(ROOT, 'scripts/test.sh'), 'utf8'),
  );
  if (!match) throw new Error('scripts/test.sh sets no default REDIS_CLUSTER_IMAGE');
  return match[1]!;
}

/** scripts/engines.json as a table: image, engine, Debian packages, how the image is made. */
export function enginesTable(): string {
  const { engines } = JSON.parse(readFileSync(ENGINES_FILE, 'utf8')) as { engines: Engine[] };
  const made = {
    host: "the host's packages, which are installed on the host too (the process runtime and the local target run them)",
    rootfs: "a root filesystem of that suite (its libc is newer than the host's), made by `mmdebstrap`",
  };
  const main = mainTestImage();
  // What scripts/test.sh runs on each engine (its "the other engines" section).
  const tested = (e: Engine) =>
    e.image === main
      ? "every test (the main integration run: both runtimes, the process runtime with the host's `redis-server`)"
      : 'Docker runtime: the API tests and fault scenarios, the lean Compose end-to-end test' +
        (e.from === 'host' ? `; process runtime with \`${e.server}\`: the API tests and fault scenarios` : '');
  return table(
    ['image', 'engine', 'Debian packages', 'the image is made of', 'tested in CI (`scripts/test.sh`)'],
    engines.map((e) => [
      `\`${e.image}\``,
      `${e.engine[0]!.toUpperCase()}${e.engine.slice(1)} ${e.version}`,
      `${e.packages.map((p) => `\`${p}\``).join(', ')} (${e.suite})`,
      made[e.from],
      tested(e),
    ]),
  );
}

// --- what the docs link to and name -----------------------------------------------------

/** README.md and every page of docs/. */
export function docFiles(): string[] {
  const pages = readdirSync(DOCS_DIR)
    .filter((f) => f.endsWith('.md'))
    .sort();
  return [README, ...pages.map((f) => join(DOCS_DIR, f))];
}

/** Markdown without its fenced code blocks. */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, '');
}

/** The targets of a page's relative links (`[text](target)` outside code), e.g. `docs/cli.md#errors`. */
export function relativeLinks(markdown: string): string[] {
  const text = withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** The anchors GitHub gives a page's headings (`## Without Docker: \`--target local\`` -> `without-docker---target-local`). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The repository's top-level folders whose paths the docs name (`packages/...`, `scripts/...`). */
const PATH_ROOTS = ['packages', 'scripts', 'docs', 'compose', '.ci'];
const PATH_PATTERN = new RegExp(
  `(?<![\\w./$~-])(?:\\./)?((?:${PATH_ROOTS.map((r) => r.replace('.', '\\.')).join('|')})/[\\w.*{},/-]*)`,
  'g',
);

/** Every repository path a page names, in prose or code (`packages/testcontainers/src/*.int.test.ts`). */
export function repositoryPaths(markdown: string): string[] {
  return [...markdown.matchAll(PATH_PATTERN)].map((m) => m[1]!.replace(/[.,]+$/, ''));
}

/** The repository's files and folders (folders end with `/`), without what is built or installed. */
export function repositoryEntries(dir = ROOT): string[] {
  const skip = new Set(['node_modules', 'dist', '.git', 'coverage', '.bench', '.soak']);
  return readdirSync(dir).flatMap((name) => {
    if (skip.has(name)) return [];
    const path = join(dir, name);
    const rel = relative(ROOT, path);
    return statSync(path).isDirectory() ? [`${rel}/`, ...repositoryEntries(path)] : [rel];
  });
}

/** Does `path` (with `*`, `**` and `{a,b}` as a shell has them) name something among `entries`? */
export function pathExists(path: string, entries: readonly string[]): boolean {
  const brace = /\{([^{}]*)\}/.exec(path);
  if (brace) {
    return brace[1]!
      .split(',')
      .every((alt) =>
        pathExists(path.slice(0, brace.index) + alt + path.slice(brace.index + brace[0].length), entries),
      );
  }
  const pattern = path
    .split('**/')
    .map((part) => part.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('(?:.*/)?');
  const regex = new RegExp(`^${pattern}${path.endsWith('/') ? '' : '/?'}$`);
  return entries.some((e) => regex.test(e));
}

if (require.main === module) {
  void (async () => {
    for (const { file, current, rendered } of await renderDocs()) {
      if (rendered === current) continue;
      writeFileSync(file, rendered);
      console.log(`${relative(ROOT, file)}: generated blocks updated`);
    }
  })();
}
