/**
 * Check: the access token is a JWT from the expected issuer and, when the gateway's CUSTOM_JWT rules are known,
 * which rule it would fail. The token is decoded, not verified (the gateway does that).
 */
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { errorMessage } from '../core/errors.js';
import { decodeJwtClaims } from '../oauth/tokens.js';
import type { CheckResult } from './types.js';

const base = { id: 'token-claims', stage: 'login', title: 'Access token claims' } as const;

/** How far this machine's clock may be from the IdP's before it is a finding of its own. */
export const CLOCK_SKEW_TOLERANCE_S = 60;

export interface TokenClaimsInput {
  accessToken: string;
  /** The authorization server's issuer: the gateway checks `iss` against it. */
  expectedIssuer?: string;
  authorizer?: CustomJwtAuthorizer;
  /** Seconds since epoch, for tests. */
  now?: number;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join(' ');
  return undefined;
}

/** The claims worth showing (no token, no personal data beyond the subject). */
export function summariseClaims(p: Record<string, unknown>): Record<string, unknown> {
  const pick = ['iss', 'aud', 'sub', 'client_id', 'cid', 'azp', 'appid', 'scope', 'scp', 'token_use', 'exp', 'iat'];
  const out: Record<string, unknown> = {};
  for (const k of pick) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

export async function checkTokenClaims(input: TokenClaimsInput): Promise<CheckResult> {
  const decoded = decodeJwtClaims(input.accessToken);
  if (!decoded) {
    return {
      ...base,
      status: 'fail',
      finding: 'The access token is opaque (not a JWT): the gateway\'s CUSTOM_JWT authorizer cannot validate it.',
      fix: 'Make the IdP issue JWT access tokens for this API (Auth0: request an audience / set the tenant default audience; Okta: use a custom authorization server).',
    };
  }
  const p = decoded.payload;
  const claims = summariseClaims(p);
  const summary = [
    `iss ${str(p.iss) ?? '(none)'}`,
    `aud ${str(p.aud) ?? '(none)'}`,
    `client ${str(p.client_id) ?? str(p.cid) ?? str(p.azp) ?? str(p.appid) ?? '(none)'}`,
    `scopes ${str(p.scope) ?? str(p.scp) ?? '(none)'}`,
  ].join(', ');
  const details = { header: { alg: decoded.header.alg, kid: decoded.header.kid, typ: decoded.header.typ }, claims };

  if (input.expectedIssuer && p.iss !== input.expectedIssuer) {
    return {
      ...base,
      status: 'fail',
      finding: `The token's iss is "${str(p.iss) ?? ''}" but the authorization server's issuer is "${input.expectedIssuer}": the gateway rejects it.`,
      fix: 'Tokens must come from the same issuer as the gateway\'s discovery URL (Okta: the org authorization server\'s tokens cannot be validated; use the custom one).',
      details,
    };
  }
  const now = input.now ?? Math.floor(Date.now() / 1000);
  // A token the IdP has just issued carries the IdP's time in iat: far from ours, this machine's clock is off,
  // and "expired" (or "not yet valid") is about our clock, not the token.
  const skew = typeof p.iat === 'number' ? now - p.iat : 0;
  if (Math.abs(skew) > CLOCK_SKEW_TOLERANCE_S) {
    const at = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    return {
      ...base,
      status: 'warn',
      finding: `This machine's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the IdP's: the token was just issued at ${at(p.iat as number)} (IdP clock) and this machine says ${at(now)}. Expiry is judged by the IdP's and the gateway's clocks, not this one (${summary}).`,
      fix: 'Set this machine\'s clock right (enable NTP: timedatectl set-ntp true, or the OS\'s date & time settings); a clock this far off also makes mcp-remote think fresh tokens have expired.',
      details: { ...details, clockSkewSeconds: skew },
    };
  }
  if (typeof p.exp === 'number' && p.exp <= now) {
    return { ...base, status: 'fail', finding: `The token expired ${now - p.exp} s ago (${summary}).`, fix: 'Sign in again.', details };
  }
  if (!input.authorizer) {
    return { ...base, status: 'pass', finding: `JWT with ${summary}. The gateway's rules are not known here, so they were not compared.`, details };
  }
  let decision;
  try {
    const { evaluateAuthorizer } = await import('../authorizer/evaluate.js');
    decision = evaluateAuthorizer(input.authorizer, p);
  } catch (err) {
    return { ...base, status: 'warn', finding: `JWT with ${summary}; comparing it with the gateway's rules failed: ${errorMessage(err)}`, details };
  }
  if (decision.allow) {
    return { ...base, status: 'pass', finding: `JWT with ${summary}; it satisfies the gateway's CUSTOM_JWT rules.`, details };
  }
  return {
    ...base,
    status: 'fail',
    finding: `The gateway would reject this token: ${decision.reason.replace(/\.$/, '')} (rule ${decision.rule}).`,
    fix: 'Change the IdP app (so the token carries what the rule wants) or the gateway rule, then sign in again.',
    details: { ...details, rule: decision.rule },
  };
}
