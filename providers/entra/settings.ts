/**
 * Microsoft Entra ID settings: which tenant, which cloud (authority host and Graph), which admin sign-in, out of
 * the provider options (flags or journal) and the environment. Pure: no I/O, no SDK, so it can be unit-tested
 * and loaded cheaply.
 *
 * Environment:
 *   AZURE_TENANT_ID                      tenant (id or domain), unless --entra-tenant or --issuer names it
 *   AZURE_CLIENT_ID + AZURE_CLIENT_SECRET   client credentials of an admin app (application permissions), or
 *   AZURE_CLIENT_ID + AZURE_CLIENT_CERTIFICATE_PATH (PEM: certificate + private key; optional
 *                                        AZURE_CLIENT_CERTIFICATE_PASSWORD for an encrypted key)
 *   AGENTCORE_AUTH_ENTRA_DEVICE_CODE=1   sign in with the device code flow (cleanup/status have no --entra-device-code)
 *   AGENTCORE_AUTH_ENTRA_REVOKE_SESSIONS=1  at cleanup, also revoke the signed-in user's sessions
 *   AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST  host[:port] of the login authority instead of login.microsoftonline.com
 *                                        (https only; for tests against a local stand-in)
 *   AGENTCORE_AUTH_GRAPH_URL             Microsoft Graph base URL instead of https://graph.microsoft.com/v1.0
 *                                        (https only; for tests against a local stand-in)
 */
import { UsageError } from '../../src/core/errors.js';
import { DISCOVERY_SUFFIX, ENTRA_MULTI_TENANT, isGuid } from '../profiles.js';
import type { ProviderOptions } from '../types.js';

export const ENTRA_ENV = {
  tenant: 'AZURE_TENANT_ID',
  clientId: 'AZURE_CLIENT_ID',
  clientSecret: 'AZURE_CLIENT_SECRET',
  certificatePath: 'AZURE_CLIENT_CERTIFICATE_PATH',
  certificatePassword: 'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  deviceCode: 'AGENTCORE_AUTH_ENTRA_DEVICE_CODE',
  revokeSessions: 'AGENTCORE_AUTH_ENTRA_REVOKE_SESSIONS',
  authorityHost: 'AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST',
  graphUrl: 'AGENTCORE_AUTH_GRAPH_URL',
} as const;

/**
 * The public client used for the admin's device code sign-in when neither --entra-admin-client-id nor
 * AZURE_CLIENT_ID names one: Microsoft Graph Command Line Tools (the client Microsoft Graph PowerShell uses),
 * which allows the device code flow and asks for Graph permissions with dynamic consent.
 */
export const GRAPH_COMMAND_LINE_TOOLS_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';

/** The scope the app exposes, and that the MCP client asks for (api://{appId}/access_as_user). */
export const API_SCOPE_NAME = 'access_as_user';
/** OIDC scopes asked for next to the API scope. */
export const CLIENT_OIDC_SCOPES = ['openid', 'profile', 'offline_access'];

/** Entra's refresh tokens live 90 days and cannot be configured (configurable refresh lifetimes were retired in 2021). */
export const FIXED_REFRESH_SECONDS = 90 * 86400;
/** AccessTokenLifetime: at least 10 minutes, less than 24 hours (Graph refuses "24:00:00"). */
export const ACCESS_LIFETIME_MIN_SECONDS = 600;
export const ACCESS_LIFETIME_MAX_SECONDS = 86399;

/** Login host -> Microsoft Graph of the same cloud. */
const GRAPH_OF_CLOUD: Record<string, string> = {
  'login.microsoftonline.com': 'https://graph.microsoft.com',
  'login.microsoftonline.us': 'https://graph.microsoft.us',
  'login.partner.microsoftonline.cn': 'https://microsoftgraph.chinacloudapi.cn',
};
/** v1 token issuer host -> login host of the same cloud. */
const STS_HOSTS: Record<string, string> = {
  'sts.windows.net': 'login.microsoftonline.com',
  'sts.chinacloudapi.cn': 'login.partner.microsoftonline.cn',
};
export const DEFAULT_LOGIN_HOST = 'login.microsoftonline.com';

