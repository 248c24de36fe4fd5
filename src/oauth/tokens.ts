/**
 * Token endpoint calls for a public client (no secret): authorization-code exchange with PKCE,
 * refresh, RFC 7009 revocation, and an unverified JWT decoder for diagnostics.
 * Errors carry the OAuth `error` and `error_description`, never a token.
 */
import { explainIdpError } from './idp-errors.js';
import { CliError } from '../core/errors.js';
import { httpFetch, readJsonBody } from '../core/http.js';
import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';

export interface TokenResponse {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  scope?: string;
  [k: string]: unknown;
}

export interface TokenCallOptions {
  timeoutMs?: number;
  /** Retries are reported here at debug level. */
  logger?: Pick<Logger, 'debug'>;
}

function form(fields: Record<string, string | undefined>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') body.set(k, v);
  return body;
}


function oauthErrorText(body: Record<string, unknown> | undefined): { error?: string; description?: string } {
  const error = typeof body?.error === 'string' ? body.error : undefined;
  const description = typeof body?.error_description === 'string' ? redact(body.error_description) : undefined;
  return { error, description };
}

async function tokenRequest(
  tokenEndpoint: string,
  fields: Record<string, string | undefined>,
  grant: 'authorization_code' | 'refresh_token',
  opts: TokenCallOptions,
): Promise<TokenResponse> {
  const what = grant === 'refresh_token' ? 'the token refresh' : 'the authorization code exchange';
  const res = await httpFetch(
    tokenEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form(fields),
    },
    {
      timeoutMs: opts.timeoutMs,
      logger: opts.logger,
      purpose: what,
      // A code, a verifier or a refresh token: never over plain http to another machine (httpFetch refuses it).
      secret: true,
      // A code is single-use and a refresh may rotate the refresh token: repeat only what the IdP did not process.
      retry: 'refused-only',
      unknownOutcomeFix:
        grant === 'refresh_token'
          ? 'The IdP may have rotated the refresh token without this tool getting the new one: sign in again.'
          : 'The IdP may have used the authorization code without this tool getting the tokens: sign in again.',
    },
  );
  const body = await readJsonBody(res);
  if (!res.ok) {
    const { error, description } = oauthErrorText(body);
    const detail = error ? `${error}${description ? `: ${description}` : ''}` : `HTTP ${res.status}`;
    const why = error ? explainIdpError(error, description, { clientId: fields.client_id, redirectUri: fields.redirect_uri, step: 'token', grant }) : undefined;
    throw new CliError(`The token endpoint refused ${what}: ${detail}.${why ? ` ${why.finding}` : ''}`, {
      code: error ? `token_${error}` : `token_http_${res.status}`,
      ...(why ? { fix: why.fix } : {}),
    });
  }
  if (!body || typeof body.access_token !== 'string' || !body.access_token) {
    throw new CliError(`The token endpoint answered ${what} without an access_token.`, { code: 'token_missing' });
  }
  return { ...body, token_type: typeof body.token_type === 'string' ? body.token_type : 'Bearer' } as TokenResponse;
}

export function exchangeCode(
  args: { tokenEndpoint: string; clientId: string; code: string; redirectUri: string; verifier: string; resource?: string },
  opts: TokenCallOptions = {},
): Promise<TokenResponse> {
  return tokenRequest(
    args.tokenEndpoint,
    {
      grant_type: 'authorization_code',
      code: args.code,
      redirect_uri: args.redirectUri,
      client_id: args.clientId,
      code_verifier: args.verifier,
      resource: args.resource,
    },
    'authorization_code',
    opts,
  );
}

export function refreshTokens(
  args: { tokenEndpoint: string; clientId: string; refreshToken: string; resource?: string; scope?: string },
  opts: TokenCallOptions = {},
): Promise<TokenResponse> {
  return tokenRequest(
    args.tokenEndpoint,
    {
      grant_type: 'refresh_token',
      refresh_token: args.refreshToken,
      client_id: args.clientId,
      resource: args.resource,
      scope: args.scope,
    },
    'refresh_token',
    opts,
  );
}

export interface RevokeResult {
  ok: boolean;
  status: number;
  error?: string;
}

/** RFC 7009: 200 means revoked (or already unknown to the server). Network failures throw CliError. */
export async function revokeToken(
  args: { revocationEndpoint: string; clientId: string; token: string; tokenTypeHint: 'access_token' | 'refresh_token' },
  opts: TokenCallOptions = {},
): Promise<RevokeResult> {
  const res = await httpFetch(
    args.revocationEndpoint,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form({ token: args.token, token_type_hint: args.tokenTypeHint, client_id: args.clientId }),
    },
    // RFC 7009 revocation is safe to repeat: revoking a revoked or unknown token answers 200.
    { timeoutMs: opts.timeoutMs, logger: opts.logger, purpose: 'token revocation', retry: 'idempotent', secret: true },
  );
  if (res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, status: res.status };
  }
  const { error, description } = oauthErrorText(await readJsonBody(res));
  return { ok: false, status: res.status, error: error ? `${error}${description ? `: ${description}` : ''}` : `HTTP ${res.status}` };
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Decodes a JWS compact token WITHOUT verifying it (diagnostics only). Opaque tokens give null. */
export function decodeJwtClaims(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as unknown;
    if (!header || typeof header !== 'object' || Array.isArray(header)) return null;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return null;
    return { header: header as Record<string, unknown>, payload: payload as Record<string, unknown> };
  } catch {
    return null;
  }
}
