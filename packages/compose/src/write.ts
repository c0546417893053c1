import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** A write that would change a file the user has (edited or generated differently), without `force`. */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
  constructor(readonly files: readonly string[]) {
    const more = files.length > 1 ? ` (and ${files.length - 1} more)` : '';
    super(`Refusing to overwrite "${files[0]}"${more}: it differs from the generated file. Use --force to overwrite.`);
  }
}

/** The output folder cannot be used (a file is in the way, no permission, ...). */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

export type FileStatus = 'create' | 'overwrite' | 'unchanged';

export interface WritePlan {
  /** The absolute output folder. */
  dir: string;
  /** Every file (relative path) and what writing it would do. */
  files: Array<{ path: string; status: FileStatus }>;
}

export interface WriteOptions {
  /** Overwrite files whose content differs. @default false */
  force?: boolean;
  /** Relative paths to write with mode 0755 (others get 0644). */
  executable?: ReadonlySet<string>;
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a file is in the way of a folder';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return e.code ?? String(e.message).split('\n')[0]!;
  }
}

/** stat, or undefined when nothing is there; `shown` is the path as the user gave it, for errors. */
async function statOrUndefined(path: string, shown = path) {
  try {
    return await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new OutputPathError(`Cannot use "${shown}": ${describe(e)}.`);
  }
}

/** Where `path` relative to the output folder lands; refuses paths that leave it. */
function target(dir: string, path: string): string {
  const full = resolve(dir, path);
  if (!full.startsWith(dir + sep)) throw new OutputPathError(`Refusing to write "${path}" outside "${dir}".`);
  return full;
}

/**
 * Compare the files with what is on disk, without writing anything.
 * @throws OutputPathError when the folder is a file or cannot be read.
 */
export async function planWrite(outDir: string, files: ReadonlyMap<string, string>): Promise<WritePlan> {
  const dir = resolve(outDir);
  const dirStat = await statOrUndefined(dir, outDir);
  if (dirStat && !dirStat.isDirectory()) throw new OutputPathError(`Cannot write to "${outDir}": it is a file, not a folder.`);
  const result: WritePlan = { dir, files: [] };
  for (const [path, content] of files) {
    const full = target(dir, path);
    const existing = dirStat ? await statOrUndefined(full, join(outDir, path)) : undefined;
    if (!existing) {
      result.files.push({ path, status: 'create' });
    } else if (!existing.isFile()) {
      throw new OutputPathError(`Cannot write "${join(outDir, path)}": something that is not a file is in the way.`);
    } else {
      let current: string;
      try {
        current = await readFile(full, 'utf8');
      } catch (e) {
        throw new OutputPathError(`Cannot read "${join(outDir, path)}": ${describe(e)}.`);
      }
      result.files.push({ path, status: current === content ? 'unchanged' : 'overwrite' });
    }
  }
  return result;
}

/**
 * Write the files into `outDir` all or nothing: refuse (before writing anything) to overwrite a
 * file whose content differs unless `force`; write every file into a temporary folder beside
 * the output folder, then move them in with rename (atomic per file; a new output folder is
 * moved in whole). On any error the temporary folder, and any folder this call created, is
 * removed, so nothing is left half-written. Unchanged files are not touched.
 * @throws WriteConflictError, OutputPathError
 */
export async function writeFiles(outDir: string, files: ReadonlyMap<string, string>, options: WriteOptions = {}): Promise<WritePlan> {
  const plan = await planWrite(outDir, files);
  const conflicts = plan.files.filter((f) => f.status === 'overwrite').map((f) => join(outDir, f.path));
  if (conflicts.length > 0 && !options.force) throw new WriteConflictError(conflicts);
  const changed = plan.files.filter((f) => f.status !== 'unchanged');
  if (changed.length === 0) return plan;

  const dir = plan.dir;
  const parent = dirname(dir);
  let createdParent: string | undefined;
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let tmpMade = false;
  try {
    createdParent = await mkdir(parent, { recursive: true });
    await mkdir(tmp);
    tmpMade = true;
    for (const { path } of changed) {
      const full = join(tmp, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, files.get(path)!, { flag: 'wx' });
      await chmod(full, options.executable?.has(path) ? 0o755 : 0o644);
    }
    if (!(await statOrUndefined(dir))) {
      await rename(tmp, dir);
      tmpMade = false;
    } else {
      for (const { path } of changed) {
        const full = target(dir, path);
        await mkdir(dirname(full), { recursive: true });
        await rename(join(tmp, path), full);
      }
    }
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    throw new OutputPathError(`Cannot write to "${outDir}": ${describe(e)}.`);
  } finally {
    if (tmpMade) await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    if (createdParent && !(await statOrUndefined(dir))) {
      await rm(createdParent, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return plan;
}
