/**
 * Auth0 adapter (FACTS section 4, Auth0 column).
 *
 * What it makes, in this order (and undoes in reverse):
 *   1. an API (resource server) whose identifier is the gateway's resource URL (https://<gw>/mcp):
 *      RS256, token_lifetime = access-token TTL, allow_offline_access, token_dialect access_token
 *      (rfc9068_profile with --auth0-rfc9068). Without an API audience Auth0 issues opaque access tokens
 *      that nobody but Auth0 can validate: that is the trap this API avoids.
 *   2. a native public client: token_endpoint_auth_method none, grants authorization_code + refresh_token,
 *      the loopback callback, ID token lifetime, RS256 ID tokens, rotating expiring refresh tokens.
 *   3. only with the user's consent (--auth0-set-default-audience, or an explicit yes when asked): the tenant's
 *      default_audience = the API identifier (tenant-wide!). The previous value is kept in extras and restored
 *      on cleanup. Without consent, the client entry asks for the audience itself
 *      (mcp-remote --authorize-param audience=<identifier>).
 * Gateway rule: allowedAudience [identifier] + azp EQUALS clientId (Auth0 profile), or allowedAudience +
 * allowedClients [clientId] (RFC 9068 profile: client_id, no azp).
 *
 * Admin access: the Management API through the `auth0` SDK (loaded on first use), with a token from the
 * client-credentials grant (AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET) or AUTH0_TOKEN. The SDK hard-codes
 * https://{domain}/api/v2, so every SDK request goes through an injected fetch (httpFetch: timeouts, retries,
 * readable errors) which, for a loopback domain (127.0.0.1:PORT, localhost:PORT), speaks plain http: that is
 * how tests point the adapter at a local stand-in.
 */
import { decodeJwtClaims } from '../../src/oauth/tokens.js';
import { isLoopbackHost, isSecureTransportUrl } from '../../src/core/net.js';
import type { ManagementClient } from 'auth0';
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { CliError, UsageError } from '../../src/core/errors.js';
import { getJson, httpFetch, httpTimeoutOverride, readJsonBody } from '../../src/core/http.js';
import type { Logger } from '../../src/core/logger.js';
import type { Prompter } from '../../src/core/prompts.js';
import { DISCOVERY_SUFFIX, discoveryUrlForIssuer, recommendedRule } from '../profiles.js';
import type {
  AdapterContext,
  AppRecord,
  AppRequest,
  ClientRequirements,
  IdpAdapter,
  RevokeResult,
  TokenProfile,
} from '../types.js';
import { auth0Access } from './access.js';
import { AUTH0_ENV } from './index.js';

export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** Shown in the plan before the gateway (hence the API identifier) exists. */
export const AUDIENCE_PLACEHOLDER = '<the gateway URL: the API identifier, known once the gateway exists>';

/** Auth0's accepted ranges (seconds) for the lifetimes this adapter sets. */
export const AUTH0_LIFETIME_LIMITS = {
  /** API token_lifetime: at most 30 days. */
  accessTokenSeconds: { flag: '--access-token-ttl', what: 'access token lifetime (API token_lifetime)', min: 1, max: 2_592_000 },
  /** Client jwt_configuration.lifetime_in_seconds: at most 30 days. */
  idTokenSeconds: { flag: '--id-token-ttl', what: 'ID token lifetime (jwt_configuration.lifetime_in_seconds)', min: 1, max: 2_592_000 },
  /** Client refresh_token.token_lifetime with rotation: at most 1 year (31,557,600 s). */
  refreshTokenSeconds: { flag: '--refresh-token-ttl', what: 'refresh token lifetime (refresh_token.token_lifetime)', min: 1, max: 31_557_600 },
} as const;

/** Management API scopes, per operation (the spec's oAuth2ClientCredentials lists; any one of a group suffices). */
export const MANAGEMENT_SCOPES = {
  createClient: ['create:clients'],
  readClient: ['read:clients', 'read:client_keys', 'read:client_credentials', 'read:client_summary'],
  deleteClient: ['delete:clients'],
  /** Only a re-run of init with another --callback-port needs it. */
  updateClient: ['update:clients'],
  createApi: ['create:resource_servers'],
  readApi: ['read:resource_servers'],
  deleteApi: ['delete:resource_servers'],
  readTenant: ['read:tenant_settings'],
  updateTenant: ['update:tenant_settings'],
} as const;

type ScopeGroup = readonly string[];

/** The scope groups init needs: create, read and delete of clients and APIs, plus tenant settings with the default audience. */
export function requiredScopeGroups(opts: { setDefaultAudience: boolean }): ScopeGroup[] {
  const s = MANAGEMENT_SCOPES;
  return [s.createClient, s.readClient, s.deleteClient, s.createApi, s.readApi, s.deleteApi, ...(opts.setDefaultAudience ? [s.readTenant, s.updateTenant] : [])];
}

/** The groups none of whose scopes are granted (each named by its first scope). */
export function missingScopes(granted: Iterable<string>, groups: ScopeGroup[]): string[] {
  const have = new Set(granted);
  return groups.filter((g) => !g.some((s) => have.has(s))).map((g) => g[0]!);
}


