/**
 * Who may use the gateway: the access policy an admin states (groups, scopes, claim rules), the gateway rules it
 * becomes, and the same rules in words. Pure: init's plan, verify, status and connect share it.
 *
 * - `--allow-group NAME` (repeatable; any of them admits) becomes one rule on the IdP's group claim:
 *   `<groupClaim> CONTAINS_ANY [names]` (the claim is an array of group or role names).
 * - `--require-scope SCOPE` (repeatable) becomes `allowedScopes` (AgentCore admits a token with at least one of them);
 *   the client asks for them too.
 * - `--require-claim RULE` (repeatable, AND-ed like every gateway rule):
 *     `department=engineering`     the string claim equals the value            (EQUALS, STRING)
 *     `groups~engineering`         the array claim contains the value           (CONTAINS, STRING_ARRAY)
 *     `groups~engineering,platform`  the array claim contains any of the values (CONTAINS_ANY, STRING_ARRAY; `|` works too)
 * AgentCore's own constraints (CustomClaimValidationType, ClaimMatchValueType) are checked before anything is
 * created: a claim name of 1-255 characters of [A-Za-z0-9_.:/-], values of 1-255 characters of the same set.
 */
import { describeValue, evaluateAuthorizer } from './evaluate.js';
import type { ClaimMatchOperator, CustomClaimRule, CustomJwtAuthorizer } from './types.js';

/** AgentCore's patterns for a claim name and a match value (also enforced by the sandbox's control plane). */
export const CLAIM_NAME_PATTERN = /^[A-Za-z0-9_.:/-]{1,255}$/;
export const CLAIM_VALUE_PATTERN = /^[A-Za-z0-9_.:/-]{1,255}$/;
/** RFC 6749 scope-token characters, as AgentCore's allowedScopes accepts them. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,255}$/;
/** Claims the gateway checks itself, or that no rule may re-define. */
const RESERVED_CLAIMS = ['iss', 'exp', 'nbf', 'iat', 'aud', 'client_id', 'scope', 'scp'];

export interface ClaimRequirement {
  claim: string;
  op: ClaimMatchOperator;
  /** One value for EQUALS and CONTAINS; one or more for CONTAINS_ANY. */
  values: string[];
}

export interface AccessPolicy {
  /** Members of any of these groups (or roles) are admitted. */
  groups?: string[];
  /** Tokens with at least one of these scopes are admitted. */
  scopes?: string[];
  /** Every rule must hold (AND). */
  claims?: ClaimRequirement[];
}

/** Where an IdP puts group membership in access tokens, and what must change there for it (per adapter). */
export interface GroupClaimProfile {
  /** The claim the group rule reads: groups (Okta, sandbox, most OIDC), roles (Entra app roles), cognito:groups, a namespaced Auth0 claim. */
  claim: string;
  /** The value the claim carries for a group name (Entra: the app role value). Default: the name. */
  valueFor?(group: string): string;
}

