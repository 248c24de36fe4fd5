/**
 * Check 5: forged-token probes. The gateway must refuse tokens that look right in every claim (the
 * IdP's issuer, the gateway's audience and client, the scopes and custom claims it wants, a fresh exp)
 * but that the IdP never signed. A gateway that accepts one lets anyone in.
 *
 * Probe ids (stable; each is its own CheckResult in stage 'probes', in this order):
 *   forged-unsigned     alg "none", empty signature. Catches verifiers that honour the token's own alg.
 *   forged-unknown-key  RS256, signed by a key made for this run, with a kid the JWKS does not publish and
 *                       the public key embedded in the header (`jwk`). Catches verifiers that trust any
 *                       key, including the one the token brings along (CVE-2018-0114 style).
 *   forged-wrong-key    RS256, signed by a key made for this run, naming a kid the JWKS DOES publish.
 *                       Catches verifiers that look the key up by kid and then skip (or botch) the
 *                       signature check. Skipped when no published kid is known.
 *   forged-expired      An access token the IdP really signed that has expired (`expiredToken`).
 *                       Why not a forged one: a token we sign ourselves is refused for its signature
 *                       before exp is ever looked at, so it proves nothing about expiry; and we cannot
 *                       make the IdP's signature. Only a genuine, expired token tests exp. When none is
 *                       supplied (for example an access token left in mcp-remote's cache an hour ago),
 *                       the probe is skipped and says so.
 *   forged-garbage      "Bearer <not a JWT>". Catches gateways (or proxies) that only check a bearer
 *                       value is present.
 *
 * Each probe POSTs an MCP initialize (the request a client's first call makes) with the token.
 * Refused (401, or 403 other than insufficient_scope) passes; accepted (2xx, or any JSON-RPC result)
 * fails loudly; anything else (5xx, a redirect, a timeout) warns that it could not tell.
 * No token, forged or real, ever appears in a finding or in details.
 */
import { randomBytes } from 'node:crypto';
import type { CryptoKey } from 'jose';
import type { CustomClaimRule } from '../authorizer/types.js';
import { CliError, errorMessage } from '../core/errors.js';
import { httpFetch, readText } from '../core/http.js';
import { redact } from '../core/redact.js';
import { MCP_PROTOCOL_VERSION, initializeRequest, parseMcpBody, parseWwwAuthenticate } from '../oauth/discovery.js';
import { decodeJwtClaims } from '../oauth/tokens.js';
import type { CheckResult } from './types.js';

export interface ForgedProbeInput {
  gatewayUrl: string;
  /** From the AS metadata: the token's iss. */
  issuer: string;
  /** Audience(s) the gateway expects, when known (authorizer.allowedAudience), else the PRM resource / gateway URL. Default: [gatewayUrl]. */
  audience?: string[];
  /** Client id the gateway expects (authorizer.allowedClients[0], the setup's client id). */
  clientId?: string;
  /** Scopes to put in the token (authorizer.allowedScopes, else PRM scopes_supported). */
  scopes?: string[];
  /** Custom claim rules to satisfy (authorizer.customClaims): the forged token carries matching values so only the signature is wrong. */
  customClaims?: CustomClaimRule[];
  /** kids published in the IdP's JWKS (so the unknown key's kid is distinct, and the wrong-key probe can name a real kid). */
  publishedKids?: string[];
  /**
   * An access token the IdP signed that has EXPIRED (for the forged-expired probe), e.g. one left in
   * mcp-remote's cache. Used only if it is a JWT from `issuer`, expired for more than the usual clock
   * skew, and (when publishedKids is known) signed by a key the JWKS still publishes. Never printed.
   */
  expiredToken?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
}

export const FORGED_PROBE_IDS = ['forged-unsigned', 'forged-unknown-key', 'forged-wrong-key', 'forged-expired', 'forged-garbage'] as const;
export type ForgedProbeId = (typeof FORGED_PROBE_IDS)[number];

