/** Interactive sign-in as mcp-remote does it: authorization code + PKCE S256 + state, loopback callback. */
import type { Logger } from '../core/logger.js';
import { withProgress } from '../core/progress.js';
import { openBrowser, type Opener } from './browser.js';
import { startCallbackServer } from './loopback.js';
import { createPkce, createState } from './pkce.js';
import { exchangeCode, type TokenResponse } from './tokens.js';

export interface LoginOptions {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  clientId: string;
  scopes: string[];
  resource?: string;
  host: 'localhost' | '127.0.0.1';
  port: number;
  logger: Logger;
  opener?: Opener;
  /** How long to wait for the browser to come back. */
  timeoutMs: number;
  /** Per HTTP call to the token endpoint. */
  httpTimeoutMs?: number;
  extraAuthorizeParams?: Record<string, string>;
}

export function buildAuthorizationUrl(args: {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  challenge: string;
  resource?: string;
  extra?: Record<string, string>;
}): string {
  const url = new URL(args.authorizationEndpoint);
  const p = url.searchParams;
  p.set('response_type', 'code');
  p.set('client_id', args.clientId);
  p.set('code_challenge', args.challenge);
  p.set('code_challenge_method', 'S256');
  p.set('redirect_uri', args.redirectUri);
  p.set('state', args.state);
  if (args.scopes.length) p.set('scope', args.scopes.join(' '));
  if (args.scopes.includes('offline_access')) p.set('prompt', 'consent');
  if (args.resource) p.set('resource', args.resource);
  for (const [k, v] of Object.entries(args.extra ?? {})) p.set(k, v);
  return url.toString();
}

export async function runLogin(opts: LoginOptions): Promise<TokenResponse> {
  const pkce = createPkce();
  const state = createState();
  const server = await startCallbackServer({ host: opts.host, port: opts.port, path: '/oauth/callback', expectedState: state, timeoutMs: opts.timeoutMs });
  try {
    const url = buildAuthorizationUrl({
      authorizationEndpoint: opts.authorizationEndpoint,
      clientId: opts.clientId,
      redirectUri: server.redirectUri,
      scopes: opts.scopes,
      state,
      challenge: pkce.challenge,
      resource: opts.resource,
      extra: opts.extraAuthorizeParams,
    });
    opts.logger.debug(`Waiting for the sign-in callback on ${server.redirectUri}`);
    // not awaited: an opener may itself drive the whole flow (tests, headless sandboxes); it never throws
    void openBrowser(url, { logger: opts.logger, opener: opts.opener });
    const secs = Math.round(opts.timeoutMs / 1000);
    const { code } = await withProgress(
      opts.logger,
      `Waiting for the sign-in in your browser to come back to ${server.redirectUri} (up to ${secs} s, --login-timeout; Ctrl-C to stop)`,
      () => server.result,
    );
    return await exchangeCode(
      { tokenEndpoint: opts.tokenEndpoint, clientId: opts.clientId, code, redirectUri: server.redirectUri, verifier: pkce.verifier, resource: opts.resource },
      { timeoutMs: opts.httpTimeoutMs },
    );
  } finally {
    await server.close();
  }
}
