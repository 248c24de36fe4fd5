/** Check: the refresh grant works, so users are not sent back to the browser every hour. */
import { CliError, errorMessage } from '../core/errors.js';
import { refreshTokens, type TokenResponse } from '../oauth/tokens.js';
import type { CheckResult } from './types.js';

const base = { id: 'refresh', stage: 'login', title: 'Token refresh' } as const;

export interface RefreshCheckInput {
  tokenEndpoint: string;
  clientId: string;
  refreshToken?: string;
  /** The scopes asked for at sign-in, to explain a missing refresh token. */
  scopes: string[];
  /** Where they came from: given (flag, setup, entry), the 401 challenge, the PRM, or verify's own default. */
  scopesFrom?: 'given' | 'entry' | 'challenge' | 'prm' | 'as' | 'fallback';
  /** The authorization server's grant_types_supported and scopes_supported (RFC 8414), when it lists them. */
  grantTypesSupported?: string[];
  scopesSupported?: string[];
  resource?: string;
  timeoutMs?: number;
}

export async function checkRefresh(input: RefreshCheckInput): Promise<{ result: CheckResult; tokens?: TokenResponse }> {
  if (!input.refreshToken) {
    const finding = 'The sign-in issued no refresh token: mcp-remote will open the browser again whenever the access token expires.';
    // The authorization server says it has no refresh grant at all: nothing to add on this side.
    if (input.grantTypesSupported && !input.grantTypesSupported.includes('refresh_token')) {
      return { result: { ...base, status: 'info', finding: `${finding} The authorization server offers no refresh grant (grant_types_supported: ${input.grantTypesSupported.join(', ') || 'none'}).` } };
    }
    const offline = input.scopes.includes('offline_access');
    const canAsk = !input.scopesSupported || input.scopesSupported.includes('offline_access');
    const fromDefault = input.scopesFrom === 'fallback' || input.scopesFrom === 'prm' || input.scopesFrom === 'challenge' || input.scopesFrom === 'as';
    return {
      result: {
        ...base,
        status: 'warn',
        finding: fromDefault && !offline
          ? `${finding} verify asked for ${input.scopes.join(' ') || 'no scopes'} (${input.scopesFrom === 'fallback' ? "mcp-remote's fallback" : input.scopesFrom === 'prm' ? "the server's scopes_supported" : input.scopesFrom === 'as' ? "the authorization server's scopes_supported" : "the 401 challenge's scope"}, as mcp-remote does), not necessarily what your client asks.`
          : finding,
        fix: offline
          ? 'Enable the Refresh Token grant for the app at the IdP.'
          : fromDefault
            ? `Pass --scopes exactly as your client asks${canAsk ? ' (with offline_access, if the client asks for it)' : ''}, or verify from the setup.`
            : canAsk
              ? 'Add offline_access to the scopes (and enable the Refresh Token grant for the app).'
              : 'Enable the Refresh Token grant for the app at the IdP (this authorization server lists no offline_access scope).',
      },
    };
  }
  try {
    const tokens = await refreshTokens(
      { tokenEndpoint: input.tokenEndpoint, clientId: input.clientId, refreshToken: input.refreshToken, resource: input.resource },
      { timeoutMs: input.timeoutMs },
    );
    const rotated = tokens.refresh_token && tokens.refresh_token !== input.refreshToken;
    return {
      result: {
        ...base,
        status: 'pass',
        finding: `The refresh grant returned a new access token${rotated ? ' and a rotated refresh token' : ''}.`,
        details: { rotated: !!rotated, expiresIn: tokens.expires_in },
      },
      tokens,
    };
  } catch (err) {
    return { result: { ...base, status: 'fail', finding: errorMessage(err), fix: err instanceof CliError ? err.fix : undefined } };
  }
}
