/**
 * Who may use the gateway, at Auth0 (issue 13), through the Management API (the adapter's `auth0` SDK client).
 *
 * - Roles (`--allow-group NAME`): Auth0 has no group claim; a user's Auth0 roles (User Management > Roles) reach the
 *   access token only through the documented Post-Login Action that copies `event.authorization.roles` into a
 *   namespaced custom claim. init creates one Action per app (POST /actions/actions, trigger post-login v3), waits
 *   until it is built, deploys it (POST /actions/actions/{id}/deploy) and binds it to the Login flow
 *   (PATCH /actions/triggers/post-login/bindings). That PATCH REPLACES the whole list of bound Actions, so the current
 *   bindings are read first and sent back with ours appended; removal sends them back without ours. The Action
 *   writes the claim only into tokens for this setup's API (event.resource_server.identifier) and only the roles the
 *   policy names (so a changed group list changes the code: it is updated and deployed again). The gateway rule:
 *   `https://agentcore-auth/roles CONTAINS_ANY [names]`. The roles must exist in the tenant (GET /roles?name_filter=).
 * - Permissions (`--require-scope NAME`): RBAC on the API (resource server `enforce_policies: true`) with "Add
 *   Permissions in the Access Token" (`token_dialect: access_token_authz`, or rfc9068_profile_authz for the RFC 9068
 *   profile), and NAME defined in the API's `scopes` (PATCH replaces that list: the existing ones are sent back).
 *   With RBAC on, Auth0 grants a requested API scope only to a user who holds it as a permission (directly or through
 *   a role), and lists the user's permissions in the `permissions` claim.
 *   The gateway checks `allowedScopes` (the token's `scope` claim), not a `permissions CONTAINS_ANY` rule, because:
 *     1. with RBAC enforced the `scope` claim holds exactly the requested scopes the user holds as permissions, so it
 *        proves the same entitlement as `permissions`, and also that the client asked for it;
 *     2. AgentCore advertises allowedScopes in its Protected Resource Metadata and 401 challenges, so MCP clients
 *        learn which scope to ask for; a claim rule on `permissions` is invisible to them;
 *     3. it is the same mapping every other IdP uses (scopes -> allowedScopes), so verify, status and connect explain
 *        it the same way. The `permissions` claim still helps verify say why a token failed (permission missing vs
 *        not asked for).
 *   So the client must request the scope: accessSupport returns it as clientScopes.
 * - Journal (non-secret ids): actionId, actionName, trigger, claim; apiId, apiScopesAdded (space-separated),
 *   apiEnforcePoliciesBefore, apiTokenDialectBefore (restored by removeAccess).
 * - Idempotent: `previous` (or an Action with this app's name, after a lost journal entry) is reused: never a second
 *   Action or binding; what the policy no longer asks for is removed.
 */
import type { ManagementClient } from 'auth0';
import { CLAIM_NAME_PATTERN, type AccessPolicy } from '../../src/authorizer/access.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import type { AccessSupport, AdapterContext, AppRecord, IdpAdapter } from '../types.js';

