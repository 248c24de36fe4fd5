/**
 * Which npx a client entry runs. Clients start servers without the user's shell PATH (Kiro passes neither PATH nor
 * HOME), so the entry names npx by absolute path: the one beside the running node (npm installs it there), else the
 * first on PATH (a Node from the npm registry's `node` package, some version managers), else a clear error.
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
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
