/**
 * Token profiles of the identity providers (FACTS section 4): which IdP an issuer belongs to, which claims
 * its access tokens carry, and the CUSTOM_JWT rule the gateway should carry for it. Pure data and pure
 * functions (no SDK, no I/O), so adapters, init and verify share them without loading anything heavy.
 */
import type { CustomClaimRule, CustomJwtAuthorizer } from '../src/authorizer/types.js';
import { UsageError } from '../src/core/errors.js';
import type { ProviderId, TokenProfile } from './types.js';

export const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';
/** The audience of Okta's `default` custom authorization server (unless an admin changed it). */
export const OKTA_DEFAULT_AUDIENCE = 'api://default';
/** Entra's multi-tenant authorities: their discovery documents name the issuer with a `{tenantid}` placeholder. */
export const ENTRA_MULTI_TENANT = ['common', 'organizations', 'consumers'];

export const PROVIDER_NAMES: Record<ProviderId, string> = {
  oidc: 'the OIDC provider',
  okta: 'Okta',
  entra: 'Microsoft Entra ID',
  cognito: 'Amazon Cognito',
  auth0: 'Auth0',
};

/** Finer than ProviderId: which kind of issuer of that IdP. */
export type IssuerVariant = 'okta-custom' | 'okta-org' | 'entra-v2' | 'entra-v1' | 'cognito' | 'auth0' | 'oidc';

export interface IssuerInfo {
  provider: ProviderId;
  variant: IssuerVariant;
  /** Okta: org host; Entra: tenant (id or domain); Auth0: tenant host; Cognito: user pool id. */
  tenant?: string;
  /** Okta custom authorization server id (`default`, `aus...`). */
  authorizationServerId?: string;
  /** Cognito region. */
  region?: string;
  /** Entra: the login host of the cloud (login.microsoftonline.com, ...). */
  loginHost?: string;
}

const OKTA_HOST = /^[a-z0-9][a-z0-9-]*\.(okta\.com|oktapreview\.com|okta-emea\.com|okta-gov\.com)$/;
const ENTRA_LOGIN_HOSTS = ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.partner.microsoftonline.cn'];
/** v1 (sts) issuer hosts and the login host of the same cloud. */
const ENTRA_STS_HOSTS: Record<string, string> = {
  'sts.windows.net': 'login.microsoftonline.com',
  'sts.chinacloudapi.cn': 'login.partner.microsoftonline.cn',
};
const COGNITO_HOST = /^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com$/;
const AUTH0_HOST = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)?\.auth0\.com$/;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (s: string): boolean => GUID.test(s);

/** Strip a discovery suffix, if any, so an issuer or a discovery URL can be described alike. */
function issuerPart(url: string): string {
  return url.endsWith(DISCOVERY_SUFFIX) ? url.slice(0, -DISCOVERY_SUFFIX.length) : url;
}

/**
 * Which IdP (and which kind of issuer) a URL belongs to, by its shape. Accepts an issuer or its discovery URL.
 * Custom domains (login.example.com in front of Okta or Auth0) cannot be recognised: they come out as 'oidc'.
 */
export function describeIssuer(issuerOrDiscovery: string): IssuerInfo {
  let u: URL;
  try {
    u = new URL(issuerPart(issuerOrDiscovery));
  } catch {
    return { provider: 'oidc', variant: 'oidc' };
  }
  const host = u.hostname.toLowerCase();
  const segs = u.pathname.split('/').filter(Boolean);

  if (OKTA_HOST.test(host)) {
    if (segs[0] === 'oauth2' && segs[1] && segs[1] !== 'v1') {
      return { provider: 'okta', variant: 'okta-custom', tenant: host, authorizationServerId: segs[1] };
    }
    return { provider: 'okta', variant: 'okta-org', tenant: host };
  }
  if (ENTRA_LOGIN_HOSTS.includes(host)) {
    const tenant = segs[0];
    // {tenant}/v2.0 is the v2 issuer/authority; a bare {tenant} is the v1 authority (its tokens say sts.windows.net).
    return { provider: 'entra', variant: segs[1] === 'v2.0' ? 'entra-v2' : 'entra-v1', ...(tenant ? { tenant } : {}), loginHost: host };
  }
  if (ENTRA_STS_HOSTS[host]) {
    return { provider: 'entra', variant: 'entra-v1', ...(segs[0] ? { tenant: segs[0] } : {}), loginHost: ENTRA_STS_HOSTS[host] };
  }
  const cognito = COGNITO_HOST.exec(host);
  if (cognito) {
    return { provider: 'cognito', variant: 'cognito', region: cognito[1]!, ...(segs[0] ? { tenant: segs[0] } : {}) };
  }
  if (AUTH0_HOST.test(host)) return { provider: 'auth0', variant: 'auth0', tenant: host };
  return { provider: 'oidc', variant: 'oidc' };
}

