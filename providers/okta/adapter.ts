/**
 * Okta adapter (FACTS section 4, Okta column).
 *
 * Creates, at a custom authorization server (never the org server, whose tokens only Okta can validate):
 *   1. an OIDC app for a public client: native, token_endpoint_auth_method none, PKCE required,
 *      authorization_code + refresh_token (rotated), the exact loopback redirect URI mcp-remote uses;
 *   2. its assignments (users and groups: Okta signs in nobody who is not assigned);
 *   3. an access policy scoped to this client alone, with one rule carrying the token lifetimes
 *      (access 60 min, refresh 90 days by default; Okta fixes ID tokens at 60 min).
 * Deletes, in this order: deactivates the app (no new sign-ins), deletes the rule and the policy, deletes the app
 * (its assignments and tokens go with it). Already gone counts as done.
 *
 * Access tokens carry the client in `cid`, the audience of the authorization server (api://default for
 * `default`) in `aud`, scopes in `scp`: the gateway rule is allowedAudience [audience] + cid EQUALS clientId.
 *
 * Management API calls go through the typed APIs of @okta/okta-sdk-nodejs on our own transport (src/core/http.ts),
 * with no implicit okta.yaml / OKTA_CLIENT_* configuration: see providers/okta/api.ts.
 */
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logger.js';
import type { Prompter } from '../../src/core/prompts.js';
import { definitelyRefused } from '../../src/steps/outcome.js';
import { discoveryUrlForIssuer, recommendedRule, tokenProfileFor } from '../profiles.js';
import type { AdapterContext, AppRecord, AppRequest, ClientRequirements, IdpAdapter, RevokeResult, TokenProfile } from '../types.js';
import { ENV, OktaApi, collect, credentialsFromEnv, missingCredentialsError, normaliseOrgUrl, readOktaConfigFiles, type OktaCredentials, type OktaScope, type OktaSdk } from './api.js';
import { oktaAccessMethods } from './access.js';
import type { AuthorizationServerPolicy, AuthorizationServerPolicyRuleRequest, OpenIdConnectApplication } from '@okta/okta-sdk-nodejs';

export const DEFAULT_AUTH_SERVER = 'default';
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
/** Okta's limits for an access policy rule (specs/okta-management.yaml, TokenAuthorizationServerPolicyRuleAction). */
export const LIMITS = {
  accessMinutes: { min: 5, max: 1440 },
  refreshMinutes: { min: 10, max: 2_628_000 },
  idTokenSeconds: 3600,
} as const;
/** Ids Okta gives the org authorization server in URLs; it is not a custom server and is refused. */
const ORG_SERVER_IDS = new Set(['org', 'v1']);
const GROUP_ID = /^00g[A-Za-z0-9]{15,}$/;

export interface OktaAdapterOptions {
  /** Org URL from --okta-org-url / --issuer / OKTA_ORG_URL; may be absent in cleanup/status (the app record has it). */
  orgUrl?: string;
  authServerId: string;
  /** --audience: must be one of the authorization server's audiences. */
  audience?: string;
  assignGroups: string[];
  assignUsers: string[];
  /** Whether assignments came from flags (then never prompted for). */
  assignmentsGiven: boolean;
  /** --okta-use-config-file / OKTA_USE_CONFIG_FILE: let the SDK's okta.yaml and OKTA_CLIENT_* fill in what env does not set. */
  useConfigFile?: boolean;
}

interface AuthorizationServer {
  id: string;
  name?: string;
  issuer?: string;
  audiences?: string[];
  status?: string;
}

interface OktaApp {
  id: string;
  status?: string;
  label?: string;
  credentials?: { oauthClient?: { client_id?: string } };
  settings?: { oauthClient?: { redirect_uris?: string[]; grant_types?: string[] } };
}

/** Explains why the org authorization server cannot be used. */
export function orgServerRefusal(orgUrl: string | undefined, flag: string): UsageError {
  return new UsageError(
    `${flag} names Okta's org authorization server${orgUrl ? ` (${orgUrl})` : ''}. Its access tokens are meant for Okta's own APIs: ` +
      'nobody else can validate them (their audience is the org and their signing keys are not for third parties), so the gateway would refuse every one of them.',
    { fix: `Use a custom authorization server: --okta-auth-server ${DEFAULT_AUTH_SERVER} (or another id from Security > API > Authorization Servers; custom servers need API Access Management).` },
  );
}

