/**
 * The loopback redirect receiver (RFC 8252 §7.3): a one-shot HTTP server on 127.0.0.1 that takes
 * the authorization response at /oauth/callback (mcp-remote's path) and answers the browser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { cancelSignal, cancelledError } from '../core/cancel.js';
import { CliError } from '../core/errors.js';
import { explainIdpError, type SignInFacts } from './idp-errors.js';

export interface CallbackServerOptions {
  host: 'localhost' | '127.0.0.1';
  /** 0 picks a free port (tests); a real IdP needs the exact registered port. */
  port: number;
  path?: string;
  expectedState: string;
  timeoutMs: number;
  /** This sign-in's client, scopes and redirect URI: an error the IdP sends back is explained with them. */
  facts?: SignInFacts;
}

export interface CallbackResult {
  code: string;
  /** RFC 9207 `iss`, when the IdP sends it. */
  iss?: string;
}

export interface CallbackServer {
  redirectUri: string;
  /** The port actually bound (useful when 0 was asked for). */
  port: number;
  result: Promise<CallbackResult>;
  close(): Promise<void>;
}

function page(title: string, text: string): string {
  const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:system-ui,sans-serif;margin:3em"><h1>${esc(title)}</h1><p>${esc(text)}</p></body></html>`;
}

function listen(server: Server, port: number, host: string, ipv6Only = false): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, ipv6Only, exclusive: true });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function portInUse(port: number): CliError {
  return new CliError(`Callback port ${port} is in use by another process.`, {
    code: 'callback_port_in_use',
    fix: `Stop the other process (often another mcp-remote waiting for a sign-in), or pass --callback-port with a free port that is also registered as a redirect URI at the IdP.`,
  });
}

/**
 * Starts the callback server. `localhost` binds 127.0.0.1 and, when the machine has IPv6, ::1 as well,
 * so the browser reaches it whichever address it resolves `localhost` to.
 */
export async function startCallbackServer(opts: CallbackServerOptions): Promise<CallbackServer> {
  const path = opts.path ?? '/oauth/callback';
  let settle!: { resolve: (r: CallbackResult) => void; reject: (e: Error) => void };
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const result = new Promise<CallbackResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // the caller may close without awaiting: never let this become an unhandled rejection
  result.catch(() => undefined);
  const cancel = cancelSignal();
  const onCancel = () => finish(cancelledError());
  const finish = (outcome: { code: string; iss?: string } | Error) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    cancel?.removeEventListener('abort', onCancel);
    if (outcome instanceof Error) settle.reject(outcome);
    else settle.resolve(outcome);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, title: string, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
      res.end(page(title, text));
    };
    if (req.method !== 'GET' || url.pathname !== path) return send(404, 'Not found', 'This server only receives the sign-in callback.');
    const q = url.searchParams;
    if (settled) return send(409, 'Already done', 'This sign-in has already completed. You can close this tab.');
    const error = q.get('error');
    if (error) {
      const description = q.get('error_description');
      send(400, 'Sign-in failed', `The identity provider answered: ${error}${description ? `: ${description}` : ''}. You can close this tab.`);
      const why = explainIdpError(error, description ?? undefined, { ...opts.facts, step: 'authorize' });
      return finish(new CliError(why.finding, { code: `authorize_${error}`, fix: why.fix }));
    }
    if (q.get('state') !== opts.expectedState) {
      send(400, 'Sign-in failed', 'The callback state did not match this sign-in. You can close this tab and try again.');
      return finish(
        new CliError('The sign-in callback carried a state that does not match this sign-in.', {
          code: 'state_mismatch',
          fix: 'Another sign-in (for example a second mcp-remote) used the same callback port: close it and run the command again.',
        }),
      );
    }
    const code = q.get('code');
    if (!code) {
      send(400, 'Sign-in failed', 'The callback carried no authorization code. You can close this tab.');
      return finish(new CliError('The sign-in callback carried no authorization code.', { code: 'no_code' }));
    }
    send(200, 'Signed in', 'You can close this tab and return to the terminal.');
    finish({ code, ...(q.get('iss') ? { iss: q.get('iss')! } : {}) });
  };

  const v4 = createServer(handler);
  try {
    await listen(v4, opts.port, '127.0.0.1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(opts.port);
    if ((err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new CliError(`Not allowed to listen on callback port ${opts.port}.`, { code: 'callback_port_denied', fix: 'Pass --callback-port with a port above 1024.' });
    }
    throw err;
  }
  const port = (v4.address() as { port: number }).port;
  const servers: Server[] = [v4];
  if (opts.host === 'localhost') {
    const v6 = createServer(handler);
    try {
      await listen(v6, port, '::1', true);
      servers.push(v6);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') {
        await closeServer(v4);
        throw portInUse(port);
      }
      // EADDRNOTAVAIL / EAFNOSUPPORT: no IPv6 loopback here, 127.0.0.1 is enough
    }
  }

  timer = setTimeout(() => {
    finish(
      new CliError(`No sign-in arrived within ${Math.round(opts.timeoutMs / 1000)} s.`, {
        code: 'login_timeout',
        fix: 'Open the printed URL in a browser on this machine and finish the sign-in, or give it longer with --login-timeout (e.g. --login-timeout 10m).',
      }),
    );
  }, opts.timeoutMs);
  timer.unref();
  // Ctrl-C ends the wait at once (src/core/cancel.ts).
  if (cancel?.aborted) onCancel();
  else cancel?.addEventListener('abort', onCancel, { once: true });

  return {
    redirectUri: `http://${opts.host}:${port}${path}`,
    port,
    result,
    async close() {
      finish(new CliError('The sign-in was abandoned.', { code: 'login_abandoned' }));
      clearTimeout(timer);
      await Promise.all(servers.map(closeServer));
    },
  };
}
