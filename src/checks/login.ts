/** Check: a real sign-in (authorization code + PKCE, loopback callback) yields tokens, as mcp-remote would get them. */
import { isCancelled } from '../core/cancel.js';
import { CancelledError, CliError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Opener } from '../oauth/browser.js';
import type { AuthorizationServerMetadata } from '../oauth/discovery.js';
import { runLogin } from '../oauth/login.js';
import { decodeJwtClaims, type TokenResponse } from '../oauth/tokens.js';
import type { CheckResult } from './types.js';

const base = { id: 'login', stage: 'login', title: 'Sign-in (authorization code + PKCE)' } as const;

export interface LoginCheckInput {
  metadata: AuthorizationServerMetadata;
  clientId?: string;
  scopes: string[];
  resource?: string;
  /** Extra authorization request parameters the client sends (mcp-remote --authorize-param, e.g. Auth0's audience). */
  authorizeParams?: Record<string, string>;
  /** The sign-in stands for mcp-remote's (a client entry): like it, send no nonce. */
  noNonce?: boolean;
  host: 'localhost' | '127.0.0.1';
  port: number;
  logger: Logger;
  opener?: Opener;
  loginTimeoutMs: number;
  timeoutMs?: number;
}

export async function checkLogin(input: LoginCheckInput): Promise<{ result: CheckResult; tokens?: TokenResponse }> {
  if (!input.clientId) {
    return {
      result: {
        ...base,
        status: 'skip',
        finding: 'No client id, so no sign-in was tried.',
        fix: 'Pass --client-id (the public client registered at the IdP) to test the sign-in and the MCP calls.',
      },
    };
  }
  const { authorization_endpoint: authz, token_endpoint: token } = input.metadata;
  if (!authz || !token) {
    return { result: { ...base, status: 'skip', finding: 'The authorization server metadata lacks an authorization or token endpoint.' } };
  }
  input.logger.step(`Signing in as client ${input.clientId} (scopes: ${input.scopes.join(' ') || 'none'})`);
  let tokens: TokenResponse;
  try {
    tokens = await runLogin({
      authorizationEndpoint: authz,
      tokenEndpoint: token,
      clientId: input.clientId,
      scopes: input.scopes,
      resource: input.resource,
      host: input.host,
      port: input.port,
      logger: input.logger,
      opener: input.opener,
      timeoutMs: input.loginTimeoutMs,
      httpTimeoutMs: input.timeoutMs,
      extraAuthorizeParams: input.authorizeParams,
      ...(input.noNonce ? { noNonce: true } : {}),
    });
  } catch (err) {
    if (err instanceof CancelledError || isCancelled()) throw err; // Ctrl-C is no finding
    return {
      result: {
        ...base,
        status: 'fail',
        finding: errorMessage(err),
        fix: err instanceof CliError ? err.fix : undefined,
        details: { redirectUri: `http://${input.host}:${input.port}/oauth/callback`, code: err instanceof CliError ? err.code : undefined },
      },
    };
  }
  const jwt = decodeJwtClaims(tokens.access_token) !== null;
  const parts = [
    `Signed in: ${jwt ? 'a JWT' : 'an opaque'} access token`,
    tokens.expires_in !== undefined ? `valid ${Math.round(Number(tokens.expires_in) / 60)} min` : undefined,
    tokens.refresh_token ? 'a refresh token' : 'no refresh token',
    tokens.id_token ? 'an ID token' : undefined,
  ].filter(Boolean);
  return {
    result: {
      ...base,
      status: 'pass',
      finding: `${parts.join(', ')}.`,
      details: { redirectUri: `http://${input.host}:${input.port}/oauth/callback`, scope: tokens.scope, expiresIn: tokens.expires_in, refreshToken: !!tokens.refresh_token },
    },
    tokens,
  };
}
