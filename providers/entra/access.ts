/**
 * Who may use the gateway, at Microsoft Entra ID (issue 13), through Microsoft Graph v1.0.
 *
 * - Groups (`--allow-group NAME`): app roles on the API app, the recommended way (a `groups` claim carries object ids,
 *   not names, and is replaced by an overage marker past 200 groups). For each name, one app role
 *   (allowedMemberTypes ["User"], value = roleValueFor(NAME), a new GUID, enabled) goes into the application's
 *   `appRoles` (PATCH /applications/{id} replaces the collection: the whole array is sent), and the group (by
 *   display name, or object id) or user (by user principal name, NAME containing "@") is assigned to it on the
 *   service principal (POST /servicePrincipals/{spId}/appRoleAssignedTo {principalId, resourceId, appRoleId}).
 *   Entra then lists the user's role values in the access token's `roles` claim: the gateway rule reads `roles`.
 * - Scopes (`--require-scope NAME`): delegated scopes in the app's `api.oauth2PermissionScopes` (the token's `scp`
 *   holds bare names; the client asks for api://<app id>/NAME). access_as_user already exists.
 * - Removal: the assignments are deleted, then each role or scope is disabled (isEnabled false) in one PATCH and
 *   removed in a second (Graph refuses to remove an enabled one: CannotDeleteOrUpdateEnabledEntitlement).
 * - Idempotent: what an earlier run created (`previous`), or what carries our marker, is reused, never duplicated;
 *   what it created that the policy no longer names is removed.
 * The journaled record (non-secret ids): appRoles "roleId:value ...", roleAssignments "assignmentId:roleId:principalId
 * ...", scopes "scopeId:name ...".
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AccessPolicy } from '../../src/authorizer/access.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { isGuid } from '../profiles.js';
import type { AccessSupport, AdapterContext, AppRecord, IdpAdapter } from '../types.js';
import { GraphError, type GraphClient } from './graph.js';
import { API_SCOPE_NAME } from './settings.js';

export const ACCESS_PERM = {
  app: 'the Microsoft Graph permission Application.ReadWrite.All (or Application.ReadWrite.OwnedBy for an app it created)',
  assign: 'the Microsoft Graph permission AppRoleAssignment.ReadWrite.All (with Application.Read.All)',
  groups: 'the Microsoft Graph permission Group.Read.All (or Directory.Read.All)',
  users: 'the Microsoft Graph permission User.ReadBasic.All (or User.Read.All)',
} as const;

/** The marker in the description of every role and scope this tool adds (found again after a lost journal entry). */
export const MARKER = 'Created by agentcore-auth';

/** appRole.value and permissionScope.value: these characters, at most 120, no space, not starting with a dot. */
const VALUE_CHARS = /[A-Za-z0-9:!#$%&'()*+,\-./;<=>?@[\]^_`{|}~]/;
const VALUE_MAX = 120;
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Claims Entra puts in v2.0 access tokens without optional claims or a claims mapping policy. */
const V2_ACCESS_CLAIMS = ['aio', 'azp', 'azpacr', 'idp', 'name', 'oid', 'preferred_username', 'rh', 'roles', 'sid', 'sub', 'tid', 'uti', 'ver', 'wids', 'groups'];

/**
 * The app role value for an --allow-group name (deterministic): the name, with any character that Entra refuses in a
 * role value, or AgentCore in a claim match value ([A-Za-z0-9_.:/-]), replaced by "_" (a user's ada@contoso.com
 * becomes ada_contoso.com); no leading dot; at most 120 characters (a longer name is cut and keeps a hash suffix).
 */
export function roleValueFor(name: string): string {
  let v = [...name].map((c) => (/[A-Za-z0-9_.:/-]/.test(c) ? c : '_')).join('');
  if (v.startsWith('.')) v = `_${v.slice(1)}`;
  if (v.length > VALUE_MAX) v = `${v.slice(0, VALUE_MAX - 9)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  return v;
}

/** The bare scope name for a --require-scope value (NAME or api://<app>/NAME); refuses what Entra cannot issue. */
export function scopeNameOf(scope: string, app?: Pick<AppRecord, 'clientId' | 'extras'>): string {
  const m = /^api:\/\/(.+)\/([^/]+)$/.exec(scope);
  const name = m ? m[2]! : scope;
  if (m && app && isGuid(app.clientId)) {
    const uri = app.extras.identifierUri ?? `api://${app.clientId}`;
    if (`api://${m[1]}` !== uri) {
      throw new UsageError(`--require-scope ${scope} names another API than this app's (${uri}).`, { fix: `Name the scope alone (e.g. --require-scope ${name}): init defines it on this app's API.` });
    }
  }
  if (OIDC_SCOPES.includes(name)) {
    throw new UsageError(`--require-scope ${scope}: Entra never puts OpenID Connect scopes in an API's access token (its scp holds this API's scopes only).`, {
      fix: `Require a scope of the app's API instead, e.g. --require-scope ${API_SCOPE_NAME} (every sign-in gets it) or a new one such as mcp.invoke.`,
    });
  }
  if (name.length > VALUE_MAX || name.startsWith('.') || ![...name].every((c) => VALUE_CHARS.test(c)) || name.includes('/')) {
    throw new UsageError(`--require-scope ${scope} is not a scope name Entra accepts.`, { fix: 'Use at most 120 letters, digits and punctuation such as . _ - :, without spaces or "/", not starting with a dot (e.g. mcp.invoke).' });
  }
  return name;
}

