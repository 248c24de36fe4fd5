/**
 * The Auth0 provider module: flags and a factory only. The adapter (and the `auth0` SDK, ~250 ms / 34 MB)
 * load inside createAdapter / on the first Management API call, never on the CLI's --help path.
 *
 * Admin credentials come from the environment only (never flags):
 *   AUTH0_DOMAIN                              the tenant's canonical domain (my-tenant.us.auth0.com); also --auth0-domain
 *   AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET     a Machine-to-Machine app authorized for the Auth0 Management API
 *   AUTH0_TOKEN                               or a Management API token (used when no client credentials are set)
 * Testing locally: a loopback AUTH0_DOMAIN (127.0.0.1:PORT, localhost:PORT) is spoken to over plain http
 * (issuer http://127.0.0.1:PORT/, Management API http://127.0.0.1:PORT/api/v2): nothing else is needed.
 */
import type { ProviderModule } from '../types.js';

export const AUTH0_ENV = {
  domain: 'AUTH0_DOMAIN',
  clientId: 'AUTH0_CLIENT_ID',
  clientSecret: 'AUTH0_CLIENT_SECRET',
  token: 'AUTH0_TOKEN',
} as const;

export const provider: ProviderModule = {
  id: 'auth0',
  displayName: 'Auth0',
  flags: {
    'auth0-domain': {
      type: 'string',
      placeholder: 'host',
      description: 'Auth0 tenant domain, e.g. my-tenant.us.auth0.com (env AUTH0_DOMAIN); admin credentials: env AUTH0_CLIENT_ID + AUTH0_CLIENT_SECRET, or AUTH0_TOKEN',
    },
    'auth0-set-default-audience': {
      type: 'boolean',
      description:
        "Also make the new API the tenant's default audience (tenant-wide: every app that asks for no audience gets tokens for it); the previous value is restored on cleanup. Default: only this client asks for it",
    },
    'auth0-rfc9068': {
      type: 'boolean',
      description: 'Issue RFC 9068 access tokens (API token_dialect rfc9068_profile, with a client_id claim): the gateway pins the client with allowedClients',
    },
  },
  credentialEnv: [AUTH0_ENV.domain, AUTH0_ENV.clientId, AUTH0_ENV.clientSecret, AUTH0_ENV.token],
  async createAdapter(options, ctx) {
    const { createAuth0Adapter } = await import('./adapter.js');
    return createAuth0Adapter(
      {
        domain: typeof options['auth0-domain'] === 'string' ? options['auth0-domain'] : undefined,
        issuer: typeof options.issuer === 'string' && options.issuer ? options.issuer : undefined,
        audience: typeof options.audience === 'string' && options.audience ? options.audience : undefined,
        setDefaultAudience: options['auth0-set-default-audience'] === true,
        rfc9068: options['auth0-rfc9068'] === true,
      },
      ctx,
    );
  },
};
