/** The generic OIDC provider module: no flags of its own (it uses the generic --issuer and --audience). */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'oidc',
  displayName: 'Any OIDC provider with dynamic client registration (sandbox, Keycloak, Hydra, Authentik)',
  flags: {
    'oidc-groups-claim': { type: 'string', placeholder: 'claim', description: 'Generic OIDC: the access-token claim that lists the user\'s groups, for --allow-group (default groups)' },
  },
  credentialEnv: ['AGENTCORE_AUTH_INITIAL_ACCESS_TOKEN'],
  async createAdapter(options) {
    const issuer = typeof options.issuer === 'string' ? options.issuer : undefined;
    if (!issuer) {
      const { UsageError } = await import('../../src/core/errors.js');
      throw new UsageError('--provider oidc needs --issuer URL.', { fix: 'Pass --issuer https://your-idp/ (the sandbox prints its issuer).' });
    }
    const { createOidcAdapter } = await import('./adapter.js');
    return createOidcAdapter({ issuer, audience: typeof options.audience === 'string' ? options.audience : undefined });
  },
};
