/**
 * Check: the gateway's access rules, judged for the user who signed in (id `access-rules`). Each rule that says
 * who may use the gateway (allowedScopes, and custom claim rules other than the client pin) is shown in words
 * with its verdict for this user: "bob is not admitted: his groups are ["sales"], and the gateway wants any of
 * "engineering"". A rule on a claim this user's token does not carry at all is an IdP-side problem, with the
 * IdP-side fix: it refuses every user alike.
 */
import type { ProviderId } from '../../providers/types.js';
import { CLIENT_CLAIMS, accessRequirements, describeRequirement, judgeRequirements, type ClaimRequirement } from '../authorizer/access.js';
import { tokenScopes } from '../authorizer/evaluate.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import type { CheckResult } from './types.js';


/** How each IdP is made to put a claim into access tokens. */
const CLAIM_FIX: Record<ProviderId, (claim: string) => string> = {
  oidc: (c) => `Make the IdP put "${c}" in access tokens (a claim or protocol mapper for the access token, e.g. Keycloak's "Group Membership" mapper), or rule on a claim it already issues (--require-claim; --oidc-groups-claim for --allow-group).`,
  okta: (c) => `Add a "${c}" claim for access tokens on the authorization server (agentcore-auth init --allow-group does it), and check the user is in a group its filter lists.`,
  entra: (c) => (c === 'roles' ? 'Assign the user (or a group they are in) to the app role on the enterprise application (agentcore-auth init --allow-group does it); Entra puts roles only for assigned users.' : `Entra issues "${c}" only through optional claims or claims mapping: configure it on the app registration, or rule on roles (--allow-group).`),
  cognito: (c) => (c === 'cognito:groups' ? 'Add the user to a group of the user pool (users in no group carry no cognito:groups claim).' : `Cognito adds "${c}" only through a pre-token-generation Lambda (V2 for access tokens); rule on cognito:groups instead (--allow-group).`),
  auth0: (c) => `Add "${c}" to access tokens with a Post-Login Action (agentcore-auth init --allow-group creates one for roles), and give the user the role.`,
};

function userOf(claims: Record<string, unknown>): string {
  for (const k of ['preferred_username', 'email', 'upn', 'username', 'cognito:username', 'name', 'sub']) {
    const v = claims[k];
    if (typeof v === 'string' && v) return v;
  }
  return 'this user';
}

const quote = (v: string) => `"${v}"`;
const anyOf = (vs: string[]) => (vs.length === 1 ? quote(vs[0]!) : `any of ${vs.map(quote).join(', ')}`);

function failure(who: string, r: ClaimRequirement, v: unknown): string {
  if (r.op === 'EQUALS') return `${who}'s ${r.claim} is ${JSON.stringify(v)}, not ${quote(r.values[0]!)}`;
  return `${who}'s ${r.claim} ${Array.isArray(v) ? `are ${JSON.stringify(v)}` : `is ${JSON.stringify(v)} (not a list)`}, without ${anyOf(r.values)}`;
}

export interface AccessRulesInput {
  authorizer: CustomJwtAuthorizer;
  claims: Record<string, unknown>;
  provider: ProviderId;
}

/** undefined when the gateway states no rule about who may use it (then rule-fit's client pin is all there is). */
export function checkAccessRules(input: AccessRulesInput): CheckResult | undefined {
  const base = { id: 'access-rules', stage: 'login', title: 'Access rules for the signed-in user' } as const;
  const reqs = accessRequirements(input.authorizer);
  const scopes = input.authorizer.allowedScopes ?? [];
  if (!reqs.length && !scopes.length) return undefined;
  const who = userOf(input.claims);
  const lines: string[] = [];
  const refused: string[] = [];
  const missing: string[] = [];
  if (scopes.length) {
    const had = tokenScopes(input.claims);
    const ok = scopes.some((s) => had.includes(s));
    lines.push(`${ok ? '✔' : '✖'} only tokens granted ${anyOf(scopes)}: ${ok ? 'granted' : `${who}'s token has ${had.length ? had.map(quote).join(' ') : 'no scopes'}`}`);
    if (!ok) refused.push(`${who}'s token was not granted ${anyOf(scopes)}`);
  }
  for (const v of judgeRequirements(reqs, input.claims)) {
    const value = input.claims[v.requirement.claim];
    lines.push(`${v.holds ? '✔' : '✖'} ${describeRequirement(v.requirement)}: ${v.holds ? 'holds' : value === undefined ? `the token has no ${v.requirement.claim} claim` : failure(who, v.requirement, value)}`);
    if (v.holds) continue;
    if (value === undefined) missing.push(v.requirement.claim);
    else refused.push(failure(who, v.requirement, value));
  }
  const details = { user: who, rules: lines };
  if (missing.length) {
    const claims = [...new Set(missing)];
    return {
      ...base,
      status: 'fail',
      finding: `The token carries no ${claims.map(quote).join(', ')} claim, which the gateway's rules read: the gateway refuses ${who}, and every other user of this IdP alike. ${lines.join('; ')}.`,
      fix: claims.map((c) => CLAIM_FIX[input.provider](c)).join(' '),
      details,
    };
  }
  if (refused.length) {
    return {
      ...base,
      status: 'fail',
      finding: `${who} is not admitted: ${refused.join('; ')}. The gateway will refuse ${who}. ${lines.join('; ')}.`,
      fix: `Sign in as a user the rules admit, or give ${who} what the rules ask at the IdP (the group, role, scope or attribute), or change the rules (agentcore-auth init --allow-group/--require-scope/--require-claim).`,
      details,
    };
  }
  return { ...base, status: 'pass', finding: `${who} is admitted: ${lines.map((l) => l.replace(/^✔ /, '')).join('; ')}.`, details };
}

/**
 * One premise, one fix: when the access rules refuse this user, the token-claims and rule-fit failures that name
 * one of those rules point to the access-rules finding instead of saying "change the IdP app or the rule".
 */
export function deferToAccessRules(checks: CheckResult[], authorizer: CustomJwtAuthorizer | undefined): void {
  const access = checks.find((c) => c.id === 'access-rules');
  if (access?.status !== 'fail' || !authorizer) return;
  const policyRules = new Set<string>((authorizer.customClaims ?? []).map((c, i) => (CLIENT_CLAIMS.includes(c.inboundTokenClaimName) ? '' : `customClaims[${i}]`)).filter(Boolean));
  if (authorizer.allowedScopes?.length) policyRules.add('allowedScopes');
  for (const c of checks) {
    if ((c.id !== 'token-claims' && c.id !== 'rule-fit') || c.status !== 'fail') continue;
    const named = c.finding.match(/customClaims\[\d+\]|allowedScopes/g) ?? [];
    if (named.length && named.every((r) => policyRules.has(r))) c.fix = `The gateway's access rules refuse this user: see "${access.title}".`;
  }
}
