/** Interactive sign-in as mcp-remote does it: authorization code + PKCE S256 + state, loopback callback. */
import type { Logger } from '../core/logger.js';
import { withProgress } from '../core/progress.js';
import { openBrowser, type Opener } from './browser.js';
import { startCallbackServer } from './loopback.js';
import { createPkce, createState } from './pkce.js';
import { probeAuthorization } from './authorize-probe.js';
import { explainIdpError } from './idp-errors.js';
import { decodeJwtClaims, exchangeCode, type TokenResponse } from './tokens.js';
import { CliError } from '../core/errors.js';

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
  /** Send no nonce even with openid: the sign-in stands for mcp-remote's, which sends none. */
  noNonce?: boolean;
}

export function buildAuthorizationUrl(args: {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scopes: string[];
  state: string;
  challenge: string;
  resource?: string;
  /** OpenID Connect nonce (sent whenever openid is asked; some IdPs require it). */
  nonce?: string;
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
  if (args.nonce) p.set('nonce', args.nonce);
  for (const [k, v] of Object.entries(args.extra ?? {})) p.set(k, v);
  return url.toString();
}

export async function runLogin(opts: LoginOptions): Promise<TokenResponse> {
  const pkce = createPkce();
  const state = createState();
  // OpenID Connect: a nonce whenever openid is asked (some IdPs refuse the request without one), checked in the ID token.
  // Except when the sign-in stands for mcp-remote's, which sends none: an IdP that insists must fail here as it will there.
  const nonce = opts.scopes.includes('openid') && !opts.noNonce ? createState() : undefined;
  const redirectUri = `http://${opts.host}:${opts.port}/oauth/callback`;
  const facts = { clientId: opts.clientId, redirectUri, scopes: opts.scopes };
  const server = await startCallbackServer({ host: opts.host, port: opts.port, path: '/oauth/callback', expectedState: state, timeoutMs: opts.timeoutMs, facts });
  try {
    const url = buildAuthorizationUrl({
      authorizationEndpoint: opts.authorizationEndpoint,
      clientId: opts.clientId,
      redirectUri: server.redirectUri,
      scopes: opts.scopes,
      state,
      challenge: pkce.challenge,
      resource: opts.resource,
      nonce,
      extra: opts.extraAuthorizeParams,
    });
    // An IdP that refuses the request outright (an unregistered redirect URI, an unknown client) says so now,
    // not after the whole --login-timeout.
    const refusal = await probeAuthorization(url, Math.min(10_000, opts.timeoutMs));
    if (refusal) {
      const why = explainIdpError(refusal.error, refusal.description ?? (refusal.error ? undefined : refusal.text), { ...facts, step: 'authorize' });
      throw new CliError(`${why.finding} (The authorization endpoint ${refusal.endpoint} answered HTTP ${refusal.status}.)`, { code: `authorize_${refusal.error ?? 'refused'}`, fix: why.fix });
    }
    opts.logger.debug(`Waiting for the sign-in callback on ${server.redirectUri}`);
    // not awaited: an opener may itself drive the whole flow (tests, headless sandboxes); it never throws
    void openBrowser(url, { logger: opts.logger, opener: opts.opener });
    const secs = Math.round(opts.timeoutMs / 1000);
    const { code } = await withProgress(
      opts.logger,
      `Waiting for the sign-in in your browser to come back to ${server.redirectUri} (up to ${secs} s, --login-timeout; Ctrl-C to stop)`,
      () => server.result,
    );
    const tokens = await exchangeCode(
      { tokenEndpoint: opts.tokenEndpoint, clientId: opts.clientId, code, redirectUri: server.redirectUri, verifier: pkce.verifier, resource: opts.resource },
      { timeoutMs: opts.httpTimeoutMs },
    );
    if (nonce && tokens.id_token) {
      const got = decodeJwtClaims(tokens.id_token)?.payload.nonce;
      if (got !== nonce) {
        throw new CliError(`The ID token's nonce ${got === undefined ? 'is missing' : 'does not match the one sent'}: the IdP did not bind it to this sign-in.`, {
          code: 'nonce_mismatch',
          fix: 'The IdP must copy the authorization request\'s nonce into the ID token (OpenID Connect Core 3.1.3.7); check its OIDC settings.',
        });
      }
    }
    return tokens;
  } finally {
    await server.close();
  }
}
