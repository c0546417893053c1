import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';

/** A file that exists and differs from what would be written, and why changing it needs `--force`. */
export interface Conflict {
  /** The path as the user sees it (the output folder as given, joined with the file's path). */
  path: string;
  /** Why, ending with what to do; default: it differs from the generated file, use --force. */
  reason?: string;
}

/** A write that would change a file the user has (edited or generated differently), without `force`. Names paths, never contents. */
export class WriteConflictError extends Error {
  override readonly name = 'WriteConflictError';
  /** The paths of every conflicting file, the one the message names first. */
  readonly files: readonly string[];
  constructor(readonly conflicts: readonly Conflict[]) {
    const first = conflicts[0]!;
    const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
    super(
      first.reason
        ? `Refusing to change "${first.path}"${more}: ${first.reason}.`
        : `Refusing to overwrite "${first.path}"${more}: it differs from the generated file. Use --force to overwrite.`,
    );
    this.files = conflicts.map((c) => c.path);
  }
}

/** The output folder cannot be used (a file is in the way, no permission, ...). */
export class OutputPathError extends Error {
  override readonly name = 'OutputPathError';
}

/** A file of the output folder now, or undefined when there is none (or no folder yet: the write reports a file in the way). */
export function readOutputFile(out: string, path: string): string | undefined {
  const full = join(out, path);
  try {
    if (!statSync(full).isFile()) throw new OutputPathError(`Cannot use "${full}": it is not a file.`);
    return readFileSync(full, 'utf8');
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new OutputPathError(`Cannot read "${full}": ${code === 'EACCES' ? 'permission denied' : (code ?? 'error')}.`);
  }
}

/** What writing a file does: create it, overwrite a different one, or leave an equal one alone. */
export type FileStatus = 'create' | 'overwrite' | 'unchanged';

/** What a write does (or did) to each file. */
export interface WritePlan {
  /** The absolute output folder. */
  dir: string;
  /** Every file (relative path) and what writing it would do. */
  files: Array<{ path: string; status: FileStatus }>;
}

/** Options of {@link writeFiles}. */
export interface WriteOptions {
  /** Overwrite files whose content differs. @default false */
  force?: boolean;
  /** Relative paths to write with mode 0755 (others get 0644). */
  executable?: ReadonlySet<string>;
  /**
   * Relative paths to write with mode 0600: created with that mode (never readable by others,
   * not even for a moment), in a temporary folder beside the output, then renamed into place.
   */
  secret?: ReadonlySet<string>;
  /** Why changing an existing file needs `force`, by relative path (default: it differs from the generated file). */
  conflictReasons?: ReadonlyMap<string, string>;
  /** Relative paths that are overwritten without `force` (copies of the user's own files, such as the ACL file's). */
  replaceable?: ReadonlySet<string>;
}

/** The mode a file is written with. */
export function fileMode(path: string, options: Pick<WriteOptions, 'executable' | 'secret'>): number {
  if (options.secret?.has(path)) return 0o600;
  return options.executable?.has(path) ? 0o755 : 0o644;
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
    case 'ENOENT':
      return 'no such folder, and it cannot be created there';
    case 'EEXIST':
      return 'something is in the way';
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

/**
 * `mkdir -p`: make `path` and its missing parents, one level at a time, and return the first
 * folder made (undefined when it existed). Not `mkdir(path, { recursive: true })`: Node 20's
 * loops forever where a parent cannot be made and the error is ENOENT (e.g. under /proc).
 */
async function makeDirs(path: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (st) {
      if (!st.isDirectory()) throw Object.assign(new Error(`not a folder: ${p}`), { code: 'ENOTDIR' });
      break;
    }
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    await mkdir(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
  return missing[0];
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
  if (dirStat && !dirStat.isDirectory())
    throw new OutputPathError(`Cannot write to "${outDir}": it is a file, not a folder.`);
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

/** The files of a write plan that would change an existing file, with their reasons; files with a reason first. */
export function conflictsOf(
  outDir: string,
  plan: WritePlan,
  reasons?: ReadonlyMap<string, string>,
  replaceable?: ReadonlySet<string>,
): Conflict[] {
  const conflicts = plan.files
    .filter((f) => f.status === 'overwrite' && !replaceable?.has(f.path))
    .map((f) => ({ path: join(outDir, f.path), reason: reasons?.get(f.path) }));
  return [...conflicts.filter((c) => c.reason), ...conflicts.filter((c) => !c.reason)];
}

/**
 * Move the written files from `tmp` into the existing folder `dir`, each with one rename (a
 * reader sees the old file or the new one, never a part of either). If one move fails, the
 * files replaced so far are put back (from hard links kept in `tmp`), the ones created removed.
 */
async function moveInto(dir: string, tmp: string, changed: WritePlan['files']): Promise<void> {
  const undo: Array<() => Promise<unknown>> = [];
  try {
    for (const { path, status } of changed) {
      const full = target(dir, path);
      const made = await makeDirs(dirname(full));
      if (made) undo.push(() => rm(made, { recursive: true, force: true }));
      if (status === 'overwrite') {
        const backup = join(tmp, '.previous', path);
        await makeDirs(dirname(backup));
        // A hard link keeps the old file as it is (content, mode, owner); across file systems, a copy.
        await link(full, backup).catch(() => copyFile(full, backup));
        await rename(join(tmp, path), full);
        undo.push(() => rename(backup, full));
      } else {
        await rename(join(tmp, path), full);
        undo.push(() => rm(full, { force: true }));
      }
    }
  } catch (e) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw e;
  }
}

/**
 * Write the files into `outDir` all or nothing: refuse (before writing anything) to overwrite a
 * file whose content differs unless `force`; write every file into a temporary folder beside
 * the output folder (each created with its final mode, `.env` 0600), then move them in with
 * rename: a new output folder in one move, an existing one file by file, undone if a move fails.
 * On any error the temporary folder, and any folder this call created, is removed, so nothing is
 * left half-written. Unchanged files are not touched.
 * @throws WriteConflictError, OutputPathError
 */
export async function writeFiles(
  outDir: string,
  files: ReadonlyMap<string, string>,
  options: WriteOptions = {},
): Promise<WritePlan> {
  const plan = await planWrite(outDir, files);
  const conflicts = conflictsOf(outDir, plan, options.conflictReasons, options.replaceable);
  if (conflicts.length > 0 && !options.force) throw new WriteConflictError(conflicts);
  const changed = plan.files.filter((f) => f.status !== 'unchanged');
  if (changed.length === 0) return plan;

  const dir = plan.dir;
  const parent = dirname(dir);
  let createdParent: string | undefined;
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let tmpMade = false;
  try {
    createdParent = await makeDirs(parent);
    await mkdir(tmp);
    tmpMade = true;
    for (const { path } of changed) {
      const full = join(tmp, path);
      await makeDirs(dirname(full));
      const mode = fileMode(path, options);
      // Created with its final mode (O_EXCL, so nothing else's file is reused); chmod then only
      // undoes the umask, it never widens a secret file's mode.
      await writeFile(full, files.get(path)!, { flag: 'wx', mode });
      await chmod(full, mode);
    }
    if (!(await statOrUndefined(dir))) {
      await rename(tmp, dir);
      tmpMade = false;
    } else {
      await moveInto(dir, tmp, changed);
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
