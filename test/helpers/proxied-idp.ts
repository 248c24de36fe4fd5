/**
 * The sandbox identity provider (oidc-provider) behind the fault proxy, and the truth about its clients read
 * straight at its own origin. Shared by the e2e files that inject faults at the IdP (faults, truth).
 *
 * oidc-provider's issuer is fixed at creation and must be the origin clients use, and it builds endpoint URLs from
 * the request's Host (which the proxy forwards unchanged). So: listen first (port 0, handler set later), put the
 * proxy in front, then create the IdP with issuer = the proxy's origin.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createMemoryLogger, type Logger } from '../../src/core/logger.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

export interface ProxiedIdp {
  issuer: string;
  proxy: FaultProxy;
  /** The IdP's own origin (behind the proxy), for reading the truth. */
  direct: string;
  log: Logger & { lines: string[] };
  close(): Promise<void>;
}

export async function startProxiedIdp(opts: { autoLogin?: string } = {}): Promise<ProxiedIdp> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_q, s) => void s.writeHead(503).end();
  const inner: Server = createServer((q, s) => handler(q, s));
  await new Promise<void>((r) => inner.listen(0, '127.0.0.1', r));
  const addr = inner.address();
  const direct = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const proxy = await startFaultProxy({ target: direct });
  const log = createMemoryLogger();
  const { createSandboxIdp } = await import('../../src/sandbox/idp.js');
  const idp = await createSandboxIdp({ issuer: proxy.origin, autoLogin: opts.autoLogin ?? 'alice', logger: log });
  handler = idp.handler;
  return {
    issuer: proxy.origin,
    proxy,
    direct,
    log,
    async close() {
      await proxy.close().catch(() => undefined);
      await idp.close();
      inner.closeAllConnections();
      await new Promise<void>((r) => inner.close(() => r()));
    },
  };
}

export interface Registration {
  clientId: string;
  uri: string;
  token: string;
}

/** The client init registered (the newest one), with its RFC 7592 management URI and token, from the setup's files. */
export async function registrationOf(files: { journal: string; secrets: string }): Promise<Registration> {
  const journal = JSON.parse(await readFile(files.journal, 'utf8')) as { entries: Array<{ seq: number; kind: string; state: string; result?: { app?: { clientId: string; extras: Record<string, string> } } }> };
  const secrets = JSON.parse(await readFile(files.secrets, 'utf8')) as Record<string, string>;
  const e = journal.entries.filter((x) => x.kind === 'idp-app' && x.state === 'done').at(-1);
  assert.ok(e?.result?.app, 'the journal records the registered client');
  const token = Object.entries(secrets).find(([k]) => k.startsWith(`app.${e.seq}.`) && k.endsWith('registrationAccessToken'))?.[1];
  assert.ok(token, 'the registration access token is kept in the secrets file');
  return { clientId: e.result.app.clientId, uri: e.result.app.extras.registrationClientUri!, token };
}

/** RFC 7592 read straight at the IdP's origin: the client's metadata, or null when it no longer exists. */
export async function readRegistration(reg: Registration, idpOrigin: string): Promise<Record<string, unknown> | null> {
  const u = new URL(reg.uri);
  const res = await fetch(`${idpOrigin}${u.pathname}`, { headers: { authorization: `Bearer ${reg.token}` } });
  if (res.status === 200) return (await res.json()) as Record<string, unknown>;
  await res.body?.cancel();
  if (res.status === 401 || res.status === 404) return null;
  assert.fail(`RFC 7592 read answered ${res.status}`);
}

/** Does the client still exist at the IdP? */
export async function clientExists(reg: Registration, idpOrigin: string): Promise<boolean> {
  return (await readRegistration(reg, idpOrigin)) !== null;
}

/** How often the IdP logged an event for a client (registered, deleted). */
export function idpEvents(log: { lines: string[] }, event: 'registered' | 'deleted', clientId?: string): number {
  return log.lines.filter((l) => l.includes(`IdP: ${event} client ${clientId ?? ''}`)).length;
}

/**
 * The end of an e2e file that ran the CLI against a sandbox and proxies: close what was opened (in reverse), remove
 * the temporary root, and fail the file if any run printed something that looks like a JWT.
 */
export async function closeWorld(
  w: { closers: Array<{ close?: () => Promise<unknown> | void; destroy?: () => void } | undefined>; root?: string; outputs: Array<{ args: string[]; text: string }> },
): Promise<void> {
  for (const c of w.closers) {
    if (!c) continue;
    if (c.destroy) c.destroy();
    else await c.close?.();
  }
  if (w.root) await rm(w.root, { recursive: true, force: true });
  for (const o of w.outputs) assert.doesNotMatch(o.text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/, `a token was printed by: agentcore-auth ${o.args.join(' ')}`);
}
