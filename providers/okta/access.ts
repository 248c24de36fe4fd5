/**
 * Who may use the gateway, at Okta (issue 13): what init changes on the custom authorization server so the access
 * policy's claims reach the access token.
 *
 *  - `--allow-group A --allow-group B`: a custom claim `groups` for ACCESS tokens (claimType RESOURCE, valueType
 *    GROUPS) whose group filter lists only the named groups: REGEX `^(A|B)$` (Okta's REGEX filter is
 *    case-sensitive, like the gateway's CONTAINS / CONTAINS_ANY; EQUALS, STARTS_WITH and CONTAINS are not), for any
 *    scope (`conditions.scopes: []`). The gateway rule reads it: `groups CONTAINS_ANY [A, B]`.
 *  - `--require-scope S`: a custom scope S on the server when it has none of that name (consent IMPLICIT, published
 *    in the server's metadata); this setup's access policy rule grants every scope (`*`).
 *
 * Idempotent: `previous` holds the ids an earlier run created (`groupsClaimId`, `scopeIds`): the claim is updated in
 * place (PUT), never duplicated; scopes found by name are not created again. A `groups` access-token claim this tool
 * did not create is never modified: reused when it already is a GROUPS claim, else a CliError with the fix.
 * removeAccess deletes what was created; already gone counts as done.
 */
import type { AccessPolicy } from '../../src/authorizer/access.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { AccessSupport, AdapterContext, IdpAdapter } from '../types.js';
import { collect, type OktaApi } from './api.js';
import type { OAuth2Claim, OAuth2Scope } from '@okta/okta-sdk-nodejs';

export const GROUPS_CLAIM = 'groups';
const SCOPE_AS = 'okta.authorizationServers.manage' as const;
/** Marks the scopes this tool creates (their description), so a lost create is recognised on a re-run. */
const SCOPE_MARK = 'agentcore-auth';

/** The journaled ids (non-secret): what removeAccess deletes. */
export interface OktaAccessIds {
  /** The `groups` access-token claim this tool created. */
  groupsClaimId?: string;
  /** Space-separated ids of the custom scopes this tool created. */
  scopeIds?: string;
}

const REGEX_META = /[.*+?^${}()|[\]\\]/g;

/** Okta's group filter that admits exactly these group names (case-sensitive, anchored). */
export function groupFilter(groups: string[]): { group_filter_type: 'REGEX'; value: string } {
  const alts = [...new Set(groups)].map((g) => g.replace(REGEX_META, '\\$&'));
  return { group_filter_type: 'REGEX', value: alts.length === 1 ? `^${alts[0]}$` : `^(${alts.join('|')})$` };
}

/** The claim's body as created (and as replaced on a re-run with other groups). */
export function groupsClaimBody(groups: string[]): OAuth2Claim {
  return {
    name: GROUPS_CLAIM,
    status: 'ACTIVE',
    claimType: 'RESOURCE',
    valueType: 'GROUPS',
    ...groupFilter(groups),
    alwaysIncludeInToken: true,
    // No scope condition: the claim is in every access token the server issues (to a user in a listed group).
    conditions: { scopes: [] },
  } as OAuth2Claim;
}

/** Whether an existing claim's group filter lets this group name through (Okta's documented semantics). */
export function filterAdmits(claim: Pick<OAuth2Claim, 'group_filter_type' | 'value'>, group: string): boolean | undefined {
  const v = claim.value ?? '';
  const [a, b] = [group.toLowerCase(), v.toLowerCase()];
  switch (claim.group_filter_type) {
    case 'EQUALS':
      return a === b;
    case 'STARTS_WITH':
      return a.startsWith(b);
    case 'CONTAINS':
      return a.includes(b);
    case 'REGEX':
      try {
        return new RegExp(`^(?:${v})$`).test(group);
      } catch {
        return undefined; // a Java regex JavaScript cannot read: unknown
      }
    default:
      return undefined;
  }
}

const names = (v: string[]) => v.join(', ');