/** Org URL and authorization server id out of an issuer https://org/oauth2/{id}. */
export function parseOktaIssuer(issuer: string): { orgUrl: string; authServerId: string | undefined } {
  let u: URL;
  try {
    u = new URL(issuer.replace(/\/\.well-known\/openid-configuration$/, ''));
  } catch {
    throw new UsageError(`--issuer "${issuer}" is not a URL.`, { fix: 'Pass the issuer of a custom authorization server, e.g. --issuer https://acme.okta.com/oauth2/default' });
  }
  const segs = u.pathname.split('/').filter(Boolean);
  const orgUrl = normaliseOrgUrl(u.origin, '--issuer');
  if (segs.length === 0) return { orgUrl, authServerId: undefined };
  if (segs[0] === 'oauth2' && segs.length === 2) return { orgUrl, authServerId: segs[1] };
  throw new UsageError(`--issuer ${issuer} is not an Okta authorization server issuer.`, { fix: 'Pass https://<org>/oauth2/<server id>, e.g. https://acme.okta.com/oauth2/default' });
}

function minutes(seconds: number, flag: string, range: { min: number; max: number }, what: string): number {
  if (seconds % 60 !== 0) throw new UsageError(`${flag}: Okta sets ${what} in whole minutes (got ${seconds} s).`, { fix: `Pass a multiple of 60 seconds, e.g. ${flag} ${Math.max(range.min, Math.round(seconds / 60))}m.` });
  const m = seconds / 60;
  if (m < range.min || m > range.max) {
    throw new UsageError(`${flag}: Okta allows ${what} from ${range.min} to ${range.max} minutes (got ${m}).`, { fix: `Pass a value between ${range.min}m and ${range.max}m.` });
  }
  return m;
}

/** The policy rule's token lifetimes, checked against Okta's ranges (UsageError naming the flag). */
export function ruleLifetimes(l: AppRequest['lifetimes']): { accessTokenLifetimeMinutes: number; refreshTokenLifetimeMinutes: number; refreshTokenWindowMinutes: number } {
  if (l.idTokenSeconds !== LIMITS.idTokenSeconds) {
    throw new UsageError(`--id-token-ttl: Okta fixes ID tokens at 60 minutes; it cannot be set to ${l.idTokenSeconds} s.`, { fix: 'Leave --id-token-ttl out (or pass 1h).' });
  }
  const access = minutes(l.accessTokenSeconds, '--access-token-ttl', LIMITS.accessMinutes, 'the access token lifetime');
  const refresh = minutes(l.refreshTokenSeconds, '--refresh-token-ttl', LIMITS.refreshMinutes, 'the refresh token lifetime');
  if (refresh < access) {
    throw new UsageError(`--refresh-token-ttl (${refresh} min) is shorter than --access-token-ttl (${access} min); Okta wants the refresh token to outlive the access token.`, { fix: 'Raise --refresh-token-ttl or lower --access-token-ttl.' });
  }
  // Lifetime = the absolute limit; window = how long it may sit unused. Both at the asked lifetime: the token
  // dies at that age whether used or not.
  return { accessTokenLifetimeMinutes: access, refreshTokenLifetimeMinutes: refresh, refreshTokenWindowMinutes: refresh };
}

function list(v: string[]): string {
  return v.map((x) => `"${x}"`).join(', ');
}

