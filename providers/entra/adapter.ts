/**
 * Microsoft Entra ID adapter (FACTS section 4). Through Microsoft Graph v1.0 it creates, in order:
 *   1. POST /applications: a public client (publicClient.redirectUris = mcp-remote's loopback URI, never `web`
 *      or `spa`), isFallbackPublicClient, api.requestedAccessTokenVersion 2, single tenant;
 *   2. PATCH /applications/{id}: identifierUris [api://{appId}] and the exposed scope access_as_user (a token for
 *      Graph cannot be validated by the gateway: the client must ask for this API's scope);
 *   3. POST /servicePrincipals {appId}: the app's identity in the tenant (users sign in to it);
 *   4. when the tenant allows it: POST /policies/tokenLifetimePolicies + POST /applications/{id}/tokenLifetimePolicies/$ref
 *      (AccessTokenLifetime covers access and ID tokens; needs Entra ID P1; refresh tokens are fixed at 90 days).
 * and deletes, in order: the policy's assignment, the policy, the service principal, the app (soft: 30 days in
 * deleted items), then with `purge` both from /directory/deletedItems.
 * The gateway rule: discovery URL with /v2.0, allowedAudience [appId], azp EQUALS appId. mcp-remote runs with
 * --disable-resource-parameter (Entra v2 refuses `resource` next to scopes: AADSTS9010010).
 */
import { randomUUID } from 'node:crypto';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { CliError, UsageError, errorMessage } from '../../src/core/errors.js';
import { httpFetch, readJsonBody } from '../../src/core/http.js';
import type { Logger } from '../../src/core/logger.js';
import { DISCOVERY_SUFFIX, claimEquals, discoveryUrlForIssuer, isGuid, recommendedRule, tokenProfileFor } from '../profiles.js';
import type {
  AdapterContext,
  AdapterSetupContext,
  AppRecord,
  AppRequest,
  ClientRequirements,
  IdpAdapter,
  ProviderOptions,
  RevokeResult,
  TokenProfile,
} from '../types.js';
import { entraAccess } from './access.js';
import { AdminAuth, DELEGATED_SCOPES } from './auth.js';
import { GraphClient, GraphError, peekJwt, type GraphNeed } from './graph.js';
import {
  API_SCOPE_NAME,
  CLIENT_OIDC_SCOPES,
  checkRequestedScopes,
  checkTenant,
  parseEntraIssuer,
  planLifetimes,
  resolveSettings,
  v2Issuer,
  type EntraSettings,
} from './settings.js';

export interface EntraAdapterDeps {
  /** undici dispatcher for every request (tests: one that trusts the stand-in's CA). */
  dispatcher?: RequestInit['dispatcher'];
  /** Opens the device code verification URL; default $BROWSER or the platform's opener. */
  opener?: (url: string) => Promise<void> | void;
  /** Waits between retries while a just-created object replicates in Entra (default 1, 2, 4, 8 s). */
  replicationDelaysMs?: number[];
}

const PERM = {
  app: 'the Microsoft Graph permission Application.ReadWrite.OwnedBy or Application.ReadWrite.All',
  policy: 'the Microsoft Graph permission Policy.ReadWrite.ApplicationConfiguration',
  assign: 'the Microsoft Graph permissions Policy.ReadWrite.ApplicationConfiguration and Application.ReadWrite.All',
  sessions: 'the Microsoft Graph permission User.RevokeSessions.All',
} as const;

const APP_ROLES = ['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy'];
const POLICY_ROLE = 'Policy.ReadWrite.ApplicationConfiguration';
const P1_NOTE =
  'Configurable token lifetimes need Microsoft Entra ID P1 (or P2) and Policy.ReadWrite.ApplicationConfiguration; without a policy, access and ID tokens keep Entra\'s default lifetime (60-90 minutes, random). The app works either way.';