/**
 * Which IdP an issuer URL belongs to, by its shape: Okta (https://{org}.okta.com|oktapreview.com|okta-emea.com
 * /oauth2/{server}, and the org server https://{org}.okta.com), Entra (login.microsoftonline.com/{tenant}/v2.0,
 * or sts.windows.net/{tenant}/ = v1), Cognito (cognito-idp.{region}.amazonaws.com/{poolId}), Auth0
 * ({tenant}.auth0.com/ or {tenant}.{region}.auth0.com/), else 'oidc'. Custom domains can't be recognised:
 * the caller may pass the provider explicitly.
 */
export function detectProvider(issuer: string): ProviderId {
  return describeIssuer(issuer).provider;
}

/** `{issuer without a trailing slash}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 section 4). */
export function discoveryUrlForIssuer(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}${DISCOVERY_SUFFIX}`;
}

/** The v2.0 issuer and discovery URL of an Entra tenant. */
export function entraV2(tenant: string, loginHost = 'login.microsoftonline.com'): { issuer: string; discoveryUrl: string } {
  const issuer = `https://${loginHost}/${tenant}/v2.0`;
  return { issuer, discoveryUrl: discoveryUrlForIssuer(issuer) };
}

export type ClaimJsonType = 'string' | 'array';

/** TokenProfile plus what verify needs to explain a mismatch. */
export interface ExtendedTokenProfile extends TokenProfile {
  variant: IssuerVariant;
  /** The aud an access token carries when the issuer alone says it (Okta default server: api://default). */
  defaultAudience?: string;
  /** Every claim that may carry the client id in this IdP's access tokens (clientClaim first). */
  clientClaims: string[];
  /** JSON type of claims a custom claim rule may target (claims not listed: unknown). */
  claimTypes: Record<string, ClaimJsonType>;
  /** The claim/value marking an access token, when the IdP sets one (Cognito token_use: access). */
  accessTokenMarker?: { claim: string; value: string };
  /** False for Okta's org authorization server: nobody but Okta can validate its access tokens. */
  validatableByOthers: boolean;
  /** The discovery URL the gateway should carry for this IdP (Entra v1 issuer -> the tenant's v2.0 URL). */
  recommendedDiscoveryUrl: string;
}

const COMMON_TYPES: Record<string, ClaimJsonType> = {
  iss: 'string',
  sub: 'string',
  client_id: 'string',
  azp: 'string',
  cid: 'string',
  appid: 'string',
  scope: 'string',
  jti: 'string',
};

/** Claim names per FACTS section 4 ('Access token' row). */
export function tokenProfileFor(provider: ProviderId, issuer: string): ExtendedTokenProfile {
  const info = describeIssuer(issuer);
  const discoveryUrl = discoveryUrlForIssuer(issuer);
  const base = { provider, issuer, discoveryUrl, recommendedDiscoveryUrl: discoveryUrl, validatableByOthers: true };
  switch (provider) {
    case 'okta':
      return {
        ...base,
        variant: info.provider === 'okta' ? info.variant : 'okta-custom',
        audienceClaim: 'aud',
        clientClaim: 'cid',
        clientClaims: ['cid'],
        scopeClaim: 'scp',
        claimTypes: { ...COMMON_TYPES, scp: 'array', uid: 'string', groups: 'array' },
        ...(info.authorizationServerId === 'default' ? { defaultAudience: OKTA_DEFAULT_AUDIENCE } : {}),
        validatableByOthers: info.variant !== 'okta-org',
      };
    case 'entra': {
      const v1 = info.provider === 'entra' && info.variant === 'entra-v1';
      const tenant = info.provider === 'entra' ? info.tenant : undefined;
      // A v1 issuer (sts.windows.net/{tenant}/) is published by the v1 authority's discovery document.
      const v1Discovery = v1 && tenant ? `https://${info.loginHost ?? 'login.microsoftonline.com'}/${tenant}${DISCOVERY_SUFFIX}` : discoveryUrl;
      return {
        ...base,
        discoveryUrl: v1Discovery,
        recommendedDiscoveryUrl: v1 && tenant ? entraV2(tenant, info.loginHost).discoveryUrl : discoveryUrl,
        variant: v1 ? 'entra-v1' : 'entra-v2',
        audienceClaim: 'aud',
        clientClaim: v1 ? 'appid' : 'azp',
        clientClaims: v1 ? ['appid'] : ['azp'],
        scopeClaim: 'scp',
        claimTypes: { ...COMMON_TYPES, scp: 'string', roles: 'array', groups: 'array', tid: 'string', oid: 'string', ver: 'string' },
      };
    }
    case 'cognito':
      return {
        ...base,
        variant: 'cognito',
        audienceClaim: null,
        clientClaim: 'client_id',
        clientClaims: ['client_id'],
        scopeClaim: 'scope',
        claimTypes: { ...COMMON_TYPES, token_use: 'string', username: 'string', 'cognito:groups': 'array' },
        accessTokenMarker: { claim: 'token_use', value: 'access' },
      };
    case 'auth0':
      return {
        ...base,
        variant: 'auth0',
        audienceClaim: 'aud',
        clientClaim: 'azp',
        // client_id only with the API's token_dialect rfc9068_profile.
        clientClaims: ['azp', 'client_id'],
        scopeClaim: 'scope',
        claimTypes: { ...COMMON_TYPES, permissions: 'array' },
      };
    case 'oidc':
    default:
      return {
        ...base,
        variant: 'oidc',
        audienceClaim: 'aud',
        clientClaim: 'client_id',
        clientClaims: ['client_id', 'azp'],
        scopeClaim: 'scope',
        claimTypes: { ...COMMON_TYPES },
      };
  }
}