export function createOktaAdapter(opts: OktaAdapterOptions): IdpAdapter {
  const authServerId = opts.authServerId;
  if (ORG_SERVER_IDS.has(authServerId)) throw orgServerRefusal(opts.orgUrl, '--okta-auth-server');
  // The issuer until preflight reads the server's own (it differs with a custom domain).
  let issuer = opts.orgUrl ? `${opts.orgUrl}/oauth2/${authServerId}` : undefined;
  let audience = opts.audience;
  let resolved: { groups: Array<{ id: string; name: string }>; users: Array<{ id: string; login: string }> } | undefined;

  const clients = new Map<string, OktaApi>();
  /** The API scopes a run needs (service apps): one token covers them all. */
  const neededScopes = (): OktaScope[] => [
    'okta.apps.manage',
    'okta.authorizationServers.manage',
    ...(opts.assignUsers.length ? (['okta.users.read'] as const) : []),
    ...(opts.assignGroups.length ? (['okta.groups.read'] as const) : []),
  ];

  /** Admin client for an org; the org of an existing app comes from its record (and must match OKTA_ORG_URL). */
  const apiFor = (ctx: Pick<AdapterContext, 'env' | 'logger' | 'timeoutMs'>, appOrg?: string): OktaApi => {
    const orgUrl = appOrg ?? opts.orgUrl;
    if (!orgUrl) {
      throw new CliError(`Which Okta org? ${ENV.orgUrl} is not set.`, { code: 'credentials', fix: `Set ${ENV.orgUrl}=https://<org>.okta.com or pass --okta-org-url.` });
    }
    const envOrg = ctx.env[ENV.orgUrl] ? normaliseOrgUrl(ctx.env[ENV.orgUrl]!, ENV.orgUrl) : undefined;
    if (appOrg && envOrg && envOrg !== appOrg) {
      throw new CliError(`This setup's Okta app lives in ${appOrg}, but ${ENV.orgUrl} is ${envOrg}.`, {
        code: 'credentials',
        fix: `Set ${ENV.orgUrl}=${appOrg} and that org's admin credentials, then run again.`,
      });
    }
    const creds: OktaCredentials | undefined = credentialsFromEnv(ctx.env) ?? (opts.useConfigFile ? readOktaConfigFiles(ctx.env).creds : undefined);
    if (!creds) throw missingCredentialsError(ctx.env, opts.useConfigFile);
    const key = `${orgUrl} ${creds.kind === 'ssws' ? creds.token : `${creds.clientId} ${creds.privateKeyFile ?? creds.privateKey}`}`;
    let api = clients.get(key);
    if (!api) clients.set(key, (api = new OktaApi(orgUrl, creds, { timeoutMs: ctx.timeoutMs, logger: ctx.logger, scopes: neededScopes() })));
    return api;
  };

  const scopeAS: OktaScope = 'okta.authorizationServers.manage';
  const scopeApps: OktaScope = 'okta.apps.manage';

  async function readAuthServer(api: OktaApi): Promise<AuthorizationServer> {
    const as = await api.call({ scope: scopeAS, purpose: `reading authorization server ${authServerId}`, allow404: true }, (s) => s.authorizationServerApi.getAuthorizationServer({ authServerId }));
    if (as) return as as AuthorizationServer;
    const all = await api
      .call({ scope: scopeAS, purpose: 'listing authorization servers' }, async (s) => collect(await s.authorizationServerApi.listAuthorizationServers({})))
      .catch(() => null);
    const ids = (all ?? []).map((s) => s.id);
    throw new CliError(`${api.orgUrl} has no custom authorization server "${authServerId}".`, {
      code: 'not_found',
      fix: ids.length
        ? `Pass --okta-auth-server with one of: ${ids.join(', ')}.`
        : 'Custom authorization servers need API Access Management (included in developer orgs). The org authorization server cannot be used: only Okta can validate its tokens.',
    });
  }

  /** Users by id or login, groups by id or exact name; a missing one is a UsageError naming the flag. */
  async function resolveAssignments(api: OktaApi, logger: Logger): Promise<NonNullable<typeof resolved>> {
    const users: Array<{ id: string; login: string }> = [];
    for (const u of opts.assignUsers) {
      const user = (await api.call({ scope: 'okta.users.read', purpose: `looking up user ${u}`, allow404: true }, (s) => s.userApi.getUser({ userId: u }))) as {
        id: string;
        status?: string;
        profile?: { login?: string };
      } | null;
      if (!user) throw new UsageError(`--okta-assign-user "${u}": no such user in ${api.orgUrl}.`, { fix: 'Pass the user\'s login (e.g. jane@example.com) or id (00u...).' });
      if (user.status && !['ACTIVE', 'PASSWORD_EXPIRED', 'RECOVERY', 'LOCKED_OUT'].includes(user.status)) {
        logger.warn(`Okta user ${user.profile?.login ?? u} is ${user.status}: assigned, but cannot sign in until active.`);
      }
      if (!users.some((x) => x.id === user.id)) users.push({ id: user.id, login: user.profile?.login ?? u });
    }
    const groups: Array<{ id: string; name: string }> = [];
    for (const g of opts.assignGroups) {
      let found: { id: string; profile?: { name?: string } } | null = null;
      if (GROUP_ID.test(g)) {
        found = (await api.call({ scope: 'okta.groups.read', purpose: `looking up group ${g}`, allow404: true }, (s) => s.groupApi.getGroup({ groupId: g }))) as typeof found;
      } else {
        const hits = ((await api.call({ scope: 'okta.groups.read', purpose: `looking up group "${g}"` }, async (s) => collect(await s.groupApi.listGroups({ q: g, limit: 200 })))) ?? []) as Array<{
          id: string;
          profile?: { name?: string };
        }>;
        const exact = hits.filter((h) => h.profile?.name === g);
        const loose = exact.length ? exact : hits.filter((h) => h.profile?.name?.toLowerCase() === g.toLowerCase());
        if (loose.length > 1) throw new UsageError(`--okta-assign-group "${g}": ${loose.length} groups have that name.`, { fix: `Pass the group id instead: ${loose.map((h) => h.id).join(', ')}.` });
        found = loose[0] ?? null;
      }
      if (!found) throw new UsageError(`--okta-assign-group "${g}": no such group in ${api.orgUrl}.`, { fix: 'Pass the group\'s exact name or its id (00g...). "Everyone" assigns every user.' });
      if (!groups.some((x) => x.id === found.id)) groups.push({ id: found.id, name: found.profile?.name ?? g });
    }
    return { users, groups };
  }

  /** Best-effort undo of a half-made createApp; returns what could not be removed. */
  async function undoPartial(api: OktaApi, made: { appId?: string; policyId?: string; policyName?: string }, logger: Logger): Promise<string[]> {
    const left: string[] = [];
    if (!made.policyId && made.policyName) {
      // The policy request went out but its answer was lost: find it by its name (unique: it holds the client id).
      const all = await api
        .call({ scope: scopeAS, purpose: 'looking for the half-made access policy' }, async (s) => collect(await s.authorizationServerApi.listAuthorizationServerPolicies({ authServerId })))
        .catch(() => null);
      if (all === null) left.push(`an access policy named "${made.policyName}" (if it exists) of authorization server ${authServerId}`);
      else made.policyId = all.find((x) => x.name === made.policyName)?.id;
    }
    if (made.appId) {
      const appId = made.appId;
      await api.call({ scope: scopeApps, purpose: 'deactivating the half-made app', allow404: true }, (s) => s.applicationApi.deactivateApplication({ appId })).catch(() => undefined);
      await api.call({ scope: scopeApps, purpose: 'deleting the half-made app', allow404: true }, (s) => s.applicationApi.deleteApplication({ appId })).catch((err: Error) => {
        logger.debug(`okta: could not delete app ${made.appId}: ${err.message}`);
        left.push(`app ${made.appId}`);
      });
    }
    if (made.policyId) {
      const policyId = made.policyId;
      await api.call({ scope: scopeAS, purpose: 'deleting the half-made access policy', allow404: true }, (s) => s.authorizationServerApi.deleteAuthorizationServerPolicy({ authServerId, policyId })).catch((err: Error) => {
        logger.debug(`okta: could not delete policy ${made.policyId}: ${err.message}`);
        left.push(`access policy ${made.policyId} of authorization server ${authServerId}`);
      });
    }
    return left;
  }

  const adapter: IdpAdapter = {
    id: 'okta',
    displayName: 'Okta',

    tokenProfile(app?: Pick<AppRecord, 'issuer' | 'clientId'>): TokenProfile {
      const iss = app?.issuer ?? issuer;
      if (!iss) {
        throw new CliError(`Which Okta org? ${ENV.orgUrl} is not set.`, { code: 'credentials', fix: `Set ${ENV.orgUrl}=https://<org>.okta.com or pass --okta-org-url.` });
      }
      const p = tokenProfileFor('okta', iss);
      return { provider: 'okta', issuer: p.issuer, discoveryUrl: p.discoveryUrl, audienceClaim: p.audienceClaim, clientClaim: p.clientClaim, scopeClaim: p.scopeClaim };
    },

    recommendedAuthorizer(app: AppRecord): CustomJwtAuthorizer {
      return recommendedRule('okta', { discoveryUrl: app.discoveryUrl, clientId: app.clientId, audience: app.extras.audience || audience });
    },

    clientRequirements(_app, o): ClientRequirements {
      return { scopes: o.scopes.length ? o.scopes : DEFAULT_SCOPES, mcpRemoteArgs: [] };
    },

    checkLifetimes(l) {
      ruleLifetimes(l);
    },
    async preflight(ctx) {
      const api = apiFor(ctx);
      const as = await readAuthServer(api);
      if (as.status && as.status !== 'ACTIVE') {
        throw new CliError(`Okta authorization server "${authServerId}" is ${as.status}.`, { code: 'validation', fix: 'Activate it (Security > API > Authorization Servers), or pass another --okta-auth-server.' });
      }
      const audiences = as.audiences ?? [];
      if (audience && !audiences.includes(audience)) {
        throw new UsageError(`--audience ${audience}: authorization server "${authServerId}" issues tokens for ${list(audiences)} only.`, { fix: `Pass --audience ${audiences[0] ?? '<one of its audiences>'}, or leave it out.` });
      }
      audience ??= audiences[0];
      if (!audience) throw new CliError(`Authorization server "${authServerId}" has no audience.`, { code: 'validation', fix: 'Set its audience (Security > API > Authorization Servers > Settings), e.g. api://default.' });
      if (as.issuer) issuer = as.issuer.replace(/\/+$/, '');
      ctx.logger.debug(`okta: authorization server ${authServerId}: issuer ${issuer}, audience ${audience}`);

      // Nobody can sign in to an Okta app until users or groups are assigned to it.
      const prompter = ctx.prompter;
      if (!opts.assignmentsGiven && prompter?.interactive) {
        const split = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
        const groups = (await api
          .call({ scope: 'okta.groups.read', purpose: 'listing groups' }, async (s) => collect(await s.groupApi.listGroups({ limit: 200 }), 200))
          .catch(() => null)) as Array<{ id: string; profile?: { name?: string } }> | null;
        opts.assignGroups = groups?.length
          ? await prompter.chooseMany({
              flag: '--okta-assign-group',
              message: 'Okta groups to assign to the app (only assigned people can sign in; "Everyone" is all users):',
              choices: groups.map((g) => ({ value: g.id, name: g.profile?.name ?? g.id })),
              default: [],
            })
          : split(await prompter.ask({ flag: '--okta-assign-group', message: 'Okta groups to assign to the app (names or ids, comma-separated; "Everyone" for all users; empty for none):', default: '' }));
        opts.assignUsers = split(await prompter.ask({ flag: '--okta-assign-user', message: 'Okta users to assign (logins or ids, comma-separated; empty for none):', default: '' }));
      }
      resolved = await resolveAssignments(api, ctx.logger);
      if (!resolved.users.length && !resolved.groups.length) {
        ctx.logger.warn('No Okta users or groups to assign: only users and groups assigned to the app can sign in (--okta-assign-group, --okta-assign-user, or the Admin Console > Applications > the app > Assignments).');
      } else {
        ctx.logger.info(`Okta: a new app is assigned to ${[...resolved.groups.map((g) => `group "${g.name}"`), ...resolved.users.map((u) => `user ${u.login}`)].join(', ')}.`);
      }
      ctx.logger.info('Okta: ID tokens last 60 minutes (fixed by Okta); access and refresh token lifetimes go on an access policy for this app alone.');
    },

    async createApp(ctx, req: AppRequest): Promise<AppRecord> {
      const lifetimes = ruleLifetimes(req.lifetimes);
      const api = apiFor(ctx);
      if (!resolved || !audience) await adapter.preflight({ ...ctx, prompter: undefined });
      const assigned = resolved!;
      const made: { appId?: string; policyId?: string; policyName?: string } = {};
      try {
        const application: OpenIdConnectApplication = {
            name: 'oidc_client',
            label: req.name,
            signOnMode: 'OPENID_CONNECT',
            credentials: { oauthClient: { token_endpoint_auth_method: 'none', pkce_required: true } },
            settings: {
              oauthClient: {
                application_type: 'native',
                grant_types: ['authorization_code', 'refresh_token'],
                response_types: ['code'],
                redirect_uris: req.redirectUris,
                consent_method: 'TRUSTED',
                refresh_token: { rotation_type: 'ROTATE', leeway: 30 },
              },
            },
        };
        const app = (await api.call(
          {
            scope: scopeApps,
            purpose: `creating the OIDC app "${req.name}"`,
            unknownOutcomeFix: `Look for an app labelled "${req.name}" in the Okta Admin Console (Applications) and delete it if it exists, then run init again.`,
          },
          (s) => s.applicationApi.createApplication({ application, activate: true }),
        )) as OktaApp;
        const appId = app.id;
        made.appId = appId;
        const clientId = app.credentials?.oauthClient?.client_id ?? appId;
        ctx.logger.debug(`okta: created app ${appId} (client ${clientId})`);

        for (const g of assigned.groups) {
          await api.call({ scope: scopeApps, purpose: `assigning group "${g.name}" to the app` }, (s) => s.applicationApi.assignGroupToApplication({ appId, groupId: g.id, applicationGroupAssignment: {} }));
        }
        for (const u of assigned.users) {
          await api.call({ scope: scopeApps, purpose: `assigning user ${u.login} to the app` }, (s) => s.applicationApi.assignUserToApplication({ appId, appUser: { id: u.id, scope: 'USER' } }));
        }

        made.policyName = `agentcore-auth ${clientId}`.slice(0, 100);
        const policyBody: AuthorizationServerPolicy = {
            type: 'OAUTH_AUTHORIZATION_POLICY',
            name: made.policyName,
            description: `Token lifetimes for "${req.name}" (made by agentcore-auth; agentcore-auth cleanup deletes it)`.slice(0, 255),
            priority: 1,
            status: 'ACTIVE',
            conditions: { clients: { include: [clientId] } },
        };
        const policy = await api.call({ scope: scopeAS, purpose: 'creating the access policy for the app' }, (s) =>
          s.authorizationServerApi.createAuthorizationServerPolicy({ authServerId, policy: policyBody }),
        );
        const policyId = policy!.id!;
        made.policyId = policyId;
        const ruleBody: AuthorizationServerPolicyRuleRequest = {
            name: 'agentcore-auth token lifetimes',
            type: 'RESOURCE_ACCESS',
            priority: 1,
            status: 'ACTIVE',
            conditions: {
              people: { groups: { include: ['EVERYONE'] } },
              grantTypes: { include: ['authorization_code'] },
              scopes: { include: ['*'] },
            },
            actions: { token: lifetimes },
        };
        const rule = await api.call({ scope: scopeAS, purpose: 'creating the access policy rule (token lifetimes)' }, (s) =>
          s.authorizationServerApi.createAuthorizationServerPolicyRule({ authServerId, policyId, policyRule: ruleBody }),
        );
        const iss = issuer!;
        ctx.logger.debug(`okta: access policy ${made.policyId}, rule ${rule!.id}: access ${lifetimes.accessTokenLifetimeMinutes} min, refresh ${lifetimes.refreshTokenLifetimeMinutes} min`);
        return {
          provider: 'okta',
          clientId,
          issuer: iss,
          discoveryUrl: discoveryUrlForIssuer(iss),
          extras: {
            orgUrl: api.orgUrl,
            appId,
            authServerId,
            policyId: made.policyId,
            ruleId: rule!.id!,
            audience: audience!,
            ...(assigned.groups.length ? { assignedGroups: assigned.groups.map((g) => g.id).join(',') } : {}),
            ...(assigned.users.length ? { assignedUsers: assigned.users.map((u) => u.id).join(',') } : {}),
          },
        };
      } catch (err) {
        if (!made.appId && !made.policyId) throw err;
        const left = await undoPartial(api, made, ctx.logger);
        if (!left.length) {
          // Everything made for the app is gone again: nothing for cleanup to look for.
          if (definitelyRefused(err)) throw err;
          throw new CliError(`${(err as Error).message} What was made for the app was removed again.`, { code: 'rolled_back', fix: (err as CliError).fix ?? 'Run init again.', cause: err });
        }
        throw new CliError(`${(err as Error).message} Undoing the partly made app failed; left in Okta: ${left.join(', ')}.`, {
          code: 'okta_partial',
          fix: `Delete ${left.join(' and ')} in the Okta Admin Console (deactivate an app before deleting it).`,
          cause: err,
        });
      }
    },

    async describeApp(ctx, app) {
      const appId = app.extras.appId;
      if (!appId) return { clientId: app.clientId, redirectUris: [], grantTypes: [] };
      const api = apiFor(ctx, app.extras.orgUrl);
      const live = (await api.call({ scope: scopeApps, purpose: `reading app ${appId}`, allow404: true }, (s) => s.applicationApi.getApplication({ appId }))) as OktaApp | null;
      if (!live) return null;
      if (live.status && live.status !== 'ACTIVE') ctx.logger.warn(`Okta app ${appId} is ${live.status}: nobody can sign in with client ${app.clientId}.`);
      const { policyId, authServerId: asId } = app.extras;
      if (policyId && asId) {
        const p = await api
          .call({ scope: scopeAS, purpose: 'reading the access policy', allow404: true }, (s) => s.authorizationServerApi.getAuthorizationServerPolicy({ authServerId: asId, policyId }))
          .catch(() => undefined);
        if (p === null) ctx.logger.warn(`The access policy ${app.extras.policyId} for client ${app.clientId} is gone: its tokens now get the lifetimes of whichever other policy matches, or none at all.`);
      }
      return {
        clientId: live.credentials?.oauthClient?.client_id ?? app.clientId,
        redirectUris: live.settings?.oauthClient?.redirect_uris ?? [],
        grantTypes: live.settings?.oauthClient?.grant_types ?? [],
      };
    },

    async updateRedirectUris(ctx, app, redirectUris) {
      const appId = app.extras.appId;
      if (!appId) throw new CliError(`The record of Okta client ${app.clientId} has no app id.`, { code: 'manual', fix: `Change the sign-in redirect URI of the app with client id ${app.clientId} in the Okta Admin Console.` });
      const api = apiFor(ctx, app.extras.orgUrl);
      const live = (await api.call({ scope: scopeApps, purpose: `reading app ${appId}`, allow404: true }, (s) => s.applicationApi.getApplication({ appId }))) as OktaApp | null;
      if (!live) throw new CliError(`Okta app ${appId} (client ${app.clientId}) no longer exists.`, { code: 'not_found', fix: 'Run init again: it creates a new app.' });
      // PUT replaces the app whole: the app as read, with only the redirect URIs changed.
      // Read-only fields (id, status, timestamps, links...) are Okta's to set: sending them back is refused.
      const { id: _id, created: _c, lastUpdated: _u, orn: _o, status: _s, features: _f, _links: _l, _embedded: _e, ...writable } = live as Record<string, any>;
      const settings = (writable.settings ?? {}) as Record<string, any>;
      const application = { ...writable, settings: { ...settings, oauthClient: { ...(settings.oauthClient ?? {}), redirect_uris: redirectUris } } };
      await api.call({ scope: scopeApps, purpose: `changing the redirect URI of app ${appId}` }, (s) => s.applicationApi.replaceApplication({ appId, application: application as never }));
      return app;
    },

    async deleteApp(ctx, app) {
      const { appId, policyId, ruleId } = app.extras;
      const asId = app.extras.authServerId ?? authServerId;
      if (!appId) {
        throw new CliError(`The record of Okta client ${app.clientId} has no app id.`, { code: 'manual', fix: `Deactivate and delete the app with client id ${app.clientId} in the Okta Admin Console (Applications).` });
      }
      const api = apiFor(ctx, app.extras.orgUrl);
      let deleted = false;
      const step = async (scope: OktaScope, purpose: string, fn: (s: OktaSdk) => Promise<unknown>) => {
        const r = await api.call({ scope, purpose, allow404: true }, fn);
        if (r !== null) deleted = true;
        return r !== null;
      };
      // Deactivate first: no new sign-ins while the rest goes.
      await step(scopeApps, `deactivating app ${appId}`, (s) => s.applicationApi.deactivateApplication({ appId }));
      if (policyId) {
        if (ruleId) await step(scopeAS, `deleting access policy rule ${ruleId}`, (s) => s.authorizationServerApi.deleteAuthorizationServerPolicyRule({ authServerId: asId, policyId, ruleId }));
        await step(scopeAS, `deleting access policy ${policyId}`, (s) => s.authorizationServerApi.deleteAuthorizationServerPolicy({ authServerId: asId, policyId }));
      }
      await step(scopeApps, `deleting app ${appId}`, (s) => s.applicationApi.deleteApplication({ appId }));
      return deleted ? 'deleted' : 'gone';
    },

    // Who may use the gateway (issue 13): a groups claim and custom scopes on the authorization server (access.ts).
    ...oktaAccessMethods(apiFor, authServerId),

    async revoke(ctx, app, tokens): Promise<RevokeResult> {
      const result: RevokeResult = { revoked: [], notRevoked: [] };
      const { revokeToken } = await import('../../src/oauth/tokens.js');
      const endpoint = `${app.issuer.replace(/\/+$/, '')}/v1/revoke`;
      const items = [
        ['refresh_token', tokens.refreshToken],
        ['access_token', tokens.accessToken],
      ] as const;
      for (const [kind, t] of items) {
        if (!t) continue;
        const r = await revokeToken({ revocationEndpoint: endpoint, clientId: app.clientId, token: t, tokenTypeHint: kind }, { timeoutMs: ctx.timeoutMs, logger: ctx.logger });
        if (r.ok) result.revoked.push(kind);
        else result.notRevoked.push({ what: kind, why: `${endpoint} answered ${r.error ?? `HTTP ${r.status}`}`, ...(/^unsupported_token_type\b/.test(r.error ?? '') ? { unsupported: true } : {}) });
      }
      // Revocation marks an access token inactive at Okta, but the gateway checks JWTs locally until they expire.
      if (tokens.accessToken) ctx.logger.debug('okta: a revoked access token stays valid at the gateway until it expires (it validates JWTs locally)');
      return result;
    },
  };
  return adapter;
}