/** What the policy needs at Entra (pure). */
export function entraAccessSupport(policy: AccessPolicy, app?: Pick<AppRecord, 'clientId' | 'extras'>): AccessSupport {
  const idpChanges: string[] = [];
  const notes: string[] = [];
  const out: AccessSupport = { groupClaim: { claim: 'roles', valueFor: roleValueFor }, idpChanges, notes };
  if (policy.groups?.length) {
    const roles = policy.groups.map((g) => `"${roleValueFor(g)}" for ${g.includes('@') ? 'user' : 'group'} ${g}`);
    idpChanges.push(`app roles on the app registration (${roles.join(', ')}), each assigned to its group or user on the app's service principal; Entra lists a user's roles in the token's roles claim`);
    notes.push('Entra grants an app role through a direct assignment: members of an assigned group get it, members of groups nested inside it do not. Assigning a group needs Microsoft Entra ID P1 or P2 (assigning a user does not).');
    notes.push('A user gets a new role at their next sign-in: tokens issued before keep their claims until they expire.');
  }
  if (policy.scopes?.length) {
    const names = [...new Set(policy.scopes.map((s) => scopeNameOf(s, app)))];
    const fresh = names.filter((n) => n !== API_SCOPE_NAME);
    if (fresh.length) idpChanges.push(`delegated scope${fresh.length > 1 ? 's' : ''} ${fresh.join(', ')} on the app's API (api.oauth2PermissionScopes); users consent to ${fresh.length > 1 ? 'them' : 'it'} at their next sign-in`);
    const uri = app && isGuid(app.clientId) ? (app.extras.identifierUri ?? `api://${app.clientId}`) : 'api://<app id>';
    out.allowedScopes = names;
    out.clientScopes = names.map((n) => `${uri}/${n}`);
  }
  for (const c of policy.claims ?? []) {
    if (c.claim === 'groups') notes.push('Entra\'s groups claim carries group object ids (not names), only when the app asks for it (groupMembershipClaims), and is replaced by an overage marker past 200 groups: prefer --allow-group (app roles).');
    else if (!V2_ACCESS_CLAIMS.includes(c.claim)) notes.push(`Entra puts "${c.claim}" in access tokens only as an optional claim (App registration > Token configuration) or through a claims mapping policy; without one, the gateway refuses every token.`);
  }
  return out;
}

interface Principal {
  id: string;
  kind: 'group' | 'user';
  name: string;
}

interface GraphRole {
  id: string;
  value: string;
  isEnabled: boolean;
  allowedMemberTypes: string[];
  displayName?: string;
  description?: string;
  origin?: string;
  [k: string]: unknown;
}

interface GraphScope {
  id: string;
  value: string;
  isEnabled: boolean;
  adminConsentDescription?: string;
  origin?: string;
  [k: string]: unknown;
}

