/**
 * Generic OIDC adapter: any provider with dynamic client registration (RFC 7591) and, for cleanup,
 * registration management (RFC 7592): the sandbox, Keycloak, Ory Hydra, Authentik.
 * It sets the shape the Okta, Entra, Cognito and Auth0 adapters follow.
 */
import type { CustomJwtAuthorizer } from '../../src/authorizer/types.js';
import { CliError } from '../../src/core/errors.js';
import { isSecureTransportUrl } from '../../src/core/net.js';
import { flagArg } from '../../src/core/text.js';
import type {
  AdapterContext,
  AppRecord,
  AppRequest,
  ClientRequirements,
  IdpAdapter,
  RevokeResult,
  TokenProfile,
} from '../types.js';

export const INITIAL_ACCESS_TOKEN_ENV = 'AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN';
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export function normaliseIssuer(issuer: string): string {
  let u: URL;
  try {
    u = new URL(issuer);
  } catch {
    throw new CliError(`--issuer "${issuer}" is not a URL.`, { code: 'usage', fix: 'Pass the issuer URL, e.g. --issuer https://idp.example.com/realms/main' });
  }
  if (!isSecureTransportUrl(u)) {
    throw new CliError(`--issuer ${issuer} is not https.`, { code: 'usage', fix: 'Identity providers must use https (plain http is only accepted on loopback).' });
  }
  // Keep the issuer exactly as given (a trailing slash is significant for issuer comparison), but drop a discovery suffix.
  return issuer.replace(/\/\.well-known\/openid-configuration$/, '');
}

