/**
 * Which npx a client entry runs. Clients start servers without the user's shell PATH (Kiro passes neither PATH nor
 * HOME), so the entry names npx by absolute path: the one beside the running node (npm installs it there), else the
 * first on PATH (a Node from the npm registry's `node` package, some version managers), else a clear error.
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, dirname, join, posix, win32 } from 'node:path';
import { CliError } from '../core/errors.js';

function executable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The npx beside node, else the first on PATH; undefined when neither exists. */
export function findNpx(env: NodeJS.ProcessEnv, nodeBinDir = dirname(process.execPath)): string | undefined {
  const name = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  const beside = join(nodeBinDir, name);
  if (executable(beside)) return beside;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export async function resolveNpx(env: NodeJS.ProcessEnv, nodeBinDir = dirname(process.execPath)): Promise<string> {
  const found = findNpx(env, nodeBinDir);
  if (found) return found;
  const beside = join(nodeBinDir, process.platform === 'win32' ? 'npx.cmd' : 'npx');
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
export function launcher(input: { nodeBinDir: string; npx?: string; home: string; platform?: NodeJS.Platform; caCerts?: string }): { command: string; argsPrefix: string[]; env: Record<string, string> } {
  // Clients pass no environment of their own, so a NODE_EXTRA_CA_CERTS that this machine's Node needs (a TLS-inspecting
  // proxy between it and the npm registry, the IdP or the gateway) has to travel in the entry.
  const ca: Record<string, string> = input.caCerts ? { NODE_EXTRA_CA_CERTS: input.caCerts } : {};
  if ((input.platform ?? process.platform) === 'win32') {
    const npx = input.npx ?? win32.join(input.nodeBinDir, 'npx.cmd');
    const dirs = [input.nodeBinDir, win32.dirname(npx), 'C:\\Windows\\System32'];
    return { command: 'cmd', argsPrefix: ['/c', npx], env: { PATH: [...new Set(dirs)].join(';'), USERPROFILE: input.home, HOME: input.home, ...ca } };
  }
  // Default: for the running node, what resolveNpx picks (beside it, else on PATH: a node from the npm registry's
  // `node` package has no npx beside it); for any other node folder, the npx beside it.
  const runningNode = (input.platform ?? process.platform) === process.platform && input.nodeBinDir === dirname(process.execPath);
  const npx = input.npx ?? (runningNode ? findNpx(process.env, input.nodeBinDir) : undefined) ?? posix.join(input.nodeBinDir, 'npx');
  const path = [...new Set([input.nodeBinDir, posix.dirname(npx), ...POSIX_DEFAULT_PATH.split(':')])].join(':');
  return { command: npx, argsPrefix: [], env: { PATH: path, HOME: input.home, ...ca } };
}