export const FORGED_PROBE_TITLES: Record<ForgedProbeId, string> = {
  'forged-unsigned': 'Refuses an unsigned token (alg none)',
  'forged-unknown-key': 'Refuses a token signed by an unknown key',
  'forged-wrong-key': 'Refuses a bad signature under a published key id',
  'forged-expired': 'Refuses an expired token',
  'forged-garbage': 'Refuses a bearer value that is not a JWT',
};

/** The `sub` of every forged token, so gateway logs show where the probes came from. */
export const PROBE_SUBJECT = 'agentcore-auth-probe';

/** Gateways commonly allow up to a minute or two of clock skew; a token expired more recently than this proves nothing. */
export const EXPIRY_SKEW_SECONDS = 120;

const GARBAGE_BEARER = 'agentcore-auth-probe-this-is-not-a-jwt';

/** Claims names the probe owns: custom claim rules never override these. */
const RESERVED = new Set(['iss', 'exp', 'nbf', 'iat', 'jti', 'sub']);

/**
 * The claims every forged token carries: right in every respect except the signature (and, for the
 * expired probe, exp). The client id goes into client_id, azp and cid, so whichever claim the gateway
 * pins, it matches.
 */
export function forgedClaims(input: ForgedProbeInput, nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  const audience = input.audience?.length ? input.audience : [input.gatewayUrl];
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    sub: PROBE_SUBJECT,
    aud: audience.length === 1 ? audience[0] : [...audience],
    iat: nowSeconds,
    nbf: nowSeconds - 5,
    exp: nowSeconds + 300,
    jti: randomBytes(12).toString('base64url'),
    token_use: 'access',
  };
  if (input.clientId) {
    claims.client_id = input.clientId;
    claims.azp = input.clientId;
    claims.cid = input.clientId;
  }
  if (input.scopes?.length) {
    claims.scope = input.scopes.join(' ');
    claims.scp = [...input.scopes];
  }
  const arrays = new Map<string, string[]>();
  for (const rule of input.customClaims ?? []) {
    const name = rule.inboundTokenClaimName;
    if (!name || RESERVED.has(name)) continue;
    const m = rule.authorizingClaimMatchValue;
    const v = m.claimMatchValue as { matchValueString?: string; matchValueStringList?: string[] };
    if (m.claimMatchOperator === 'EQUALS') {
      if (typeof v.matchValueString === 'string') claims[name] = v.matchValueString;
      continue;
    }
    const value = m.claimMatchOperator === 'CONTAINS' ? v.matchValueString : v.matchValueStringList?.[0];
    if (typeof value !== 'string') continue;
    // Several rules on one claim (groups CONTAINS a, groups CONTAINS b): the array holds every value.
    const list = arrays.get(name) ?? [];
    if (!list.includes(value)) list.push(value);
    arrays.set(name, list);
    claims[name] = list;
  }
  return claims;
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Decodes a JWT's header and payload without verifying anything; undefined when it is not one. */
const decodeUnverified = (token: string) => decodeJwtClaims(token) ?? undefined;

/**
 * Why an `expiredToken` cannot serve the expired probe, or undefined when it can: it must be a JWT from
 * this issuer, expired for more than EXPIRY_SKEW_SECONDS, and signed by a key still published (a
 * rotated-out key would be refused for the key, not for exp). Never includes the token.
 */