/** The namespaced claim the Post-Login Action writes (Auth0's documented pattern for custom claims). */
export const AUTH0_ROLES_CLAIM = 'https://agentcore-auth/roles';
export const POST_LOGIN = 'post-login';
/** The post-login trigger version the Action is written for (api.accessToken.setCustomClaim). */
export const POST_LOGIN_VERSION = 'v3';
const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** Management API scopes for the access operations (the spec's oAuth2ClientCredentials: one per operation). */
export const ACCESS_SCOPES = {
  readActions: ['read:actions'],
  createActions: ['create:actions'],
  /** PATCH /actions/actions/{id} and PATCH /actions/triggers/{id}/bindings (the spec: update:actions, not update:triggers). */
  updateActions: ['update:actions'],
  deleteActions: ['delete:actions'],
  readRoles: ['read:roles'],
  readApi: ['read:resource_servers'],
  updateApi: ['update:resource_servers'],
} as const;

/** The scope groups a policy needs at apply and removal time. */
export function accessScopeGroups(policy: AccessPolicy): Array<readonly string[]> {
  const s = ACCESS_SCOPES;
  return [
    ...(policy.groups?.length ? [s.readRoles, s.readActions, s.createActions, s.updateActions, s.deleteActions] : []),
    ...(policy.scopes?.length ? [s.readApi, s.updateApi] : []),
  ];
}

/** Each app's Action has a name of its own (Auth0 names are unique per tenant): found again after a lost journal. */
export function actionNameFor(clientId: string): string {
  return `agentcore-auth roles ${clientId}`.slice(0, 100);
}

/** The Post-Login Action: the user's roles among `roles`, into the access token for `identifier` only. */
export function actionCode(identifier: string, roles: string[]): string {
  const sorted = [...new Set(roles)].sort();
  return [
    '// Made by agentcore-auth: puts the user\'s Auth0 roles that may use the AgentCore gateway into its access tokens.',
    `const CLAIM = ${JSON.stringify(AUTH0_ROLES_CLAIM)};`,
    `const API = ${JSON.stringify(identifier)};`,
    `const ROLES = ${JSON.stringify(sorted)};`,
    'exports.onExecutePostLogin = async (event, api) => {',
    '  if (!event.resource_server || event.resource_server.identifier !== API) return;',
    '  const roles = ((event.authorization && event.authorization.roles) || []).filter((r) => ROLES.includes(r));',
    '  api.accessToken.setCustomClaim(CLAIM, roles);',
    '};',
    '',
  ].join('\n');
}

const authzDialect = (d: string | undefined): string => (d?.startsWith('rfc9068') ? 'rfc9068_profile_authz' : 'access_token_authz');

/** What the policy needs at Auth0 (pure). */
export function auth0AccessSupport(policy: AccessPolicy, app?: Pick<AppRecord, 'clientId' | 'extras'>): AccessSupport {
  if (!CLAIM_NAME_PATTERN.test(AUTH0_ROLES_CLAIM)) throw new CliError(`Internal: ${AUTH0_ROLES_CLAIM} is not a claim name AgentCore accepts.`, { code: 'internal' });
  const idpChanges: string[] = [];
  const notes: string[] = [];
  const out: AccessSupport = { groupClaim: { claim: AUTH0_ROLES_CLAIM }, idpChanges, notes };
  const api = app?.extras.identifier ? `the API ${app.extras.identifier}` : 'the gateway\'s API';
  if (policy.groups?.length) {
    idpChanges.push(
      `a Post-Login Action "${actionNameFor(app?.clientId ?? '<client id>')}" that puts the user's roles among ${policy.groups.map((g) => `"${g}"`).join(', ')} into the ${AUTH0_ROLES_CLAIM} claim of access tokens for ${api}; deployed and bound to the Login flow (Actions already bound stay bound)`,
    );
    notes.push('--allow-group names Auth0 roles (User Management > Roles): assign users to them there. A role change reaches the token at the user\'s next sign-in.');
  }
  if (policy.scopes?.length) {
    for (const s of policy.scopes) {
      if (OIDC_SCOPES.includes(s)) {
        throw new UsageError(`--require-scope ${s}: every Auth0 sign-in gets the OpenID Connect scope ${s}, so requiring it admits everyone.`, {
          fix: 'Require a permission of the gateway\'s API instead, e.g. --require-scope mcp:invoke (init defines it on the API; grant it to users or roles).',
        });
      }
    }
    idpChanges.push(
      `RBAC on ${api} (enforce_policies) with "Add Permissions in the Access Token" (token_dialect ${authzDialect(app?.extras.tokenDialect)}), and the permission${policy.scopes.length > 1 ? 's' : ''} ${policy.scopes.join(', ')} defined on it (existing ones kept)`,
    );
    notes.push(`With RBAC on, Auth0 grants ${policy.scopes.join(' / ')} only to users who hold it as a permission (directly, or through a role: User Management > Roles > Permissions); the MCP client asks for it.`);
    out.allowedScopes = [...policy.scopes];
    out.clientScopes = [...policy.scopes];
  }
  for (const c of policy.claims ?? []) {
    if (c.claim !== AUTH0_ROLES_CLAIM && c.claim !== 'permissions') notes.push(`Auth0 puts "${c.claim}" in access tokens only through an Action of your own (api.accessToken.setCustomClaim); without one, the gateway refuses every token.`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The Management API calls
// ---------------------------------------------------------------------------------------------------------

type ScopeGroup = readonly string[];

/** The adapter's Management API session for one tenant: the SDK client, and its explained-error wrappers. */
export interface Auth0Session {
  mc: ManagementClient;
  /** Runs fn; a failure becomes a readable CliError (403 naming the scope, 429 with the wait). */
  call<T>(what: string, scopes: ScopeGroup, fn: () => Promise<T>): Promise<T>;
  /** Like call, but HTTP 404 gives null. */
  find<T>(what: string, scopes: ScopeGroup, fn: () => Promise<T>): Promise<T | null>;
}

export interface Auth0AccessDeps {
  /** A session for the app's tenant (or the configured tenant when no app is given). */
  session(ctx: AdapterContext, app?: AppRecord): Promise<Auth0Session>;
  /** The management token's scopes when it says (a JWT with `scope`), for checkAccess. */
  grantedScopes(ctx: AdapterContext): Promise<string[] | undefined>;
  /** The longest wait between polls of a building Action (they start at 250 ms and double). */
  pollMs?: number;
}

interface ActionShape {
  id?: string;
  name?: string;
  code?: string;
  status?: string;
  all_changes_deployed?: boolean;
  deployed_version?: Record<string, unknown>;
}
interface BindingShape {
  id?: string;
  display_name?: string;
  action?: { id?: string; name?: string };
}
interface ApiShape {
  id?: string;
  identifier?: string;
  scopes?: Array<{ value: string; description?: string }>;
  enforce_policies?: boolean;
  token_dialect?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const words = (s: string | undefined) => (s ?? '').split(' ').filter(Boolean);

async function collect<T>(iterable: AsyncIterable<T>, max = 1000): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

export function auth0Access(deps: Auth0AccessDeps): Required<Pick<IdpAdapter, 'accessSupport' | 'checkAccess' | 'applyAccess' | 'removeAccess'>> {
  const S = ACCESS_SCOPES;
  const pollMs = deps.pollMs ?? 1000;

  /** The named roles that do not exist (exact, case-sensitive: the claim carries the name as stored). */
  async function missingRoles(s: Auth0Session, names: string[]): Promise<Array<{ name: string; near?: string }>> {
    const missing: Array<{ name: string; near?: string }> = [];
    for (const name of names) {
      const found = await s.call(`look up the Auth0 role "${name}"`, S.readRoles, async () =>
        collect(await s.mc.roles.list({ name_filter: name, per_page: 50 }), 200),
      );
      if (found.some((r) => r.name === name)) continue;
      const near = found.find((r) => r.name?.toLowerCase() === name.toLowerCase())?.name;
      missing.push({ name, ...(near ? { near } : {}) });
    }
    return missing;
  }

  function rolesError(missing: Array<{ name: string; near?: string }>): UsageError {
    const list = missing.map((m) => `"${m.name}"${m.near ? ` (there is "${m.near}": role names are case-sensitive)` : ''}`).join(', ');
    return new UsageError(`The Auth0 tenant has no role ${list}: --allow-group names Auth0 roles, and nobody could be admitted through ${missing.length > 1 ? 'them' : 'it'}.`, {
      code: 'role_not_found',
      fix: 'Create the role (Auth0 Dashboard > User Management > Roles > Create Role) and assign users to it, or pass the exact name of an existing role; then run again.',
    });
  }

  async function bindings(s: Auth0Session): Promise<BindingShape[]> {
    return s.call('read the Login flow\'s bound Actions', S.readActions, async () => collect((await s.mc.actions.triggers.bindings.list(POST_LOGIN, { per_page: 50 })) as AsyncIterable<BindingShape>));
  }

  /** Write the Login flow's bindings: the others as they were (by action id), in their order. */
  async function writeBindings(s: Auth0Session, list: Array<{ ref: { type: 'action_id' | 'binding_id'; value: string }; display_name?: string }>, what: string): Promise<void> {
    await s.call(what, S.updateActions, () => s.mc.actions.triggers.bindings.updateMany(POST_LOGIN, { bindings: list }));
  }

  // Binding-level secrets cannot be read back (Auth0 never returns secret values); they are a legacy feature of
  // binding refs, so the others are sent back by action id and display name, which is what Auth0's own tools do.
  const refOf = (b: BindingShape) =>
    b.action?.id ? { ref: { type: 'action_id' as const, value: b.action.id }, ...(b.display_name ? { display_name: b.display_name } : {}) } : { ref: { type: 'binding_id' as const, value: b.id ?? '' } };

  async function waitBuilt(s: Auth0Session, id: string): Promise<void> {
    for (let i = 0; i < 40; i++) {
      const a = (await s.call(`read the Auth0 Action ${id}`, S.readActions, () => s.mc.actions.get(id))) as ActionShape;
      if (!a.status || a.status === 'built') return;
      if (a.status === 'failed') throw new CliError(`Auth0 could not build the Action ${id} (status failed).`, { code: 'auth0_action_failed', fix: 'Open it in the Auth0 Dashboard (Actions > Library) to see the build error, then run init again.' });
      await sleep(Math.min(pollMs, 250 * 2 ** i));
    }
    throw new CliError(`The Auth0 Action ${id} is still building.`, { code: 'timeout', fix: 'Wait a minute and run init again (it reuses the Action).' });
  }

  async function unbindAndDelete(ctx: AdapterContext, s: Auth0Session, actionId: string, name: string): Promise<boolean> {
    let changed = false;
    const current = await bindings(s);
    if (current.some((b) => b.action?.id === actionId)) {
      await writeBindings(s, current.filter((b) => b.action?.id !== actionId).map(refOf), `unbind the Action "${name}" from the Login flow`);
      ctx.logger.success(`Unbound the Auth0 Action "${name}" from the Login flow (${current.length - 1} other binding${current.length === 2 ? '' : 's'} kept)`);
      changed = true;
    }
    const a = await s.find(`read the Auth0 Action ${actionId}`, S.readActions, () => s.mc.actions.get(actionId));
    if (a) {
      await s.call(`delete the Auth0 Action "${name}"`, S.deleteActions, () => s.mc.actions.delete(actionId));
      ctx.logger.success(`Deleted the Auth0 Action "${name}"`);
      changed = true;
    }
    return changed;
  }

  async function applyRoles(ctx: AdapterContext, s: Auth0Session, app: AppRecord, groups: string[], previous: Record<string, string>): Promise<Record<string, string>> {
    const identifier = app.extras.identifier;
    if (!identifier) throw new CliError('This setup\'s Auth0 record names no API identifier: the Action would not know which tokens to change.', { code: 'auth0_error', fix: 'Run `agentcore-auth cleanup`, then init again.' });
    const missing = await missingRoles(s, groups);
    if (missing.length) throw rolesError(missing);

    const name = previous.actionName ?? actionNameFor(app.clientId);
    const code = actionCode(identifier, groups);
    let action: ActionShape | null = null;
    if (previous.actionId) action = (await s.find(`read the Auth0 Action ${previous.actionId}`, S.readActions, () => s.mc.actions.get(previous.actionId!))) as ActionShape | null;
    if (!action) {
      // A run interrupted after the create (journal entry without ids): the Action is found by its name.
      const named = await s.call(`look up the Auth0 Action "${name}"`, S.readActions, async () => collect((await s.mc.actions.list({ actionName: name })) as AsyncIterable<ActionShape>, 50));
      action = named.find((a) => a.name === name) ?? null;
      if (action) ctx.logger.info(`Reusing the Auth0 Action "${name}" (${action.id}) made by an earlier run.`);
    }
    let deploy = false;
    let createdNow = false;
    if (!action) {
      action = (await s.call(`create the Auth0 Action "${name}"`, S.createActions, () =>
        s.mc.actions.create({ name, supported_triggers: [{ id: POST_LOGIN, version: POST_LOGIN_VERSION }], code }),
      )) as ActionShape;
      ctx.logger.success(`Created the Auth0 Post-Login Action "${name}" (${action.id}): roles ${groups.join(', ')} into ${AUTH0_ROLES_CLAIM}`);
      deploy = true;
      createdNow = true;
    } else if (action.code !== code) {
      await s.call(`update the Auth0 Action "${name}"`, S.updateActions, () => s.mc.actions.update(action!.id!, { code }));
      ctx.logger.success(`Updated the Auth0 Action "${name}": roles ${groups.join(', ')}`);
      deploy = true;
    } else if (!action.deployed_version || action.all_changes_deployed === false) deploy = true;
    const actionId = action.id;
    if (!actionId) throw new CliError('Auth0 created the Action but returned no id.', { code: 'auth0_error', fix: `Delete the Action "${name}" in the Auth0 Dashboard (Actions > Library), then run again.` });
    const out: Record<string, string> = { actionId, actionName: name, trigger: POST_LOGIN, claim: AUTH0_ROLES_CLAIM };

    try {
      if (deploy) {
        // Auth0 builds a new or changed Action asynchronously; deploying before it is built fails.
        await waitBuilt(s, actionId);
        await s.call(`deploy the Auth0 Action "${name}"`, S.createActions, () => s.mc.actions.deploy(actionId));
        ctx.logger.success(`Deployed the Auth0 Action "${name}"`);
      }

      // PATCH .../bindings replaces the whole list: read it, and append ours only when it is not there yet.
      const current = await bindings(s);
      if (!current.some((b) => b.action?.id === actionId)) {
        await writeBindings(s, [...current.map(refOf), { ref: { type: 'action_id', value: actionId }, display_name: name }], `bind the Action "${name}" to the Login flow`);
        ctx.logger.success(`Bound the Auth0 Action "${name}" to the Login flow${current.length ? ` after the ${current.length} Action${current.length > 1 ? 's' : ''} already bound` : ''}`);
      }
    } catch (err) {
      // An Action this run created and could not deploy or bind is deleted again (it is not journaled yet).
      if (createdNow) {
        await s.mc.actions.delete(actionId).then(
          () => ctx.logger.info(`Deleted the Auth0 Action "${name}" again after the failure.`),
          () => ctx.logger.warn(`Could not delete the Auth0 Action "${name}" after the failure: init reuses it when run again, or delete it in the Auth0 Dashboard (Actions > Library).`),
        );
      }
      throw err;
    }
    return out;
  }

  async function readApi(s: Auth0Session, app: AppRecord, apiId: string): Promise<ApiShape | null> {
    return (await s.find(`read the API ${app.extras.identifier ?? apiId}`, S.readApi, () => s.mc.resourceServers.get(apiId))) as ApiShape | null;
  }

  async function applyScopes(ctx: AdapterContext, s: Auth0Session, app: AppRecord, scopes: string[], previous: Record<string, string>): Promise<Record<string, string>> {
    const apiId = app.extras.resourceServerId ?? app.extras.identifier;
    const api = apiId ? await readApi(s, app, apiId) : null;
    if (!apiId || !api) {
      throw new CliError(`The Auth0 API ${app.extras.identifier ?? ''} of this setup is gone: its permissions cannot be defined.`, { code: 'not_found', fix: 'Run `agentcore-auth cleanup`, then init again.' });
    }
    const have = (api.scopes ?? []).map((x) => x.value);
    const fresh = scopes.filter((x) => !have.includes(x));
    const dialect = authzDialect(api.token_dialect ?? app.extras.tokenDialect);
    const patch: Record<string, unknown> = {};
    // PATCH replaces the API's scope list: the existing permissions are sent back with the new ones.
    if (fresh.length) patch.scopes = [...(api.scopes ?? []), ...fresh.map((value) => ({ value, description: 'Use the AgentCore gateway (added by agentcore-auth)' }))];
    if (api.enforce_policies !== true) patch.enforce_policies = true;
    if (api.token_dialect !== dialect) patch.token_dialect = dialect;
    if (Object.keys(patch).length) {
      await s.call(`turn on RBAC and define ${scopes.join(', ')} on the API ${app.extras.identifier ?? apiId}`, S.updateApi, () => s.mc.resourceServers.update(String(api.id ?? apiId), patch));
      ctx.logger.success(`Auth0 API ${app.extras.identifier ?? apiId}: RBAC on, permissions in the access token (${dialect})${fresh.length ? `, permission${fresh.length > 1 ? 's' : ''} ${fresh.join(', ')} defined` : ''}`);
    }
    if (app.extras.resourceServerOwned === 'false' && (patch.enforce_policies || patch.token_dialect)) {
      ctx.logger.warn(`The API ${app.extras.identifier ?? apiId} existed before this setup: RBAC now applies to every app that uses it (cleanup turns it back off).`);
    }
    const added = [...new Set([...words(previous.apiScopesAdded).filter((x) => scopes.includes(x)), ...fresh])];
    return {
      apiId: String(api.id ?? apiId),
      ...(added.length ? { apiScopesAdded: added.join(' ') } : {}),
      apiEnforcePoliciesBefore: previous.apiEnforcePoliciesBefore ?? String(api.enforce_policies === true),
      apiTokenDialectBefore: previous.apiTokenDialectBefore ?? api.token_dialect ?? app.extras.tokenDialect ?? 'access_token',
    };
  }

  /** The API back as it was: the permissions this setup added removed, RBAC and the dialect restored. */
  async function restoreApi(ctx: AdapterContext, s: Auth0Session, app: AppRecord, created: Record<string, string>): Promise<boolean> {
    const apiId = created.apiId;
    if (!apiId) return false;
    const api = await readApi(s, app, apiId);
    if (!api) return false;
    const drop = words(created.apiScopesAdded);
    const patch: Record<string, unknown> = {};
    if ((api.scopes ?? []).some((x) => drop.includes(x.value))) patch.scopes = (api.scopes ?? []).filter((x) => !drop.includes(x.value));
    const enforce = created.apiEnforcePoliciesBefore === 'true';
    if (created.apiEnforcePoliciesBefore && api.enforce_policies !== enforce) patch.enforce_policies = enforce;
    if (created.apiTokenDialectBefore && api.token_dialect !== created.apiTokenDialectBefore) patch.token_dialect = created.apiTokenDialectBefore;
    if (!Object.keys(patch).length) return false;
    await s.call(`restore the API ${app.extras.identifier ?? apiId}`, S.updateApi, () => s.mc.resourceServers.update(apiId, patch));
    ctx.logger.success(`Auth0 API ${app.extras.identifier ?? apiId}: RBAC and its token dialect restored${drop.length ? `, permission${drop.length > 1 ? 's' : ''} ${drop.join(', ')} removed` : ''}`);
    return true;
  }

  return {
    accessSupport: auth0AccessSupport,

    async checkAccess(ctx, policy) {
      const granted = await deps.grantedScopes(ctx);
      if (granted) {
        const missing = accessScopeGroups(policy).filter((g) => !g.some((x) => granted.includes(x))).map((g) => g[0]!);
        if (missing.length) {
          throw new CliError(`The Auth0 management credentials lack the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the access rules need.`, {
            code: 'forbidden',
            fix: `Grant ${missing.join(', ')} to the Machine-to-Machine app (Auth0 Dashboard > Applications > APIs > Auth0 Management API > Machine To Machine Applications), then run again.`,
          });
        }
      }
      if (policy.groups?.length) {
        const s = await deps.session(ctx);
        const missing = await missingRoles(s, policy.groups);
        if (missing.length) throw rolesError(missing);
      }
    },

    async applyAccess(ctx, app, policy, previous = {}) {
      const s = await deps.session(ctx, app);
      const out: Record<string, string> = {};
      if (policy.groups?.length) Object.assign(out, await applyRoles(ctx, s, app, policy.groups, previous));
      else if (previous.actionId) await unbindAndDelete(ctx, s, previous.actionId, previous.actionName ?? previous.actionId);
      if (policy.scopes?.length) Object.assign(out, await applyScopes(ctx, s, app, policy.scopes, previous));
      else if (previous.apiId) await restoreApi(ctx, s, app, previous);
      return out;
    },

    async removeAccess(ctx, app, created) {
      const s = await deps.session(ctx, app);
      let changed = false;
      if (created.actionId) changed = (await unbindAndDelete(ctx, s, created.actionId, created.actionName ?? created.actionId)) || changed;
      if (created.apiId) changed = (await restoreApi(ctx, s, app, created)) || changed;
      return changed ? 'deleted' : 'gone';
    },
  };
}
