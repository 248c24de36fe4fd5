/**
 * The sandbox gateway's demo tools: `list_files` (names in one folder) and `whoami` (the caller's identity
 * as the gateway validated it). The validated claims arrive through the MCP request's authInfo
 * (`extra.authInfo.extra.claims`), set by the data plane after the authorizer passed. No tool ever
 * returns the raw token.
 */
import { readdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';

export interface DemoToolsOptions {
  /** The only folder `list_files` shows (and its subfolders). */
  toolsDir: string;
  gatewayId: string;
  logger: Logger;
}

/** What the data plane puts in AuthInfo.extra for the tools. */
export interface SandboxAuthExtra {
  claims: Record<string, unknown> | null;
  authorizerType: string;
}

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: t }], ...(isError ? { isError: true } : {}) });

/** Resolves `requested` inside `root`, or returns undefined when it would leave it (`..`, absolute paths, symlinks). */
export async function resolveInside(root: string, requested: string | undefined): Promise<string | undefined> {
  const realRoot = await realpath(root);
  const rel = (requested ?? '').trim();
  if (path.isAbsolute(rel)) return undefined;
  const target = path.resolve(realRoot, rel || '.');
  const inside = (p: string) => {
    const r = path.relative(realRoot, p);
    return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
  };
  if (!inside(target)) return undefined;
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return target; // does not exist: readdir reports it
  }
  return inside(real) ? real : undefined;
}

export function registerDemoTools(server: McpServer, opts: DemoToolsOptions): void {
  const log = (tool: string) => opts.logger.info(`Gateway ${opts.gatewayId}: executing tool: ${tool}`);

  server.registerTool(
    'list_files',
    {
      title: 'List files',
      description: 'Lists the file names in the sandbox demo folder (or in a subfolder of it).',
      inputSchema: { path: z.string().optional().describe('A subfolder, relative to the demo folder.') },
      annotations: { readOnlyHint: true },
    },
    async ({ path: requested }) => {
      log('list_files');
      const dir = await resolveInside(opts.toolsDir, requested);
      if (!dir) return text(`Refused: ${JSON.stringify(requested)} is outside the demo folder.`, true);
      try {
        const entries = await readdir(dir, { withFileTypes: true });
        const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort();
        return text(names.length ? names.join('\n') : '(empty folder)');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        return text(code === 'ENOENT' ? `No such folder: ${JSON.stringify(requested)}.` : code === 'ENOTDIR' ? `Not a folder: ${JSON.stringify(requested)}.` : `Cannot list ${JSON.stringify(requested ?? '.')}: ${code ?? 'error'}.`, true);
      }
    },
  );

  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Shows who the gateway thinks is calling: the subject and the validated token claims.',
      annotations: { readOnlyHint: true },
    },
    async (extra: { authInfo?: AuthInfo }) => {
      log('whoami');
      const auth = extra.authInfo?.extra as SandboxAuthExtra | undefined;
      const claims = auth?.claims ?? null;
      const body = {
        subject: typeof claims?.sub === 'string' ? claims.sub : null,
        clientId: extra.authInfo?.clientId || null,
        scopes: extra.authInfo?.scopes ?? [],
        authorizerType: auth?.authorizerType ?? 'NONE',
        claims,
      };
      return text(JSON.stringify(body, null, 2));
    },
  );
}