export function discoveryUrlFor(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

export interface OidcAdapterOptions {
  issuer: string;
  /** Pin tokens to this audience in the gateway rule (aud). Optional: the client pin is always set. */
  audience?: string;
}

export function createOidcAdapter(opts: OidcAdapterOptions): IdpAdapter {
  const issuer = normaliseIssuer(opts.issuer);
  const discoveryUrl = discoveryUrlFor(issuer);
  let metadata: Record<string, unknown> | undefined;

  const meta = async (ctx: AdapterContext): Promise<Record<string, unknown>> => {
    if (metadata) return metadata;
    const { discoverAuthorizationServer } = await import('../../src/oauth/discovery.js');
    const found = await discoverAuthorizationServer(issuer, { timeoutMs: ctx.timeoutMs });
    metadata = found.metadata as Record<string, unknown>;
    return metadata;
  };

  return {
    id: 'oidc',
    displayName: 'OIDC provider (dynamic client registration)',

    tokenProfile(): TokenProfile {
      return { provider: 'oidc', issuer, discoveryUrl, audienceClaim: 'aud', clientClaim: 'client_id', scopeClaim: 'scope' };
    },

    recommendedAuthorizer(app: AppRecord): CustomJwtAuthorizer {
      return {
        discoveryUrl: app.discoveryUrl,
        allowedClients: [app.clientId],
        ...(opts.audience ? { allowedAudience: [opts.audience] } : {}),
      };
    },

    clientRequirements(_app, o): ClientRequirements {
      return { scopes: o.scopes.length ? o.scopes : DEFAULT_SCOPES, mcpRemoteArgs: [] };
    },

    async preflight(ctx) {
      const m = await meta(ctx);
      if (m.issuer !== issuer) {
        throw new CliError(`The issuer's discovery document says issuer "${String(m.issuer)}", not "${issuer}".`, {
          code: 'issuer_mismatch',
          fix: `Pass --issuer ${String(m.issuer)} exactly (a trailing slash matters).`,
        });
      }
      if (typeof m.registration_endpoint !== 'string') {
        throw new CliError(`${issuer} does not offer dynamic client registration (no registration_endpoint in its discovery document).`, {
          code: 'no_registration',
          fix: 'Enable dynamic client registration at the IdP, or use the adapter for your IdP (--provider okta|entra|cognito|auth0).',
        });
      }
    },

    async createApp(ctx, req: AppRequest): Promise<AppRecord> {
      const m = await meta(ctx);
      const { registerClient } = await import('../../src/oauth/registration.js');
      const reg = await registerClient({
        registrationEndpoint: String(m.registration_endpoint),
        initialAccessToken: ctx.env[INITIAL_ACCESS_TOKEN_ENV] || undefined,
        metadata: {
          client_name: req.name,
          application_type: 'native',
          redirect_uris: req.redirectUris,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          // glewlwyd (2.7.x) stores a client registered with token_endpoint_auth_method "none" as confidential unless
          // this extension says otherwise, and then refuses its token exchange (unauthorized_client). Other servers
          // ignore metadata they do not know (RFC 7591 §2).
          client_confidential: false,
          scope: req.scopes.join(' '),
        },
      }, { timeoutMs: ctx.timeoutMs, logger: ctx.logger });
      ctx.logger.debug(`registered client ${reg.client_id} at ${String(m.registration_endpoint)}`);
      const secrets: Record<string, string> = {};
      if (reg.registration_access_token) secrets.registrationAccessToken = reg.registration_access_token;
      return {
        provider: 'oidc',
        clientId: reg.client_id,
        issuer,
        discoveryUrl,
        extras: reg.registration_client_uri ? { registrationClientUri: reg.registration_client_uri } : {},
        secrets,
      };
    },

    async describeApp(ctx, app) {
      const uri = app.extras.registrationClientUri;
      const token = app.secrets?.registrationAccessToken;
      if (uri && !token) throw lostToken(app);
      if (!uri || !token) return { clientId: app.clientId, redirectUris: [], grantTypes: [], unverified: 'the IdP gave no RFC 7592 management URI, so its clients cannot be read' };
      const { readClient } = await import('../../src/oauth/registration.js');
      const c = (await readClient({ registrationClientUri: uri, registrationAccessToken: token }, { timeoutMs: ctx.timeoutMs, logger: ctx.logger })) as Record<string, unknown> | null;
      if (!c) return null;
      return {
        clientId: String(c.client_id),
        redirectUris: (c.redirect_uris as string[]) ?? [],
        grantTypes: (c.grant_types as string[]) ?? [],
      };
    },

    async updateRedirectUris(ctx, app, redirectUris) {
      const uri = app.extras.registrationClientUri;
      const token = app.secrets?.registrationAccessToken;
      if (uri && !token) throw lostToken(app);
      if (!uri || !token) {
        throw new CliError(`Cannot change client ${app.clientId}'s redirect URI: the IdP gave no registration management URI or token (RFC 7592).`, {
          code: 'manual',
          fix: `Add ${redirectUris.join(', ')} to client ${app.clientId} in the IdP's admin console, or run init with the callback port it was registered with.`,
        });
      }
      const { readClient, updateClient } = await import('../../src/oauth/registration.js');
      const o = { timeoutMs: ctx.timeoutMs, logger: ctx.logger };
      const current = (await readClient({ registrationClientUri: uri, registrationAccessToken: token }, o)) as Record<string, unknown> | null;
      if (!current) throw new CliError(`OIDC client ${app.clientId} no longer exists at ${issuer}.`, { code: 'not_found', fix: 'Run init again: it registers a new client.' });
      // RFC 7592 §2.2: send every field to keep; never the server-managed ones.
      const { registration_access_token: _t, registration_client_uri: _u, client_secret_expires_at: _e, client_id_issued_at: _i, ...metadata } = current;
      const updated = await updateClient({ registrationClientUri: uri, registrationAccessToken: token, metadata: { ...metadata, redirect_uris: redirectUris } }, o);
      if (!updated) throw new CliError(`OIDC client ${app.clientId} no longer exists at ${issuer}.`, { code: 'not_found', fix: 'Run init again: it registers a new client.' });
      const got = (updated as Record<string, unknown>).redirect_uris;
      if (!Array.isArray(got) || redirectUris.some((r) => !got.includes(r))) {
        throw new CliError(`The IdP accepted the update of client ${app.clientId} but did not keep the redirect URI ${redirectUris.join(', ')}.`, { code: 'registration_invalid_redirect_uri' });
      }
      return {
        ...app,
        extras: { ...app.extras, ...(updated.registration_client_uri ? { registrationClientUri: updated.registration_client_uri } : {}) },
        secrets: { ...app.secrets, registrationAccessToken: updated.registration_access_token ?? token },
      };
    },

    async deleteApp(ctx, app) {
      const uri = app.extras.registrationClientUri;
      const token = app.secrets?.registrationAccessToken;
      if (uri && !token) throw lostToken(app);
      if (!uri || !token) {
        throw new CliError(`Cannot delete client ${app.clientId}: the IdP gave no registration management URI or token (RFC 7592).`, {
          code: 'manual',
          fix: `Delete client ${app.clientId} in the IdP's admin console.`,
        });
      }
      const { deleteClient } = await import('../../src/oauth/registration.js');
      return deleteClient({ registrationClientUri: uri, registrationAccessToken: token }, { timeoutMs: ctx.timeoutMs, logger: ctx.logger });
    },

    async revoke(ctx, app, tokens): Promise<RevokeResult> {
      const result: RevokeResult = { revoked: [], notRevoked: [] };
      const m = await meta(ctx).catch(() => undefined);
      const endpoint = m?.revocation_endpoint;
      const list = [
        ['refresh_token', tokens.refreshToken],
        ['access_token', tokens.accessToken],
      ] as const;
      if (typeof endpoint !== 'string') {
        for (const [kind, t] of list) if (t) result.notRevoked.push({ what: kind, why: 'the IdP has no revocation_endpoint', unsupported: true });
        return result;
      }
      const { revokeToken } = await import('../../src/oauth/tokens.js');
      for (const [kind, t] of list) {
        if (!t) continue;
        const r = await revokeToken({ revocationEndpoint: endpoint, clientId: app.clientId, token: t, tokenTypeHint: kind }, { timeoutMs: ctx.timeoutMs, logger: ctx.logger });
        if (r.ok) result.revoked.push(kind);
        // RFC 7009 §2.2.1: unsupported_token_type is the server saying it cannot revoke this kind (e.g. JWT access tokens).
        else result.notRevoked.push({ what: kind, why: `revocation answered HTTP ${r.status}${r.error ? ` (${r.error})` : ''}`, ...(/^unsupported_token_type\b/.test(r.error ?? '') ? { unsupported: true } : {}) });
      }
      return result;
    },
  };
}

/** The setup's secrets file lost the RFC 7592 registration access token: nothing can read, update or delete the client. */
function lostToken(app: AppRecord): CliError {
  return new CliError(`OIDC client ${app.clientId} cannot be managed: its registration access token (RFC 7592) is missing from the setup's secrets file.`, {
    code: 'unmanageable',
    fix: `Delete client ${app.clientId} in the IdP's admin console if it still exists, then \`agentcore-auth cleanup ${flagArg('--forget', app.clientId)}\` drops it from the setup.`,
  });
}
