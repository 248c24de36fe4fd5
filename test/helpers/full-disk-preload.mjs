/**
 * A full disk without root, for the disk-full tests where a tmpfs cannot be mounted (test/e2e/truth.test.ts).
 * Loaded into the CLI process with NODE_OPTIONS=--import=<this file>; inert unless AGENTCORE_AUTH_TEST_FULL_DIR
 * names a folder. While the file `<that folder>/.full` exists, the file system behaves as a full disk there:
 * statfs reports no free blocks, and every write through a file handle opened for writing under that folder
 * fails with ENOSPC (as the kernel does). Deleting `.full` frees the disk again. Test code only: nothing in src/
 * knows about it.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join, resolve, sep } from 'node:path';

const dir = process.env.AGENTCORE_AUTH_TEST_FULL_DIR ? resolve(process.env.AGENTCORE_AUTH_TEST_FULL_DIR) : undefined;
if (dir) {
  const under = (p) => typeof p === 'string' && (resolve(p) === dir || resolve(p).startsWith(dir + sep));
  const full = () => fs.existsSync(join(dir, '.full'));
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  const writing = (flags) => typeof flags === 'number' ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0 : typeof flags === 'string' && /[wa+]/.test(flags);
  const p = fs.promises;
  const open = p.open;
  p.open = async function (path, flags, ...rest) {
    const fh = await open.call(this, path, flags, ...rest);
    if (under(path) && writing(flags ?? 'r')) {
      for (const m of ['write', 'writeFile', 'appendFile', 'writev']) {
        const orig = fh[m].bind(fh);
        fh[m] = async (...a) => {
          if (full()) throw enospc();
          return orig(...a);
        };
      }
    }
    return fh;
  };
  for (const m of ['writeFile', 'appendFile', 'copyFile']) {
    const orig = p[m];
    p[m] = async function (target, ...a) {
      if (full() && under(m === 'copyFile' ? a[0] : target)) throw enospc();
      return orig.call(this, target, ...a);
    };
  }
  const statfs = p.statfs;
  p.statfs = async function (path, ...a) {
    const s = await statfs.call(this, path, ...a);
    return full() && under(path) ? { ...s, bavail: 0, bfree: 0 } : s;
  };
  syncBuiltinESMExports();
}