/** `my-tenant.us.auth0.com` out of what a user may type (a bare host, host:port, or an https URL with no path). */
export function normaliseDomain(raw: string, source: string): string {
  const s = raw.trim().replace(/^https?:\/\//i, '').replace(/\/+$/, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(s) && !/^\[[0-9a-f:]+\](:\d{1,5})?$/.test(s)) {
    throw new UsageError(`${source} "${raw}" is not an Auth0 tenant domain.`, {
      fix: `Give the tenant's domain name only, e.g. ${source === AUTH0_ENV.domain ? `${AUTH0_ENV.domain}=` : `${source} `}my-tenant.us.auth0.com (Auth0 Dashboard > Settings > Custom Domains / the Domain of any application).`,
    });
  }
  return s;
}

export function isLoopbackDomain(domain: string): boolean {
  return isLoopbackHost(domain.replace(/:\d+$/, ''));
}

/** https://{domain}, or http:// for a loopback domain (local stand-ins in tests). */
export function auth0Origin(domain: string): string {
  return `${isLoopbackDomain(domain) ? 'http' : 'https'}://${domain}`;
}

/** Auth0's issuer: `https://{tenant}/`, with the trailing slash (tokens say exactly this). */
export function auth0Issuer(domain: string): string {
  return `${auth0Origin(domain)}/`;
}

/** The Management API's audience: always https://{domain}/api/v2/ (an identifier, never fetched). */
export function managementAudience(domain: string): string {
  return `https://${domain}/api/v2/`;
}

/** An issuer given with --issuer (custom domain, or the tenant): discovery suffix dropped, trailing slash added. */
export function normaliseAuth0Issuer(issuer: string): string {
  let s = issuer.trim();
  if (s.endsWith(DISCOVERY_SUFFIX)) s = s.slice(0, -DISCOVERY_SUFFIX.length);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`--issuer "${issuer}" is not a URL.`, { fix: 'Pass the tenant issuer, e.g. --issuer https://my-tenant.us.auth0.com/' });
  }
  if (!isSecureTransportUrl(u)) {
    throw new UsageError(`--issuer ${issuer} is not https.`, { fix: 'Auth0 issuers are https://{tenant}/ (or your custom domain).' });
  }
  return s.endsWith('/') ? s : `${s}/`;
}

/** Lifetimes outside Auth0's ranges are a usage error naming the flag. */
export function validateLifetimes(l: AppRequest['lifetimes']): void {
  for (const key of Object.keys(AUTH0_LIFETIME_LIMITS) as Array<keyof typeof AUTH0_LIFETIME_LIMITS>) {
    const lim = AUTH0_LIFETIME_LIMITS[key];
    const v = l[key];
    if (!Number.isInteger(v) || v < lim.min || v > lim.max) {
      throw new UsageError(`${lim.flag} ${v} s is outside Auth0's range for the ${lim.what}: ${lim.min} to ${lim.max} s.`, {
        fix: `Pass ${lim.flag} with a value up to ${lim.max >= 86400 ? `${Math.floor(lim.max / 86400)}d` : `${lim.max}s`}.`,
      });
    }
  }
}

export type ManagementCredentials = { kind: 'client'; clientId: string; clientSecret: string } | { kind: 'token'; token: string };

const SCOPE_LIST =
  'create:clients, read:clients, delete:clients, create:resource_servers, read:resource_servers, delete:resource_servers (+ read:tenant_settings, update:tenant_settings for --auth0-set-default-audience; read:roles, read:actions, create:actions, update:actions, delete:actions for --allow-group; update:resource_servers for --require-scope)';

/** Client credentials (preferred: they renew themselves) or a Management API token, from the environment only. */
export function managementCredentials(env: NodeJS.ProcessEnv): ManagementCredentials {
  const id = env[AUTH0_ENV.clientId]?.trim();
  const secret = env[AUTH0_ENV.clientSecret]?.trim();
  const token = env[AUTH0_ENV.token]?.trim();
  if (id && secret) return { kind: 'client', clientId: id, clientSecret: secret };
  if (token) return { kind: 'token', token };
  if (id || secret) {
    const [has, lacks] = id ? [AUTH0_ENV.clientId, AUTH0_ENV.clientSecret] : [AUTH0_ENV.clientSecret, AUTH0_ENV.clientId];
    throw new CliError(`${has} is set but ${lacks} is not: Auth0 management credentials need both.`, {
      code: 'missing_credentials',
      fix: `Export ${lacks} too (the Machine-to-Machine app's ${lacks === AUTH0_ENV.clientId ? 'Client ID' : 'Client Secret'}), or use ${AUTH0_ENV.token} instead.`,
    });
  }
  throw new CliError(`No Auth0 management credentials: set ${AUTH0_ENV.clientId} and ${AUTH0_ENV.clientSecret}, or ${AUTH0_ENV.token}.`, {
    code: 'missing_credentials',
    fix: `Create a Machine-to-Machine application authorized for the Auth0 Management API with the scopes ${SCOPE_LIST}, then export ${AUTH0_ENV.clientId}=... ${AUTH0_ENV.clientSecret}=... (or ${AUTH0_ENV.token}=<a Management API token>). Credentials are never accepted as flags.`,
  });
}

