/**
 * Who may use the gateway, at Amazon Cognito (issue 13).
 *
 * - Groups: Cognito puts the user's groups in every access token as `cognito:groups` (an array). A user in no group
 *   carries no `cognito:groups` claim at all, so a group rule refuses them: which is what "only these groups" means.
 *   The groups must exist in the pool: init checks them before anything is created, and creates the missing ones
 *   only when asked (--cognito-create-group); cleanup deletes only the groups it created.
 * - Scopes: a scope of your own lives on a resource server and reaches the access token as `identifier/name`
 *   (Cognito's `scope` claim). --require-scope NAME names a scope of --cognito-resource-server (init creates the
 *   server and its scopes, --cognito-resource-scopes); the gateway then requires exactly those.
 * - Other claims: Cognito adds claims to access tokens only through a pre-token-generation Lambda (V2_0 or later);
 *   a rule on any other claim is allowed, with that said.
 */
import type { AccessPolicy } from '../../src/authorizer/access.js';
import { UsageError } from '../../src/core/errors.js';
import type { AccessSupport, AdapterContext } from '../types.js';

/** Claims Cognito puts in access tokens itself (besides cognito:groups). */
const ACCESS_TOKEN_CLAIMS = ['sub', 'cognito:groups', 'iss', 'version', 'client_id', 'origin_jti', 'event_id', 'token_use', 'scope', 'auth_time', 'exp', 'iat', 'jti', 'username'];

export interface CognitoAccessOptions {
  resourceServer?: { identifier: string; scopes: string[] };
  createGroups: boolean;
  /** A pool this run creates (no group can exist in it yet). */
  newPool: boolean;
}

export function cognitoAccessSupport(policy: AccessPolicy, o: CognitoAccessOptions): AccessSupport {
  const notes: string[] = [];
  const idpChanges: string[] = [];
  let scopes: string[] | undefined;
  if (policy.scopes?.length) {
    const rs = o.resourceServer;
    if (!rs) {
      throw new UsageError('--require-scope at Cognito names a scope of a resource server, and none is given.', {
        fix: `Pass --cognito-resource-server IDENTIFIER --cognito-resource-scopes "${policy.scopes.join(' ')}" (init creates the server and its scopes when missing).`,
      });
    }
    scopes = policy.scopes.map((s) => {
      const name = s.startsWith(`${rs.identifier}/`) ? s.slice(rs.identifier.length + 1) : s;
      if (!rs.scopes.includes(name)) {
        throw new UsageError(`--require-scope ${s} is not a scope of resource server ${rs.identifier} (${rs.scopes.join(', ')}).`, {
          fix: `Add it: --cognito-resource-scopes "${[...new Set([...rs.scopes, name])].join(' ')}".`,
        });
      }
      return `${rs.identifier}/${name}`;
    });
  }
  if (policy.groups?.length) {
    if (o.newPool && !o.createGroups) {
      throw new UsageError(`The new user pool has no groups yet, so no user could be in ${policy.groups.join(', ')}.`, { fix: 'Add --cognito-create-group (init creates the groups; add users to them in the Cognito console).' });
    }
    if (o.createGroups) idpChanges.push(`groups ${policy.groups.join(', ')} in the user pool, created where missing (cleanup deletes only those it created)`);
    notes.push('Cognito lists a user\'s groups in cognito:groups; a user in no group has no such claim, and the gateway refuses them.');
  }
  for (const c of policy.claims ?? []) {
    if (!ACCESS_TOKEN_CLAIMS.includes(c.claim)) notes.push(`Cognito puts "${c.claim}" in access tokens only through a pre-token-generation Lambda (V2_0 or later); without one, the gateway refuses every token.`);
  }
  return { groupClaim: { claim: 'cognito:groups' }, idpChanges, notes, ...(scopes ? { allowedScopes: scopes, clientScopes: scopes } : {}) };
}

/** The SDK calls the access steps need (the adapter's explained-error wrapper). */
export interface GroupApi {
  exists(ctx: AdapterContext, poolId: string, group: string): Promise<boolean>;
  create(ctx: AdapterContext, poolId: string, group: string, description: string): Promise<void>;
  /** false when it was already gone. */
  remove(ctx: AdapterContext, poolId: string, group: string): Promise<boolean>;
}

/** Preflight: the named groups exist (or will be created); refuses naming the flag otherwise. */
export async function checkGroups(ctx: AdapterContext, api: GroupApi, poolId: string, groups: string[], createGroups: boolean): Promise<void> {
  const missing: string[] = [];
  for (const g of groups) if (!(await api.exists(ctx, poolId, g))) missing.push(g);
  if (missing.length && !createGroups) {
    throw new UsageError(`User pool ${poolId} has no group ${missing.map((g) => `"${g}"`).join(', ')}: nobody could be admitted through it.`, {
      fix: 'Check the name (groups are case-sensitive), or add --cognito-create-group to create it (then add users to it).',
    });
  }
  if (missing.length) ctx.logger.info(`Group ${missing.join(', ')} does not exist in ${poolId} yet: init creates it (--cognito-create-group).`);
}

/** Create the missing groups; returns the ones this run created (with the earlier runs' still recorded). */
export async function ensureGroups(ctx: AdapterContext, api: GroupApi, poolId: string, groups: string[], previous: string[], setupNote: string): Promise<string[]> {
  const created = new Set(previous);
  for (const g of groups) {
    if (await api.exists(ctx, poolId, g)) continue;
    await api.create(ctx, poolId, g, setupNote);
    created.add(g);
  }
  return [...created];
}
