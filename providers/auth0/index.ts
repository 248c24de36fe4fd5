/** Placeholder until the Auth0 adapter lands: flags only, and a clear error. */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'auth0',
  displayName: 'Auth0',
  flags: {},
  credentialEnv: [],
  async createAdapter() {
    const { UsageError } = await import('../../src/core/errors.js');
    throw new UsageError('The Auth0 adapter is not available in this version.', {
      fix: 'Use --provider oidc with an IdP that supports dynamic client registration, or the sandbox (agentcore-auth demo).',
    });
  },
};
