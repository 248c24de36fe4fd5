/**
 * The sandbox: one loopback origin serving the identity provider (oidc-provider) and the
 * AgentCore-compatible control plane; each gateway gets its own data-plane port, like AWS gives
 * each gateway its own host.
 */
import { mkdtemp, writeFile, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

export interface SandboxOptions {
  host?: string;
  port?: number;
  autoLogin?: string;
  region?: string;
  accountId?: string;
  toolsDir?: string;
  readyDelayMs?: number;
  initialAccessToken?: string;
  logger: Logger;
}

export interface SandboxInfo {
  issuer: string;
  discoveryUrl: string;
  controlPlaneEndpoint: string;
  region: string;
  accountId: string;
  roleArn: string;
  toolsDir: string;
  autoLogin: string | null;
  users: string[];
}

export interface Sandbox extends SandboxInfo {
  close(): Promise<void>;
}

async function demoFiles(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'agentcore-auth-sandbox-files-'));
  await writeFile(join(dir, 'README.md'), '# Sandbox files\nServed by the list_files demo tool.\n');
  await writeFile(join(dir, 'quarterly-report.txt'), 'Revenue up 12%.\n');
  await mkdir(join(dir, 'designs'));
  await writeFile(join(dir, 'designs', 'gateway.md'), 'Kiro -> mcp-remote -> AgentCore Gateway -> tools\n');
  return dir;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new CliError(`Port ${port} on ${host} is in use.`, { code: 'port_in_use', fix: 'Pass another --port, or --port 0 to pick a free one.' }));
      } else reject(err);
    });
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '123456789012';
  let handle: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end('starting');
  };
  const server = createServer((req, res) => handle(req, res));
  const port = await listen(server, host, opts.port ?? 0);
  const origin = `http://${host}:${port}`;
  // A demo folder we made is ours to remove on close(); a --files folder is the user's and stays.
  const ownToolsDir = !opts.toolsDir;
  const toolsDir = opts.toolsDir ?? (await demoFiles().catch(async (err) => {
    await new Promise((r) => server.close(r));
    throw err;
  }));
  const [{ createSandboxIdp, DEFAULT_USERS }, { createControlPlane }] = await Promise.all([import('./idp.js'), import('./controlplane.js')]);
  const idp = await createSandboxIdp({ issuer: origin, autoLogin: opts.autoLogin, initialAccessToken: opts.initialAccessToken, logger: opts.logger }).catch(async (err) => {
    await new Promise((r) => server.close(r));
    if (ownToolsDir) await rm(toolsDir, { recursive: true, force: true });
    throw err;
  });
  const cp = createControlPlane({ host, region, accountId, logger: opts.logger, readyDelayMs: opts.readyDelayMs, toolsDir });
  handle = (req, res) => (cp.matches(req) ? cp.handler(req, res) : idp.handler(req, res));
  return {
    issuer: idp.issuer,
    discoveryUrl: idp.discoveryUrl,
    controlPlaneEndpoint: origin,
    region,
    accountId,
    roleArn: `arn:aws:iam::${accountId}:role/AgentCoreGatewaySandboxRole`,
    toolsDir,
    autoLogin: opts.autoLogin ?? null,
    users: DEFAULT_USERS.map((u) => u.username),
    async close() {
      await cp.close();
      await idp.close();
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      if (ownToolsDir) await rm(toolsDir, { recursive: true, force: true });
    },
  };
}
