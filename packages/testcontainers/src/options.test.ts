/**
 * Every default a user meets is written once, in DEFAULT_FIXTURE_OPTIONS. The TSDoc `@default`
 * tags of every option (and of the constant itself) are read here from the sources, as an
 * editor shows them, and checked against the constant: the docs and the code cannot drift.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { DEFAULT_FIXTURE_OPTIONS } from './options';

type DefaultKey = keyof typeof DEFAULT_FIXTURE_OPTIONS;

interface DocumentedDefault {
  /** `options.ts: WaitOptions.timeoutMs`, for messages. */
  where: string;
  /** The interface or constant the property belongs to (`RedisClusterOptions`), or `an inline type`. */
  owner: string;
  property: string;
  /** The tag's text: `30000 (\`DEFAULT_FIXTURE_OPTIONS.faultTimeoutMs\`)`. */
  text: string;
}

/** The package's source files (tests excluded). */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every `@default` tag on a property (of an interface, a type literal or an object literal) in `file`. */
function documentedDefaults(file: string): DocumentedDefault[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: DocumentedDefault[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isPropertySignature(node) || ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node)) &&
      ts.isIdentifier(node.name)
    ) {
      for (const tag of ts.getJSDocTags(node)) {
        if (tag.tagName.text !== 'default') continue;
        const owner = ownerOf(node);
        const property = node.name.text;
        found.push({
          where: `${relative(__dirname, file)}: ${owner}.${property}`,
          owner,
          property,
          text: ts.getTextOfJSDocComment(tag.comment) ?? '',
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function ownerOf(node: ts.Node): string {
  for (let up = node.parent; up !== undefined; up = up.parent) {
    if ((ts.isInterfaceDeclaration(up) || ts.isClassDeclaration(up)) && up.name) return up.name.text;
    if (ts.isVariableDeclaration(up) && ts.isIdentifier(up.name)) return up.name.text;
  }
  return 'an inline type';
}

/** The value a tag's text starts with (`30000`, `60_000`, `"docker"`, `false`), or undefined when it starts with words. */
function leadingLiteral(text: string): { value: number | string | boolean } | undefined {
  const match = /^\s*(?:(-?\d[\d_]*(?:\.\d+)?)|"([^"]*)"|(true|false))(?![\w.])/.exec(text);
  if (!match) return undefined;
  if (match[1] !== undefined) return { value: Number(match[1].replace(/_/g, '')) };
  if (match[2] !== undefined) return { value: match[2] };
  return { value: match[3] === 'true' };
}

/** The key of the constant a documented default is the default of: named in the text, the constant's own key, or a startRedisCluster() option of the same name. */
function keyOf(doc: DocumentedDefault): DefaultKey | undefined {
  const named = /DEFAULT_FIXTURE_OPTIONS\.(\w+)/.exec(doc.text)?.[1];
  const candidate =
    named ??
    (doc.owner === 'DEFAULT_FIXTURE_OPTIONS' || doc.owner === 'RedisClusterOptions' ? doc.property : undefined);
  return candidate !== undefined && candidate in DEFAULT_FIXTURE_OPTIONS ? (candidate as DefaultKey) : undefined;
}

const documented = sourceFiles(__dirname).flatMap(documentedDefaults);

describe('documented defaults', () => {
  it('are read from the sources: the options of startRedisCluster(), of the fault helpers, of the Jest helpers and the constant itself', () => {
    const where = documented.map((d) => d.where);
    expect(where).toEqual(
      expect.arrayContaining([
        'options.ts: RedisClusterOptions.startupTimeoutMs',
        'options.ts: WaitOptions.timeoutMs',
        'options.ts: StopNodeOptions.timeoutSeconds',
        'options.ts: DEFAULT_FIXTURE_OPTIONS.resetReplicaTimeoutMs',
        'connect.ts: an inline type.timeoutMs',
        'test-runner/file-session.ts: UseRedisClusterOptions.timeoutMs',
        'util/wait-until.ts: WaitUntilOptions.timeoutMs',
        'cluster/events.ts: WaitForEventOptions.timeoutMs',
      ]),
    );
  });

  it('say what DEFAULT_FIXTURE_OPTIONS holds, wherever they name one of its values', () => {
    const checked = documented.flatMap((doc) => {
      const key = keyOf(doc);
      return key === undefined
        ? []
        : [
            {
              where: doc.where,
              key,
              documented: leadingLiteral(doc.text)?.value,
              actual: DEFAULT_FIXTURE_OPTIONS[key],
            },
          ];
    });
    expect(checked.filter((c) => c.documented !== c.actual)).toEqual([]);
    expect(checked.length).toBeGreaterThanOrEqual(Object.keys(DEFAULT_FIXTURE_OPTIONS).length);
  });

  it('document every value of DEFAULT_FIXTURE_OPTIONS on the constant itself, once', () => {
    const own = documented.filter((d) => d.owner === 'DEFAULT_FIXTURE_OPTIONS').map((d) => d.property);
    expect([...own].sort()).toEqual(Object.keys(DEFAULT_FIXTURE_OPTIONS).sort());
  });

  it('give no number that does not come from DEFAULT_FIXTURE_OPTIONS', () => {
    const loose = documented.filter(
      (doc) => keyOf(doc) === undefined && typeof leadingLiteral(doc.text)?.value === 'number',
    );
    expect(loose.map((d) => `${d.where}: @default ${d.text}`)).toEqual([]);
  });
});