interface GraphAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  resourceId: string;
}

interface Recorded {
  roles: Map<string, string>;
  assignments: Array<{ id: string; roleId: string; principalId: string }>;
  scopes: Map<string, string>;
}

/** The journaled record back into ids. */
export function parseCreated(created: Record<string, string> | undefined): Recorded {
  const pairs = (s: string | undefined) => (s ?? '').split(' ').filter(Boolean).map((x) => [x.slice(0, x.indexOf(':')), x.slice(x.indexOf(':') + 1)] as [string, string]);
  return {
    roles: new Map(pairs(created?.appRoles)),
    scopes: new Map(pairs(created?.scopes)),
    assignments: (created?.roleAssignments ?? '').split(' ').filter(Boolean).map((x) => {
      const [id = '', roleId = '', principalId = ''] = x.split(':');
      return { id, roleId, principalId };
    }),
  };
}

function formatCreated(r: Recorded): Record<string, string> {
  const out: Record<string, string> = {};
  if (r.roles.size) out.appRoles = [...r.roles].map(([id, v]) => `${id}:${v}`).join(' ');
  if (r.assignments.length) out.roleAssignments = r.assignments.map((a) => `${a.id}:${a.roleId}:${a.principalId}`).join(' ');
  if (r.scopes.size) out.scopes = [...r.scopes].map(([id, v]) => `${id}:${v}`).join(' ');
  return out;
}

/** What we send back of a role or scope Graph returned: `origin` is read-only (must not be in a PATCH). */
const writable = <T extends { origin?: string }>(x: T): Omit<T, 'origin'> => {
  const { origin: _origin, ...rest } = x;
  return rest;
};

const API_WRITABLE = ['acceptMappedClaims', 'knownClientApplications', 'oauth2PermissionScopes', 'preAuthorizedApplications', 'requestedAccessTokenVersion'];