/** The factory behind provider.createAdapter: settings from options + env, the tenant asked for during init if missing. */
export async function createEntraAdapterFromOptions(options: ProviderOptions, setup: AdapterSetupContext, deps: EntraAdapterDeps = {}): Promise<IdpAdapter> {
  // Outside init (cleanup, status, verify) the tenant may come from the app record instead.
  let s = resolveSettings(options, setup.env, { requireTenant: false });
  if (!s.tenant && setup.prompter) {
    if (!setup.prompter.interactive) resolveSettings(options, setup.env, { requireTenant: true }); // throws, naming the flag
    const tenant = await setup.prompter.ask({
      flag: '--entra-tenant',
      message: 'Microsoft Entra tenant (directory id, or a domain such as contoso.onmicrosoft.com):',
      validate: (v) => {
        try {
          checkTenant(v, 'tenant');
          return true;
        } catch (err) {
          return errorMessage(err);
        }
      },
    });
    s = { ...s, tenant: checkTenant(tenant, '--entra-tenant'), tenantSource: '--entra-tenant' };
  }
  if (s.audience) {
    // Fail now, not after the app exists: Entra v2 tokens carry a GUID in aud.
    recommendedRule('entra', { discoveryUrl: `https://${s.authorityHost}/x/v2.0${DISCOVERY_SUFFIX}`, clientId: '00000000-0000-0000-0000-000000000000', audience: s.audience });
  }
  return createEntraAdapter(s, setup.logger, deps);
}

interface GraphApp {
  id: string;
  appId: string;
  publicClient?: { redirectUris?: string[] };
  isFallbackPublicClient?: boolean | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A just-created object not visible yet (Entra replicates writes for a few seconds). */
function isReplicationLag(err: unknown): boolean {
  return (
    err instanceof GraphError &&
    (err.status === 404 || (err.status === 400 && /does not reference a valid application object|does not exist|Request_ResourceNotFound/i.test(`${err.graphCode} ${err.graphMessage}`)))
  );
}

export function createEntraAdapter(s: EntraSettings, setupLogger: Logger, deps: EntraAdapterDeps = {}): IdpAdapter {
  const delays = deps.replicationDelaysMs ?? [1000, 2000, 4000, 8000];
  /** The tenant the app lives in: the settings', or the app record's (cleanup/status without --entra-tenant). */
  let tenant = s.tenant;
  /** The tenant's v2.0 issuer as its discovery document says (tenant id form), once fetched. */
  let resolvedIssuer: string | undefined;
  /** Set by preflight when the admin token lacks the policy permission: no policy is attempted. */
  let policyPermissionMissing = false;

  const auth = new AdminAuth(s, { dispatcher: deps.dispatcher, opener: deps.opener, logger: setupLogger }, () => {
    if (!tenant) throw new UsageError('Which Microsoft Entra tenant?', { fix: 'Pass --entra-tenant or set AZURE_TENANT_ID.' });
    return tenant;
  });
  const graph = new GraphClient({ base: s.graphBase, token: (ctx, needs) => auth.token(ctx, needs), dispatcher: deps.dispatcher });

  const guessIssuer = (): string => {
    if (resolvedIssuer) return resolvedIssuer;
    if (!tenant) throw new UsageError('Which Microsoft Entra tenant? Nothing names it.', { fix: 'Pass --entra-tenant <tenant id or domain> or set AZURE_TENANT_ID.' });
    return v2Issuer(s.authorityHost, tenant);
  };

  /** Binds the adapter to the app's tenant (from its recorded issuer). */
  const bindApp = (app: AppRecord): void => {
    const parsed = parseEntraIssuer(app.issuer, [s.authorityHost]);
    if (!parsed) {
      throw new CliError(`The recorded issuer ${app.issuer} is not a Microsoft Entra issuer at ${s.authorityHost}.`, {
        code: 'usage',
        fix: 'Run with the same AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST as init did, or delete the app in the Entra admin center.',
      });
    }
    if (tenant && tenant.toLowerCase() !== parsed.tenant.toLowerCase() && isGuid(tenant)) {
      throw new CliError(`The app was made in tenant ${parsed.tenant}, but this run is for tenant ${tenant}.`, { code: 'usage', fix: 'Use the tenant init used (--entra-tenant / AZURE_TENANT_ID).' });
    }
    tenant = parsed.tenant;
    resolvedIssuer ??= app.issuer;
  };

  /** The tenant's discovery document: the tenant exists, and its issuer names it by id. */
  const ensureIssuer = async (ctx: AdapterContext): Promise<string> => {
    if (resolvedIssuer) return resolvedIssuer;
    const url = discoveryUrlForIssuer(guessIssuer());
    const res = await httpFetch(url, { headers: { accept: 'application/json' }, ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) } as RequestInit, {
      timeoutMs: ctx.timeoutMs,
      purpose: 'reading the tenant\'s OpenID configuration',
      logger: ctx.logger,
    });
    const doc = await readJsonBody(res);
    if (!res.ok || typeof doc?.issuer !== 'string') {
      const said = typeof doc?.error_description === 'string' ? `: ${doc.error_description.split(/\r?\n/)[0]}` : '';
      throw new CliError(`Microsoft Entra tenant "${tenant}" was not found (${url} answered HTTP ${res.status}${said}).`, {
        code: 'tenant_not_found',
        fix: `Check ${s.tenantSource ?? '--entra-tenant'}: the directory (tenant) id is on the Entra admin center's Overview page.`,
      });
    }
    const parsed = parseEntraIssuer(doc.issuer, [s.authorityHost]);
    if (!parsed || !isGuid(parsed.tenant)) {
      throw new CliError(`The tenant's discovery document names issuer ${doc.issuer}, not a v2.0 issuer of one tenant.`, { code: 'issuer_mismatch', fix: 'Pass the directory (tenant) id with --entra-tenant.' });
    }
    if (parsed.tenant.toLowerCase() !== tenant!.toLowerCase()) ctx.logger.debug(`Tenant ${tenant} is ${parsed.tenant}`);
    resolvedIssuer = doc.issuer.replace(/\/+$/, '');
    tenant = parsed.tenant;
    return resolvedIssuer;
  };

