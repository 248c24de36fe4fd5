/**
 * Which npx a client entry runs. Clients start servers without the user's shell PATH (Kiro passes neither PATH nor
 * HOME), so the entry names npx by absolute path: the one beside the running node (npm installs it there), else the
 * first on PATH (a Node from the npm registry's `node` package, some version managers), else a clear error.
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join, posix, win32 } from 'node:path';
import { CliError } from '../core/errors.js';

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function resolveNpx(env: NodeJS.ProcessEnv, nodeBinDir = dirname(process.execPath)): Promise<string> {
  const name = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const beside = join(nodeBinDir, name);
  if (await executable(beside)) return beside;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (await executable(candidate)) return candidate;
  }
  throw new CliError(`npx was found neither next to node (${beside}) nor on PATH: the client entries run mcp-remote through npx.`, {
    code: 'npx_missing',
    fix: 'Install npm alongside this Node.js (npx ships with npm), or put a directory that holds npx on PATH, then run again.',
  });
}

/** Folders after node's own on a POSIX server's PATH. */
export const POSIX_DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * How a client starts npx on each platform. POSIX: npx by absolute path, with node's folder (npx runs `env node`)
 * and npx's own on PATH. Windows: npx is npx.cmd, a batch file that clients which spawn without a shell (Node's
 * spawn refuses .cmd files without one) cannot start: the entry runs `cmd /c <npx.cmd>`, the form Claude Desktop's,
 * Cursor's and VS Code's docs give for Windows; PATH uses ";" and the env carries USERPROFILE (Node's homedir).
 */
export function launcher(input: { nodeBinDir: string; npx?: string; home: string; platform?: NodeJS.Platform }): { command: string; argsPrefix: string[]; env: Record<string, string> } {
  if ((input.platform ?? process.platform) === 'win32') {
    const npx = input.npx ?? win32.join(input.nodeBinDir, 'npx.cmd');
    const dirs = [input.nodeBinDir, win32.dirname(npx), 'C:\\Windows\\System32'];
    return { command: 'cmd', argsPrefix: ['/c', npx], env: { PATH: [...new Set(dirs)].join(';'), USERPROFILE: input.home, HOME: input.home } };
  }
  const npx = input.npx ?? posix.join(input.nodeBinDir, 'npx');
  const npxDir = posix.dirname(npx);
  return { command: npx, argsPrefix: [], env: { PATH: [input.nodeBinDir, ...(npxDir !== input.nodeBinDir ? [npxDir] : []), POSIX_DEFAULT_PATH].join(':'), HOME: input.home } };
}