/** Interactive choice of the authorization server (init only), listing the org's custom servers. */
export async function chooseAuthServer(orgUrl: string, ctx: { env: NodeJS.ProcessEnv; logger: Logger; prompter: Prompter; useConfigFile?: boolean }): Promise<string> {
  const creds = credentialsFromEnv(ctx.env) ?? (ctx.useConfigFile ? readOktaConfigFiles(ctx.env).creds : undefined);
  let servers: AuthorizationServer[] = [];
  if (creds) {
    const api = new OktaApi(orgUrl, creds, { timeoutMs: 15_000, logger: ctx.logger });
    servers = ((await api
      .call({ scope: 'okta.authorizationServers.manage', purpose: 'listing authorization servers' }, async (s) => collect(await s.authorizationServerApi.listAuthorizationServers({})))
      .catch(() => null)) ?? []) as AuthorizationServer[];
  }
  const active = servers.filter((s) => !s.status || s.status === 'ACTIVE');
  if (active.length > 1) {
    return ctx.prompter.ask({
      flag: '--okta-auth-server',
      message: 'Okta authorization server (custom servers only: the org server\'s tokens cannot be validated by the gateway):',
      choices: active.map((s) => ({ value: s.id, name: `${s.name ?? s.id} (${s.id}) audience ${(s.audiences ?? []).join(', ')}` })),
      default: active.some((s) => s.id === DEFAULT_AUTH_SERVER) ? DEFAULT_AUTH_SERVER : active[0]!.id,
    });
  }
  return active[0]?.id ?? DEFAULT_AUTH_SERVER;
}
