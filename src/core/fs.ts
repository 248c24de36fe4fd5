/**
 * Small file helpers: atomic writes (temp file in the same folder, fsync, rename), folder creation and
 * "read if it exists". Pure node:fs, safe to import anywhere.
 */
import { constants as fsConstants } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readlink, realpath, rename, stat, statfs, unlink } from 'node:fs/promises';
import { CliError } from './errors.js';
import { keepOwnerOnly } from './owner-only.js';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** Group and other may do nothing (0600, 0700): on win32 the ACL says it instead (src/core/owner-only.ts). */
function ownerOnlyMode(mode: number | undefined): boolean {
  return mode !== undefined && (mode & 0o077) === 0;
}

/**
 * Create a folder (and its parents). No error when it already exists. An owner-only mode (0700) is also made
 * true on win32, where a mode does nothing: the folder is left to the current user (a warning if that fails).
 */
export async function ensureDir(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, ...(mode !== undefined ? { mode } : {}) });
  if (ownerOnlyMode(mode)) await keepOwnerOnly(path, 'dir');
}

/** The most of a file this tool reads unless told otherwise: profiles, journals and caches are a few KiB. */
export const MAX_FILE_BYTES = 1024 * 1024;

function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The file's text, or null when it does not exist. Only a regular file of at most `limit` bytes is read:
 * a folder, a FIFO (which would block), a device (/dev/zero never ends) or a socket is refused at once with a
 * CliError naming the file, and so is a larger file. The file is opened non-blocking and checked through its
 * handle, so what is checked is what is read. `what` names it in messages ("team profile").
 */
export async function readTextIfExists(path: string, opts: { limit?: number; what?: string } = {}): Promise<string | null> {
  const limit = opts.limit ?? MAX_FILE_BYTES;
  const what = opts.what ?? 'file';
  let fh;
  try {
    fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | (fsConstants.O_NOCTTY ?? 0));
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT') || isErrnoCode(err, 'ENOTDIR')) return null;
    if (isErrnoCode(err, 'EISDIR')) throw new CliError(`The ${what} ${path} is a folder, not a file; it was not read.`, { code: 'not_a_file', fix: 'Pass the path of a regular file.', cause: err });
    if (isErrnoCode(err, 'EACCES') || isErrnoCode(err, 'EPERM')) {
      throw new CliError(`Cannot read the ${what} ${path}: permission denied.`, { code: 'file_not_readable', fix: `Make it readable (chmod u+r ${path}), then run again.`, cause: err });
    }
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new CliError(`The ${what} ${path} is ${kindOf(st)}, not a regular file; it was not read.`, { code: 'not_a_file', fix: 'Pass the path of a regular file.' });
    }
    const tooLarge = () =>
      new CliError(`The ${what} ${path} is larger than ${limit >= 1024 * 1024 ? `${limit / (1024 * 1024)} MiB` : `${Math.round(limit / 1024)} KiB`}, more than a ${what} can be; it was not read.`, {
        code: 'file_too_large',
        fix: `Check that ${path} is the ${what} you meant.`,
      });
    if (st.size > limit) throw tooLarge();
    // Read at most limit + 1 bytes: a file that grew since the check is still bounded.
    const buf = Buffer.alloc(Math.min(st.size, limit) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > limit) throw tooLarge();
      if (n === buf.length) break;
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}

export function isErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

/**
 * The path a write to `path` should really go to: symlinks are followed (also dangling ones, so a link
 * to a file that does not exist yet gets that file created), so that the link itself survives.
 */
export async function resolveWriteTarget(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await realpath(abs);
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw err;
  }
  // Missing file, or a dangling symlink: follow links by hand (bounded, like the kernel's 40).
  let current = abs;
  for (let hops = 0; hops < 40; hops++) {
    let st;
    try {
      st = await lstat(current);
    } catch (err) {
      if (isErrnoCode(err, 'ENOENT')) break;
      throw err;
    }
    if (!st.isSymbolicLink()) break;
    const link = await readlink(current);
    current = isAbsolute(link) ? link : resolve(dirname(current), link);
  }
  // The folder may itself contain links: resolve it when it exists.
  try {
    return join(await realpath(dirname(current)), basename(current));
  } catch {
    return current;
  }
}

/**
 * Where a write may land. Repository files are not trusted: a project's `.vscode/mcp.json` may be a symlink to
 * a file elsewhere (another project, ~/.docker/config.json). The real path of a write (links followed) must
 * stay inside `root` (the project folder for project-scoped files, HOME for user-scoped ones) unless the user
 * opted in with --follow-symlinks.
 */