export function expiredTokenProblem(token: string, opts: { issuer: string; publishedKids?: string[]; nowSeconds?: number }): string | undefined {
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  const jwt = decodeUnverified(token);
  if (!jwt) return 'the expired token supplied is not a JWT';
  const { header, payload } = jwt;
  if (typeof header.alg !== 'string' || header.alg.toLowerCase() === 'none') return 'the expired token supplied is unsigned';
  if (payload.iss !== opts.issuer) return `the expired token supplied was issued by ${JSON.stringify(payload.iss ?? null)}, not ${JSON.stringify(opts.issuer)}`;
  if (typeof payload.exp !== 'number') return 'the expired token supplied has no exp claim';
  if (payload.exp > now) return `the token supplied has not expired yet (it expires in ${Math.ceil((payload.exp - now) / 60)} min)`;
  if (now - payload.exp < EXPIRY_SKEW_SECONDS) return `the token supplied expired only ${now - payload.exp} s ago, within the clock skew gateways allow`;
  if (opts.publishedKids?.length && typeof header.kid === 'string' && !opts.publishedKids.includes(header.kid)) {
    return `the expired token supplied was signed by key "${header.kid}", which the JWKS no longer publishes (a refusal would be for the key, not for exp)`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Sending a probe and judging the answer

interface ProbeAnswer {
  status: number;
  wwwError?: string;
  wwwErrorDescription?: string;
  /** The body (JSON or the first JSON SSE event) is a JSON-RPC response with a `result`. */
  rpcResult: boolean;
}


function hasRpcResult(body: unknown): boolean {
  const one = (b: unknown) => !!b && typeof b === 'object' && (b as { jsonrpc?: unknown }).jsonrpc === '2.0' && 'result' in (b as object);
  return Array.isArray(body) ? body.some(one) : one(body);
}

async function send(gatewayUrl: string, bearer: string, timeoutMs: number): Promise<ProbeAnswer> {
  const res = await httpFetch(
    gatewayUrl,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MCP_PROTOCOL_VERSION,
        authorization: `Bearer ${bearer}`,
      },
      body: JSON.stringify(initializeRequest(0)),
      redirect: 'manual',
    },
    { timeoutMs, purpose: 'a forged-token probe' },
  );
  const raw = res.headers.get('www-authenticate');
  const www = raw ? parseWwwAuthenticate(raw) : undefined;
  const answer: ProbeAnswer = {
    status: res.status,
    ...(www?.params.error ? { wwwError: www.params.error } : {}),
    ...(www?.params.error_description ? { wwwErrorDescription: clip(redact(www.params.error_description)) } : {}),
    rpcResult: false,
  };
  if (res.ok) {
    // Accepted: the status says it all; do not wait on a stream.
    await res.body?.cancel().catch(() => undefined);
    return answer;
  }
  let text = '';
  try {
    text = await readText(res);
  } catch {
    /* aborted or endless body: judge by the status */
  }
  answer.rpcResult = hasRpcResult(parseMcpBody(text, res.headers.get('content-type') ?? undefined));
  return answer;
}

function clip(s: string, n = 160): string {
  return s.length > n ? `${s.slice(0, n - 3)}...` : s;
}

interface ProbeSpec {
  id: ForgedProbeId;
  /** "an unsigned token (alg none)": what was sent, for findings. */
  what: string;
  /** The consequence when accepted, after a colon. */
  consequence: string;
  fix: string;
  details?: Record<string, unknown>;
}

const FIX_BASE =
  "Check the gateway's inbound authorizer: it must be CUSTOM_JWT with the IdP's discovery URL (get-gateway shows it); a proxy or custom authorizer in front of the gateway must verify every token's signature against the IdP's JWKS";

function judge(spec: ProbeSpec, answer: ProbeAnswer): CheckResult {
  const base = { id: spec.id, stage: 'probes' as const, title: FORGED_PROBE_TITLES[spec.id] };
  const details: Record<string, unknown> = {
    ...spec.details,
    status: answer.status,
    ...(answer.wwwError ? { error: answer.wwwError } : {}),
    ...(answer.wwwErrorDescription ? { errorDescription: answer.wwwErrorDescription } : {}),
  };
  const how = `HTTP ${answer.status}${answer.wwwError ? ` ${answer.wwwError}` : ''}`;
  const accepted = (answer.status >= 200 && answer.status < 300) || answer.rpcResult;
  if (accepted) {
    return {
      ...base,
      status: 'fail',
      finding: `The gateway ACCEPTED ${spec.what} (${how}${answer.rpcResult && answer.status >= 300 ? ' with a JSON-RPC result' : ''}): ${spec.consequence}`,
      fix: spec.fix,
      details,
    };
  }
  if (answer.status === 403 && answer.wwwError === 'insufficient_scope') {
    return {
      ...base,
      status: 'fail',
      finding: `The gateway treated ${spec.what} as genuine: it refused it for scope alone (${how}), so the same forgery with the right scope gets in.`,
      fix: spec.fix,
      details,
    };
  }
  if (answer.status === 401 || answer.status === 403) {
    return { ...base, status: 'pass', finding: `Refused ${spec.what} with ${how}.`, details };
  }
  const why =
    answer.status >= 500
      ? 'a server error'
      : answer.status >= 300 && answer.status < 400
        ? 'a redirect'
        : `an answer that is neither a refusal (401/403) nor a success`;
  return {
    ...base,
    status: 'warn',
    finding: `Sent ${spec.what} and got ${how}, ${why}: could not tell whether the gateway would accept it.`,
    fix: 'An OAuth-protected MCP endpoint answers an invalid token with 401 and WWW-Authenticate error="invalid_token"; check the gateway\'s logs for this request.',
    details,
  };
}

