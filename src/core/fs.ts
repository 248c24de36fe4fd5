/**
 * Small file helpers: atomic writes (temp file in the same folder, fsync, rename), folder creation and
 * "read if it exists". Pure node:fs, safe to import anywhere.
 */
import { constants as fsConstants } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readFile, readlink, realpath, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** Create a folder (and its parents). No error when it already exists. */
export async function ensureDir(path: string, mode?: number): Promise<void> {
  await mkdir(path, { recursive: true, ...(mode !== undefined ? { mode } : {}) });
}

/** The file's text, or null when it does not exist. Other errors (EACCES, EISDIR...) are thrown. */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrnoCode(err, 'ENOENT')) return null;
    throw err;
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
 * Write `data` to `path` atomically: a uniquely named temp file in the same folder, fsync, rename over the
 * target. Keeps the existing file's mode (and owner, when permitted) unless `opts.mode` is given; a symlink
 * is written through (its target is replaced, the link stays). The temp file is removed on any failure.
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