/** A custom claim rule `name EQUALS value` (STRING). */
export function claimEquals(name: string, value: string): CustomClaimRule {
  return {
    inboundTokenClaimName: name,
    inboundTokenClaimValueType: 'STRING',
    authorizingClaimMatchValue: { claimMatchOperator: 'EQUALS', claimMatchValue: { matchValueString: value } },
  };
}

/**
 * The rule init should set for this IdP (FACTS section 4, 'Gateway rule' row):
 * - okta: allowedAudience [audience ?? api://default (default server only)] + cid EQUALS clientId
 * - entra: allowedAudience [API app id GUID, default clientId] + azp EQUALS clientId, on the v2.0 discovery URL
 * - cognito: allowedClients [clientId], no audience (its access tokens have none)
 * - auth0: allowedAudience [API identifier] + azp EQUALS clientId (audience required: else tokens are opaque)
 * - oidc: allowedClients [clientId] (+ allowedAudience when given), as the OIDC adapter does
 * Throws UsageError when the IdP needs an audience that was not given (Auth0) or given in a form its tokens never carry (Entra).
 */
export function recommendedRule(provider: ProviderId, p: { discoveryUrl: string; clientId: string; audience?: string }): CustomJwtAuthorizer {
  const { clientId } = p;
  const info = describeIssuer(p.discoveryUrl);
  switch (provider) {
    case 'okta': {
      const audience = p.audience ?? (info.authorizationServerId === 'default' ? OKTA_DEFAULT_AUDIENCE : undefined);
      return {
        discoveryUrl: p.discoveryUrl,
        ...(audience ? { allowedAudience: [audience] } : {}),
        customClaims: [claimEquals('cid', clientId)],
      };
    }
    case 'entra': {
      let audience = p.audience ?? clientId;
      const m = /^api:\/\/([0-9a-f-]{36})\/?$/i.exec(audience);
      if (m && isGuid(m[1]!)) audience = m[1]!;
      if (!isGuid(audience)) {
        throw new UsageError(`Entra v2.0 access tokens carry the API's application id (a GUID) in aud, never "${audience}".`, {
          fix: 'Pass the API app\'s application (client) id as the audience, or leave it out when the API is this app.',
        });
      }
      const discoveryUrl = info.provider === 'entra' && info.tenant ? entraV2(info.tenant, info.loginHost).discoveryUrl : p.discoveryUrl;
      return { discoveryUrl, allowedAudience: [audience], customClaims: [claimEquals('azp', clientId)] };
    }
    case 'cognito':
      return { discoveryUrl: p.discoveryUrl, allowedClients: [clientId] };
    case 'auth0': {
      if (!p.audience) {
        throw new UsageError('Auth0 needs an API audience: without one it issues opaque access tokens the gateway cannot validate.', {
          fix: 'Create an API in Auth0 (identifier = the gateway URL) and pass its identifier as the audience.',
        });
      }
      return { discoveryUrl: p.discoveryUrl, allowedAudience: [p.audience], customClaims: [claimEquals('azp', clientId)] };
    }
    case 'oidc':
    default:
      return {
        discoveryUrl: p.discoveryUrl,
        allowedClients: [clientId],
        ...(p.audience ? { allowedAudience: [p.audience] } : {}),
      };
  }
}
