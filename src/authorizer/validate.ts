/**
 * JWT validation as AgentCore's CUSTOM_JWT authorizer does it: discovery document at the configured
 * discoveryUrl, its jwks_uri, signature, exp/nbf (with clock skew), iss equal to the discovery document's
 * `issuer`, then the claim rules (evaluate.ts). Failures name the rule and give one readable sentence;
 * no failure text ever contains the token.
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { errorMessage } from '../core/errors.js';
import { getJson } from '../core/http.js';
import { describeValue, evaluateAuthorizer } from './evaluate.js';
import type { CustomJwtAuthorizer } from './types.js';

export type ValidationResult = { ok: true; claims: Record<string, unknown> } | { ok: false; rule: string; reason: string };

export interface JwtValidator {
  validate(token: string, rules: CustomJwtAuthorizer): Promise<ValidationResult>;
}

export interface JwtValidatorOptions {
  /** Tolerance for exp/nbf, in seconds. Default 60. */
  clockSkewSeconds?: number;
  /** Timeout for fetching the discovery document and the JWKS. Default 5000 ms. */
  timeoutMs?: number;
  /** Clock for exp/nbf and the discovery cache (ms since epoch). Default Date.now. */
  now?: () => number;
  /** How long a discovery document is reused. Default 5 minutes. */
  discoveryCacheMs?: number;
  /** Minimum time between two JWKS refetches triggered by an unknown `kid` (jose's cooldown). Default 30 s. */
  jwksCooldownMs?: number;
}

export interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
  [key: string]: unknown;
}

type Failure = { ok: false; rule: string; reason: string };
const fail = (rule: string, reason: string): Failure => ({ ok: false, rule, reason });

export function createJwtValidator(opts: JwtValidatorOptions = {}): JwtValidator {
  const skew = opts.clockSkewSeconds ?? 60;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const now = opts.now ?? Date.now;
  const discoveryTtl = opts.discoveryCacheMs ?? 5 * 60_000;
  const cooldown = opts.jwksCooldownMs ?? 30_000;

  const discoveryCache = new Map<string, { at: number; doc: Promise<DiscoveryDocument> }>();
  const jwksCache = new Map<string, JWTVerifyGetKey>();

  function discovery(url: string): Promise<DiscoveryDocument> {
    const hit = discoveryCache.get(url);
    if (hit && now() - hit.at < discoveryTtl) return hit.doc;
    const doc = (async () => {
      const d = await getJson<Record<string, unknown>>(url, { timeoutMs, purpose: 'fetching the OIDC discovery document' });
      if (typeof d.issuer !== 'string' || !d.issuer) throw new Error(`the discovery document at ${url} has no issuer`);
      if (typeof d.jwks_uri !== 'string' || !URL.canParse(d.jwks_uri)) throw new Error(`the discovery document at ${url} has no valid jwks_uri`);
      return d as DiscoveryDocument;
    })();
    discoveryCache.set(url, { at: now(), doc });
    // A failed fetch is not cached: the next request tries again.
    doc.catch(() => discoveryCache.delete(url));
    return doc;
  }

  function keySet(jwksUri: string): JWTVerifyGetKey {
    let set = jwksCache.get(jwksUri);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutMs, cooldownDuration: cooldown });
      jwksCache.set(jwksUri, set);
    }
    return set;
  }

  async function validate(token: string, rules: CustomJwtAuthorizer): Promise<ValidationResult> {
    // 1. Format: three base64url segments with JSON header and payload.
    if (typeof token !== 'string' || token.split('.').length !== 3) {
      return fail('format', 'The bearer value is not a JWT (expected three dot-separated parts; opaque access tokens are not accepted).');
    }
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
      decodeJwt(token);
    } catch {
      return fail('format', 'The bearer value is not a well-formed JWT (its header or payload is not base64url JSON).');
    }
    if (!header.alg || header.alg.toLowerCase() === 'none' || token.endsWith('.')) {
      return fail('signature', `The token is unsigned (alg ${describeValue(header.alg)}); AgentCore only accepts signed tokens.`);
    }

    // 2. Discovery document and key set.
    let doc: DiscoveryDocument;
    try {
      doc = await discovery(rules.discoveryUrl);
    } catch (err) {
      return fail('discovery', `Could not load the discovery document ${rules.discoveryUrl}: ${errorMessage(err)}`);
    }

    // 3. Signature, exp, nbf.
    let claims: Record<string, unknown>;
    try {
      const result = await jwtVerify(token, keySet(doc.jwks_uri), {
        clockTolerance: skew,
        currentDate: new Date(now()),
        requiredClaims: ['exp'],
      });
      claims = result.payload as Record<string, unknown>;
    } catch (err) {
      return mapJoseError(err, header, doc.jwks_uri);
    }

    // 4. Issuer: exactly the discovery document's issuer.
    if (claims.iss !== doc.issuer) {
      const had = claims.iss === undefined ? 'no iss claim' : `iss ${describeValue(claims.iss)}`;
      return fail('iss', `The token has ${had}, but the discovery document's issuer is ${JSON.stringify(doc.issuer)}.`);
    }

    // 5. Claim rules.
    const decision = evaluateAuthorizer(rules, claims);
    if (!decision.allow) return fail(decision.rule, decision.reason);
    return { ok: true, claims };
  }

  return { validate };
}

function mapJoseError(err: unknown, header: { alg?: string; kid?: string }, jwksUri: string): Failure {
  const code = (err as { code?: string })?.code;
  const claim = (err as { claim?: string })?.claim;
  const alg = describeValue(header.alg);
  switch (code) {
    case joseErrors.JWTExpired.code: {
      return fail('exp', 'The token has expired (exp is in the past, beyond the allowed clock skew).');
    }
    case joseErrors.JWTClaimValidationFailed.code: {
      if (claim === 'nbf') return fail('nbf', 'The token is not valid yet (nbf is in the future, beyond the allowed clock skew).');
      if (claim === 'exp') return fail('exp', 'The token has no usable exp claim; AgentCore requires an expiry.');
      return fail('format', `The token's ${claim ?? 'claims'} could not be validated: ${errorMessage(err)}`);
    }
    case joseErrors.JWKSNoMatchingKey.code:
      return fail('signature', `No key in ${jwksUri} matches the token (kid ${describeValue(header.kid)}, alg ${alg}).`);
    case joseErrors.JWKSMultipleMatchingKeys.code:
      return fail('signature', `Several keys in ${jwksUri} match the token's header (kid ${describeValue(header.kid)}); it cannot be verified.`);
    case joseErrors.JWSSignatureVerificationFailed.code:
      return fail('signature', `The token's signature does not verify with the key published in ${jwksUri}.`);
    case joseErrors.JOSEAlgNotAllowed.code:
    case joseErrors.JOSENotSupported.code:
      return fail('signature', `The token's algorithm ${alg} is not usable with the published keys.`);
    case joseErrors.JWSInvalid.code:
    case joseErrors.JWTInvalid.code:
      return fail('format', `The token is not a valid signed JWT: ${errorMessage(err)}`);
    case joseErrors.JWKSTimeout.code:
      return fail('discovery', `The JWKS at ${jwksUri} did not answer in time.`);
    case joseErrors.JWKSInvalid.code:
      return fail('discovery', `The JWKS at ${jwksUri} is not a valid key set.`);
    default:
      // jose reports a non-200 JWKS answer as a generic JOSEError and a refused connection as a TypeError.
      return fail('discovery', `Could not load the JWKS at ${jwksUri}: ${errorMessage(err)}`);
  }
}