export interface WriteScope {
  root: string;
  /** "the project folder", "your home folder". */
  label: string;
  followSymlinks?: boolean;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The real path a write to `path` goes to, refused (CliError path_escape, naming the real path) when links
 * take it out of the scope's root. A path that is itself outside the root (a location the user's own
 * environment chose, such as XDG_CONFIG_HOME) is held to its own folder instead.
 */
export async function containedWriteTarget(path: string, scope?: WriteScope): Promise<string> {
  const target = await resolveWriteTarget(path);
  if (!scope || scope.followSymlinks) return target;
  const lexical = resolve(path);
  const root = isInside(lexical, resolve(scope.root)) ? scope.root : dirname(lexical);
  const realRoot = await realpath(root).catch(() => resolve(root));
  if (isInside(target, realRoot)) return target;
  throw new CliError(`${path} is a link (or sits in a linked folder) that leads outside ${scope.label} ${root}: its real path is ${target}. Nothing was written.`, {
    code: 'path_escape',
    fix: 'Replace the link with a regular file if it came with a repository you did not write; if the link is yours (dotfiles kept elsewhere), pass --follow-symlinks.',
  });
}

/**
 * Write `data` to `path` atomically: a uniquely named temp file in the same folder, fsync, rename over the
 * target. Keeps the existing file's mode (and owner, when permitted) unless `opts.mode` is given; a symlink
 * is written through (its target is replaced, the link stays). The temp file is removed on any failure.
 * An owner-only `opts.mode` (0600) holds on win32 too: the temp file is left to the current user before anything
 * is written into it (src/core/owner-only.ts; a failure is a warning naming the fix, and the write goes on).
 */
export async function writeFileAtomic(path: string, data: string, opts: { mode?: number } = {}): Promise<void> {
  const target = await resolveWriteTarget(path);
  const dir = dirname(target);

  let mode = opts.mode;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await stat(target);
    if (mode === undefined) mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if (!isErrnoCode(err, 'ENOENT')) throw err;
  }

  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let created = false;
  try {
    const fh = await open(tmp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode ?? 0o666);
    created = true;
    try {
      if (ownerOnlyMode(opts.mode)) await keepOwnerOnly(tmp, 'file', { shownAs: target, newFile: true });
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // open() applies the umask; set the exact mode we want to keep.
    if (mode !== undefined) await chmod(tmp, mode);
    if (owner && typeof process.getuid === 'function' && process.getuid() === 0) {
      await chown(tmp, owner.uid, owner.gid).catch(() => undefined);
    }
    await rename(tmp, target);
    created = false;
  } catch (err) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Not supported everywhere (Windows): best effort.
  try {
    const fh = await open(dir, fsConstants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* ignore */
  }
}

const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space is left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
};

/**
 * A write the file system refused (full, over quota, read-only, not permitted) as one clear CliError naming the
 * file; any other error unchanged. `fix` says what the command keeps and how to go on.
 */
export function fsWriteError(err: unknown, path: string, what: string, fix: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = code ? WRITE_FAILURES[code] : undefined;
  if (!why || err instanceof CliError) return err;
  const first = code === 'ENOSPC' || code === 'EDQUOT' ? `Free some space on the disk that holds ${dirname(path)}, then: ${fix}` : code === 'EROFS' ? `Point it at a writable folder, then: ${fix}` : `Fix the permission of ${dirname(path)} (ls -ld), then: ${fix}`;
  return new CliError(`Could not write ${what} ${path}: ${why} (${code}).`, { code: 'state_write_failed', fix: first, cause: err });
}

/** Bytes free to an unprivileged writer on the file system that holds `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number | undefined> {
  let p = resolve(path);
  for (;;) {
    try {
      const s = await statfs(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch (err) {
      const parent = dirname(p);
      if (!isErrnoCode(err, 'ENOENT') && !isErrnoCode(err, 'ENOTDIR')) return undefined;
      if (parent === p) return undefined;
      p = parent;
    }
  }
}

/** Room a run needs where it writes (journal, backups, configs): refused before anything is made when it is not there. */
export const MIN_FREE_BYTES = 1024 * 1024;

/** The first folder (with what it holds) whose disk has less than `need` bytes free, or undefined. */
export async function lowDiskSpace(places: Array<{ path: string; what: string }>, need = MIN_FREE_BYTES): Promise<{ path: string; what: string; free: number } | undefined> {
  for (const p of places) {
    const free = await freeBytes(p.path);
    if (free !== undefined && free < need) return { ...p, free };
  }
  return undefined;
}
