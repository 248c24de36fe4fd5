/** Placeholder until the Okta adapter lands: flags only, and a clear error. */
import type { ProviderModule } from '../types.js';

export const provider: ProviderModule = {
  id: 'okta',
  displayName: 'Okta',
  flags: {},
  credentialEnv: [],
  async createAdapter() {
    const { UsageError } = await import('../../src/core/errors.js');
    throw new UsageError('The Okta adapter is not available in this version.', {
      fix: 'Use --provider oidc with an IdP that supports dynamic client registration, or the sandbox (agentcore-auth demo).',
    });
  },
};
