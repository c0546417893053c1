import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
// The module object itself (not an import namespace), so that a spy sees write.ts's calls.
import fsp = require('node:fs/promises');
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputPathError, planWrite, WriteConflictError, writeFiles } from './write';

let dir: string;
let immutable: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rck-write-'));
});
afterEach(() => {
  for (const path of immutable) spawnSync('chattr', ['-i', path]);
  immutable = [];
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

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

  it('creates a secret file with mode 0600 from the start (the open itself asks for 0600, never a wider mode)', async () => {
    const writes = jest.spyOn(fsp, 'writeFile');
    const out = join(dir, 'out');
    await writeFiles(
      out,
      new Map([
        ['a.txt', 'A\n'],
        ['.env', 'PW=x\n'],
      ]),
      { secret: new Set(['.env']) },
    );
    expect(statSync(join(out, '.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(out, 'a.txt')).mode & 0o777).toBe(0o644);
    const envWrite = writes.mock.calls.find(([path]) => typeof path === 'string' && path.endsWith('.env'));
    expect(envWrite?.[2]).toEqual({ flag: 'wx', mode: 0o600 });
    // Replacing it (with force) keeps 0600: a new file renamed over the old one.
    await writeFiles(out, new Map([['.env', 'PW=y\n']]), { secret: new Set(['.env']), force: true });
    expect(statSync(join(out, '.env')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, '.env'), 'utf8')).toBe('PW=y\n');
  });

  it('puts back every file it replaced when a later move fails (an immutable folder, even for root)', async () => {
    const out = join(dir, 'out');
    await writeFiles(out, files);
    const r = spawnSync('chattr', ['+i', join(out, 'sub')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chattr +i failed (needs e2fsprogs and an ext4-like temp folder): ${r.stderr}`);
    immutable.push(join(out, 'sub'));
    const next = new Map([
      ['a.txt', 'A2\n'],
      ['new.txt', 'N\n'],
      ['sub/b.txt', 'B2\n'],
    ]);
    await expect(writeFiles(out, next, { force: true })).rejects.toThrow(
      'Cannot write to "' + out + '": permission denied.',
    );
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('A\n');
    expect(readFileSync(join(out, 'sub/b.txt'), 'utf8')).toBe('B\n');
    expect(readdirSync(out).sort()).toEqual(['a.txt', 'sub']);
    expect(readdirSync(dir)).toEqual(['out']);
  });

  it('fails at once, not forever, where no folder can be made (/proc)', async () => {
    await expect(writeFiles(`/proc/rck-write-${process.pid}/out`, files)).rejects.toThrow(
      'no such folder, and it cannot be created there',
    );
  });
});