  /** Retries a call while Entra replicates a just-created object. */
  const eventually = async <T>(ctx: AdapterContext, what: string, fn: () => Promise<T>): Promise<T> => {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!isReplicationLag(err) || i >= delays.length) throw err;
        ctx.logger.debug(`${what}: not visible yet (${(err as GraphError).status}), retrying in ${delays[i]} ms`);
        await sleep(delays[i]!);
      }
    }
  };

  const objectIdOf = async (ctx: AdapterContext, app: AppRecord): Promise<string | null> => {
    if (app.extras.objectId) return app.extras.objectId;
    const r = await graph.call<{ id: string }>(ctx, {
      path: `/applications(appId='${encodeURIComponent(app.clientId)}')?$select=id`,
      purpose: `finding app registration ${app.clientId}`,
      permission: PERM.app,
      allow404: true,
    });
    return r.status === 404 ? null : (r.body?.id ?? null);
  };

  const del = async (ctx: AdapterContext, path: string, purpose: string, permission: string, needs: GraphNeed[] = ['app']): Promise<'deleted' | 'gone'> => {
    const r = await graph.call(ctx, { method: 'DELETE', path, purpose, permission, needs, allow404: true });
    return r.status === 404 ? 'gone' : 'deleted';
  };

  /** Undo a half-made app (nothing was recorded, so nothing may stay: purged too). Never throws. */
  const rollback = async (ctx: AdapterContext, made: { objectId?: string; spId?: string; policyId?: string }): Promise<void> => {
    const steps: Array<[string, () => Promise<unknown>]> = [];
    if (made.policyId) steps.push([`token lifetime policy ${made.policyId}`, () => del(ctx, `/policies/tokenLifetimePolicies/${made.policyId}`, 'deleting the token lifetime policy', PERM.policy, ['app', 'policy'])]);
    if (made.spId) {
      steps.push([`service principal ${made.spId}`, () => del(ctx, `/servicePrincipals/${made.spId}`, 'deleting the service principal', PERM.app)]);
    }
    if (made.objectId) {
      steps.push([`app registration ${made.objectId}`, () => del(ctx, `/applications/${made.objectId}`, 'deleting the app registration', PERM.app)]);
    }
    if (made.spId) steps.push([`deleted service principal ${made.spId}`, () => del(ctx, `/directory/deletedItems/${made.spId}`, 'purging the service principal', PERM.app)]);
    if (made.objectId) steps.push([`deleted app registration ${made.objectId}`, () => del(ctx, `/directory/deletedItems/${made.objectId}`, 'purging the app registration', PERM.app)]);
    for (const [what, fn] of steps) {
      try {
        await fn();
        ctx.logger.debug(`rolled back ${what}`);
      } catch (err) {
        ctx.logger.warn(`Could not remove ${what} after the failure (${errorMessage(err)}): delete it in the Entra admin center (App registrations, then Deleted applications).`);
      }
    }
  };

  /** The token lifetime policy, assigned to the app; undefined (with a plain warning) when the tenant does not allow it. */
  const createLifetimePolicy = async (ctx: AdapterContext, objectId: string, name: string, accessTokenLifetime: string): Promise<string | undefined> => {
    const denied = (err: unknown) => err instanceof GraphError && (err.status === 403 || /licen[cs]e|premium|P1/i.test(err.graphMessage));
    let policyId: string;
    try {
      const r = await graph.call<{ id: string }>(ctx, {
        method: 'POST',
        path: '/policies/tokenLifetimePolicies',
        body: {
          definition: [JSON.stringify({ TokenLifetimePolicy: { Version: 1, AccessTokenLifetime: accessTokenLifetime } })],
          displayName: `${name} token lifetime`.slice(0, 256),
          isOrganizationDefault: false,
        },
        purpose: 'creating the token lifetime policy',
        permission: PERM.policy,
        needs: ['app', 'policy'],
        unknownOutcomeFix: `Check Microsoft Entra for a token lifetime policy named "${name} token lifetime" and delete it if it is not assigned to any app.`,
      });
      policyId = String(r.body?.id ?? '');
      if (!policyId) throw new CliError('Graph created a token lifetime policy but returned no id.');
    } catch (err) {
      if (!denied(err)) throw err;
      ctx.logger.warn(`No token lifetime policy: Microsoft Entra ID refused it (${(err as GraphError).graphCode || `HTTP ${(err as GraphError).status}`}). ${P1_NOTE}`);
      return undefined;
    }
    try {
      await eventually(ctx, 'assigning the token lifetime policy', () =>
        graph.call(ctx, {
          method: 'POST',
          path: `/applications/${objectId}/tokenLifetimePolicies/$ref`,
          body: { '@odata.id': `${s.graphBase}/policies/tokenLifetimePolicies/${policyId}` },
          purpose: 'assigning the token lifetime policy to the app',
          permission: PERM.assign,
          needs: ['app', 'policy'],
        }),
      );
    } catch (err) {
      await del(ctx, `/policies/tokenLifetimePolicies/${policyId}`, 'deleting the unassigned token lifetime policy', PERM.policy, ['app', 'policy']).catch((e) =>
        ctx.logger.warn(`Could not delete the unassigned token lifetime policy ${policyId} (${errorMessage(e)}): delete it by hand.`),
      );
      if (!denied(err)) throw err;
      ctx.logger.warn(`No token lifetime policy: Microsoft Entra ID refused to assign it (${(err as GraphError).graphCode || `HTTP ${(err as GraphError).status}`}). ${P1_NOTE}`);
      return undefined;
    }
    ctx.logger.success(`Token lifetime policy ${policyId}: access and ID tokens live ${accessTokenLifetime} (needs Entra ID P1 to be enforced)`);
    return policyId;
  };

  const apiAudience = (app: Pick<AppRecord, 'clientId'>): string => {
    const m = s.audience ? /^(?:api:\/\/)?([0-9a-f-]{36})\/?$/i.exec(s.audience) : null;
    return m && isGuid(m[1]!) ? m[1]! : app.clientId;
  };

  // Who may use the gateway (issue 13): app roles, their assignments and API scopes (providers/entra/access.ts).
  const grantedRoles = async (ctx: AdapterContext): Promise<string[] | undefined> => {
    if (auth.modeFor(ctx).kind === 'device-code') return undefined; // delegated: scp holds only what was asked for so far
    const claims = peekJwt(await auth.token(ctx, ['app']));
    return Array.isArray(claims?.roles) ? (claims.roles as unknown[]).map(String) : undefined;
  };
  const access = entraAccess({ graph, bindApp, objectIdOf, tenant: () => tenant, delaysMs: delays, grantedRoles });

  return {
    id: 'entra',
    displayName: 'Microsoft Entra ID',
    ...access,

    tokenProfile(app?: Pick<AppRecord, 'issuer' | 'clientId'>): TokenProfile {
      const issuer = app?.issuer ?? guessIssuer();
      const p = tokenProfileFor('entra', issuer);
      return { provider: 'entra', issuer, discoveryUrl: p.recommendedDiscoveryUrl, audienceClaim: 'aud', clientClaim: p.clientClaim, scopeClaim: 'scp' };
    },

    recommendedAuthorizer(app: AppRecord): CustomJwtAuthorizer {
      if (!isGuid(app.clientId) && !s.audience) {
        // The plan's preview, before the app (and its id) exists.
        return { discoveryUrl: app.discoveryUrl, allowedAudience: [app.clientId], customClaims: [claimEquals('azp', app.clientId)] };
      }
      return recommendedRule('entra', { discoveryUrl: app.discoveryUrl, clientId: app.clientId, audience: s.audience });
    },

    clientRequirements(app: AppRecord): ClientRequirements {
      return {
        scopes: [`api://${apiAudience(app)}/${API_SCOPE_NAME}`, ...CLIENT_OIDC_SCOPES],
        // Entra v2 refuses a `resource` parameter next to scopes (AADSTS9010010).
        mcpRemoteArgs: ['--disable-resource-parameter'],
      };
    },

    checkLifetimes(l) {
      planLifetimes(l);
    },
    async preflight(ctx) {
      const issuer = await ensureIssuer(ctx);
      const wantPolicy = !s.skipLifetimePolicy;
      const mode = auth.modeFor(ctx);
      const token = await auth.token(ctx, wantPolicy ? ['app', 'policy'] : ['app']);
      const claims = peekJwt(token);
      if (!claims) return; // not readable: the calls themselves will say what is missing
      const tid = typeof claims.tid === 'string' ? claims.tid : undefined;
      const issuerTenant = parseEntraIssuer(issuer, [s.authorityHost])?.tenant;
      if (tid && issuerTenant && tid.toLowerCase() !== issuerTenant.toLowerCase()) {
        throw new CliError(`The admin token is for tenant ${tid}, not ${issuerTenant}.`, { code: 'credentials', fix: 'Use credentials of the tenant the app goes to (AZURE_TENANT_ID / --entra-tenant).' });
      }
      const roles = Array.isArray(claims.roles) ? (claims.roles as unknown[]).map(String) : [];
      const scp = typeof claims.scp === 'string' ? claims.scp.split(' ') : [];
      const granted = new Set([...roles, ...scp]);
      const who = mode.kind === 'device-code' ? `the signed-in admin${typeof claims.upn === 'string' ? ` ${claims.upn}` : ''}` : `app ${mode.clientId}`;
      if (!APP_ROLES.some((r) => granted.has(r))) {
        throw new CliError(`The Microsoft Graph token of ${who} does not carry Application.ReadWrite.OwnedBy or Application.ReadWrite.All: it cannot create app registrations.`, {
          code: 'forbidden',
          fix:
            mode.kind === 'device-code'
              ? `Consent to ${DELEGATED_SCOPES.app} for the admin client when signing in (an admin must grant it for the tenant).`
              : `Add the application permission Application.ReadWrite.OwnedBy (or .All) to app ${mode.clientId} (API permissions > Microsoft Graph) and grant admin consent.`,
        });
      }
      if (wantPolicy && !granted.has(POLICY_ROLE)) {
        policyPermissionMissing = true;
        ctx.logger.warn(`The Microsoft Graph token of ${who} lacks ${POLICY_ROLE}: no token lifetime policy will be created. ${P1_NOTE}`);
      }
      ctx.logger.debug(`Microsoft Entra ID: signed in as ${who}; issuer ${issuer}`);
    },

    async createApp(ctx, req: AppRequest): Promise<AppRecord> {
      const lifetimes = planLifetimes(req.lifetimes);
      checkRequestedScopes(req.scopes);
      const issuer = await ensureIssuer(ctx);
      for (const n of lifetimes.notes) ctx.logger.info(n);
      const made: { objectId?: string; spId?: string; policyId?: string } = {};
      try {
        // 1. The public client. identifierUris waits for the appId (a tenant refuses any other api:// URI).
        const created = await graph.call<GraphApp>(ctx, {
          method: 'POST',
          path: '/applications',
          body: {
            displayName: req.name,
            signInAudience: 'AzureADMyOrg',
            isFallbackPublicClient: true,
            publicClient: { redirectUris: req.redirectUris },
            api: { requestedAccessTokenVersion: 2 },
          },
          purpose: 'creating the app registration',
          permission: PERM.app,
          unknownOutcomeFix: `Look in the Entra admin center (App registrations) for "${req.name}" and delete it if it exists, then run again.`,
        });
        const app = created.body;
        if (!app?.id || !app.appId) throw new CliError('Graph created the app registration but returned no id/appId.');
        made.objectId = app.id;
        ctx.logger.success(`App registration "${req.name}": application (client) id ${app.appId}`);

        // 2. The API: identifier URI and the delegated scope. PATCH replaces `api` whole: keep the token version in it.
        const scopeId = randomUUID();
        await eventually(ctx, 'exposing the API', () =>
          graph.call(ctx, {
            method: 'PATCH',
            path: `/applications/${app.id}`,
            body: {
              identifierUris: [`api://${app.appId}`],
              api: {
                requestedAccessTokenVersion: 2,
                oauth2PermissionScopes: [
                  {
                    id: scopeId,
                    value: API_SCOPE_NAME,
                    type: 'User',
                    isEnabled: true,
                    adminConsentDisplayName: 'Use the AgentCore gateway tools',
                    adminConsentDescription: 'Lets the MCP client call the Amazon Bedrock AgentCore Gateway as the signed-in user.',
                    userConsentDisplayName: 'Use the AgentCore gateway tools',
                    userConsentDescription: 'Lets the MCP client call the AgentCore gateway as you.',
                  },
                ],
              },
            },
            purpose: 'exposing the app\'s API (identifier URI and access_as_user scope)',
            permission: PERM.app,
          }),
        );

        // 3. The service principal (the app's identity in the tenant: users sign in to it).
        const sp = await eventually(ctx, 'creating the service principal', () =>
          graph.call<{ id: string }>(ctx, {
            method: 'POST',
            path: '/servicePrincipals',
            body: { appId: app.appId },
            purpose: 'creating the service principal',
            permission: PERM.app,
          }),
        );
        if (!sp.body?.id) throw new CliError('Graph created the service principal but returned no id.');
        made.spId = sp.body.id;

        // 4. Token lifetimes, when the tenant allows it.
        if (s.skipLifetimePolicy) ctx.logger.info(`No token lifetime policy (--entra-skip-lifetime-policy): access and ID tokens keep Entra's default lifetime (60-90 minutes).`);
        else if (!policyPermissionMissing) made.policyId = await createLifetimePolicy(ctx, app.id, req.name, lifetimes.accessTokenLifetime);

        ctx.logger.info('Users consent to access_as_user on first sign-in (or an admin grants consent for the tenant in the Entra admin center).');
        return {
          provider: 'entra',
          clientId: app.appId,
          issuer,
          discoveryUrl: discoveryUrlForIssuer(issuer),
          extras: {
            objectId: app.id,
            servicePrincipalId: made.spId,
            tenantId: tenant!,
            identifierUri: `api://${app.appId}`,
            scopeId,
            ...(made.policyId ? { policyId: made.policyId } : {}),
          },
        };
      } catch (err) {
        if (made.objectId) {
          ctx.logger.warn('Removing the half-made app registration...');
          await rollback(ctx, made);
        }
        throw err;
      }
    },

    async describeApp(ctx, app) {
      bindApp(app);
      const id = await objectIdOf(ctx, app);
      if (!id) return null;
      const r = await graph.call<GraphApp>(ctx, {
        path: `/applications/${id}?$select=id,appId,publicClient,isFallbackPublicClient`,
        purpose: `reading app registration ${app.clientId}`,
        permission: PERM.app,
        allow404: true,
      });
      if (r.status === 404 || !r.body) return null;
      return {
        clientId: r.body.appId,
        redirectUris: r.body.publicClient?.redirectUris ?? [],
        // Entra lists no grant types: a public client gets authorization code (+ PKCE) and refresh tokens.
        grantTypes: ['authorization_code', 'refresh_token'],
      };
    },

    async updateRedirectUris(ctx, app, redirectUris) {
      bindApp(app);
      const id = await objectIdOf(ctx, app);
      if (!id) throw new CliError(`App registration ${app.clientId} no longer exists in Microsoft Entra ID.`, { code: 'not_found', fix: 'Run init again: it registers a new app.' });
      // PATCH replaces `publicClient` whole; it holds nothing but the redirect URIs.
      const r = await graph.call(ctx, {
        method: 'PATCH',
        path: `/applications/${id}`,
        body: { publicClient: { redirectUris } },
        purpose: `changing the redirect URI of app registration ${app.clientId}`,
        permission: PERM.app,
        allow404: true,
      });
      if (r.status === 404) throw new CliError(`App registration ${app.clientId} no longer exists in Microsoft Entra ID.`, { code: 'not_found', fix: 'Run init again: it registers a new app.' });
      return app;
    },

    async deleteApp(ctx, app, opts = {}) {
      bindApp(app);
      const x = app.extras;
      const objectId = await objectIdOf(ctx, app);
      // 1. The token lifetime policy: unassigned, then deleted (it is a tenant object of its own).
      if (x.policyId) {
        if (objectId) {
          await del(ctx, `/applications/${objectId}/tokenLifetimePolicies/${x.policyId}/$ref`, 'unassigning the token lifetime policy', PERM.assign, ['app', 'policy']);
        }
        const p = await del(ctx, `/policies/tokenLifetimePolicies/${x.policyId}`, 'deleting the token lifetime policy', PERM.policy, ['app', 'policy']);
        ctx.logger.debug(`token lifetime policy ${x.policyId}: ${p}`);
      }
      // 2. The service principal, 3. the app (both go to deleted items for 30 days).
      if (x.servicePrincipalId) await del(ctx, `/servicePrincipals/${x.servicePrincipalId}`, 'deleting the service principal', PERM.app);
      const appState = objectId ? await del(ctx, `/applications/${objectId}`, `deleting app registration ${app.clientId}`, PERM.app) : 'gone';
      // 4. Purge from deleted items.
      const deletedId = objectId ?? x.objectId;
      if (opts.purge) {
        if (x.servicePrincipalId) await del(ctx, `/directory/deletedItems/${x.servicePrincipalId}`, 'purging the service principal from deleted items', PERM.app);
        const purged = deletedId ? await del(ctx, `/directory/deletedItems/${deletedId}`, 'purging the app registration from deleted items', PERM.app) : 'gone';
        return appState === 'deleted' || purged === 'deleted' ? 'deleted' : 'gone';
      }
      if (appState === 'deleted') {
        ctx.logger.info(
          `App registration ${app.clientId} is in Entra's deleted items for 30 days (restorable). To remove it for good now: Entra admin center > App registrations > Deleted applications > Delete permanently, or pass --purge to cleanup next time.`,
        );
      }
      return appState;
    },

    async revoke(ctx, app, tokens): Promise<RevokeResult> {
      const result: RevokeResult = { revoked: [], notRevoked: [] };
      const none = 'Microsoft Entra ID has no token revocation endpoint';
      const accessWhy = `${none}: the access token stays valid until it expires (at most its lifetime, 1 h by default)`;
      const refreshWhy = `${none}: deleting the app makes its refresh tokens useless; to also end the user's sign-in sessions everywhere, POST ${s.graphBase}/users/{user id}/revokeSignInSessions (or pass --entra-revoke-sessions to init)`;
      if (!s.revokeSessions) {
        if (tokens.refreshToken) result.notRevoked.push({ what: 'refresh_token', why: refreshWhy, unsupported: true });
        if (tokens.accessToken) result.notRevoked.push({ what: 'access_token', why: accessWhy, unsupported: true });
        return result;
      }
      const oid = tokens.accessToken ? peekJwt(tokens.accessToken)?.oid : undefined;
      if (typeof oid !== 'string' || !isGuid(oid)) {
        if (tokens.refreshToken) result.notRevoked.push({ what: 'refresh_token', why: `${none}, and the cached access token does not say which user signed in (no oid): revoke the user's sessions in the Entra admin center`, unsupported: true });
        if (tokens.accessToken) result.notRevoked.push({ what: 'access_token', why: accessWhy, unsupported: true });
        return result;
      }
      try {
        bindApp(app);
        await graph.call(ctx, {
          method: 'POST',
          path: `/users/${oid}/revokeSignInSessions`,
          purpose: 'revoking the user\'s sign-in sessions',
          permission: PERM.sessions,
          needs: ['sessions'],
        });
        ctx.logger.info(`Revoked every sign-in session of user ${oid} (all apps): refresh tokens no longer work.`);
        if (tokens.refreshToken) result.revoked.push('refresh_token');
      } catch (err) {
        if (tokens.refreshToken) result.notRevoked.push({ what: 'refresh_token', why: `revokeSignInSessions failed: ${errorMessage(err)}` });
      }
      if (tokens.accessToken) result.notRevoked.push({ what: 'access_token', why: accessWhy, unsupported: true });
      return result;
    },
  };
}

