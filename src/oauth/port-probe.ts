/**
 * Is a loopback callback port usable? Shared by init's preflight (before anything is made) and verify's
 * callback-port check, so both say the same thing about the same port.
 */
import { createServer } from 'node:net';
import { readText } from '../core/http.js';

export type ListenOutcome = 'free' | 'busy' | 'denied' | 'unavailable';

/** Try to listen on host:port for a moment. */
export function tryListen(port: number, host: string): Promise<ListenOutcome> {
  return new Promise((resolveOutcome) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolveOutcome('busy');
      else if (err.code === 'EACCES' || err.code === 'EPERM') resolveOutcome('denied');
      else resolveOutcome('unavailable'); // EADDRNOTAVAIL / EAFNOSUPPORT: no such address here (no IPv6)
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolveOutcome('free')));
  });
}

/** Asks a busy port whether mcp-remote holds it (its `/.mcp-remote/id` coordination endpoint). */
export async function whoHolds(port: number, host: string, timeoutMs: number): Promise<{ mcpRemote: boolean; serverUrlHash?: string }> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/.mcp-remote/id`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { mcpRemote: false };
    const body = JSON.parse(await readText(res)) as { mcpRemote?: unknown; serverUrlHash?: unknown };
    return body?.mcpRemote === true ? { mcpRemote: true, ...(typeof body.serverUrlHash === 'string' ? { serverUrlHash: body.serverUrlHash } : {}) } : { mcpRemote: false };
  } catch {
    return { mcpRemote: false };
  }
}

export interface PortProblem {
  /** busy: another program listens there; denied: a normal user may not listen there. */
  kind: 'busy' | 'denied';
  /** Where: "127.0.0.1:3334" or "[::1]:3334". */
  where: string;
}

/**
 * Why mcp-remote could not receive a sign-in on this port, or undefined when it can. A port held by mcp-remote
 * itself is no problem (a sign-in of this very setup may be under way; verify tells the cases apart).
 */
export async function callbackPortProblem(port: number, host: 'localhost' | '127.0.0.1' | string, timeoutMs = 1_000): Promise<PortProblem | undefined> {
  const v4 = await tryListen(port, '127.0.0.1');
  if (v4 === 'denied') return { kind: 'denied', where: `127.0.0.1:${port}` };
  if (v4 === 'busy') return (await whoHolds(port, '127.0.0.1', timeoutMs)).mcpRemote ? undefined : { kind: 'busy', where: `127.0.0.1:${port}` };
  if (host === 'localhost' && (await tryListen(port, '::1')) === 'busy') {
    return (await whoHolds(port, '::1', timeoutMs)).mcpRemote ? undefined : { kind: 'busy', where: `[::1]:${port}` };
  }
  return undefined;
}

/** The first port from `from` upward (within 100) that is free on the loopback addresses. */
export async function findFreeCallbackPort(from: number, host: string): Promise<number | undefined> {
  for (let p = from; p < Math.min(from + 100, 65536); p++) {
    if (!(await callbackPortProblem(p, host))) return p;
  }
  return undefined;
}
