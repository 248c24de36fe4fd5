/**
 * Warm the bridge: a client entry runs `npx -y mcp-remote@<pinned>`, and a cold npx takes seconds to fetch it (long
 * enough for a client to give up on the server at its first start). init and connect fetch it into npx's cache in
 * the background while the user answers, signs in and verifies, and say so if it fails. Skipped when the pinned
 * version is already in the cache, or with AGENTCORE_AUTH_NO_PREFETCH=1.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { MCP_REMOTE_PACKAGE, MCP_REMOTE_VERSION } from './mcp-remote.js';

/** npm's cache folder as npx uses it: npm_config_cache, else ~/.npm (Windows: %LocalAppData%\npm-cache). */
export function npmCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.npm_config_cache) return env.npm_config_cache;
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'npm-cache');
  return join(env.HOME || homedir(), '.npm');
}

/** Whether npx's cache holds the pinned mcp-remote (npx keeps each package spec under _npx/<hash>/node_modules). */
export async function bridgeCached(env: NodeJS.ProcessEnv): Promise<boolean> {
  const root = join(npmCacheDir(env), '_npx');
  for (const dir of await readdir(root).catch(() => [] as string[])) {
    const pkg = await readFile(join(root, dir, 'node_modules', 'mcp-remote', 'package.json'), 'utf8').catch(() => '');
    try {
      if ((JSON.parse(pkg) as { version?: string }).version === MCP_REMOTE_VERSION) return true;
    } catch {
      /* not this one */
    }
  }
  return false;
}

export interface Warming {
  /** 'fetched' | 'cached' | 'skipped' | 'failed: why'; resolves when the fetch ends. */
  result: Promise<string>;
  /** Report the outcome when it is known by now; otherwise leave the fetch running on its own. */
  settle(logger: Pick<Logger, 'warn' | 'debug'>): Promise<void>;
}

export function warmBridge(npx: string, env: NodeJS.ProcessEnv): Warming {
  const result = (async (): Promise<string> => {
    if (env.AGENTCORE_AUTH_NO_PREFETCH === '1') return 'skipped';
    if (await bridgeCached(env)) return 'cached';
    // npx's stderr goes to a file, not a pipe: a pipe would keep this process alive until the fetch ends (unref()
    // does not release the child's stdio), and init would sit after "ready" for as long as the registry takes.
    const logDir = await mkdtemp(join(tmpdir(), 'agentcore-auth-warm-'));
    const logFile = join(logDir, 'npx.log');
    const fd = openSync(logFile, 'w', 0o600);
    return new Promise<string>((resolve) => {
      // A neutral folder: a project's own node_modules would satisfy npx without filling its cache.
      const child = spawn(npx, ['-y', MCP_REMOTE_PACKAGE, '--help'], { cwd: tmpdir(), env: { ...env, npm_config_yes: 'true' }, stdio: ['ignore', 'ignore', fd], detached: true });
      closeSync(fd);
      const lastLine = (): string => {
        try {
          return readFileSync(logFile, 'utf8').trim().split('\n').at(-1) ?? '';
        } catch {
          return '';
        } finally {
          rmSync(logDir, { recursive: true, force: true });
        }
      };
      child.once('error', (e) => (lastLine(), resolve(`failed: ${e.message}`)));
      child.once('exit', (code) => {
        const last = lastLine();
        resolve(code === 0 ? 'fetched' : `failed: npx exited ${code}${last ? ` (${last})` : ''}`);
      });
      child.unref();
    });
  })();
  let outcome: string | undefined;
  void result.then((r) => (outcome = r));
  return {
    result,
    async settle(logger) {
      await new Promise((r) => setImmediate(r));
      if (outcome === undefined) logger.debug(`Still fetching ${MCP_REMOTE_PACKAGE} into npx's cache in the background.`);
      else if (outcome.startsWith('failed')) {
        logger.warn(`Could not fetch ${MCP_REMOTE_PACKAGE} into npx's cache ahead of time (${outcome.slice('failed: '.length)}): the client's first start downloads it, which can take long enough for the client to give up once; start the server again if it does.`);
      } else logger.debug(`${MCP_REMOTE_PACKAGE}: ${outcome}`);
    },
  };
}