/** The policy at Okta, in words (pure). Throws a UsageError naming the flag for what Okta cannot do. */
export function oktaAccessSupport(policy: AccessPolicy, authServerId: string): AccessSupport {
  const idpChanges: string[] = [];
  const notes: string[] = [];
  for (const s of policy.scopes ?? []) {
    if (/^okta\./i.test(s)) {
      throw new UsageError(`--require-scope ${s}: Okta reserves okta.* scopes for its own Management API; a custom authorization server cannot define or grant them.`, {
        fix: 'Name a scope of your own, e.g. --require-scope mcp:invoke.',
      });
    }
  }
  if (policy.groups?.length) {
    idpChanges.push(`a "${GROUPS_CLAIM}" claim in access tokens on authorization server ${authServerId}, listing only ${names(policy.groups)}`);
    notes.push(`Okta puts a group in the "${GROUPS_CLAIM}" claim by its exact name; a user must also be assigned to the app (--okta-assign-group) to sign in at all.`);
  }
  for (const s of policy.scopes ?? []) idpChanges.push(`custom scope ${s} on authorization server ${authServerId} (created when missing)`);
  for (const c of new Set((policy.claims ?? []).map((r) => r.claim))) {
    if (c === GROUPS_CLAIM && policy.groups?.length) continue;
    notes.push(`Okta issues "${c}" in access tokens only when authorization server ${authServerId} has a custom claim of that name (Security > API > Authorization Servers > ${authServerId} > Claims, token type Access Token): this tool does not create it.`);
  }
  return { groupClaim: { claim: GROUPS_CLAIM }, idpChanges, ...(notes.length ? { notes } : {}) };
}

/** Preflight: every --allow-group names an Okta group, spelled as Okta spells it (the claim carries that spelling). */
export async function checkOktaGroups(api: OktaApi, groups: string[]): Promise<void> {
  for (const g of groups) {
    const hits = ((await api.call({ scope: 'okta.groups.read', purpose: `looking up group "${g}"` }, async (s) => collect(await s.groupApi.listGroups({ q: g, limit: 200 })))) ?? []) as Array<{
      profile?: { name?: string };
    }>;
    if (hits.some((h) => h.profile?.name === g)) continue;
    const other = hits.find((h) => h.profile?.name?.toLowerCase() === g.toLowerCase())?.profile?.name;
    if (other) {
      throw new UsageError(`--allow-group ${g}: the Okta group is named "${other}". The groups claim carries names as Okta spells them, and the gateway compares them exactly.`, {
        fix: `Pass --allow-group ${other}.`,
      });
    }
    throw new UsageError(`--allow-group ${g}: no Okta group has that name in ${api.orgUrl}.`, { fix: 'Pass the exact name of an existing group (Directory > Groups).' });
  }
}

function sameClaim(live: OAuth2Claim, want: OAuth2Claim): boolean {
  return (
    live.status === want.status &&
    live.valueType === want.valueType &&
    live.group_filter_type === want.group_filter_type &&
    live.value === want.value &&
    (live.conditions?.scopes ?? []).length === 0
  );
}

export interface AccessCall {
  api: OktaApi;
  logger: Logger;
  authServerId: string;
  clientId: string;
}