function grantFix(creds: ManagementCredentials | undefined, scopes: string[]): string {
  const list = scopes.join(', ');
  if (creds?.kind === 'client') {
    return `Grant ${list} to the Machine-to-Machine app ${creds.clientId}: Auth0 Dashboard > Applications > APIs > Auth0 Management API > Machine To Machine Applications, expand the app, tick ${list}, Update; then run again.`;
  }
  return `Use a Management API token that has ${list} (${AUTH0_ENV.token}), or a Machine-to-Machine app that has them (${AUTH0_ENV.clientId} + ${AUTH0_ENV.clientSecret}).`;
}

/** A claims-only look at a JWT (the Management token's scope, aud, exp): never verified, never printed. */
const jwtPayload = (token: string) => decodeJwtClaims(token)?.payload;

function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

function bodyMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error_description === 'string') return b.error_description;
    if (typeof b.error === 'string') return b.error;
  }
  if (typeof body === 'string' && body) return body.slice(0, 200);
  return err instanceof Error ? err.message : String(err);
}

function secondsToWait(err: unknown): number {
  const headers = (err as { rawResponse?: { headers?: Headers } }).rawResponse?.headers;
  const retryAfter = headers?.get?.('retry-after');
  if (retryAfter && /^\d+$/.test(retryAfter.trim())) return Math.max(1, Number(retryAfter));
  const reset = headers?.get?.('x-ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(1, Number(reset) - Math.floor(Date.now() / 1000));
  return 60;
}

/** An SDK (or fetch) failure as one readable CliError: 401, 403 naming the missing scope, 429 with the wait. */
export function managementError(err: unknown, what: string, scopes: ScopeGroup, creds?: ManagementCredentials): CliError {
  if (err instanceof CliError) return err;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (cause instanceof CliError) return cause;
  const status = statusOf(err);
  const msg = bodyMessage(err);
  if (status === 401) {
    return new CliError(`Auth0 refused the management token while trying to ${what} (HTTP 401: ${msg}).`, {
      code: 'auth0_unauthorized',
      fix:
        creds?.kind === 'token'
          ? `${AUTH0_ENV.token} may have expired or belong to another tenant: get a new one, or use ${AUTH0_ENV.clientId} + ${AUTH0_ENV.clientSecret}.`
          : `Check ${AUTH0_ENV.clientId}, ${AUTH0_ENV.clientSecret} and ${AUTH0_ENV.domain} (the tenant the app belongs to).`,
    });
  }
  if (status === 403) {
    const named = /expected (?:any of|all of)?:?\s*([a-z_:,\s]+)/i.exec(msg)?.[1]?.split(/[\s,]+/).filter((s) => s.includes(':'));
    const missing = named?.length ? named : [...scopes];
    return new CliError(`Auth0 refused to ${what}: the management credentials lack the scope ${missing.join(' or ')} (HTTP 403: ${msg}).`, {
      code: 'forbidden',
      fix: grantFix(creds, named?.length ? [named[0]!] : [scopes[0]!]),
    });
  }
  if (status === 429) {
    const wait = secondsToWait(err);
    return new CliError(`Auth0 rate limited the request to ${what} (HTTP 429).`, { code: 'rate_limited', fix: `Rate limited: wait ${wait} s and run the command again.` });
  }
  if (status !== undefined) {
    return new CliError(`Auth0 refused to ${what} (HTTP ${status}: ${msg}).`, { code: `auth0_http_${status}` });
  }
  const name = (err as Error | undefined)?.name;
  if (name === 'ManagementTimeoutError') return new CliError(`Auth0 did not answer in time while trying to ${what}.`, { code: 'timeout', fix: 'Check the network, or raise AGENTCORE_AUTH_HTTP_TIMEOUT_MS.' });
  return new CliError(`Could not ${what} at Auth0: ${msg}`, { code: 'auth0_error', cause: err });
}

export interface Auth0AdapterOptions {
  /** Tenant domain (flag --auth0-domain); else AUTH0_DOMAIN; else the --issuer host. */
  domain?: string;
  /** Generic --issuer: a custom domain's issuer (tokens' iss); default https://{domain}/. */
  issuer?: string;
  /** Generic --audience: the API identifier to create or reuse instead of the gateway URL. */
  audience?: string;
  /** --auth0-set-default-audience: consent to change the tenant's default_audience. */
  setDefaultAudience?: boolean;
  /** --auth0-rfc9068: token_dialect rfc9068_profile, rule with allowedClients. */
  rfc9068?: boolean;
}

export interface Auth0SetupContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  prompter?: Prompter;
}

/** Status of the synthetic response that stands for a transport failure (see management()). */
const TRANSPORT_FAILURE = 599;

interface Management {
  mc: ManagementClient;
  creds: ManagementCredentials;
  transport: { error?: CliError };
}

interface ClientShape {
  client_id?: string;
  callbacks?: string[];
  grant_types?: string[];
}
interface ApiShape {
  id?: string;
  identifier?: string;
  name?: string;
  signing_alg?: string;
  allow_offline_access?: boolean;
  token_dialect?: string;
  token_lifetime?: number;
}

const OPAQUE_EXPLANATION = [
  'Auth0 issues an opaque access token (not a JWT) whenever the sign-in does not name an API audience; the gateway can only validate JWTs, so such tokens get HTTP 401.',
  'This setup creates an Auth0 API whose identifier is the gateway URL, and the sign-in must ask for it: either the MCP client entry asks (mcp-remote --authorize-param audience=<identifier>), or the tenant\'s default audience is set to it.',
];

