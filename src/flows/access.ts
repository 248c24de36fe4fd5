/**
 * The access policy (who may use the gateway) across flows: the IdP's support for it, the gateway rules and the
 * scopes the client asks for, and the words init's plan, status, verify and connect show. Pure, but for the
 * adapter calls it names.
 */
import type { AccessSupport, AppRecord, IdpAdapter } from '../../providers/types.js';
import { AccessPolicyError, accessRequirements, checkGroupValues, claimRule, describePolicy, hasAccessRules, withAccessRules, type AccessPolicy, type ClaimRequirement } from '../authorizer/access.js';
import type { CustomJwtAuthorizer } from '../authorizer/types.js';
import { UsageError } from '../core/errors.js';

/** An IdP with no accessSupport (generic OIDC, the sandbox): groups travel in `groups`, nothing changes at the IdP. */
const GENERIC: AccessSupport = { groupClaim: { claim: 'groups' }, idpChanges: [] };

/** The adapter's support for the policy (a UsageError naming the flag when it cannot enforce it). */
export function accessSupportOf(adapter: Pick<IdpAdapter, 'accessSupport'>, policy: AccessPolicy | undefined, app?: Pick<AppRecord, 'clientId' | 'extras'>, groupsClaim?: string): AccessSupport {
  if (!hasAccessRules(policy)) return GENERIC;
  const base = adapter.accessSupport ? adapter.accessSupport(policy, app) : GENERIC;
  const support = groupsClaim ? { ...base, groupClaim: { claim: groupsClaim } } : base;
  try {
    checkGroupValues(policy, support.groupClaim);
  } catch (err) {
    if (err instanceof AccessPolicyError) throw new UsageError(err.message, { fix: err.fix });
    throw err;
  }
  return support;
}

/** The gateway's rules: the app's pins plus the policy (allowedScopes as the token carries them). */
export function authorizerWithAccess(base: CustomJwtAuthorizer, policy: AccessPolicy | undefined, support: AccessSupport): CustomJwtAuthorizer {
  if (!hasAccessRules(policy)) return base;
  const scopes = policy.scopes?.length ? (support.allowedScopes ?? policy.scopes) : undefined;
  return withAccessRules(base, { ...policy, ...(scopes ? { scopes } : {}) }, support.groupClaim);
}

/** What the MCP client asks for: the setup's scopes plus the policy's (as the IdP wants them asked). */
export function scopesWithAccess(scopes: string[], policy: AccessPolicy | undefined, support: AccessSupport): string[] {
  if (!policy?.scopes?.length) return scopes;
  return [...new Set([...scopes, ...(support.clientScopes ?? policy.scopes)])];
}

/** The policy in plan/status words: who is admitted, then what changes at the IdP, then notes. */
export function accessLines(policy: AccessPolicy | undefined, support: AccessSupport): { rules: string[]; idpChanges: string[]; notes: string[] } {
  if (!hasAccessRules(policy)) return { rules: ['anyone who can sign in at the IdP (through this app)'], idpChanges: [], notes: [] };
  return { rules: describePolicy(policy, support.groupClaim), idpChanges: support.idpChanges, notes: support.notes ?? [] };
}

/** An adapter that must change the IdP for the policy but cannot: refuse before anything is created. */
export function requireAccessApply(adapter: Pick<IdpAdapter, 'applyAccess' | 'displayName'>, support: AccessSupport): void {
  if (support.idpChanges.length && !adapter.applyAccess) {
    throw new UsageError(`${adapter.displayName} needs changes at the IdP for this access policy (${support.idpChanges.join('; ')}), which this version cannot make.`, {
      fix: 'Make those changes in the IdP\'s admin console and pass the rule as --require-claim on the claim it then issues, or drop --allow-group/--require-scope.',
    });
  }
}

/** --oidc-groups-claim: the claim a generic OIDC provider carries groups in (default groups). */
export function groupsClaimOption(options: Record<string, unknown>): string | undefined {
  const v = options['oidc-groups-claim'];
  return typeof v === 'string' && v ? v : undefined;
}

/**
 * A generic IdP is changed by nobody: the claims the rules read, and the scopes they require, should be ones its
 * discovery document advertises. Not advertised is a warning (claims_supported is often incomplete), not a refusal.
 */
export function unadvertised(md: Record<string, unknown>, policy: AccessPolicy, support: AccessSupport): string[] {
  const out: string[] = [];
  const claims = Array.isArray(md.claims_supported) ? md.claims_supported.filter((c): c is string => typeof c === 'string') : undefined;
  const ruled = [...(policy.groups?.length ? [support.groupClaim.claim] : []), ...(policy.claims ?? []).map((c) => c.claim)];
  if (claims) {
    for (const c of new Set(ruled)) {
      if (!claims.includes(c)) out.push(`The IdP does not list "${c}" in claims_supported: unless it puts ${c} in access tokens anyway, the gateway refuses every token. verify shows what the token carries.`);
    }
  }
  const scopes = Array.isArray(md.scopes_supported) ? md.scopes_supported.filter((c): c is string => typeof c === 'string') : undefined;
  for (const sc of policy.scopes ?? []) {
    if (scopes && !scopes.includes(sc)) out.push(`The IdP does not list the scope "${sc}" in scopes_supported: define it at the IdP, or the sign-in is refused (invalid_scope).`);
  }
  return out;
}

/** The access rules a team profile carries: allowedScopes and the claim rules that are not the client pin. */
export function profileAccess(z: CustomJwtAuthorizer): { allowedScopes?: string[]; rules?: ClaimRequirement[] } {
  const rules = accessRequirements(z);
  return { ...(z.allowedScopes?.length ? { allowedScopes: z.allowedScopes } : {}), ...(rules.length ? { rules } : {}) };
}

/** A team profile's access rules as the (partial) authorizer verify judges a developer's token with. */
export function accessAuthorizer(a: { allowedScopes?: string[]; rules?: ClaimRequirement[] } | undefined): Pick<CustomJwtAuthorizer, 'allowedScopes' | 'customClaims'> | undefined {
  if (!a || (!a.allowedScopes?.length && !a.rules?.length)) return undefined;
  return { ...(a.allowedScopes?.length ? { allowedScopes: a.allowedScopes } : {}), ...(a.rules?.length ? { customClaims: a.rules.map(claimRule) } : {}) };
}
