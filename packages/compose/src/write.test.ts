import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputPathError, planWrite, WriteConflictError, writeFiles } from './write';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rck-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const files = new Map([
  ['a.txt', 'A\n'],
  ['sub/b.txt', 'B\n'],
]);

describe('writeFiles', () => {
  it('creates a new folder (with missing parents) in one move and leaves no temporary folder', async () => {
    const out = join(dir, 'x', 'y');
    const plan = await writeFiles(out, files);
    expect(plan.files.map((f) => f.status)).toEqual(['create', 'create']);
    expect(readFileSync(join(out, 'sub/b.txt'), 'utf8')).toBe('B\n');
    expect(readdirSync(join(dir, 'x'))).toEqual(['y']);
  });

  it('refuses before writing anything when one file differs, then overwrites with force', async () => {
    const out = join(dir, 'out');
    mkdirSync(join(out, 'sub'), { recursive: true });
    writeFileSync(join(out, 'sub/b.txt'), 'edited\n');
    await expect(writeFiles(out, files)).rejects.toThrow(WriteConflictError);
    expect(readdirSync(out)).toEqual(['sub']);
    expect(readdirSync(dir)).toEqual(['out']);
    await writeFiles(out, files, { force: true });
    expect(readFileSync(join(out, 'sub/b.txt'), 'utf8')).toBe('B\n');
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('treats identical files as unchanged and does not touch them', async () => {
    const out = join(dir, 'out');
    await writeFiles(out, files);
    expect((await planWrite(out, files)).files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    expect((await writeFiles(out, files)).files.map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
  });

  it('fails in one line, writing nothing, when a folder stands where a file goes', async () => {
    const out = join(dir, 'out');
    mkdirSync(join(out, 'a.txt'), { recursive: true });
    await expect(writeFiles(out, files, { force: true })).rejects.toThrow(OutputPathError);
    expect(readdirSync(out)).toEqual(['a.txt']);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('refuses paths that leave the output folder', async () => {
    await expect(planWrite(join(dir, 'out'), new Map([['../evil', 'x']]))).rejects.toThrow('outside');
  });
});