export interface EntraAccessDeps {
  graph: GraphClient;
  /** Binds the adapter to the app's tenant. */
  bindApp(app: AppRecord): void;
  /** The application object id, or null when the app is gone. */
  objectIdOf(ctx: AdapterContext, app: AppRecord): Promise<string | null>;
  /** The tenant, for messages. */
  tenant(): string | undefined;
  /** Waits between retries while a just-written role replicates to the service principal. */
  delaysMs: number[];
  /** The Graph application permissions the admin token carries (client credentials), or undefined when unknown. */
  grantedRoles(ctx: AdapterContext): Promise<string[] | undefined>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** accessSupport, checkAccess, applyAccess and removeAccess for the Entra adapter. */
export function entraAccess(d: EntraAccessDeps): Required<Pick<IdpAdapter, 'accessSupport' | 'checkAccess' | 'applyAccess' | 'removeAccess'>> {
  const { graph } = d;
  /** Names already looked up in this process (checkAccess, then applyAccess). */
  const resolved = new Map<string, Principal>();
  const where = () => (d.tenant() ? ` in Microsoft Entra tenant ${d.tenant()}` : ' in Microsoft Entra ID');

  const resolve = async (ctx: AdapterContext, name: string): Promise<Principal> => {
    const had = resolved.get(name);
    if (had) return had;
    let p: Principal;
    if (name.includes('@')) {
      const r = await graph.call<{ id: string }>(ctx, { path: `/users/${encodeURIComponent(name)}?$select=id,userPrincipalName`, purpose: `looking up user ${name}`, permission: ACCESS_PERM.users, needs: ['users'], allow404: true });
      if (r.status === 404 || !r.body?.id) {
        throw new CliError(`--allow-group ${name}: no user with the sign-in name (user principal name) "${name}"${where()}.`, {
          code: 'not_found',
          fix: 'Give the user principal name exactly as Entra admin center > Users shows it (e.g. ada@contoso.onmicrosoft.com; a guest\'s looks like ada_example.com#EXT#@contoso.onmicrosoft.com), or a group\'s display name.',
        });
      }
      p = { id: r.body.id, kind: 'user', name };
    } else if (isGuid(name)) {
      const r = await graph.call<{ id: string }>(ctx, { path: `/groups/${name}?$select=id,displayName`, purpose: `looking up group ${name}`, permission: ACCESS_PERM.groups, needs: ['groups'], allow404: true });
      if (r.status === 404 || !r.body?.id) {
        throw new CliError(`--allow-group ${name}: no group with object id ${name}${where()}.`, { code: 'not_found', fix: 'Copy the group\'s Object Id from Entra admin center > Groups > All groups, or give its display name.' });
      }
      p = { id: r.body.id, kind: 'group', name };
    } else {
      const filter = encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`);
      const r = await graph.call<{ value?: Array<{ id: string; displayName: string }> }>(ctx, { path: `/groups?$filter=${filter}&$select=id,displayName`, purpose: `looking up group "${name}"`, permission: ACCESS_PERM.groups, needs: ['groups'] });
      const found = r.body?.value ?? [];
      if (!found.length) {
        throw new CliError(`--allow-group ${name}: no group named "${name}"${where()}.`, {
          code: 'not_found',
          fix: 'Give the group\'s display name as Entra admin center > Groups > All groups shows it (`az ad group list --query "[].displayName" -o tsv` lists them); a name with spaces cannot be passed: give its Object Id instead. For one person, give their user principal name (user@domain).',
        });
      }
      if (found.length > 1) {
        throw new CliError(`--allow-group ${name}: ${found.length} groups${where()} are named "${name}" (${found.map((g) => g.id).join(', ')}).`, { code: 'ambiguous', fix: 'Pass the Object Id of the one you mean instead of its name.' });
      }
      p = { id: found[0]!.id, kind: 'group', name };
    }
    resolved.set(name, p);
    return p;
  };

  const readApp = async (ctx: AdapterContext, objectId: string, clientId: string) => {
    const r = await graph.call<{ appRoles?: GraphRole[]; api?: Record<string, unknown> }>(ctx, { path: `/applications/${objectId}?$select=appRoles,api`, purpose: `reading the app roles and scopes of app registration ${clientId}`, permission: ACCESS_PERM.app, allow404: true });
    if (r.status === 404 || !r.body) return null;
    return { roles: r.body.appRoles ?? [], api: r.body.api ?? {} };
  };

  const apiWith = (api: Record<string, unknown>, scopes: GraphScope[]) => {
    const out: Record<string, unknown> = {};
    for (const k of API_WRITABLE) if (api[k] !== undefined) out[k] = api[k];
    out.oauth2PermissionScopes = scopes.map(writable);
    return out;
  };

  const patch = (ctx: AdapterContext, objectId: string, body: Record<string, unknown>, purpose: string) =>
    graph.call(ctx, { method: 'PATCH', path: `/applications/${objectId}`, body, purpose, permission: ACCESS_PERM.app });

  /**
   * Removes roles and scopes (by id) from the app: disabled in one PATCH, removed in the next (Graph refuses to remove
   * an enabled one). `keep` is the rest of the new collections (roles/scopes to add or keep).
   */
  const retire = async (ctx: AdapterContext, objectId: string, clientId: string, cur: { roles: GraphRole[]; scopes: GraphScope[]; api: Record<string, unknown> }, drop: { roles: Set<string>; scopes: Set<string> }, next: { roles: GraphRole[]; scopes: GraphScope[] }) => {
    const scopes = cur.scopes;
    const rolesChange = cur.roles.some((r) => drop.roles.has(r.id));
    const scopesChange = scopes.some((s) => drop.scopes.has(s.id));
    const enabledRoles = cur.roles.some((r) => drop.roles.has(r.id) && r.isEnabled);
    const enabledScopes = scopes.some((s) => drop.scopes.has(s.id) && s.isEnabled);
    if (enabledRoles || enabledScopes) {
      await patch(
        ctx,
        objectId,
        {
          ...(enabledRoles ? { appRoles: cur.roles.map((r) => writable(drop.roles.has(r.id) ? { ...r, isEnabled: false } : r)) } : {}),
          ...(enabledScopes ? { api: apiWith(cur.api, scopes.map((s) => (drop.scopes.has(s.id) ? { ...s, isEnabled: false } : s))) } : {}),
        },
        `disabling the app roles and scopes to remove from app registration ${clientId}`,
      );
    }
    const changed = { roles: rolesChange || next.roles !== cur.roles, scopes: scopesChange || next.scopes !== scopes };
    if (changed.roles || changed.scopes) {
      await patch(
        ctx,
        objectId,
        {
          ...(changed.roles ? { appRoles: next.roles.filter((r) => !drop.roles.has(r.id)).map(writable) } : {}),
          ...(changed.scopes ? { api: apiWith(cur.api, next.scopes.filter((s) => !drop.scopes.has(s.id))) } : {}),
        },
        `setting the app roles and scopes of app registration ${clientId}`,
      );
    }
  };

  const listAssignments = async (ctx: AdapterContext, spId: string): Promise<GraphAssignment[] | null> => {
    const out: GraphAssignment[] = [];
    let path: string | undefined = `/servicePrincipals/${spId}/appRoleAssignedTo`;
    while (path) {
      const r: { status: number; body?: { value?: GraphAssignment[]; '@odata.nextLink'?: string } } = await graph.call(ctx, { path, purpose: 'listing the app role assignments of the app\'s service principal', permission: ACCESS_PERM.app, allow404: true });
      if (r.status === 404) return null;
      out.push(...(r.body?.value ?? []));
      const next = r.body?.['@odata.nextLink'];
      path = next && next.startsWith(graph.base) ? next.slice(graph.base.length) : undefined;
    }
    return out;
  };

  const unassign = async (ctx: AdapterContext, spId: string, id: string): Promise<boolean> => {
    const r = await graph.call(ctx, { method: 'DELETE', path: `/servicePrincipals/${spId}/appRoleAssignedTo/${encodeURIComponent(id)}`, purpose: 'deleting an app role assignment', permission: ACCESS_PERM.assign, needs: ['assign'], allow404: true });
    return r.status !== 404;
  };

  /** POST an assignment; a role written a moment ago may not have reached the service principal yet. */
  const assign = async (ctx: AdapterContext, spId: string, p: Principal, roleId: string, value: string): Promise<GraphAssignment> => {
    for (let i = 0; ; i++) {
      try {
        const r = await graph.call<GraphAssignment>(ctx, {
          method: 'POST',
          path: `/servicePrincipals/${spId}/appRoleAssignedTo`,
          body: { principalId: p.id, resourceId: spId, appRoleId: roleId },
          purpose: `assigning ${p.kind} ${p.name} to app role ${value}`,
          permission: ACCESS_PERM.assign,
          needs: ['assign'],
          unknownOutcomeFix: 'Run init again: it finds an assignment that was made and does not make it twice.',
        });
        if (!r.body?.id) throw new CliError('Graph made the app role assignment but returned no id.');
        return r.body;
      } catch (err) {
        const lag = err instanceof GraphError && err.status === 400 && /not found on application/i.test(err.graphMessage);
        if (!lag || i >= d.delaysMs.length) throw err;
        ctx.logger.debug(`app role ${value} not on the service principal yet, retrying in ${d.delaysMs[i]} ms`);
        await sleep(d.delaysMs[i]!);
      }
    }
  };

  const servicePrincipalOf = async (ctx: AdapterContext, app: AppRecord): Promise<string | null> => {
    if (app.extras.servicePrincipalId) return app.extras.servicePrincipalId;
    const r = await graph.call<{ id: string }>(ctx, { path: `/servicePrincipals(appId='${encodeURIComponent(app.clientId)}')?$select=id`, purpose: `finding the service principal of app ${app.clientId}`, permission: ACCESS_PERM.app, allow404: true });
    return r.status === 404 ? null : (r.body?.id ?? null);
  };

  return {
    accessSupport: entraAccessSupport,

    async checkAccess(ctx, policy) {
      for (const s of policy.scopes ?? []) scopeNameOf(s);
      // Assignments are made after the app exists: a missing permission is said now, before anything is created.
      const roles = policy.groups?.length ? await d.grantedRoles(ctx) : undefined;
      if (roles && !roles.includes('AppRoleAssignment.ReadWrite.All')) {
        throw new CliError('The Microsoft Graph token of the admin app does not carry AppRoleAssignment.ReadWrite.All: it cannot assign the --allow-group groups to the app\'s roles.', {
          code: 'forbidden',
          fix: 'Add the application permission AppRoleAssignment.ReadWrite.All (and Group.Read.All to find groups by name) to the admin app (API permissions > Microsoft Graph) and grant admin consent; or drop --allow-group.',
        });
      }
      for (const g of policy.groups ?? []) await resolve(ctx, g);
    },

    async applyAccess(ctx, app, policy, previous) {
      d.bindApp(app);
      const prev = parseCreated(previous);
      const scopeNames = [...new Set((policy.scopes ?? []).map((s) => scopeNameOf(s, app)))];
      // Every name resolves before anything is changed.
      const wanted: Array<{ value: string; principal: Principal; name: string }> = [];
      for (const g of policy.groups ?? []) wanted.push({ value: roleValueFor(g), principal: await resolve(ctx, g), name: g });
      const objectId = await d.objectIdOf(ctx, app);
      const cur = objectId ? await readApp(ctx, objectId, app.clientId) : null;
      if (!objectId || !cur) throw new CliError(`App registration ${app.clientId} no longer exists in Microsoft Entra ID.`, { code: 'not_found', fix: 'Run init again: it registers a new app.' });
      const spId = await servicePrincipalOf(ctx, app);
      if (!spId && wanted.length) throw new CliError(`App registration ${app.clientId} has no service principal: roles cannot be assigned.`, { code: 'not_found', fix: 'Run cleanup, then init again.' });

      const ours = (id: string, description: string | undefined, recorded: Map<string, string>) => recorded.has(id) || Boolean(description?.startsWith(MARKER));
      const rec: Recorded = { roles: new Map(), assignments: [], scopes: new Map() };

      // Roles: reuse one with the value (enabling it again if it was disabled), else add one.
      let roles = cur.roles;
      const values = new Set(wanted.map((w) => w.value));
      for (const w of wanted) {
        const had = roles.find((r) => r.value === w.value);
        if (had) {
          if (!had.isEnabled) roles = roles.map((r) => (r === had ? { ...r, isEnabled: true } : r));
          if (ours(had.id, had.description, prev.roles)) rec.roles.set(had.id, had.value);
          continue;
        }
        const role: GraphRole = {
          allowedMemberTypes: ['User'],
          description: `${MARKER}: ${w.principal.kind === 'user' ? 'user' : 'members of group'} ${w.name} may use the AgentCore gateway`.slice(0, 1000),
          displayName: `Gateway access: ${w.name}`.slice(0, 100),
          id: randomUUID(),
          isEnabled: true,
          value: w.value,
        };
        roles = [...roles, role];
        rec.roles.set(role.id, role.value);
      }
      const dropRoles = new Set(cur.roles.filter((r) => !values.has(r.value) && ours(r.id, r.description, prev.roles)).map((r) => r.id));

      // Scopes: the same, on api.oauth2PermissionScopes.
      const curScopes = (cur.api.oauth2PermissionScopes as GraphScope[] | undefined) ?? [];
      let scopes = curScopes;
      for (const n of scopeNames) {
        const had = scopes.find((s) => s.value === n);
        if (had) {
          if (!had.isEnabled) scopes = scopes.map((s) => (s === had ? { ...s, isEnabled: true } : s));
          if (ours(had.id, had.adminConsentDescription, prev.scopes)) rec.scopes.set(had.id, had.value);
          continue;
        }
        const scope: GraphScope = {
          id: randomUUID(),
          value: n,
          type: 'User',
          isEnabled: true,
          adminConsentDisplayName: `Use the AgentCore gateway (${n})`.slice(0, 100),
          adminConsentDescription: `${MARKER}: the AgentCore gateway requires the ${n} scope.`,
          userConsentDisplayName: `Use the AgentCore gateway (${n})`.slice(0, 100),
          userConsentDescription: `Lets the MCP client call the AgentCore gateway as you (${n}).`,
        };
        scopes = [...scopes, scope];
        rec.scopes.set(scope.id, scope.value);
      }
      const dropScopes = new Set(curScopes.filter((s) => s.value !== API_SCOPE_NAME && !scopeNames.includes(s.value) && ours(s.id, s.adminConsentDescription, prev.scopes)).map((s) => s.id));

      // Assignments no longer wanted go first (a role is retired after its assignments).
      const current = spId ? ((await listAssignments(ctx, spId)) ?? []) : [];
      const roleIdOf = (value: string) => roles.find((r) => r.value === value)!.id;
      const want = new Set(wanted.map((w) => `${roleIdOf(w.value)}|${w.principal.id}`));
      const recordedIds = new Set(prev.assignments.map((a) => a.id));
      for (const a of current) {
        const mine = recordedIds.has(a.id) || dropRoles.has(a.appRoleId) || rec.roles.has(a.appRoleId);
        if (mine && (dropRoles.has(a.appRoleId) || !want.has(`${a.appRoleId}|${a.principalId}`))) {
          await unassign(ctx, spId!, a.id);
          ctx.logger.debug(`removed app role assignment ${a.id} (no longer in the policy)`);
        }
      }
      await retire(ctx, objectId, app.clientId, { ...cur, scopes: curScopes }, { roles: dropRoles, scopes: dropScopes }, { roles, scopes });
      const added = [...rec.roles.keys()].filter((id) => !cur.roles.some((r) => r.id === id));
      if (added.length) ctx.logger.success(`App role${added.length > 1 ? 's' : ''} ${added.map((id) => rec.roles.get(id)).join(', ')} on app registration ${app.clientId}`);
      const addedScopes = [...rec.scopes.keys()].filter((id) => !curScopes.some((s) => s.id === id));
      if (addedScopes.length) ctx.logger.success(`Scope${addedScopes.length > 1 ? 's' : ''} ${addedScopes.map((id) => rec.scopes.get(id)).join(', ')} on the app's API`);

      // Assignments: one per (role, principal), never twice.
      for (const w of wanted) {
        const roleId = roleIdOf(w.value);
        const had = current.find((a) => a.appRoleId === roleId && a.principalId === w.principal.id);
        if (had) {
          if (recordedIds.has(had.id) || rec.roles.has(roleId)) rec.assignments.push({ id: had.id, roleId, principalId: w.principal.id });
          continue;
        }
        const made = await assign(ctx, spId!, w.principal, roleId, w.value);
        rec.assignments.push({ id: made.id, roleId, principalId: w.principal.id });
        ctx.logger.success(`Assigned ${w.principal.kind} ${w.name} to app role ${w.value}`);
      }
      return formatCreated(rec);
    },

    async removeAccess(ctx, app, created) {
      const rec = parseCreated(created);
      if (!rec.roles.size && !rec.scopes.size && !rec.assignments.length) return 'gone';
      d.bindApp(app);
      let any = false;
      const spId = await servicePrincipalOf(ctx, app);
      if (spId) {
        // Every assignment to a role we made (ours, or made by hand since), then the recorded ones.
        const current = (await listAssignments(ctx, spId)) ?? [];
        const ids = new Set([...rec.assignments.map((a) => a.id), ...current.filter((a) => rec.roles.has(a.appRoleId)).map((a) => a.id)]);
        for (const id of ids) any = (await unassign(ctx, spId, id)) || any;
      }
      const objectId = await d.objectIdOf(ctx, app);
      const cur = objectId ? await readApp(ctx, objectId, app.clientId) : null;
      if (objectId && cur) {
        const curScopes = (cur.api.oauth2PermissionScopes as GraphScope[] | undefined) ?? [];
        const drop = { roles: new Set(cur.roles.filter((r) => rec.roles.has(r.id)).map((r) => r.id)), scopes: new Set(curScopes.filter((s) => rec.scopes.has(s.id)).map((s) => s.id)) };
        if (drop.roles.size || drop.scopes.size) {
          await retire(ctx, objectId, app.clientId, { ...cur, scopes: curScopes }, drop, { roles: cur.roles, scopes: curScopes });
          any = true;
        }
      }
      return any ? 'deleted' : 'gone';
    },
  };
}