/** Create or update what the policy needs at Okta; returns the ids of what this tool created (see the module comment). */
export async function applyOktaAccess(c: AccessCall, policy: AccessPolicy, previous: OktaAccessIds = {}): Promise<Record<string, string>> {
  const { api, logger, authServerId } = c;
  const out: Record<string, string> = {};
  const where = `authorization server ${authServerId}`;

  // 1. The groups claim.
  const groups = policy.groups ?? [];
  if (groups.length || previous.groupsClaimId) {
    const claims = ((await api.call({ scope: SCOPE_AS, purpose: `listing the claims of ${where}` }, async (s) => collect(await s.authorizationServerApi.listOAuth2Claims({ authServerId })))) ?? []) as OAuth2Claim[];
    const ours = previous.groupsClaimId ? claims.find((x) => x.id === previous.groupsClaimId) : undefined;
    if (!groups.length) {
      // The policy no longer names groups: the claim an earlier run made goes.
      if (ours) await deleteClaim(api, authServerId, ours.id!);
    } else {
      const want = groupsClaimBody(groups);
      if (ours) {
        if (!sameClaim(ours, want) || ours.name !== GROUPS_CLAIM) {
          await api.call({ scope: SCOPE_AS, purpose: `updating the "${GROUPS_CLAIM}" claim of ${where}` }, (s) =>
            s.authorizationServerApi.replaceOAuth2Claim({ authServerId, claimId: ours.id!, oAuth2Claim: want }),
          );
          logger.debug(`okta: claim ${ours.id} now lists ${names(groups)}`);
        }
        out.groupsClaimId = ours.id!;
      } else {
        const clash = claims.find((x) => x.name === GROUPS_CLAIM && x.claimType === 'RESOURCE');
        if (clash) reuseForeignClaim(clash, groups, authServerId, logger);
        else {
          const made = await api.call(
            {
              scope: SCOPE_AS,
              purpose: `creating the "${GROUPS_CLAIM}" claim on ${where}`,
              unknownOutcomeFix: `Look for a claim named "${GROUPS_CLAIM}" (Access Token) on ${where} in the Okta Admin Console (Security > API > Authorization Servers > Claims), delete it if it exists, then run init again.`,
            },
            (s) => s.authorizationServerApi.createOAuth2Claim({ authServerId, oAuth2Claim: want }),
          );
          out.groupsClaimId = made!.id!;
          logger.debug(`okta: created claim ${made!.id} (${want.value})`);
        }
      }
    }
  }

  // 2. Custom scopes.
  const wanted = [...new Set(policy.scopes ?? [])];
  const before = (previous.scopeIds ?? '').split(' ').filter(Boolean);
  if (wanted.length || before.length) {
    const scopes = ((await api.call({ scope: SCOPE_AS, purpose: `listing the scopes of ${where}` }, async (s) => collect(await s.authorizationServerApi.listOAuth2Scopes({ authServerId })))) ?? []) as OAuth2Scope[];
    const kept: string[] = [];
    for (const name of wanted) {
      const found = scopes.find((x) => x.name === name);
      if (found) {
        // Ours when an earlier run made it (its id, or the mark a lost create leaves); someone else's is used as it is.
        if (before.includes(found.id!) || isOurs(found, c.clientId)) kept.push(found.id!);
        continue;
      }
      const made = await api.call(
        {
          scope: SCOPE_AS,
          purpose: `creating the scope ${name} on ${where}`,
          unknownOutcomeFix: `Run init again: a scope ${name} made by agentcore-auth is recognised by its description.`,
        },
        (s) =>
          s.authorizationServerApi.createOAuth2Scope({
            authServerId,
            oAuth2Scope: {
              name,
              displayName: name,
              description: `${SCOPE_MARK}: required by the gateway for client ${c.clientId} (agentcore-auth cleanup deletes it)`.slice(0, 255),
              consent: 'IMPLICIT',
              metadataPublish: 'ALL_CLIENTS',
            } as OAuth2Scope,
          }),
      );
      kept.push(made!.id!);
      logger.debug(`okta: created scope ${name} (${made!.id})`);
    }
    // Scopes an earlier run made that the policy no longer requires go.
    for (const id of before) if (!kept.includes(id) && scopes.some((x) => x.id === id)) await deleteScope(api, authServerId, id);
    if (kept.length) out.scopeIds = kept.join(' ');
  }
  return out;
}

function isOurs(scope: OAuth2Scope, clientId: string): boolean {
  return Boolean(scope.description?.startsWith(`${SCOPE_MARK}:`) && scope.description.includes(`client ${clientId} `));
}

