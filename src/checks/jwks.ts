/** Check: the IdP's JWKS serves at least one key the gateway can verify signatures with. */
import { CliError, errorMessage } from '../core/errors.js';
import { fetchJwks, type JwksResult } from '../oauth/discovery.js';
import type { CheckOptions, CheckResult } from './types.js';

const base = { id: 'jwks', stage: 'metadata', title: 'Signing keys (JWKS)' } as const;

export async function checkJwks(jwksUri: string | undefined, opts: CheckOptions = {}): Promise<{ result: CheckResult; jwks?: JwksResult }> {
  if (!jwksUri) {
    return {
      result: {
        ...base,
        status: 'fail',
        finding: 'The authorization server metadata has no jwks_uri, so the gateway cannot validate tokens.',
        fix: 'Use the IdP\'s OIDC discovery URL (it always names jwks_uri).',
      },
    };
  }
  let jwks: JwksResult;
  try {
    jwks = await fetchJwks(jwksUri, { timeoutMs: opts.timeoutMs });
  } catch (err) {
    return {
      result: { ...base, status: 'fail', finding: errorMessage(err), fix: err instanceof CliError ? err.fix : undefined, details: { url: jwksUri } },
    };
  }
  const kids = jwks.signingKeys.map((k) => `${k.kty}${k.alg ? `/${k.alg}` : ''}${k.kid ? ` ${k.kid}` : ''}`);
  const details = { url: jwksUri, keys: jwks.keys.length, signingKeys: kids };
  if (!jwks.signingKeyCount) {
    return {
      result: {
        ...base,
        status: 'fail',
        finding: `${jwksUri} holds ${jwks.keys.length} key(s) and none is a usable signing key (RSA, EC or OKP with use "sig"): every token will be rejected.`,
        fix: 'Check the IdP\'s signing key configuration (a key rotation in progress, or only encryption keys published).',
        details,
      },
      jwks,
    };
  }
  return {
    result: { ...base, status: 'pass', finding: `${jwks.signingKeyCount} signing key(s) at ${jwksUri}.`, details },
    jwks,
  };
}
