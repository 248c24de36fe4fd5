/**
 * AgentCore's CUSTOM_JWT claim rules, applied to claims whose signature, lifetime and issuer were
 * already verified (see validate.ts). Pure: no I/O, no SDK. Shared by the sandbox gateway and `verify`.
 *
 * The rules are AND-ed and checked in this order; the first failure is returned:
 *   1. allowedAudience: the token's `aud` (string or array) must contain one of the listed values.
 *   2. allowedClients: the token's `client_id` claim must be one of the listed values. AgentCore reads
 *      `client_id` only: Okta's `cid`, Entra's and Auth0's `azp` do not count (pin those with a custom
 *      claim instead). The failure reason names them when the token has them, since that is the usual cause.
 *   3. allowedScopes: AgentCore's guide says "if configured, at least one scope value in the incoming token
 *      must match one of the configured values". So: ANY overlap passes, not "every allowed scope". Scopes
 *      are read from `scope` (space-separated string, RFC 8693/9068) or, when absent, from `scp`
 *      (string or array, as Okta and Entra issue them).
 *   4. customClaims[i]: EQUALS compares a STRING claim with matchValueString; CONTAINS needs a
 *      STRING_ARRAY claim holding matchValueString; CONTAINS_ANY needs a STRING_ARRAY claim holding any of
 *      matchValueStringList. A missing claim, a claim of the other JSON type, or a rule whose operator does
 *      not fit its value type fails.
 * An empty or absent list means "no check" for that rule.
 */
import type { AuthorizerDecision, CustomClaimRule, CustomJwtAuthorizer } from './types.js';

type Decision = AuthorizerDecision;

const deny = (rule: string, reason: string): Decision => ({ allow: false, rule, reason });

/** A short, printable rendering of a claim value for reasons (claims are not secret, but keep lines short). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function list(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** The scopes a token carries: `scope` (space-separated) first, else `scp` (string or array). */
export function tokenScopes(claims: Record<string, unknown>): string[] {
  const split = (s: string) => s.split(/\s+/).filter(Boolean);
  if (typeof claims.scope === 'string') return split(claims.scope);
  if (typeof claims.scp === 'string') return split(claims.scp);
  if (isStringArray(claims.scp)) return claims.scp;
  return [];
}

function checkAudience(allowed: string[], claims: Record<string, unknown>): Decision | undefined {
  const aud = claims.aud;
  const auds = typeof aud === 'string' ? [aud] : isStringArray(aud) ? aud : [];
  if (auds.some((a) => allowed.includes(a))) return undefined;
  const had = aud === undefined ? 'no aud claim' : `aud ${describeValue(aud)}`;
  return deny('allowedAudience', `The token has ${had}, but allowedAudience wants one of ${list(allowed)}.`);
}

function checkClients(allowed: string[], claims: Record<string, unknown>): Decision | undefined {
  const clientId = claims.client_id;
  if (typeof clientId === 'string' && allowed.includes(clientId)) return undefined;
  let had = clientId === undefined ? 'no client_id claim' : `client_id ${describeValue(clientId)}`;
  if (clientId === undefined) {
    const others = (['azp', 'cid', 'appid'] as const).filter((k) => claims[k] !== undefined).map((k) => `${k} ${describeValue(claims[k])}`);
    if (others.length) had += ` (it names its client in ${others.join(' and ')}, which AgentCore does not read for allowedClients: use a custom claim rule)`;
  }
  return deny('allowedClients', `The token has ${had}, but allowedClients wants client_id to be one of ${list(allowed)}.`);
}

function checkScopes(allowed: string[], claims: Record<string, unknown>): Decision | undefined {
  const scopes = tokenScopes(claims);
  if (scopes.some((s) => allowed.includes(s))) return undefined;
  const had = scopes.length ? `scopes ${list(scopes)}` : 'no scope or scp claim';
  return deny('allowedScopes', `The token has ${had}, but allowedScopes wants at least one of ${list(allowed)}.`);
}

function checkClaim(index: number, rule: CustomClaimRule, claims: Record<string, unknown>): Decision | undefined {
  const name = rule.inboundTokenClaimName;
  const ruleName = `customClaims[${index}]`;
  const op = rule.authorizingClaimMatchValue?.claimMatchOperator;
  const type = rule.inboundTokenClaimValueType;
  const match = (rule.authorizingClaimMatchValue?.claimMatchValue ?? {}) as { matchValueString?: unknown; matchValueStringList?: unknown };
  const value = claims[name];
  const had = value === undefined ? `no ${name} claim` : `${name} ${describeValue(value)}`;

  if (op === 'EQUALS') {
    if (type !== 'STRING' || typeof match.matchValueString !== 'string') {
      return deny(ruleName, `The rule for claim ${name} is misconfigured: EQUALS needs value type STRING and a matchValueString.`);
    }
    if (typeof value === 'string' && value === match.matchValueString) return undefined;
    const why = value !== undefined && typeof value !== 'string' ? ' (not a string)' : '';
    return deny(ruleName, `The token has ${had}${why}, but ${ruleName} wants ${name} to equal ${JSON.stringify(match.matchValueString)}.`);
  }
  if (op === 'CONTAINS') {
    if (type !== 'STRING_ARRAY' || typeof match.matchValueString !== 'string') {
      return deny(ruleName, `The rule for claim ${name} is misconfigured: CONTAINS needs value type STRING_ARRAY and a matchValueString.`);
    }
    if (isStringArray(value) && value.includes(match.matchValueString)) return undefined;
    const why = value !== undefined && !isStringArray(value) ? ' (not an array of strings)' : '';
    return deny(ruleName, `The token has ${had}${why}, but ${ruleName} wants ${name} to contain ${JSON.stringify(match.matchValueString)}.`);
  }
  if (op === 'CONTAINS_ANY') {
    const wanted = match.matchValueStringList;
    if (type !== 'STRING_ARRAY' || !isStringArray(wanted)) {
      return deny(ruleName, `The rule for claim ${name} is misconfigured: CONTAINS_ANY needs value type STRING_ARRAY and a matchValueStringList.`);
    }
    if (isStringArray(value) && value.some((v) => wanted.includes(v))) return undefined;
    const why = value !== undefined && !isStringArray(value) ? ' (not an array of strings)' : '';
    return deny(ruleName, `The token has ${had}${why}, but ${ruleName} wants ${name} to contain any of ${list(wanted)}.`);
  }
  return deny(ruleName, `The rule for claim ${name} has an unknown operator ${describeValue(op)}.`);
}

/** AgentCore's claim rules over already-verified claims (see the module comment for the exact semantics). */
export function evaluateAuthorizer(rules: CustomJwtAuthorizer, claims: Record<string, unknown>): AuthorizerDecision {
  if (rules.allowedAudience?.length) {
    const d = checkAudience(rules.allowedAudience, claims);
    if (d) return d;
  }
  if (rules.allowedClients?.length) {
    const d = checkClients(rules.allowedClients, claims);
    if (d) return d;
  }
  if (rules.allowedScopes?.length) {
    const d = checkScopes(rules.allowedScopes, claims);
    if (d) return d;
  }
  const custom = rules.customClaims ?? [];
  for (let i = 0; i < custom.length; i++) {
    const d = checkClaim(i, custom[i]!, claims);
    if (d) return d;
  }
  return { allow: true };
}