async function runProbe(spec: ProbeSpec, input: ForgedProbeInput, bearer: string, timeoutMs: number): Promise<CheckResult> {
  try {
    return judge(spec, await send(input.gatewayUrl, bearer, timeoutMs));
  } catch (err) {
    const timedOut = err instanceof CliError && err.code === 'timeout';
    return {
      id: spec.id,
      stage: 'probes',
      title: FORGED_PROBE_TITLES[spec.id],
      status: 'warn',
      finding: timedOut
        ? `Sent ${spec.what} and got no answer within ${timeoutMs} ms: could not tell whether the gateway would accept it.`
        : `Sent ${spec.what} and the request failed (${errorMessage(err)}): could not tell whether the gateway would accept it.`,
      fix: err instanceof CliError && err.fix ? err.fix : 'Check that the gateway is reachable, then run verify again.',
      details: { ...spec.details, error: timedOut ? 'timeout' : 'network' },
    };
  }
}

function skip(id: ForgedProbeId, finding: string, fix?: string): CheckResult {
  return { id, stage: 'probes', title: FORGED_PROBE_TITLES[id], status: 'skip', finding, ...(fix ? { fix } : {}) };
}

/**
 * The throwaway RSA key the probes sign with: made once per process (RSA generation costs 50-500 ms),
 * never exported, never published anywhere. Its only job is to be a key the IdP does not hold.
 */
let probeKey: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined;
export function probeKeyPair(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (!probeKey) {
    probeKey = import('jose').then(({ generateKeyPair }) => generateKeyPair('RS256', { extractable: true }));
    probeKey.catch(() => (probeKey = undefined));
  }
  return probeKey;
}

function unusedKid(published: string[]): string {
  for (;;) {
    const kid = `${PROBE_SUBJECT}-${randomBytes(6).toString('hex')}`;
    if (!published.includes(kid)) return kid;
  }
}

/**
 * Runs the five probes concurrently; returns one CheckResult per id in FORGED_PROBE_IDS order.
 * Never throws for gateway behaviour (a network failure is a warn on each probe).
 */