export interface EntraSettings {
  /** Tenant id (GUID) or verified domain, as given. Undefined outside init when nothing names it (the app record does). */
  tenant?: string;
  /** Where the tenant came from, for messages. */
  tenantSource?: string;
  /** host[:port] of the login authority. */
  authorityHost: string;
  /** True when AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST moved it (MSAL is then told the host is a known authority). */
  authorityOverridden: boolean;
  /** Graph base URL, no trailing slash: https://graph.microsoft.com/v1.0 */
  graphBase: string;
  /** The Graph resource admin tokens are asked for: https://graph.microsoft.com */
  graphResource: string;
  /** Device code sign-in asked for explicitly (flag or env). */
  deviceCode: boolean;
  /** --entra-admin-client-id */
  adminClientId?: string;
  skipLifetimePolicy: boolean;
  revokeSessions: boolean;
  /** Generic --audience: the API app whose id tokens carry in aud (default: this app). */
  audience?: string;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
const optStr = (o: ProviderOptions, k: string) => (typeof o[k] === 'string' && (o[k] as string).trim() ? (o[k] as string).trim() : undefined);

const DOMAIN = /^(?=.{4,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/** A tenant id (GUID) or a domain (contoso.onmicrosoft.com); multi-tenant authorities are refused. */
export function checkTenant(value: string, source: string): string {
  const t = value.trim();
  if (ENTRA_MULTI_TENANT.includes(t.toLowerCase())) {
    throw new UsageError(`${source} is "${t}", a multi-tenant authority: the gateway must trust the issuer of one tenant.`, {
      fix: 'Pass your directory (tenant) id, e.g. --entra-tenant 11111111-2222-3333-4444-555555555555 (Entra admin center > Overview).',
    });
  }
  if (!isGuid(t) && !DOMAIN.test(t)) {
    throw new UsageError(`${source} "${t}" is neither a tenant id (GUID) nor a domain.`, {
      fix: 'Pass the directory (tenant) id, or a verified domain such as contoso.onmicrosoft.com.',
    });
  }
  return t;
}

/** host[:port] from AGENTCORE_AUTH_ENTRA_AUTHORITY_HOST (a bare host, or an https:// URL whose host is taken). */
function authorityHostOverride(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[ENTRA_ENV.authorityHost]?.trim();
  if (!raw) return undefined;
  let host = raw;
  if (/^[a-z]+:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new UsageError(`${ENTRA_ENV.authorityHost} "${raw}" is not a URL or host.`);
    }
    if (u.protocol !== 'https:') throw new UsageError(`${ENTRA_ENV.authorityHost} must be https (MSAL refuses other authorities).`);
    host = u.host;
  }
  if (!/^([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d{1,5})?$/i.test(host)) throw new UsageError(`${ENTRA_ENV.authorityHost} "${raw}" is not a host[:port].`);
  return host.toLowerCase();
}

function graphBaseOverride(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env[ENTRA_ENV.graphUrl]?.trim();
  if (!raw) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${ENTRA_ENV.graphUrl} "${raw}" is not a URL.`, { fix: 'Unset it to use https://graph.microsoft.com/v1.0.' });
  }
  // The admin token goes there: never over plain http.
  if (u.protocol !== 'https:') throw new UsageError(`${ENTRA_ENV.graphUrl} must be an https URL (it receives the admin's Graph token).`);
  return raw.replace(/\/+$/, '');
}

export interface ParsedIssuer {
  tenant: string;
  host: string;
}

/**
 * The tenant and login host named by an Entra issuer or discovery URL: https://{host}/{tenant}/v2.0 (v2),
 * https://{host}/{tenant} (v1 authority) or https://sts.windows.net/{tenant}/ (v1 tokens). `extraHosts` are
 * accepted as login hosts too (the authority override). Undefined when the URL is not an Entra issuer.
 */
export function parseEntraIssuer(issuerOrDiscovery: string, extraHosts: string[] = []): ParsedIssuer | undefined {
  let u: URL;
  try {
    u = new URL(issuerOrDiscovery.endsWith(DISCOVERY_SUFFIX) ? issuerOrDiscovery.slice(0, -DISCOVERY_SUFFIX.length) : issuerOrDiscovery);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:') return undefined;
  const host = u.host.toLowerCase();
  const segs = u.pathname.split('/').filter(Boolean);
  const tenant = segs[0];
  if (!tenant) return undefined;
  if (STS_HOSTS[host]) return { tenant, host: STS_HOSTS[host]! };
  if (!GRAPH_OF_CLOUD[host] && !extraHosts.includes(host)) return undefined;
  if (segs.length > 2 || (segs[1] !== undefined && segs[1] !== 'v2.0')) return undefined;
  return { tenant, host };
}

/** The v2.0 issuer of a tenant at a login host (the gateway's discovery URL must carry /v2.0). */
export function v2Issuer(host: string, tenant: string): string {
  return `https://${host}/${tenant}/v2.0`;
}

export function resolveSettings(options: ProviderOptions, env: NodeJS.ProcessEnv, opts: { requireTenant: boolean }): EntraSettings {
  const override = authorityHostOverride(env);
  const issuerOpt = optStr(options, 'issuer');
  let fromIssuer: ParsedIssuer | undefined;
  if (issuerOpt) {
    fromIssuer = parseEntraIssuer(issuerOpt, override ? [override] : []);
    if (!fromIssuer) {
      throw new UsageError(`--issuer ${issuerOpt} is not a Microsoft Entra ID issuer.`, {
        fix: 'Pass https://login.microsoftonline.com/<tenant id>/v2.0, or leave --issuer out and pass --entra-tenant.',
      });
    }
  }
  let tenant: string | undefined;
  let tenantSource: string | undefined;
  const flagTenant = optStr(options, 'entra-tenant');
  if (flagTenant) {
    tenant = checkTenant(flagTenant, '--entra-tenant');
    tenantSource = '--entra-tenant';
    if (fromIssuer && fromIssuer.tenant.toLowerCase() !== tenant.toLowerCase()) {
      throw new UsageError(`--entra-tenant ${tenant} and --issuer ${issuerOpt} name different tenants.`, { fix: 'Pass one of them.' });
    }
  } else if (fromIssuer) {
    tenant = checkTenant(fromIssuer.tenant, '--issuer\'s tenant');
    tenantSource = '--issuer';
  } else if (env[ENTRA_ENV.tenant]?.trim()) {
    tenant = checkTenant(env[ENTRA_ENV.tenant]!, ENTRA_ENV.tenant);
    tenantSource = ENTRA_ENV.tenant;
  }
  if (!tenant && opts.requireTenant) {
    throw new UsageError('Which Microsoft Entra tenant? Nothing names it.', {
      fix: `Pass --entra-tenant <tenant id or domain> (or set ${ENTRA_ENV.tenant}, or pass --issuer https://login.microsoftonline.com/<tenant id>/v2.0).`,
    });
  }
  const authorityHost = override ?? fromIssuer?.host ?? DEFAULT_LOGIN_HOST;
  const graphResource = GRAPH_OF_CLOUD[authorityHost] ?? GRAPH_OF_CLOUD[DEFAULT_LOGIN_HOST]!;
  const adminClientId = optStr(options, 'entra-admin-client-id');
  if (adminClientId && !isGuid(adminClientId)) {
    throw new UsageError(`--entra-admin-client-id "${adminClientId}" is not an application (client) id (a GUID).`);
  }
  return {
    tenant,
    tenantSource,
    authorityHost,
    authorityOverridden: Boolean(override),
    graphBase: graphBaseOverride(env) ?? `${graphResource}/v1.0`,
    graphResource,
    deviceCode: options['entra-device-code'] === true || truthy(env[ENTRA_ENV.deviceCode]),
    adminClientId,
    skipLifetimePolicy: options['entra-skip-lifetime-policy'] === true,
    revokeSessions: options['entra-revoke-sessions'] === true || truthy(env[ENTRA_ENV.revokeSessions]),
    audience: optStr(options, 'audience'),
  };
}

/** "hh:mm:ss" as Entra's token lifetime policy definition wants it (hours below 24). */
export function formatLifetime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(h)}:${p(m)}:${p(s)}`;
}

function human(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

export interface LifetimePlan {
  /** AccessTokenLifetime for the policy ("01:00:00"): it covers access and ID tokens. */
  accessTokenLifetime: string;
  /** Plain-language notes to log (ID token follows the access token; refresh fixed at 90 days). */
  notes: string[];
}

/**
 * Checks the requested lifetimes against what Entra can do; a value it cannot honour is a usage error naming the flag.
 * Access (and ID) tokens: 10 min to 23:59:59. Refresh tokens: fixed at 90 days. ID tokens share the access lifetime.
 */
export function planLifetimes(l: { accessTokenSeconds: number; refreshTokenSeconds: number; idTokenSeconds: number }): LifetimePlan {
  if (l.accessTokenSeconds < ACCESS_LIFETIME_MIN_SECONDS || l.accessTokenSeconds > ACCESS_LIFETIME_MAX_SECONDS) {
    throw new UsageError(`--access-token-ttl ${human(l.accessTokenSeconds)} is outside what Microsoft Entra ID allows (10m to 23h59m59s).`, {
      fix: 'Pass e.g. --access-token-ttl 1h.',
    });
  }
  if (l.refreshTokenSeconds !== FIXED_REFRESH_SECONDS) {
    throw new UsageError(`--refresh-token-ttl ${human(l.refreshTokenSeconds)}: Microsoft Entra ID refresh tokens live 90 days and that cannot be configured.`, {
      fix: 'Leave --refresh-token-ttl out (or pass 90d). Shorten access instead with --access-token-ttl.',
    });
  }
  if (l.idTokenSeconds < ACCESS_LIFETIME_MIN_SECONDS || l.idTokenSeconds > ACCESS_LIFETIME_MAX_SECONDS) {
    throw new UsageError(`--id-token-ttl ${human(l.idTokenSeconds)} is outside what Microsoft Entra ID allows (10m to 23h59m59s).`, {
      fix: 'Pass e.g. --id-token-ttl 1h, or leave it out.',
    });
  }
  const notes = ['Microsoft Entra ID: refresh tokens live 90 days; that lifetime is fixed and cannot be configured.'];
  if (l.idTokenSeconds !== l.accessTokenSeconds) {
    notes.push(`Microsoft Entra ID uses one lifetime (AccessTokenLifetime) for access and ID tokens: ID tokens will live ${human(l.accessTokenSeconds)}, not ${human(l.idTokenSeconds)}.`);
  }
  return { accessTokenLifetime: formatLifetime(l.accessTokenSeconds), notes };
}

/**
 * The scopes the MCP client asks for: the app's API scope first (Entra issues one access token per resource,
 * and only a token for this API carries aud = the app id), then openid, profile, offline_access.
 */
export function clientScopes(appId: string): string[] {
  return [`api://${appId}/${API_SCOPE_NAME}`, ...CLIENT_OIDC_SCOPES];
}

/** OIDC scopes a --scopes list may name (they are always asked for, email aside, which Entra does not need). */
const KNOWN_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access', API_SCOPE_NAME]);

/**
 * Refuses requested scopes the Entra setup cannot honour: scopes of another resource (Graph's User.Read,
 * https://..., api://other/...) would make Entra refuse the sign-in or issue a token for that resource instead.
 */
export function checkRequestedScopes(requested: string[]): void {
  const other = requested.filter((s) => !KNOWN_SCOPES.has(s));
  if (other.length) {
    throw new UsageError(`--scopes ${other.join(' ')}: with Microsoft Entra ID the client asks for this app's API scope, and Entra issues an access token for one resource at a time.`, {
      fix: `Leave --scopes out: the client asks for api://<app id>/${API_SCOPE_NAME} ${CLIENT_OIDC_SCOPES.join(' ')}.`,
    });
  }
}
