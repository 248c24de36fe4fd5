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
  resource?: string;
  timeoutMs?: number;
}

export async function checkRefresh(input: RefreshCheckInput): Promise<{ result: CheckResult; tokens?: TokenResponse }> {
  if (!input.refreshToken) {
    return {
      result: {
        ...base,
        status: 'warn',
        finding: 'The sign-in issued no refresh token: mcp-remote will open the browser again whenever the access token expires.',
        fix: input.scopes.includes('offline_access')
          ? 'Enable the Refresh Token grant for the app at the IdP.'
          : 'Add offline_access to the scopes (and enable the Refresh Token grant for the app).',
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