export async function createAuth0Adapter(opts: Auth0AdapterOptions, setup: Auth0SetupContext): Promise<IdpAdapter> {
  const configuredIssuer = opts.issuer ? normaliseAuth0Issuer(opts.issuer) : undefined;
  let domain: string | undefined = opts.domain
    ? normaliseDomain(opts.domain, '--auth0-domain')
    : setup.env[AUTH0_ENV.domain]?.trim()
      ? normaliseDomain(setup.env[AUTH0_ENV.domain]!, AUTH0_ENV.domain)
      : configuredIssuer
        ? new URL(configuredIssuer).host
        : undefined;
  if (!domain && setup.prompter) {
    // init: flag, env, prompt when interactive, else a usage error naming --auth0-domain and AUTH0_DOMAIN.
    const answer = await setup.prompter.ask({
      flag: '--auth0-domain',
      envVar: AUTH0_ENV.domain,
      message: 'Auth0 tenant domain (e.g. my-tenant.us.auth0.com):',
      validate: (v) => {
        try {
          normaliseDomain(v, '--auth0-domain');
          return true;
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    domain = normaliseDomain(answer, '--auth0-domain');
  }
  const issuer = configuredIssuer ?? (domain ? auth0Issuer(domain) : undefined);
  const dialectWanted = opts.rfc9068 ? 'rfc9068_profile' : 'access_token';

  // The default-audience consent, decided in preflight (asked there when interactive); createApp follows it.
  let defaultAudienceConsent: boolean | undefined = opts.setDefaultAudience ? true : undefined;
  let explained = false;
  const tokenCache = new Map<string, { token: string; until: number }>();

  const noDomain = () =>
    new CliError('The Auth0 tenant is unknown.', {
      code: 'missing_domain',
      fix: `Set ${AUTH0_ENV.domain}=my-tenant.us.auth0.com (or pass --auth0-domain).`,
    });

  /** The tenant an app lives in: the one recorded at creation; a different configured tenant is refused. */
  const domainFor = (app?: AppRecord): string => {
    const recorded = app?.extras.domain;
    if (recorded && domain && recorded !== domain) {
      throw new CliError(`This setup's Auth0 app is in tenant ${recorded}, but ${AUTH0_ENV.domain}/--auth0-domain says ${domain}.`, {
        code: 'tenant_mismatch',
        fix: `Set ${AUTH0_ENV.domain}=${recorded} and that tenant's management credentials, then run again.`,
      });
    }
    const d = recorded ?? domain;
    if (!d) throw noDomain();
    return d;
  };

  const explain = (logger: Logger) => {
    if (explained) return;
    explained = true;
    for (const l of OPAQUE_EXPLANATION) logger.info(l);
  };

  /** A Management API access token: the client-credentials grant (cached until a minute before exp), or AUTH0_TOKEN. */
  async function managementToken(ctx: Pick<AdapterContext, 'logger' | 'timeoutMs'>, d: string, creds: ManagementCredentials): Promise<string> {
    if (creds.kind === 'token') return creds.token;
    const key = `${d}\u0000${creds.clientId}`;
    const hit = tokenCache.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    const url = `${auth0Origin(d)}/oauth/token`;
    const res = await httpFetch(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: creds.clientId, client_secret: creds.clientSecret, audience: managementAudience(d) }).toString(),
      },
      // A client-credentials grant changes nothing at Auth0: safe to repeat.
      { timeoutMs: ctx.timeoutMs, logger: ctx.logger, purpose: 'getting an Auth0 Management API token', retry: 'idempotent' },
    );
    const body = await readJsonBody(res);
    if (!res.ok) {
      const detail = [body?.error, body?.error_description].filter((x) => typeof x === 'string' && x).join(': ') || `HTTP ${res.status}`;
      if (res.status === 401) {
        throw new CliError(`Auth0 refused the client credentials in ${AUTH0_ENV.clientId} / ${AUTH0_ENV.clientSecret} (HTTP 401: ${detail}).`, {
          code: 'auth0_unauthorized',
          fix: `Check both values (Applications > your Machine-to-Machine app > Settings) and ${AUTH0_ENV.domain}=${d} (the tenant they belong to).`,
        });
      }
      if (res.status === 403) {
        throw new CliError(`Auth0 will not give the app ${creds.clientId} a Management API token (HTTP 403: ${detail}).`, {
          code: 'forbidden',
          fix: `Authorize it: Auth0 Dashboard > Applications > APIs > Auth0 Management API > Machine To Machine Applications, enable ${creds.clientId} with the scopes ${SCOPE_LIST}.`,
        });
      }
      throw new CliError(`Auth0's token endpoint ${url} answered HTTP ${res.status} (${detail}).`, { code: `auth0_http_${res.status}` });
    }
    const token = body?.access_token;
    if (typeof token !== 'string' || !token) throw new CliError(`Auth0's token endpoint ${url} returned no access_token.`, { code: 'auth0_bad_token_response' });
    const expiresIn = typeof body?.expires_in === 'number' ? body.expires_in : 3600;
    tokenCache.set(key, { token, until: Date.now() + Math.max(0, expiresIn - 60) * 1000 });
    return token;
  }

  /**
   * The SDK, loaded on first use, with every request sent through httpFetch (http for a loopback tenant).
   * A transport failure (timeout, refused connection, 429 after retries) is handed back to the SDK as a synthetic
   * HTTP 599 and kept aside, because the SDK leaves its own per-request timer running when fetch throws (which
   * would hold the process open for the whole timeout); call/find then rethrow the kept CliError.
   */
  async function management(ctx: AdapterContext, d: string): Promise<Management> {
    const creds = managementCredentials(ctx.env);
    const { ManagementClient } = await import('auth0');
    const origin = auth0Origin(d);
    const transport: { error?: CliError } = {};
    const sdkFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const url = raw.startsWith(`https://${d}/`) ? `${origin}/${raw.slice(`https://${d}/`.length)}` : raw;
      try {
        if (!url.startsWith(`${origin}/`)) {
          // The management token goes to the tenant and nowhere else.
          throw new CliError(`Refusing to send an Auth0 management request to ${url} (not ${origin}).`, { code: 'auth0_error' });
        }
        return await httpFetch(url, init ?? {}, {
          timeoutMs: ctx.timeoutMs,
          logger: ctx.logger,
          purpose: 'Auth0 Management API',
          unknownOutcomeFix: 'Check the Auth0 Dashboard (Applications, and Applications > APIs) for what this run may have created, then run again or delete it there.',
        });
      } catch (err) {
        transport.error = err instanceof CliError ? err : new CliError(`Auth0 Management API request to ${url} failed: ${(err as Error)?.message ?? String(err)}`, { code: 'network', cause: err });
        return new Response(null, { status: TRANSPORT_FAILURE });
      }
    }) as typeof fetch;
    const mc = new ManagementClient({
      domain: d,
      token: () => managementToken(ctx, d, creds),
      fetch: sdkFetch,
      maxRetries: 0, // httpFetch retries
      // httpFetch owns timeouts and retries (at most ~4 attempts within 30 s); the SDK's own timer only backstops it.
      timeoutInSeconds: Math.ceil((4 * (httpTimeoutOverride(ctx.env) ?? ctx.timeoutMs)) / 1000) + 35,
    });
    return { mc, creds, transport };
  }

  /** The kept transport failure for a synthetic 599, else the SDK error as a readable CliError. */
  const failure = (m: Management, err: unknown, what: string, scopes: ScopeGroup): CliError => {
    if (statusOf(err) === TRANSPORT_FAILURE && m.transport.error) {
      const e = m.transport.error;
      m.transport.error = undefined;
      return e;
    }
    return managementError(err, what, scopes, m.creds);
  };

  async function call<T>(m: Management, what: string, scopes: ScopeGroup, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw failure(m, err, what, scopes);
    }
  }

  /** Like call, but HTTP 404 gives null. */
  async function find<T>(m: Management, what: string, scopes: ScopeGroup, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw failure(m, err, what, scopes);
    }
  }

  const S = MANAGEMENT_SCOPES;

  // Who may use the gateway (issue 13): a Post-Login Action for roles, RBAC permissions on the API (access.ts).
  const access = auth0Access({
    async session(ctx, app) {
      const m = await management(ctx, domainFor(app));
      return {
        mc: m.mc,
        call: (what, scopes, fn) => call(m, what, scopes, fn),
        find: (what, scopes, fn) => find(m, what, scopes, fn),
      };
    },
    async grantedScopes(ctx) {
      const token = await managementToken(ctx, domainFor(), managementCredentials(ctx.env));
      const scope = jwtPayload(token)?.scope;
      return typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : undefined;
    },
  });

  const adapter: IdpAdapter = {
    id: 'auth0',
    displayName: 'Auth0',
    requiresResource: true,
    ...access,

    tokenProfile(app): TokenProfile {
      const iss = app?.issuer ?? issuer;
      if (!iss) throw noDomain();
      return {
        provider: 'auth0',
        issuer: iss,
        discoveryUrl: discoveryUrlForIssuer(iss),
        audienceClaim: 'aud',
        // Auth0 profile: the client is in azp; RFC 9068 profile: in client_id (no azp).
        clientClaim: opts.rfc9068 ? 'client_id' : 'azp',
        scopeClaim: 'scope',
      };
    },

    recommendedAuthorizer(app, o): CustomJwtAuthorizer {
      const identifier = app.extras.identifier ?? opts.audience ?? o.resource ?? AUDIENCE_PLACEHOLDER;
      const dialect = app.extras.tokenDialect ?? dialectWanted;
      if (dialect.startsWith('rfc9068')) {
        // RFC 9068 tokens carry client_id, which AgentCore's allowedClients reads.
        return { discoveryUrl: app.discoveryUrl, allowedAudience: [identifier], allowedClients: [app.clientId] };
      }
      return recommendedRule('auth0', { discoveryUrl: app.discoveryUrl, clientId: app.clientId, audience: identifier });
    },

    clientRequirements(app, o): ClientRequirements {
      const scopes = o.scopes.length ? o.scopes : DEFAULT_SCOPES;
      const identifier = app.extras.identifier ?? opts.audience ?? o.resource;
      // The tenant's default audience (set with consent) already makes every token carry it.
      if (app.extras.defaultAudience === 'set' || !identifier) return { scopes, mcpRemoteArgs: [] };
      return { scopes, mcpRemoteArgs: ['--authorize-param', `audience=${identifier}`] };
    },

    checkLifetimes: validateLifetimes,
    async preflight(ctx) {
      const d = domainFor();
      const creds = managementCredentials(ctx.env);
      const iss = issuer!;

      // The tenant exists and names itself exactly as the gateway will expect (https://{tenant}/, trailing slash).
      const discoveryUrl = discoveryUrlForIssuer(iss);
      let doc: { issuer?: unknown };
      try {
        doc = await getJson<{ issuer?: unknown }>(discoveryUrl, { timeoutMs: ctx.timeoutMs, logger: ctx.logger, purpose: 'reading the Auth0 tenant\'s discovery document' });
      } catch (err) {
        const e = err as CliError;
        throw new CliError(e.message, { code: e.code ?? 'network', fix: e.fix ?? `Check ${AUTH0_ENV.domain} (${d}): it must be the tenant's domain, e.g. my-tenant.us.auth0.com.`, cause: err });
      }
      if (doc.issuer !== iss) {
        throw new CliError(`The discovery document at ${discoveryUrl} says issuer ${JSON.stringify(doc.issuer)}, not "${iss}".`, {
          code: 'issuer_mismatch',
          fix: configuredIssuer ? `Pass --issuer ${String(doc.issuer)} exactly (the trailing slash matters).` : `Check ${AUTH0_ENV.domain}; with a custom domain also pass --issuer https://<custom domain>/.`,
        });
      }

      // Whether the tenant's default audience may be changed: only with consent.
      explain(ctx.logger);
      if (defaultAudienceConsent === undefined) {
        if (ctx.prompter?.interactive) {
          const choice = await ctx.prompter.ask<'client' | 'tenant'>({
            flag: '--auth0-set-default-audience',
            message: 'How should sign-ins ask for the gateway\'s API audience?',
            choices: [
              { value: 'client', name: 'Only this MCP client asks for it (recommended: changes nothing else in the tenant)' },
              {
                value: 'tenant',
                name: 'Make it the tenant\'s default audience (TENANT-WIDE: every app that names no audience then gets tokens for this gateway; restored on cleanup)',
              },
            ],
            default: 'client',
          });
          defaultAudienceConsent = choice === 'tenant';
        } else defaultAudienceConsent = false;
      }

      // Credentials: a token now (client credentials), then its scopes, aud and expiry, before anything is made.
      const token = await managementToken(ctx, d, creds);
      const claims = jwtPayload(token);
      if (claims) {
        const src = creds.kind === 'token' ? AUTH0_ENV.token : `the token for ${creds.clientId}`;
        if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
          throw new CliError(`${src} expired at ${new Date(claims.exp * 1000).toISOString()}.`, {
            code: 'auth0_unauthorized',
            fix: `Get a new Management API token, or use ${AUTH0_ENV.clientId} + ${AUTH0_ENV.clientSecret} (they renew themselves).`,
          });
        }
        const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.map(String) : undefined;
        if (aud && !aud.includes(managementAudience(d))) {
          throw new CliError(`${src} is for ${aud.join(', ')}, not this tenant's Management API (${managementAudience(d)}).`, {
            code: 'auth0_unauthorized',
            fix: `Use a token for ${managementAudience(d)} (Auth0 Dashboard > Applications > APIs > Auth0 Management API), or check ${AUTH0_ENV.domain}.`,
          });
        }
        if (typeof claims.scope === 'string') {
          const missing = missingScopes(claims.scope.split(/\s+/).filter(Boolean), requiredScopeGroups({ setDefaultAudience: defaultAudienceConsent }));
          if (missing.length) {
            throw new CliError(`The Auth0 management credentials lack the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`, {
              code: 'forbidden',
              fix: grantFix(creds, missing),
            });
          }
        }
      }
    },

    async createApp(ctx, req): Promise<AppRecord> {
      validateLifetimes(req.lifetimes);
      const identifier = opts.audience ?? req.resource;
      if (!identifier) {
        throw new UsageError('Auth0 needs the gateway URL to name its API after it, and none was given.', {
          fix: 'Run init with --gateway ID or --create-gateway NAME (the flow passes the gateway URL), or pass --audience <API identifier>.',
        });
      }
      const d = domainFor();
      const iss = issuer!;
      const m = await management(ctx, d);
      const { mc } = m;
      explain(ctx.logger);
      const setDefault = defaultAudienceConsent ?? false;

      // 1. The API (resource server). An API with this identifier may exist already (an earlier interrupted run, or
      //    the user's own): reuse it; delete it at cleanup only when it carries this setup's name.
      const apiName = req.name.replace(/[<>]/g, '').slice(0, 200) || 'agentcore-auth';
      let api: ApiShape;
      let owned = true;
      try {
        api = (await mc.resourceServers.create({
          name: apiName,
          identifier,
          signing_alg: 'RS256',
          token_lifetime: req.lifetimes.accessTokenSeconds,
          allow_offline_access: true,
          skip_consent_for_verifiable_first_party_clients: true,
          token_dialect: dialectWanted,
        })) as ApiShape;
        ctx.logger.success(`Created Auth0 API "${apiName}" (identifier ${identifier})`);
      } catch (err) {
        if (statusOf(err) !== 409) throw failure(m, err, `create the API ${identifier}`, S.createApi);
        const existing = await find(m, `read the API ${identifier}`, S.readApi, () => mc.resourceServers.get(identifier) as Promise<ApiShape>);
        if (!existing) throw failure(m, err, `create the API ${identifier}`, S.createApi);
        api = existing;
        owned = existing.name === apiName;
        if (api.signing_alg && api.signing_alg !== 'RS256' && api.signing_alg !== 'PS256') {
          throw new CliError(`The Auth0 API ${identifier} already exists and signs its tokens with ${api.signing_alg}: the gateway can only check RS256/PS256 signatures through the tenant's JWKS.`, {
            code: 'auth0_api_unusable',
            fix: `Switch that API to RS256 (Auth0 Dashboard > Applications > APIs > ${api.name ?? identifier} > Settings), or delete it, then run again.`,
          });
        }
        ctx.logger.warn(`An Auth0 API with identifier ${identifier} already exists ("${api.name ?? ''}"): using it${owned ? ' (it has this setup\'s name, so cleanup deletes it)' : '; cleanup leaves it in place'}.`);
        if (api.allow_offline_access === false) ctx.logger.warn(`That API does not allow offline access: Auth0 will issue no refresh tokens, so users sign in again every ${api.token_lifetime ?? 'token lifetime in'} s. Enable "Allow Offline Access" on it to fix this.`);
        if ((api.token_dialect ?? 'access_token').startsWith('rfc9068') !== dialectWanted.startsWith('rfc9068')) {
          ctx.logger.warn(`That API issues ${api.token_dialect ?? 'access_token'} tokens: the gateway rule follows its dialect.`);
        }
      }
      const apiId = api.id ?? identifier;
      const undoApi = async () => {
        if (!owned) return;
        await mc.resourceServers.delete(apiId).catch((e: unknown) => {
          ctx.logger.warn(`Could not delete the Auth0 API ${identifier} after the failure (${failure(m, e, 'delete it', S.deleteApi).message}): delete it in the Auth0 Dashboard (Applications > APIs).`);
        });
      };

      // 2. The native public client.
      let client: ClientShape;
      try {
        client = (await call(m, `create the application "${req.name}"`, S.createClient, () =>
          mc.clients.create({
            name: req.name,
            description: 'Public OAuth client for an Amazon Bedrock AgentCore gateway (made by agentcore-auth)',
            app_type: 'native',
            token_endpoint_auth_method: 'none',
            grant_types: ['authorization_code', 'refresh_token'],
            callbacks: req.redirectUris,
            oidc_conformant: true,
            is_first_party: true,
            jwt_configuration: { alg: 'RS256', lifetime_in_seconds: req.lifetimes.idTokenSeconds },
            refresh_token: {
              rotation_type: 'rotating',
              expiration_type: 'expiring',
              token_lifetime: req.lifetimes.refreshTokenSeconds,
              infinite_token_lifetime: false,
              idle_token_lifetime: req.lifetimes.refreshTokenSeconds,
              infinite_idle_token_lifetime: false,
              leeway: 0,
            },
            client_metadata: { created_by: 'agentcore-auth' },
          }),
        )) as ClientShape;
      } catch (err) {
        await undoApi();
        throw err;
      }
      const clientId = client.client_id;
      if (!clientId) {
        await undoApi();
        throw new CliError('Auth0 created the application but returned no client_id.', { code: 'auth0_error', fix: `Delete the application "${req.name}" in the Auth0 Dashboard, then run again.` });
      }
      ctx.logger.success(`Created Auth0 application "${req.name}" (${clientId}): native, public (no secret), authorization code + refresh token`);

      const extras: Record<string, string> = {
        domain: d,
        identifier,
        resourceServerId: apiId,
        resourceServerOwned: String(owned),
        tokenDialect: api.token_dialect ?? dialectWanted,
      };

      // 3. The tenant's default audience, only with consent; the previous value is kept for cleanup.
      if (setDefault) {
        try {
          const settings = (await call(m, 'read the tenant settings', S.readTenant, () => mc.tenants.settings.get({ fields: 'default_audience', include_fields: true }))) as {
            default_audience?: string;
          };
          const previous = settings.default_audience ?? '';
          if (previous === identifier) {
            // Already so before this setup: nothing to change, nothing for cleanup to restore.
            ctx.logger.info(`The tenant's default audience is already ${identifier}.`);
          } else {
            await call(m, 'set the tenant\'s default audience', S.updateTenant, () => mc.tenants.settings.update({ default_audience: identifier }));
            extras.defaultAudience = 'set';
            extras.previousDefaultAudience = previous;
            ctx.logger.warn(`Set the tenant's default audience to ${identifier} (it was ${previous ? `"${previous}"` : 'empty'}; cleanup restores it).`);
          }
        } catch (err) {
          await mc.clients.delete(clientId).catch(() => ctx.logger.warn(`Could not delete application ${clientId} after the failure: delete it in the Auth0 Dashboard.`));
          await undoApi();
          throw err;
        }
      } else {
        ctx.logger.info(`The MCP client entry asks for audience ${identifier} (mcp-remote --authorize-param); the tenant's default audience is left as it is.`);
      }

      return { provider: 'auth0', clientId, issuer: iss, discoveryUrl: discoveryUrlForIssuer(iss), extras };
    },

    async describeApp(ctx, app) {
      const d = domainFor(app);
      const m = await management(ctx, d);
      const { mc } = m;
      const c = (await find(m, `read application ${app.clientId}`, S.readClient, () =>
        mc.clients.get(app.clientId, { fields: 'client_id,callbacks,grant_types', include_fields: true }),
      )) as ClientShape | null;
      if (!c) return null;
      const apiId = app.extras.resourceServerId;
      if (apiId) {
        const api = await find(m, `read the API ${app.extras.identifier ?? apiId}`, S.readApi, () => mc.resourceServers.get(apiId)).catch(() => undefined);
        if (api === null) ctx.logger.warn(`The Auth0 API ${app.extras.identifier ?? apiId} is gone: sign-ins now get opaque tokens the gateway refuses. Run \`agentcore-auth cleanup\` and init again.`);
      }
      return { clientId: c.client_id ?? app.clientId, redirectUris: c.callbacks ?? [], grantTypes: c.grant_types ?? [] };
    },

    async updateRedirectUris(ctx, app, redirectUris) {
      const d = domainFor(app);
      const m = await management(ctx, d);
      const { mc } = m;
      const c = await find(m, `read application ${app.clientId}`, S.readClient, () => mc.clients.get(app.clientId, { fields: 'client_id', include_fields: true }));
      if (!c) throw new CliError(`Auth0 application ${app.clientId} no longer exists.`, { code: 'not_found', fix: 'Run init again: it creates a new application.' });
      // PATCH changes only the fields it names: the callbacks.
      await call(m, `change the callback URL of application ${app.clientId}`, S.updateClient, () => mc.clients.update(app.clientId, { callbacks: redirectUris }));
      return app;
    },

    async deleteApp(ctx, app) {
      const d = domainFor(app);
      const m = await management(ctx, d);
      const { mc } = m;
      let changed = false;
      const identifier = app.extras.identifier;

      // 1. The tenant's default audience back to what it was, while the API still exists.
      if (app.extras.defaultAudience === 'set' && identifier) {
        const settings = (await call(m, 'read the tenant settings', S.readTenant, () => mc.tenants.settings.get({ fields: 'default_audience', include_fields: true }))) as {
          default_audience?: string;
        };
        const previous = app.extras.previousDefaultAudience ?? '';
        if (settings.default_audience === identifier) {
          await call(m, 'restore the tenant\'s default audience', S.updateTenant, () => mc.tenants.settings.update({ default_audience: previous }));
          ctx.logger.success(`Restored the tenant's default audience to ${previous ? `"${previous}"` : 'empty'}`);
          changed = true;
        } else {
          ctx.logger.warn(`The tenant's default audience is now ${settings.default_audience ? `"${settings.default_audience}"` : 'empty'}, not this setup's API: changed by someone else since init, so left as it is.`);
        }
      }

      // 2. The application. (Auth0 answers 204 to a DELETE of an unknown id, so look first.)
      const c = await find(m, `read application ${app.clientId}`, S.readClient, () => mc.clients.get(app.clientId, { fields: 'client_id', include_fields: true }));
      if (c) {
        await call(m, `delete application ${app.clientId}`, S.deleteClient, () => mc.clients.delete(app.clientId));
        changed = true;
      }

      // 3. The API, when this setup made it.
      const apiId = app.extras.resourceServerId;
      if (apiId && app.extras.resourceServerOwned !== 'false') {
        const api = await find(m, `read the API ${identifier ?? apiId}`, S.readApi, () => mc.resourceServers.get(apiId));
        if (api) {
          await call(m, `delete the API ${identifier ?? apiId}`, S.deleteApi, () => mc.resourceServers.delete(apiId));
          changed = true;
        }
      } else if (apiId) {
        ctx.logger.info(`Left the Auth0 API ${identifier ?? apiId} in place: it existed before this setup.`);
      }
      return changed ? 'deleted' : 'gone';
    },

    async revoke(ctx, app, tokens): Promise<RevokeResult> {
      const result: RevokeResult = { revoked: [], notRevoked: [] };
      if (tokens.accessToken) {
        result.notRevoked.push({ what: 'access_token', why: 'Auth0 revokes refresh tokens only; access tokens stay valid until they expire (exp)', unsupported: true });
      }
      if (!tokens.refreshToken) return result;
      const base = app.issuer.endsWith('/') ? app.issuer : `${app.issuer}/`;
      const endpoint = new URL('oauth/revoke', base).href;
      const res = await httpFetch(
        endpoint,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ client_id: app.clientId, token: tokens.refreshToken }),
        },
        // Revoking a revoked or unknown token answers 200 (RFC 7009): safe to repeat.
        { timeoutMs: ctx.timeoutMs, logger: ctx.logger, purpose: 'token revocation', retry: 'idempotent' },
      );
      const body = await readJsonBody(res);
      if (res.ok) result.revoked.push('refresh_token');
      else {
        const detail = [body?.error, body?.error_description].filter((x) => typeof x === 'string' && x).join(': ');
        result.notRevoked.push({ what: 'refresh_token', why: `${endpoint} answered HTTP ${res.status}${detail ? ` (${detail})` : ''}` });
      }
      return result;
    },
  };
  return adapter;
}