export class AccessPolicyError extends Error {
  constructor(
    message: string,
    readonly flag: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** True when the policy says anything (an empty policy: anyone who can sign in). */
export function hasAccessRules(p: AccessPolicy | undefined): p is AccessPolicy {
  return Boolean(p && (p.groups?.length || p.scopes?.length || p.claims?.length));
}

function checkValue(v: string, flag: string, what: string): void {
  if (!CLAIM_VALUE_PATTERN.test(v)) {
    throw new AccessPolicyError(`${flag} ${what} "${v}" is not a value AgentCore accepts in a claim rule.`, flag, 'Use 1-255 characters of letters, digits and _ . : / - (AgentCore\'s ClaimMatchValueType pattern).');
  }
}

/** `department=engineering`, `groups~engineering`, `groups~a,b` (or `a|b`). */
export function parseClaimRule(text: string): ClaimRequirement {
  const flag = '--require-claim';
  const m = /^([^=~]+)(=|~)(.*)$/.exec(text.trim());
  if (!m) {
    throw new AccessPolicyError(`${flag} "${text}" is not a claim rule.`, flag, 'Write CLAIM=VALUE (the string claim equals VALUE), CLAIM~VALUE (the array claim contains VALUE), or CLAIM~A,B (contains any of them), e.g. --require-claim department=engineering.');
  }
  const claim = m[1]!.trim();
  const sep = m[2]!;
  const raw = m[3]!.trim();
  if (!CLAIM_NAME_PATTERN.test(claim)) {
    throw new AccessPolicyError(`${flag} claim name "${claim}" is not one AgentCore accepts.`, flag, 'Use 1-255 characters of letters, digits and _ . : / - (AgentCore\'s inboundTokenClaimName pattern).');
  }
  if (RESERVED_CLAIMS.includes(claim)) {
    throw new AccessPolicyError(`${flag} cannot rule on "${claim}": the gateway checks it itself (issuer, lifetime, audience, client, scopes).`, flag, claim === 'scope' || claim === 'scp' ? 'Use --require-scope for scopes.' : 'Rule on a claim that says who the user is (groups, roles, department...).');
  }
  const values = raw.split(/[,|]/).map((v) => v.trim());
  if (!raw || values.some((v) => !v)) {
    throw new AccessPolicyError(`${flag} "${text}" has an empty value.`, flag, `Name the value(s) after "${sep}", e.g. ${claim}${sep}engineering.`);
  }
  for (const v of values) checkValue(v, flag, 'value');
  if (sep === '=') {
    if (values.length > 1) {
      throw new AccessPolicyError(`${flag} "${text}": "=" compares a string claim with one value.`, flag, `For "any of" on an array claim, write ${claim}~${values.join(',')}.`);
    }
    return { claim, op: 'EQUALS', values };
  }
  const distinct = [...new Set(values)];
  return { claim, op: distinct.length > 1 ? 'CONTAINS_ANY' : 'CONTAINS', values: distinct };
}

/** The flags' values, checked: groups and scopes as AgentCore accepts them, claim rules parsed. */
export function parseAccessPolicy(input: { groups?: string[]; scopes?: string[]; claims?: string[] }): AccessPolicy {
  const groups = [...new Set((input.groups ?? []).flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean))];
  // A group's name is the IdP's (spaces and all); the value the gateway matches is checked once the IdP's group
  // claim is known (checkGroupValues): Entra derives a role value from it, the others carry the name itself.
  for (const g of groups) {
    if (!/^[^\x00-\x1f\x7f]{1,255}$/.test(g)) throw new AccessPolicyError(`--allow-group "${g}" is not a group name.`, '--allow-group', 'Use the group\'s name as the IdP shows it (at most 255 characters, no control characters).');
  }
  const scopes = [...new Set((input.scopes ?? []).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  for (const s of scopes) {
    if (!SCOPE_PATTERN.test(s)) throw new AccessPolicyError(`--require-scope "${s}" is not a scope AgentCore accepts.`, '--require-scope', 'Use 1-255 printable characters without spaces, quotes or backslashes.');
  }
  const claims = (input.claims ?? []).map(parseClaimRule);
  return { ...(groups.length ? { groups } : {}), ...(scopes.length ? { scopes } : {}), ...(claims.length ? { claims } : {}) };
}

/** A requirement as the gateway's CustomClaimValidationType. */
export function claimRule(r: ClaimRequirement): CustomClaimRule {
  return {
    inboundTokenClaimName: r.claim,
    inboundTokenClaimValueType: r.op === 'EQUALS' ? 'STRING' : 'STRING_ARRAY',
    authorizingClaimMatchValue: {
      claimMatchOperator: r.op,
      claimMatchValue: r.op === 'CONTAINS_ANY' ? { matchValueStringList: r.values } : { matchValueString: r.values[0]! },
    },
  };
}

/** Every requirement of the policy, the group rule first (on the IdP's group claim). */
export function policyRequirements(p: AccessPolicy, groupClaim: GroupClaimProfile): ClaimRequirement[] {
  const out: ClaimRequirement[] = [];
  if (p.groups?.length) {
    const values = [...new Set(p.groups.map((g) => groupClaim.valueFor?.(g) ?? g))];
    out.push({ claim: groupClaim.claim, op: values.length > 1 ? 'CONTAINS_ANY' : 'CONTAINS', values });
  }
  out.push(...(p.claims ?? []));
  return out;
}

/** The gateway rules: the app's pins and claim rules, the policy's claim rules after them, and its scopes as allowedScopes. */
export function withAccessRules(base: CustomJwtAuthorizer, p: AccessPolicy | undefined, groupClaim: GroupClaimProfile): CustomJwtAuthorizer {
  if (!hasAccessRules(p)) return base;
  const rules = policyRequirements(p, groupClaim).map(claimRule);
  const claims = [...(base.customClaims ?? []), ...rules];
  return {
    ...base,
    // The admin's required scopes are the gateway's allowedScopes, not added to others (AgentCore admits any one of them).
    ...(p.scopes?.length ? { allowedScopes: [...new Set(p.scopes)] } : {}),
    ...(claims.length ? { customClaims: claims } : {}),
  };
}

const quote = (v: string) => `"${v}"`;
const anyOf = (vs: string[]) => (vs.length === 1 ? quote(vs[0]!) : `any of ${vs.map(quote).join(', ')}`);

/** One requirement in words: "only tokens whose `groups` contains \"engineering\"". */
export function describeRequirement(r: ClaimRequirement): string {
  switch (r.op) {
    case 'EQUALS':
      return `only tokens whose ${r.claim} is ${quote(r.values[0]!)}`;
    case 'CONTAINS':
      return `only tokens whose ${r.claim} contains ${quote(r.values[0]!)}`;
    case 'CONTAINS_ANY':
      return `only tokens whose ${r.claim} contains ${anyOf(r.values)}`;
  }
}

/** The whole policy in words, one line per rule (empty: anyone who can sign in). */
export function describePolicy(p: AccessPolicy | undefined, groupClaim: GroupClaimProfile): string[] {
  if (!hasAccessRules(p)) return [];
  const lines: string[] = [];
  if (p.groups?.length) {
    const [groupRule] = policyRequirements({ groups: p.groups }, groupClaim);
    lines.push(`members of ${anyOf(p.groups)}: ${describeRequirement(groupRule!)}`);
  }
  if (p.scopes?.length) lines.push(`only tokens granted ${anyOf(p.scopes)} (allowedScopes)`);
  for (const c of p.claims ?? []) lines.push(describeRequirement(c));
  return lines;
}

/** The policy back from a gateway's rules, for status and connect (what the gateway really enforces). */
export function requirementsOf(z: CustomJwtAuthorizer | undefined): ClaimRequirement[] {
  return (z?.customClaims ?? []).map((c) => {
    const v = c.authorizingClaimMatchValue.claimMatchValue;
    return { claim: c.inboundTokenClaimName, op: c.authorizingClaimMatchValue.claimMatchOperator, values: 'matchValueString' in v ? [v.matchValueString] : [...v.matchValueStringList] };
  });
}

export interface RequirementVerdict {
  requirement: ClaimRequirement;
  holds: boolean;
  /** What the token carries for the claim, in words ("groups is [\"sales\"]", "no department claim"). */
  had: string;
}

/** Each requirement judged on one user's token claims, by the gateway's own rule function. */
export function judgeRequirements(reqs: ClaimRequirement[], claims: Record<string, unknown>): RequirementVerdict[] {
  return reqs.map((r) => {
    const v = claims[r.claim];
    const had = v === undefined ? `no ${r.claim} claim` : `${r.claim} is ${describeValue(v)}`;
    const holds = evaluateAuthorizer({ discoveryUrl: '', customClaims: [claimRule(r)] }, claims).allow;
    return { requirement: r, holds, had };
  });
}

/** The group rule's values as the gateway will match them: each must fit AgentCore's value pattern. */
export function checkGroupValues(p: AccessPolicy, groupClaim: GroupClaimProfile): void {
  for (const g of p.groups ?? []) {
    const v = groupClaim.valueFor?.(g) ?? g;
    if (!CLAIM_VALUE_PATTERN.test(v)) {
      throw new AccessPolicyError(
        `--allow-group "${g}": the ${groupClaim.claim} claim carries it as "${v}", which AgentCore cannot match (a claim rule's value is 1-255 letters, digits and _ . : / -).`,
        '--allow-group',
        'Name a group whose name fits (or rename the group at the IdP); with Entra ID, whose app roles carry a value derived from the name, any name works.',
      );
    }
  }
}

/** Claims that name the OAuth client (RFC 9068 client_id, Okta cid, Entra/Auth0 azp, Entra v1 appid): a rule on one pins the client, not the user. */
export const CLIENT_CLAIMS: readonly string[] = ['client_id', 'cid', 'azp', 'appid'];

/** The gateway's rules about who may use it: its claim rules other than the client pin. */
export function accessRequirements(z: CustomJwtAuthorizer | undefined): ClaimRequirement[] {
  return requirementsOf(z).filter((r) => !CLIENT_CLAIMS.includes(r.claim));
}

/** Who may use a gateway, from its rules: allowedScopes and the claim rules other than the client pin, in words. */
export function accessWords(z: CustomJwtAuthorizer): string[] {
  const rules = accessRequirements(z).map(describeRequirement);
  if (z.allowedScopes?.length) rules.unshift(`only tokens granted ${anyOf(z.allowedScopes)} (allowedScopes)`);
  return rules.length ? rules : ['anyone who can sign in at the IdP (through the pinned client)'];
}