export async function checkForgedTokens(input: ForgedProbeInput): Promise<CheckResult[]> {
  const timeoutMs = input.timeoutMs ?? 10_000;
  const published = (input.publishedKids ?? []).filter((k) => typeof k === 'string' && k);
  const { SignJWT, exportJWK } = await import('jose');
  const { privateKey, publicKey } = await probeKeyPair();
  const now = Math.floor(Date.now() / 1000);

  // forged-unsigned
  const unsigned = `${b64json({ alg: 'none', typ: 'at+jwt' })}.${b64json(forgedClaims(input, now))}.`;

  // forged-unknown-key: a fresh key, a kid nobody published, and the key itself in the header.
  const unknownKid = unusedKid(published);
  const publicJwk = await exportJWK(publicKey);
  const unknownKey = await new SignJWT(forgedClaims(input, now))
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: unknownKid, jwk: { kty: publicJwk.kty!, n: publicJwk.n!, e: publicJwk.e! } })
    .sign(privateKey);

  // forged-wrong-key: the same fresh key, but a kid the IdP does publish.
  const realKid = published[0];
  const wrongKey = realKid
    ? await new SignJWT(forgedClaims(input, now)).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: realKid }).sign(privateKey)
    : undefined;

  const fixSig = `${FIX_BASE}, and take the key from that JWKS only.`;
  const probes: Promise<CheckResult>[] = [
    runProbe(
      {
        id: 'forged-unsigned',
        what: 'an unsigned token (alg none)',
        consequence: 'anyone can call its tools as anyone.',
        fix: `${FIX_BASE} and refuse alg "none" (pin the IdP's algorithms, e.g. RS256).`,
        details: { alg: 'none' },
      },
      input,
      unsigned,
      timeoutMs,
    ),
    runProbe(
      {
        id: 'forged-unknown-key',
        what: 'a token signed by a key the IdP never published',
        consequence: 'anyone can mint tokens it trusts and call its tools as anyone.',
        fix: `${fixSig} Never trust a key the token carries (jwk, jku, x5c headers).`,
        details: { alg: 'RS256', kid: unknownKid, embeddedJwk: true },
      },
      input,
      unknownKey,
      timeoutMs,
    ),
    wrongKey
      ? runProbe(
          {
            id: 'forged-wrong-key',
            what: `a token naming the IdP's key "${realKid}" but signed by another key`,
            consequence: 'it does not check signatures, so anyone can call its tools as anyone.',
            fix: fixSig,
            details: { alg: 'RS256', kid: realKid },
          },
          input,
          wrongKey,
          timeoutMs,
        )
      : Promise.resolve(skip('forged-wrong-key', 'Not probed: no key id from the IdP\'s JWKS is known (the JWKS check did not run or its keys have no kid).')),
    expiredProbe(input, published, now, timeoutMs),
    runProbe(
      {
        id: 'forged-garbage',
        what: 'a bearer value that is not a JWT at all',
        consequence: 'any Authorization header gets in.',
        fix: `${FIX_BASE}.`,
      },
      input,
      GARBAGE_BEARER,
      timeoutMs,
    ),
  ];
  return Promise.all(probes);
}

function expiredProbe(input: ForgedProbeInput, published: string[], now: number, timeoutMs: number): Promise<CheckResult> {
  if (!input.expiredToken) {
    return Promise.resolve(
      skip(
        'forged-expired',
        'Not probed: testing expiry needs an access token the IdP signed that has since expired, and none was supplied (a token signed here is refused for its signature before exp is read, so it would prove nothing).',
      ),
    );
  }
  const problem = expiredTokenProblem(input.expiredToken, { issuer: input.issuer, publishedKids: published, nowSeconds: now });
  if (problem) return Promise.resolve(skip('forged-expired', `Not probed: ${problem}.`));
  const payload = decodeUnverified(input.expiredToken)!.payload;
  const ago = now - (payload.exp as number);
  const agoText = ago >= 86400 * 2 ? `${Math.floor(ago / 86400)} days` : ago >= 3600 ? `${Math.floor(ago / 3600)} h` : ago >= 120 ? `${Math.floor(ago / 60)} min` : `${ago} s`;
  // A refusal is conclusive only if exp is the token's one flaw; name any other mismatch we can see.
  const caveats: string[] = [];
  const tokenClients = [payload.client_id, payload.azp, payload.cid].filter((v): v is string => typeof v === 'string');
  if (input.clientId && tokenClients.length && !tokenClients.includes(input.clientId)) caveats.push(`its client is ${JSON.stringify(tokenClients[0])}, not ${JSON.stringify(input.clientId)}`);
  const auds = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  if (input.audience?.length && !auds.some((a) => input.audience!.includes(a))) caveats.push(`its aud ${JSON.stringify(payload.aud ?? null)} is not one the gateway expects`);
  return runProbe(
    {
      id: 'forged-expired',
      what: `a genuine token that expired ${agoText} ago${caveats.length ? ` (though ${caveats.join(' and ')}, so a refusal may be for that)` : ''}`,
      consequence: 'it ignores exp, so a leaked token works forever.',
      fix: `${FIX_BASE}, and check exp (with at most a few minutes of clock skew).`,
      details: { expiredSecondsAgo: ago, ...(caveats.length ? { inconclusive: caveats } : {}) },
    },
    input,
    input.expiredToken,
    timeoutMs,
  );
}