/** A `groups` access-token claim someone else made: used as it is when it is a groups claim, never changed. */
function reuseForeignClaim(clash: OAuth2Claim, groups: string[], authServerId: string, logger: Logger): void {
  const console = `Security > API > Authorization Servers > ${authServerId} > Claims`;
  if (clash.valueType !== 'GROUPS' || clash.status === 'INACTIVE') {
    const what = clash.status === 'INACTIVE' ? 'is inactive' : `is an ${String(clash.valueType ?? 'unknown').toLowerCase()} claim (value ${JSON.stringify(clash.value ?? '')}), not a list of the user's groups`;
    throw new CliError(`Authorization server ${authServerId} already has a "${GROUPS_CLAIM}" claim for access tokens (${clash.id}) that this tool did not create, and it ${what}. It is left as it is.`, {
      code: 'conflict',
      fix: `In the Okta Admin Console (${console}), change that claim to value type Groups with a filter that admits ${names(groups)} (or delete it so init creates one), then run init again; or rule on the claim as it is with --require-claim.`,
    });
  }
  const missing = groups.filter((g) => filterAdmits(clash, g) === false);
  logger.info(`Okta: authorization server ${authServerId} already has a "${GROUPS_CLAIM}" claim for access tokens (${clash.id}, filter ${clash.group_filter_type} ${JSON.stringify(clash.value ?? '')}); it is used as it is and left in place by cleanup.`);
  if (missing.length) {
    logger.warn(`That "${GROUPS_CLAIM}" claim's filter leaves out ${names(missing)}: their members will be refused by the gateway until the filter admits them (${console}).`);
  }
}

async function deleteClaim(api: OktaApi, authServerId: string, claimId: string): Promise<boolean> {
  const r = await api.call({ scope: SCOPE_AS, purpose: `deleting claim ${claimId} of authorization server ${authServerId}`, allow404: true }, (s) =>
    s.authorizationServerApi.deleteOAuth2Claim({ authServerId, claimId }),
  );
  return r !== null;
}

async function deleteScope(api: OktaApi, authServerId: string, scopeId: string): Promise<boolean> {
  const r = await api.call({ scope: SCOPE_AS, purpose: `deleting scope ${scopeId} of authorization server ${authServerId}`, allow404: true }, (s) =>
    s.authorizationServerApi.deleteOAuth2Scope({ authServerId, scopeId }),
  );
  return r !== null;
}

/** Delete what applyOktaAccess created; already gone counts as done. */
export async function removeOktaAccess(api: OktaApi, authServerId: string, created: OktaAccessIds): Promise<'deleted' | 'gone'> {
  let any = false;
  if (created.groupsClaimId) any = (await deleteClaim(api, authServerId, created.groupsClaimId)) || any;
  for (const id of (created.scopeIds ?? '').split(' ').filter(Boolean)) any = (await deleteScope(api, authServerId, id)) || any;
  return any ? 'deleted' : 'gone';
}

/** The adapter's access methods, on its admin client (`apiFor(ctx, orgUrl)`) and its authorization server. */
export function oktaAccessMethods(
  apiFor: (ctx: Pick<AdapterContext, 'env' | 'logger' | 'timeoutMs'>, appOrg?: string) => OktaApi,
  defaultAuthServer: string,
): Required<Pick<IdpAdapter, 'accessSupport' | 'checkAccess' | 'applyAccess' | 'removeAccess'>> {
  return {
    accessSupport: (policy, app) => oktaAccessSupport(policy, app?.extras.authServerId ?? defaultAuthServer),
    async checkAccess(ctx, policy) {
      if (policy.groups?.length) await checkOktaGroups(apiFor(ctx), policy.groups);
    },
    async applyAccess(ctx, app, policy, previous) {
      const api = apiFor(ctx, app.extras.orgUrl);
      return applyOktaAccess({ api, logger: ctx.logger, authServerId: app.extras.authServerId ?? defaultAuthServer, clientId: app.clientId }, policy, previous);
    },
    removeAccess: (ctx, app, created) => removeOktaAccess(apiFor(ctx, app.extras.orgUrl), app.extras.authServerId ?? defaultAuthServer, created),
  };
}
